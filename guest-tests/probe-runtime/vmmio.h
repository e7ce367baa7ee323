/* virtio-mmio transport (VIRTIO 1.2 §4.2, modern): registers, status and feature negotiation, queue setup and reset, config generation; target and host. */
#ifndef PROBE_VMMIO_H
#define PROBE_VMMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtq.h"

#include "vmmio_regs.h"

#define VIRTIO_STATUS_ACKNOWLEDGE  1u
#define VIRTIO_STATUS_DRIVER       2u
#define VIRTIO_STATUS_DRIVER_OK    4u
#define VIRTIO_STATUS_FEATURES_OK  8u
#define VIRTIO_STATUS_NEEDS_RESET  64u
#define VIRTIO_STATUS_FAILED       128u

#define VIRTIO_ISR_USED    1u
#define VIRTIO_ISR_CONFIG  2u

/* Reserved feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC     28
#define VIRTIO_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1         32
#define VIRTIO_F_ACCESS_PLATFORM   33
#define VIRTIO_F_RING_PACKED       34
#define VIRTIO_F_IN_ORDER          35
#define VIRTIO_F_ORDER_PLATFORM    36
#define VIRTIO_F_SR_IOV            37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#define VIRTIO_F_RING_RESET        40
#define VIRTIO_BIT(b) (1ULL << (b))

/* Register access: MMIO on the target, a device model in host tests. */
struct vmmio_io {
	uint32_t (*read)(void *ctx, uint32_t offset, unsigned size);
	void (*write)(void *ctx, uint32_t offset, uint32_t value, unsigned size);
	uint64_t (*now_us)(void *ctx);
	void *ctx;
};

struct vmmio {
	struct vmmio_io io;
	uint32_t version, device_id, vendor_id;
	uint64_t offered;          /* DeviceFeatures */
	uint64_t negotiated;       /* what the driver wrote before FEATURES_OK */
	uint32_t isr_seen;         /* InterruptStatus bits seen by the last wait */
};

uint32_t vmmio_read(const struct vmmio *t, uint32_t reg);
void vmmio_write(const struct vmmio *t, uint32_t reg, uint32_t value);
uint64_t vmmio_now_us(const struct vmmio *t);

/* Reads MagicValue is not checked here; reads Version, DeviceID, VendorID, DeviceFeatures. */
void vmmio_attach(struct vmmio *t, const struct vmmio_io *io);
uint64_t vmmio_device_features(const struct vmmio *t);
void vmmio_driver_features(struct vmmio *t, uint64_t features);
/* Writes 0 to Status and waits (bounded) until it reads 0; *status gets the last value. */
bool vmmio_reset(struct vmmio *t, uint32_t timeout_us, uint32_t *status);

/* The initialisation sequence of §3.1.1 up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER,
 * features (wanted & offered), FEATURES_OK; returns Status as read back afterwards. */
uint32_t vmmio_negotiate(struct vmmio *t, uint64_t wanted);
void vmmio_set_status(const struct vmmio *t, uint32_t status);
uint32_t vmmio_status(const struct vmmio *t);

/* Programs and enables queue q->index; 0 on success, else a short reason in *why. */
bool vmmio_queue_enable(struct vmmio *t, struct virtq *q, const char **why);
/* Queue number of q, for QueueNotify (no NOTIFICATION_DATA). */
void vmmio_notify(const struct vmmio *t, const struct virtq *q);
/* Adds one buffer, notifies when the device asked for it. */
enum virtq_result vmmio_post(struct vmmio *t, struct virtq *q, const struct vbuf *elems, int n,
			     enum virtq_chain chain, uint16_t *id);
/* Waits (bounded, polling) for the next used entry; VIRTQ_EMPTY on timeout or as soon as
 * the device sets DEVICE_NEEDS_RESET. ORs every
 * InterruptStatus value seen into t->isr_seen (not acknowledged). */
enum virtq_result vmmio_wait_used(struct vmmio *t, struct virtq *q, uint32_t timeout_us,
				  struct virtq_used *used);
/* Waits until InterruptStatus has any of `bits`; returns the value seen (0 on timeout). */
uint32_t vmmio_wait_isr(const struct vmmio *t, uint32_t bits, uint32_t timeout_us);
void vmmio_ack(const struct vmmio *t, uint32_t bits);

/* Device-specific config: one field of 1, 2, 4 or 8 bytes (8 = two 32-bit reads). */
uint64_t vmmio_config(const struct vmmio *t, uint32_t offset, unsigned size);
/* Reads len bytes of config (field widths as given) inside one ConfigGeneration window,
 * retrying up to `tries`; false if the generation never held still. */
bool vmmio_config_stable(const struct vmmio *t, uint32_t offset, unsigned size, uint64_t *value,
			 int tries, uint32_t *generation);

/* VIRTIO_F_RING_RESET: writes 1 to QueueReset of queue `index` and waits until it reads 0;
 * *reset_reg / *ready get the last values read. */
bool vmmio_queue_reset(const struct vmmio *t, uint16_t index, uint32_t timeout_us,
		       uint32_t *reset_reg, uint32_t *ready);

#endif
