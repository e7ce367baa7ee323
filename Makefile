# avps-cts top-level build: guest tests, runner, probes, harness entry points. Everything goes to build/.
.DEFAULT_GOAL := all
SHELL := /bin/bash

TARGET ?= qemu-arm64
PROFILE ?=
AVPS_CACHE ?= $(HOME)/.cache/avps-cts
export AVPS_CACHE
BUILD := build
PYTHON := /usr/bin/python3
AVPS := $(PYTHON) -m avps_cts
export PYTHONPATH := $(CURDIR)/harness
CROSS := aarch64-linux-gnu-
KSELFTEST := $(AVPS_CACHE)/kselftest

WARN := -Wall -Wextra -Werror
# snprintf truncation is how the C code bounds strings on purpose.
WARN += -Wno-format-truncation
# libfdt (Debian's arm64 libfdt-dev, unpacked by bootstrap) checks the blob boot.dt reads.
GUEST_LIBFDT := $(AVPS_CACHE)/arm64/libfdt/usr
GUEST_CFLAGS := -std=gnu11 -O2 $(WARN) -Iguest-tests/lib -isystem $(KSELFTEST) -isystem $(GUEST_LIBFDT)/include -D_GNU_SOURCE
GUEST_LDFLAGS := -static
HOST_CFLAGS := -std=c11 -O1 -g $(WARN) -Iguest-tests/lib -D_DEFAULT_SOURCE -fsanitize=address,undefined

# Bootstrap: installs host packages and fills the arm64 cache; a no-op once done.
BOOTSTRAP_STAMP := $(BUILD)/.bootstrap
$(BOOTSTRAP_STAMP): harness/bootstrap.sh
	@harness/bootstrap.sh all
	@mkdir -p $(BUILD) && touch $@
.PHONY: bootstrap
bootstrap:
	@harness/bootstrap.sh all

# ---- guest library (cross, hosted Linux) -------------------------------------
GUEST_LIB_SRC := $(wildcard guest-tests/lib/*.c)
GUEST_LIB_OBJ := $(patsubst guest-tests/lib/%.c,$(BUILD)/guest/lib/%.o,$(GUEST_LIB_SRC))
$(BUILD)/guest/lib/%.o: guest-tests/lib/%.c $(wildcard guest-tests/lib/*.h) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guest/libavps.a: $(GUEST_LIB_OBJ)
	$(CROSS)ar rcs $@ $^

# ---- Linux test programs: guest-tests/<collection>/<test>.c -> kselftest layout --------
COLLECTIONS := virtio psci boot
LINUX_TEST_SRC := $(foreach c,$(COLLECTIONS),$(wildcard guest-tests/$(c)/*.c))
KSFT_DIR := $(BUILD)/guest/kselftest
LINUX_TESTS := $(patsubst guest-tests/%.c,$(KSFT_DIR)/%,$(LINUX_TEST_SRC))
$(KSFT_DIR)/%: guest-tests/%.c $(BUILD)/guest/libavps.a $(wildcard guest-tests/lib/*.h guest-tests/*/*.h)
	@mkdir -p $(@D)
	$(CROSS)gcc $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $< $(BUILD)/guest/libavps.a \
		$(GUEST_LIBFDT)/lib/aarch64-linux-gnu/libfdt.a -lm -o $@

RUNNER_SRC := $(wildcard guest-tests/runner/*.c)
$(KSFT_DIR)/avps-runner: $(RUNNER_SRC) $(wildcard guest-tests/runner/*.h) $(BUILD)/guest/libavps.a
	@mkdir -p $(@D)
	$(CROSS)gcc $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $(RUNNER_SRC) $(BUILD)/guest/libavps.a -o $@

# kselftest collection files: run_kselftest.sh can run the same binaries.
$(KSFT_DIR)/kselftest-list.txt: $(LINUX_TESTS) $(KSFT_DIR)/avps-runner
	@cp $(KSELFTEST)/run_kselftest.sh $(KSFT_DIR)/ && mkdir -p $(KSFT_DIR)/kselftest \
	  && cp $(KSELFTEST)/kselftest/runner.sh $(KSFT_DIR)/kselftest/
	@: > $@.tmp; for t in $(patsubst $(KSFT_DIR)/%,%,$(LINUX_TESTS)); do \
	  echo "$${t%%/*}:$${t#*/}" >> $@.tmp; done; mv $@.tmp $@

.PHONY: guest
guest: $(KSFT_DIR)/kselftest-list.txt

