# PSCI/SMCCC bare-metal probes: psci (every PSCI function, ends in SYSTEM_OFF) and psci-reset (SYSTEM_RESET once).
include guest-tests/probe-runtime/runtime.mk
$(eval $(call PROBE_IMAGE,psci,guest-tests/psci/probes/version.c guest-tests/psci/probes/smccc.c guest-tests/psci/probes/cpu_on.c guest-tests/psci/probes/cpu_suspend.c))
$(eval $(call PROBE_IMAGE,psci-reset,guest-tests/psci/probes/system_reset.c))
