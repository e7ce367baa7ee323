# Bare-metal probes: psci (every PSCI function, ends in SYSTEM_OFF), psci-reset (SYSTEM_RESET once), vbsa (timers, vGIC, wake-up).
include guest-tests/probe-runtime/runtime.mk
PSCI_PROBE_DIR := guest-tests/psci/probes
# Cases run in this order; psci_common/psci_ids/smccc_regs hold no cases.
PSCI_PROBE_SRC := $(addprefix $(PSCI_PROBE_DIR)/,version.c smccc.c cpu_on.c cpu_suspend.c suspend_interplay.c optional.c \
	concurrency.c last_resort.c psci_common.c psci_ids.c smccc_regs.S)
$(eval $(call PROBE_IMAGE,psci,$(PSCI_PROBE_SRC)))
$(eval $(call PROBE_IMAGE,psci-reset,guest-tests/psci/probes/system_reset.c))

# Host unit tests of the pure tables (function IDs, power_state, result names): part of make unit-c.
$(BUILD)/host-tests/psci/%: guest-tests/psci/tests/%.c $(PSCI_PROBE_DIR)/psci_ids.c $(PSCI_PROBE_DIR)/psci_ids.h \
		guest-tests/lib/tests/unit_check.h | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) $< $(PSCI_PROBE_DIR)/psci_ids.c -o $@
EXTRA_HOST_TESTS += $(patsubst guest-tests/psci/tests/%.c,$(BUILD)/host-tests/psci/%,$(wildcard guest-tests/psci/tests/*.c))

# vbsa: what a guest can check of the Arm VBSA 1.0 rules (timers, vGIC, wake-up); ends in SYSTEM_OFF.
VBSA_PROBE_SRC := $(addprefix $(PSCI_PROBE_DIR)/,vbsa_timer.c vbsa_gic.c psci_common.c psci_ids.c)
$(eval $(call PROBE_IMAGE,vbsa,$(VBSA_PROBE_SRC)))
