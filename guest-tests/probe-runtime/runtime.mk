# Build rules shared by every bare-metal probe: include once, then $(eval $(call PROBE_IMAGE,<name>,<sources>)).
ifndef PROBE_RUNTIME_MK
PROBE_RUNTIME_MK := 1

PROBE_RT_DIR := guest-tests/probe-runtime
PROBE_OUT := $(BUILD)/probes
PROBE_LIBFDT := $(AVPS_CACHE)/arm64/libfdt/usr
PROBE_CFLAGS := -std=c11 -O2 -g -ffreestanding -nostdlib -mstrict-align -mgeneral-regs-only \
	-fpie -fno-stack-protector -fno-tree-loop-distribute-patterns -fno-common -fno-toplevel-reorder $(WARN) \
	-I$(PROBE_RT_DIR) -Iguest-tests/lib -isystem $(PROBE_LIBFDT)/include -MMD -MP
PROBE_LDFLAGS := -nostdlib -static-pie -Wl,-T,$(PROBE_RT_DIR)/probe.ld -Wl,--no-dynamic-linker \
	-Wl,-z,norelro -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
PROBE_RT_SRC := $(PROBE_RT_DIR)/head.S $(PROBE_RT_DIR)/vectors.S $(wildcard $(PROBE_RT_DIR)/*.c) \
	guest-tests/lib/ktap.c guest-tests/lib/text_format.c guest-tests/lib/case_outcome.c
PROBE_HEADERS := $(wildcard $(PROBE_RT_DIR)/*.h guest-tests/lib/*.h)
probe_objs = $(patsubst %,$(PROBE_OUT)/obj/%.o,$(1))

$(PROBE_OUT)/obj/%.c.o: %.c $(PROBE_HEADERS) $(PROBE_RT_DIR)/runtime.mk | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(PROBE_CFLAGS) -c $< -o $@
$(PROBE_OUT)/obj/%.S.o: %.S $(PROBE_RT_DIR)/runtime.mk | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(PROBE_CFLAGS) -c $< -o $@

# $(1) = probe name, $(2) = its sources (cases run in this order).
define PROBE_IMAGE
$(PROBE_OUT)/$(1).elf: $(call probe_objs,$(2) $(PROBE_RT_SRC)) $(PROBE_RT_DIR)/probe.ld
	$$(CROSS)gcc $$(PROBE_LDFLAGS) -o $$@ $(call probe_objs,$(2) $(PROBE_RT_SRC)) \
		$(PROBE_LIBFDT)/lib/aarch64-linux-gnu/libfdt.a -lgcc
$(PROBE_OUT)/$(1).img: $(PROBE_OUT)/$(1).elf
	$$(CROSS)objcopy -O binary $$< $$@
	@# Loaders (U-Boot booti, Xen) need the arm64 Image magic at offset 56.
	@cmp -s <(tail -c +57 $$@ | head -c 4) <(printf 'ARM\x64') || \
		{ echo "$$@: no arm64 Image magic at offset 56" >&2; rm -f $$@; exit 1; }
PROBES += $(PROBE_OUT)/$(1).elf $(PROBE_OUT)/$(1).img
endef

# Header dependencies as the compiler saw them (a probe's own headers included).
-include $(shell find $(PROBE_OUT)/obj -name '*.d' 2>/dev/null)

endif
