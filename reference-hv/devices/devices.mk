# reference-hv/devices: the device-model library, its host unit tests (ASan/UBSan) and its libFuzzer targets.
DEVICES_DIR := reference-hv/devices
DEVICES_SRC := $(wildcard $(DEVICES_DIR)/*.c)
DEVICES_HDR := $(wildcard $(DEVICES_DIR)/*.h $(DEVICES_DIR)/tests/*.h)
DEVICES_TEST_SRC := $(wildcard $(DEVICES_DIR)/tests/test_*.c)
DEVICES_TESTS := $(patsubst $(DEVICES_DIR)/tests/test_%.c,$(BUILD)/host-tests/devices/test_%,$(DEVICES_TEST_SRC))

# The models and the host driver are compiled once (same flags as the tests) and linked into every test.
DEVICES_TEST_OBJ := $(patsubst %,$(BUILD)/host-obj/devices/%.o,$(DEVICES_DIR)/tests/host_driver.c $(DEVICES_SRC))
$(BUILD)/host-obj/devices/%.c.o: %.c $(DEVICES_HDR) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -Iguest-tests/lib/tests -c $< -o $@
.SECONDARY: $(DEVICES_TEST_OBJ)
$(BUILD)/host-tests/devices/test_%: $(DEVICES_DIR)/tests/test_%.c $(DEVICES_TEST_OBJ) $(DEVICES_HDR)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -Iguest-tests/lib/tests $< $(DEVICES_TEST_OBJ) -o $@

.PHONY: unit-devices
unit-devices: $(DEVICES_TESTS)
	@set -e; for t in $(DEVICES_TESTS); do echo "== $$t"; $$t; done

unit-c: unit-devices

# libFuzzer targets (clang + Debian's libclang-rt): one per transport (ring layout), each model selectable.
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -O1 -g -D_DEFAULT_SOURCE -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined
FUZZ_TARGETS := $(patsubst $(DEVICES_DIR)/fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%,$(wildcard $(DEVICES_DIR)/fuzz/fuzz_*.c))
FUZZ_MODELS := entropy block gpio i2c vsock console input net can rpmb scmi sound media rtc balloon fs
FUZZ_SECONDS ?= 600

FUZZ_OBJ := $(patsubst %,$(BUILD)/fuzz/obj/%.o,$(DEVICES_SRC))
$(BUILD)/fuzz/obj/%.c.o: %.c $(DEVICES_HDR) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
.SECONDARY: $(FUZZ_OBJ)
$(BUILD)/fuzz/fuzz_%: $(DEVICES_DIR)/fuzz/fuzz_%.c $(DEVICES_DIR)/fuzz/fuzz_rings.h $(FUZZ_OBJ) $(DEVICES_HDR) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_OBJ) -o $@

# `make fuzz` runs every (transport, model) pair for FUZZ_SECONDS in all; `make fuzz-smoke` 30 s in all.
.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZ_TARGETS)
	@$(DEVICES_DIR)/fuzz/run-fuzzers.sh $(BUILD)/fuzz $(FUZZ_SECONDS) "$(FUZZ_MODELS)" $(FUZZ_TARGETS)
fuzz-smoke: $(FUZZ_TARGETS)
	@$(DEVICES_DIR)/fuzz/run-fuzzers.sh $(BUILD)/fuzz 30 "$(FUZZ_MODELS)" $(FUZZ_TARGETS)

# The project's tests include a 30-second fuzzing smoke run.
test: fuzz-smoke
