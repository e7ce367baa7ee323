# isolation: bare-metal probe that reads guest-physical addresses the DT gives the guest no memory or device at.
include guest-tests/probe-runtime/runtime.mk
$(eval $(call PROBE_IMAGE,isolation,guest-tests/boot/probes/isolation.c guest-tests/boot/probes/guarded_read.S))