# Probes and integration pieces (LAVA, UEFI probes, Xen) bring their own make fragments:
# guest-tests/<area>/*.mk (probes.mk appends to PROBES), harness/*.mk, reference-hv/refhv.mk and
# reference-hv/<part>/*.mk (the device models and their vhost-user back end).
-include $(wildcard guest-tests/*/*.mk harness/*.mk reference-hv/*.mk reference-hv/*/*.mk)

# The manifest check: every requirement ID a test names must be in the catalogue, so the
# build fails on an unknown ID (the manifest is read from the built binaries).
$(BUILD)/.manifest-ok: $(LINUX_TESTS) $(PROBES) $(wildcard requirements/*.yaml requirements/case-review/*.yaml)
	@$(AVPS) manifest --build $(BUILD) --check --quiet
	@touch $@

# make trace [RESULTS=reports/<run>]: the matrix with titles and levels; RESULTS fills its verdicts.
.PHONY: all trace reqif
all: guest $(PROBES) $(BUILD)/.manifest-ok refhv

trace: all
	$(AVPS) requirements --build $(BUILD) trace $(if $(RESULTS),--results $(RESULTS))

reqif: all
	$(AVPS) requirements --build $(BUILD) reqif $(if $(RESULTS),--results $(RESULTS))

# ---- the suite's guest kernel ------------------------------------------------
# Every driver the cases need built in (guest-tests/config + guest-tests/<collection>/config),
# from Debian's linux-source-6.1: built once (~15 min on 2 cores), cached in $(AVPS_CACHE)/guest-kernel
# by (source version, config hash). The harness also builds it on first use.
.PHONY: kernel
kernel: $(BOOTSTRAP_STAMP)
	@$(AVPS) kernel build

# ---- main job and project tests ---------------------------------------------
.PHONY: run report test unit-c pytest e2e bench clean readme-facts
# README's list of avps.* facts and host services, generated from guest-tests/ (checked by pytest).
readme-facts:
	$(AVPS) platform readme

# Exit status 1 is a verdict (some case failed; the table and report say which), not a
# broken run: make succeeds. 2 (bad input, nothing ran) and 3 (the run broke: results kept,
# no verdict) fail make. For a CI gate, call harness/avps-cts run directly and use its exit status.
# RUN_ARGS passes further run options, e.g. RUN_ARGS="--requirement AVPS.POWER.1 --waivers w.yaml".
run: all kernel
	@$(AVPS) run --target $(TARGET) $(if $(PROFILE),--profile $(PROFILE)) --build $(BUILD) $(RUN_ARGS) || [ $$? -eq 1 ]

HOST_TEST_SRC := $(wildcard guest-tests/lib/tests/*.c)
HOST_TESTS := $(patsubst guest-tests/lib/tests/%.c,$(BUILD)/host-tests/%,$(HOST_TEST_SRC)) $(EXTRA_HOST_TESTS)
$(BUILD)/host-tests/%: guest-tests/lib/tests/%.c $(wildcard guest-tests/lib/*.c guest-tests/lib/*.h) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) $< guest-tests/lib/ktap.c guest-tests/lib/text_format.c guest-tests/lib/kernel_cmdline.c guest-tests/lib/case_outcome.c guest-tests/lib/entropy_checks.c guest-tests/lib/disk_pattern.c \
		guest-tests/lib/case_selection.c -o $@

# The probe runtime's virtio driver core also builds for the host (ring arithmetic, device models).
PROBE_RT_TEST_SRC := $(wildcard guest-tests/probe-runtime/tests/*.c)
PROBE_RT_TESTS := $(patsubst guest-tests/probe-runtime/tests/%.c,$(BUILD)/host-tests/probe-runtime/%,$(PROBE_RT_TEST_SRC))
$(BUILD)/host-tests/probe-runtime/%: guest-tests/probe-runtime/tests/%.c $(wildcard guest-tests/probe-runtime/*.[ch]) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -Iguest-tests/lib/tests -Iguest-tests/probe-runtime -DVIRTQ_HOST_BUILD $< \
		guest-tests/probe-runtime/virtq.c guest-tests/probe-runtime/vmmio.c guest-tests/probe-runtime/case_filter.c -o $@
HOST_TESTS += $(PROBE_RT_TESTS)

unit-c: $(HOST_TESTS) unit-refhv
	@set -e; for t in $(HOST_TESTS); do echo "== $$t"; $$t; done

# make test builds on every core by itself (make 4.3 ignores a -j set inside the Makefile, so a
# sub-make gets it), then starts pytest once everything it needs is built.
test:
	$(MAKE) --no-print-directory -j$(shell nproc) all unit-c kernel
	$(PYTHON) -m pytest -q --durations=25 harness/tests

bench: all kernel
	$(AVPS) bench --build $(BUILD)

clean:
	rm -rf $(BUILD)
