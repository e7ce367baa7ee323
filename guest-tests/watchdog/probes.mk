# Bare-metal probe: watchdog (an SBSA generic watchdog armed and left to time out; the host judges the reset).
include guest-tests/probe-runtime/runtime.mk
$(eval $(call PROBE_IMAGE,watchdog,guest-tests/watchdog/probes/sbsa_gwdt.c))
