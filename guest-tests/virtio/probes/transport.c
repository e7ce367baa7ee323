/* The probe's minimal virtio-mmio driver: DT discovery, feature access, queue 0 setup, one split-ring request. */
#include "cpu.h"
#include "probe.h"
#include "text_format.h"
#include "virtio_mmio.h"

struct vdev vdevs[VDEV_MAX];
int vdev_count = -1;
int vdev_transports;
uintptr_t vdev_transport_base[32];

uint32_t vdev_read(const struct vdev *d, uint32_t reg)
{
	return mmio_read32(d->base + reg);
}

void vdev_write(const struct vdev *d, uint32_t reg, uint32_t value)
{
	mmio_write32(d->base + reg, value);
}

int vdev_discover(void)
{
	if (vdev_count >= 0)
		return vdev_count;
	vdev_count = 0;
	vdev_transports = 0;
	for (int node = dt_next_compatible(-1, "virtio,mmio"); node >= 0;
	     node = dt_next_compatible(node, "virtio,mmio")) {
		uint64_t base = 0, size = 0;
		if (!dt_reg(node, 0, &base, &size) || size < 0x100)
			continue;
		if (vdev_transports < 32)
			vdev_transport_base[vdev_transports] = (uintptr_t)base;
		vdev_transports++;
		uint32_t id = mmio_read32((uintptr_t)base + VIRTIO_MMIO_DEVICE_ID);
		if (id == 0 || vdev_count >= VDEV_MAX)
			continue;   /* DeviceID 0: transport without a device */
		struct vdev *d = &vdevs[vdev_count++];
		d->base = (uintptr_t)base;
		d->device_id = id;
		d->version = vdev_read(d, VIRTIO_MMIO_VERSION);
		d->vendor_id = vdev_read(d, VIRTIO_MMIO_VENDOR_ID);
	}
	if (vdev_transports > 32)
		vdev_transports = 32;
	return vdev_count;
}

struct vdev *vdev_find(uint32_t device_id)
{
	vdev_discover();
	for (int i = 0; i < vdev_count; i++)
		if (vdevs[i].device_id == device_id && vdevs[i].version == 2)
			return &vdevs[i];
	return NULL;
}

const char *vdev_name(const struct vdev *d)
{
	static char names[VDEV_MAX][32];
	int i = (int)(d - vdevs);
	text_format(names[i], sizeof(names[i]), "dev%u@0x%llx", d->device_id,
		    (unsigned long long)d->base);
	return names[i];
}

uint64_t vdev_device_features(const struct vdev *d)
{
	vdev_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t high = vdev_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	vdev_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t low = vdev_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	return high << 32 | low;
}

void vdev_driver_features(const struct vdev *d, uint64_t features)
{
	vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdev_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
}

static void write_addr(const struct vdev *d, uint32_t low_reg, const void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;   /* MMU off: the address is physical */
	vdev_write(d, low_reg, (uint32_t)a);
	vdev_write(d, low_reg + 4, (uint32_t)(a >> 32));
}

bool vdev_queue_setup(struct vdev *d)
{
	const char *n = vdev_name(d);
	struct virtq *q = &d->vq;

	vdev_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	uint32_t ready = vdev_read(d, VIRTIO_MMIO_QUEUE_READY);
	uint32_t max = vdev_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	bool ok = probe_check(ready == 0, "%s: QueueReady before setup: expected 0, got %u", n, ready);
	ok &= probe_check(max != 0, "%s: QueueNumMax of queue 0 is 0", n);
	if (!ok || max < VIRTQ_SIZE)
		return probe_check(false, "%s: QueueNumMax %u, need %d", n, max, VIRTQ_SIZE);
	for (int i = 0; i < VIRTQ_SIZE; i++)
		q->desc[i] = (struct virtq_desc){ 0, 0, 0, 0 };
	q->avail.flags = 0;   /* we want used-buffer notifications */
	q->avail.idx = 0;
	q->used.flags = 0;
	q->used.idx = 0;
	q->last_used = 0;
	vdev_write(d, VIRTIO_MMIO_QUEUE_NUM, VIRTQ_SIZE);
	write_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc);
	write_addr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, &q->avail);
	write_addr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, &q->used);
	vdev_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	ready = vdev_read(d, VIRTIO_MMIO_QUEUE_READY);
	return probe_check(ready == 1, "%s: QueueReady after setup: expected 1, got %u", n, ready);
}

int64_t vdev_request(struct vdev *d, const struct vbuf *bufs, int n)
{
	struct virtq *q = &d->vq;

	if (!d->ready || n < 1 || n > VIRTQ_SIZE)
		return -1;
	for (int i = 0; i < n; i++) {
		q->desc[i].addr = (uint64_t)(uintptr_t)bufs[i].addr;
		q->desc[i].len = bufs[i].len;
		q->desc[i].flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
					      (bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0));
		q->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	q->avail.ring[q->avail.idx % VIRTQ_SIZE] = 0;   /* chain head: descriptor 0 */
	dsb_sy();
	q->avail.idx++;
	dsb_sy();
	vdev_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	bool used = WAIT_FOR(*(volatile uint16_t *)&q->used.idx != q->last_used, 2000);
	if (!probe_check(used, "%s: used ring idx still %u 2 s after notify", vdev_name(d),
			 q->last_used))
		return -1;
	dsb_sy();
	struct virtq_used_elem e = q->used.ring[q->last_used % VIRTQ_SIZE];
	q->last_used++;
	/* Used buffer notification: InterruptStatus bit 0 (§4.2.2), then acknowledge. */
	uint32_t isr = 0;
	if (WAIT_FOR(((isr = vdev_read(d, VIRTIO_MMIO_INTERRUPT_STATUS)) & 1) != 0, 100))
		d->interrupts_seen++;
	else
		d->interrupts_missing++;
	vdev_write(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	probe_check(e.id == 0, "%s: used ring returned id %u, posted 0", vdev_name(d), e.id);
	return e.len;
}
