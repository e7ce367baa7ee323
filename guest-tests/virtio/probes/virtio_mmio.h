/* The virtio-mmio probe's device list and request helpers, over the runtime's virtio driver core (vmmio.h, virtq.h). */
#ifndef PROBE_VIRTIO_MMIO_H
#define PROBE_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "vmmio_target.h"

/* Register names the cases use (VIRTIO 1.2 §4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE        VMMIO_MAGIC_VALUE
#define VIRTIO_MMIO_MAGIC              VMMIO_MAGIC
#define VIRTIO_MMIO_QUEUE_SEL          VMMIO_QUEUE_SEL
#define VIRTIO_MMIO_QUEUE_NUM_MAX      VMMIO_QUEUE_NUM_MAX
#define VIRTIO_MMIO_QUEUE_READY        VMMIO_QUEUE_READY
#define VIRTIO_MMIO_INTERRUPT_STATUS   VMMIO_INTERRUPT_STATUS
#define VIRTIO_MMIO_INTERRUPT_ACK      VMMIO_INTERRUPT_ACK
#define VIRTIO_MMIO_STATUS             VMMIO_STATUS
#define VIRTIO_MMIO_CONFIG_GENERATION  VMMIO_CONFIG_GENERATION
#define VIRTIO_MMIO_CONFIG             VMMIO_CONFIG

#define VIRTIO_ID_NET      1
#define VIRTIO_ID_BLOCK    2
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_ID_ENTROPY  4
#define VIRTIO_ID_BALLOON  5
#define VIRTIO_ID_SCSI     8
#define VIRTIO_ID_9P       9
#define VIRTIO_ID_GPU      16
#define VIRTIO_ID_INPUT    18
#define VIRTIO_ID_CRYPTO   20
#define VIRTIO_ID_I2C      34
/* I2C Adapter Device: a driver MUST accept VIRTIO_I2C_F_ZERO_LENGTH_REQUEST (bit 0), and the device refuses one that does not. */
#define VIRTIO_I2C_F_ZERO_LENGTH_REQUEST 0
/* CAN Device (VIRTIO 1.4): a driver negotiates CAN_CLASSIC (bit 0) or CAN_FD (bit 1); the device may refuse neither. */
#define VIRTIO_ID_CAN      36
#define VIRTIO_CAN_FRAME_TYPES 0x3ULL

#define VIRTQ_SIZE 8   /* ring size of the probe's queue-0 requests */

/* One virtio-mmio transport from the DT that has a device behind it. */
struct vdev {
	uintptr_t base;
	int dt_node;
	uint32_t version, device_id, vendor_id;
	uint64_t features;        /* offered by the device */
	bool ready;               /* handshake and queue 0 setup succeeded */
	int interrupts_seen, interrupts_missing;
	struct vmmio t;
	struct virtq vq;          /* queue 0 of the transport cases */
};

#define VDEV_MAX 32 /* QEMU virt has 32 transports; every one may carry a device */

/* Fills the list from every "virtio,mmio" node (DeviceID 0 transports skipped). */
int vdev_discover(void);
extern struct vdev vdevs[VDEV_MAX];
extern int vdev_count;           /* transports with a device */
extern int vdev_transports;      /* all virtio,mmio nodes, including empty ones */
extern uintptr_t vdev_transport_base[32];
/* First modern device of a type, or NULL. */
struct vdev *vdev_find(uint32_t device_id);
const char *vdev_name(const struct vdev *d);

uint32_t vdev_read(const struct vdev *d, uint32_t reg);
void vdev_write(const struct vdev *d, uint32_t reg, uint32_t value);
uint64_t vdev_device_features(const struct vdev *d);
void vdev_driver_features(struct vdev *d, uint64_t features);
/* Sets up queue 0 (size VIRTQ_SIZE) and QueueReady; reports failures via probe_check. */
bool vdev_queue_setup(struct vdev *d);

/* Posts the chain on queue 0, notifies, waits for the used ring; returns used len or -1.
 * Records whether InterruptStatus bit 0 was raised (and acknowledges it). */
int64_t vdev_request(struct vdev *d, const struct vbuf *bufs, int n);

/* Judges a used-ring answer for the current case: false (with the observed values in the
 * failure) unless r is VIRTQ_OK. `what` names the request. */
bool vdev_used_ok(const struct vdev *d, enum virtq_result r, const struct virtq_used *u, const char *what);

#endif
