# virtio-mmio bare-metal probe: transport registers, handshake, and real rng/blk requests on every virtio,mmio node.
include guest-tests/probe-runtime/runtime.mk
VIRTIO_PROBE_SRC := $(addprefix guest-tests/virtio/probes/,mmio_cases.c rng.c blk.c lifecycle.c \
	core_cases.c mmio_layout_cases.c vq_cases.c blk_cases.c device_cases.c crypto_cases.c net_cases.c net_ctrl_cases.c console_cases.c packed_cases.c balloon_cases.c irq_cases.c absent_device_cases.c \
	net_filter_cases.c net_mtu_cases.c net_csum_cases.c net_rx_offload_cases.c net_mq_cases.c feature_subset_cases.c iommu_request_cases.c spi_cases.c mem_request_cases.c console_emerg_cases.c console_port_cases.c crypto_digest_cases.c crypto_aead_cases.c crypto_chain_cases.c crypto_stateless_cases.c balloon_report_cases.c balloon_hint_cases.c fs_shm_cases.c scsi_event_cases.c \
	transport.c session.c blk_request.c host_link.c net_frames.c) \
	guest-tests/lib/entropy_checks.c
# Devices the reference models serve over vhost-user (GPIO, I2C, socket; SKIP "device absent" elsewhere), interrupts taken.
VIRTIO_PROBE_SRC += $(addprefix guest-tests/virtio/probes/,gpio_cases.c i2c_cases.c vsock_cases.c irq_taken_cases.c sound_cases.c)
# CAN and RPMB (refhv models; SKIP "device absent" elsewhere); RPMB MACs with the tree's one HMAC-SHA256.
VIRTIO_PROBE_SRC += guest-tests/virtio/probes/can_cases.c guest-tests/virtio/probes/rpmb_cases.c reference-hv/devices/hmac_sha256.c
# Devices only the reference models on refhv serve (SCMI; SKIP "device absent" elsewhere).
VIRTIO_PROBE_SRC += guest-tests/virtio/probes/scmi_cases.c guest-tests/virtio/probes/scmi_shm_cases.c
# Media (refhv's model; SKIP "device absent" elsewhere): commands, ioctls, events and MMAP buffers in shared memory.
VIRTIO_PROBE_SRC += guest-tests/virtio/probes/media_cases.c guest-tests/virtio/probes/media_driver.c
# RTC (VIRTIO 1.4; the refhv model; SKIP "device absent" elsewhere).
VIRTIO_PROBE_SRC += $(addprefix guest-tests/virtio/probes/,rtc_session.c rtc_cases.c rtc_alarm_cases.c)
# The file-system cases over a FUSE session: hiprio while the request queues hold flock waits, DAX mappings (fuse_client.c drives the session).
VIRTIO_PROBE_SRC += $(addprefix guest-tests/virtio/probes/,fuse_client.c fs_fuse_cases.c)
$(eval $(call PROBE_IMAGE,virtio-mmio,$(VIRTIO_PROBE_SRC)))
$(PROBE_OUT)/obj/guest-tests/virtio/probes/%.c.o: $(wildcard guest-tests/virtio/probes/*.h)
