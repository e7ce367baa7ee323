# virtio-mmio bare-metal probe: transport registers, handshake, and real rng/blk requests on every virtio,mmio node.
include guest-tests/probe-runtime/runtime.mk
VIRTIO_PROBE_SRC := $(addprefix guest-tests/virtio/probes/,mmio_cases.c rng.c blk.c lifecycle.c \
	core_cases.c mmio_layout_cases.c vq_cases.c blk_cases.c device_cases.c crypto_cases.c net_cases.c net_ctrl_cases.c console_cases.c packed_cases.c balloon_cases.c irq_cases.c absent_device_cases.c \
	net_filter_cases.c net_mtu_cases.c net_csum_cases.c console_emerg_cases.c console_port_cases.c crypto_digest_cases.c crypto_aead_cases.c balloon_report_cases.c fs_shm_cases.c scsi_event_cases.c \
	transport.c session.c blk_request.c host_link.c net_frames.c) \
	guest-tests/lib/entropy_checks.c
# Devices the reference models serve over vhost-user (GPIO, I2C, socket; SKIP "device absent" elsewhere), interrupts taken.
VIRTIO_PROBE_SRC += $(addprefix guest-tests/virtio/probes/,gpio_cases.c i2c_cases.c vsock_cases.c irq_taken_cases.c sound_cases.c)
$(eval $(call PROBE_IMAGE,virtio-mmio,$(VIRTIO_PROBE_SRC)))
$(PROBE_OUT)/obj/guest-tests/virtio/probes/%.c.o: $(wildcard guest-tests/virtio/probes/*.h)
