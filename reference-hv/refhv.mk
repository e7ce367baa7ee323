# Reference hypervisor: the EL2 image (build/refhv/refhv.bin), its host config tool, its host unit tests.
REFHV_DIR := reference-hv
REFHV_OUT := $(BUILD)/refhv
REFHV_PARTS := boot exceptions stage2 psci vgic console config faults vm virtio-mmio watchdog
# The reference device models (reference-hv/devices), shared with the vhost-user back end; refhv links
# their freestanding C library subset (devices/freestanding) where the other hosts link libc.
REFHV_DEVICES_SRC := $(wildcard $(REFHV_DIR)/devices/*.c)
REFHV_DEVICES_HDR := $(wildcard $(REFHV_DIR)/devices/*.h $(REFHV_DIR)/devices/freestanding/*.h)
REFHV_LIBFDT := $(AVPS_CACHE)/arm64/libfdt/usr
# Shared with the probes: the runtime's leaf layer (string functions, PL011 console, fatal stop) and the formatter.
REFHV_SHARED_SRC := $(addprefix guest-tests/probe-runtime/,string.c console.c panic.c) guest-tests/lib/text_format.c
REFHV_SRC := $(REFHV_DIR)/boot/head.S $(REFHV_DIR)/exceptions/vectors.S \
	$(foreach p,$(REFHV_PARTS),$(wildcard $(REFHV_DIR)/$(p)/*.c)) $(REFHV_SHARED_SRC) \
	$(REFHV_DEVICES_SRC) $(REFHV_DIR)/devices/freestanding/libc.c
REFHV_HEADERS := $(foreach p,$(REFHV_PARTS),$(wildcard $(REFHV_DIR)/$(p)/*.h)) guest-tests/lib/text_format.h \
	$(REFHV_DEVICES_HDR) \
	guest-tests/probe-runtime/base.h guest-tests/probe-runtime/cpu.h guest-tests/probe-runtime/vmmio_regs.h
REFHV_INCLUDES := $(foreach p,$(REFHV_PARTS),-I$(REFHV_DIR)/$(p)) -I$(REFHV_DIR)/devices -I$(REFHV_DIR)/devices/freestanding \
	-Iguest-tests/lib -Iguest-tests/probe-runtime
# General registers only: a trap never saves the guest's FP/SIMD state, so EL2 code must not touch it
# (libfdt, built by Debian with FP allowed, runs only while VMs are built, before any guest runs).
REFHV_CFLAGS := -std=c11 -O2 -g -ffreestanding -nostdlib -mgeneral-regs-only -mstrict-align -mno-outline-atomics \
	-fno-pie -fno-stack-protector -fno-common -fno-tree-loop-distribute-patterns $(WARN) \
	$(REFHV_INCLUDES) -isystem $(REFHV_LIBFDT)/include
REFHV_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(REFHV_DIR)/boot/refhv.ld -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
REFHV_OBJ := $(patsubst %,$(REFHV_OUT)/obj/%.o,$(REFHV_SRC))

$(REFHV_OUT)/obj/%.c.o: %.c $(REFHV_HEADERS) $(REFHV_DIR)/refhv.mk | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(REFHV_CFLAGS) -c $< -o $@
$(REFHV_OUT)/obj/%.S.o: %.S $(REFHV_DIR)/boot/layout.h $(REFHV_DIR)/refhv.mk | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(REFHV_CFLAGS) -c $< -o $@
$(REFHV_OUT)/refhv.elf: $(REFHV_OBJ) $(REFHV_DIR)/boot/refhv.ld
	$(CROSS)gcc $(REFHV_LDFLAGS) -o $@ $(REFHV_OBJ) $(REFHV_LIBFDT)/lib/aarch64-linux-gnu/libfdt.a -lgcc
$(REFHV_OUT)/refhv.bin: $(REFHV_OUT)/refhv.elf
	$(CROSS)objcopy -O binary $< $@
	@cmp -s <(tail -c +57 $@ | head -c 4) <(printf 'ARM\x64') || \
		{ echo "$@: no arm64 Image magic at offset 56" >&2; rm -f $@; exit 1; }

# Host tool: checks a config (file:line errors, image files present, each device's model and options
# by creating it with the models' library) and prints QEMU's loader arguments.
REFHV_TOOL_SRC := $(REFHV_DIR)/tools/refhv_config.c $(REFHV_DIR)/config/config.c $(REFHV_DIR)/faults/faults.c \
	guest-tests/lib/text_format.c $(REFHV_DIR)/virtio-mmio/mmio_transport.c $(REFHV_DEVICES_SRC)
# Its library part is the unit tests' objects (below): the tests' extra include folder holds only
# test headers, which no library source includes.
$(REFHV_OUT)/refhv-config: $(REFHV_DIR)/tools/refhv_config.c $(patsubst %,$(REFHV_OUT)/host-obj/%.o,$(filter-out $(REFHV_DIR)/tools/refhv_config.c,$(REFHV_TOOL_SRC))) $(REFHV_HEADERS)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) $(REFHV_INCLUDES) $< $(filter %.o,$^) -o $@

# Host unit tests: the hypervisor's logic, compiled for the host with ASan/UBSan.
REFHV_TEST_LOGIC := $(REFHV_DIR)/config/config.c $(REFHV_DIR)/faults/faults.c $(REFHV_DIR)/psci/psci.c $(REFHV_DIR)/psci/unimplemented.c \
	$(REFHV_DIR)/vm/vm_lookup.c $(REFHV_DIR)/stage2/stage2.c $(REFHV_DIR)/exceptions/esr.c \
	$(REFHV_DIR)/console/vuart.c $(REFHV_DIR)/vgic/vgic_mmio.c guest-tests/lib/text_format.c \
	$(REFHV_DIR)/virtio-mmio/mmio_transport.c $(REFHV_DIR)/watchdog/gwdt.c $(REFHV_DEVICES_SRC)
REFHV_HOST_TESTS := $(patsubst $(REFHV_DIR)/tests/%.c,$(REFHV_OUT)/host-tests/%,$(wildcard $(REFHV_DIR)/tests/*.c))
# The logic is compiled once (same flags as the tests) and linked into every test and into refhv-config.
REFHV_TEST_OBJ := $(patsubst %,$(REFHV_OUT)/host-obj/%.o,$(REFHV_TEST_LOGIC))
$(REFHV_OUT)/host-obj/%.c.o: %.c $(REFHV_HEADERS) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) $(REFHV_INCLUDES) -Iguest-tests/lib/tests -c $< -o $@
.SECONDARY: $(REFHV_TEST_OBJ)
$(REFHV_OUT)/host-tests/%: $(REFHV_DIR)/tests/%.c $(REFHV_TEST_OBJ) $(REFHV_HEADERS) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) $(REFHV_INCLUDES) -Iguest-tests/lib/tests $< $(REFHV_TEST_OBJ) -o $@

.PHONY: refhv unit-refhv
refhv: $(REFHV_OUT)/refhv.bin $(REFHV_OUT)/refhv-config
unit-refhv: $(REFHV_HOST_TESTS)
	@set -e; for t in $(REFHV_HOST_TESTS); do echo "== $$t"; $$t; done
