/* virtio-mmio (VIRTIO 1.2 §4.2) registers, split virtqueue layout and the probe's small driver API. */
#ifndef PROBE_VIRTIO_MMIO_H
#define PROBE_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

/* MMIO Device Register Layout (VIRTIO 1.2 §4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE        0x000
#define VIRTIO_MMIO_VERSION            0x004
#define VIRTIO_MMIO_DEVICE_ID          0x008
#define VIRTIO_MMIO_VENDOR_ID          0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES    0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES    0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL          0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX      0x034
#define VIRTIO_MMIO_QUEUE_NUM          0x038
#define VIRTIO_MMIO_QUEUE_READY        0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY       0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS   0x060
#define VIRTIO_MMIO_INTERRUPT_ACK      0x064
#define VIRTIO_MMIO_STATUS             0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW     0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH    0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW   0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH  0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW   0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH  0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION  0x0fc
#define VIRTIO_MMIO_CONFIG             0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u   /* "virt" */

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE  1u
#define VIRTIO_STATUS_DRIVER       2u
#define VIRTIO_STATUS_DRIVER_OK    4u
#define VIRTIO_STATUS_FEATURES_OK  8u
#define VIRTIO_STATUS_NEEDS_RESET  64u
#define VIRTIO_STATUS_FAILED       128u

#define VIRTIO_F_VERSION_1 32

#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_ENTROPY 4

/* Split virtqueue (§2.7). */
#define VIRTQ_SIZE 8
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VIRTQ_SIZE];
	uint16_t used_event;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[VIRTQ_SIZE];
	uint16_t avail_event;
};

struct virtq {
	struct virtq_desc desc[VIRTQ_SIZE] __attribute__((aligned(16)));
	struct virtq_avail avail __attribute__((aligned(2)));
	struct virtq_used used __attribute__((aligned(4)));
	uint16_t last_used;
};

/* One virtio-mmio transport from the DT that has a device behind it. */
struct vdev {
	uintptr_t base;
	uint32_t version, device_id, vendor_id;
	uint64_t features;        /* offered by the device */
	bool ready;               /* handshake and queue 0 setup succeeded */
	int interrupts_seen, interrupts_missing;
	struct virtq vq;
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
void vdev_driver_features(const struct vdev *d, uint64_t features);
/* Sets up queue 0 (size VIRTQ_SIZE) and QueueReady; reports failures via probe_check. */
bool vdev_queue_setup(struct vdev *d);

/* One descriptor of a request chain. */
struct vbuf {
	void *addr;
	uint32_t len;
	bool device_writes;
};
/* Posts the chain on queue 0, notifies, waits for the used ring; returns used len or -1.
 * Records whether InterruptStatus bit 0 was raised (and acknowledges it). */
int64_t vdev_request(struct vdev *d, const struct vbuf *bufs, int n);

#endif
