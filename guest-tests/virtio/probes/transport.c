/* The probe's device list: DT discovery of virtio,mmio nodes, and queue-0 requests over the runtime's driver core. */
#include "probe.h"
#include "text_format.h"
#include "virtio_mmio.h"

struct vdev vdevs[VDEV_MAX];
int vdev_count = -1;
int vdev_transports;
uintptr_t vdev_transport_base[32];
static struct virtq_storage queue0_storage[VDEV_MAX];

uint32_t vdev_read(const struct vdev *d, uint32_t reg)
{
	return vmmio_read(&d->t, reg);
}

void vdev_write(const struct vdev *d, uint32_t reg, uint32_t value)
{
	vmmio_write(&d->t, reg, value);
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
		struct vmmio probe_t;
		vmmio_attach_base(&probe_t, (uintptr_t)base);
		if (probe_t.device_id == 0 || vdev_count >= VDEV_MAX)
			continue;   /* DeviceID 0: transport without a device */
		struct vdev *d = &vdevs[vdev_count++];
		d->base = (uintptr_t)base;
		d->dt_node = node;
		d->t = probe_t;
		d->device_id = probe_t.device_id;
		d->version = probe_t.version;
		d->vendor_id = probe_t.vendor_id;
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
	return vmmio_device_features(&d->t);
}

void vdev_driver_features(struct vdev *d, uint64_t features)
{
	vmmio_driver_features(&d->t, features);
}

bool vdev_queue_setup(struct vdev *d)
{
	const char *n = vdev_name(d), *why = "";
	vmmio_write(&d->t, VMMIO_QUEUE_SEL, 0);
	uint32_t max = vmmio_read(&d->t, VMMIO_QUEUE_NUM_MAX);
	probe_check(max != 0, "%s: QueueNumMax of queue 0 is 0", n);
	if (!probe_check(virtq_init(&d->vq, &queue0_storage[d - vdevs], VIRTQ_SPLIT, VIRTQ_SIZE, 0,
				    false), "%s: ring of %d entries not possible", n, VIRTQ_SIZE))
		return false;
	bool ok = vmmio_queue_enable(&d->t, &d->vq, &why);
	return probe_check(ok, "%s: queue 0 setup: %s (QueueNumMax %u, ring %d)", n, why, max,
			   VIRTQ_SIZE);
}

bool vdev_used_ok(const struct vdev *d, enum virtq_result r, const struct virtq_used *u, const char *what)
{
	const char *n = vdev_name(d);
	switch (r) {
	case VIRTQ_OK:
		return true;
	case VIRTQ_EMPTY:
		return probe_check(false, "%s: %s: no used entry within the wait (used idx %u, status 0x%x)",
				   n, what, u->used_idx, vmmio_status(&d->t));
	case VIRTQ_BAD_IDX:
		return probe_check(false, "%s: %s: used idx %u ran ahead: %u buffers outstanding after %u",
				   n, what, u->used_idx, u->in_flight, u->last_used);
	case VIRTQ_BAD_ID:
		return probe_check(false, "%s: %s: used id %u was never made available (ring %u)",
				   n, what, u->bad_id, u->limit);
	case VIRTQ_BAD_LEN:
		return probe_check(false, "%s: %s: used len %u exceeds the %u device-writable bytes",
				   n, what, u->bad_len, u->limit);
	default:
		return probe_check(false, "%s: %s: %s", n, what, virtq_result_name(r));
	}
}

int64_t vdev_request(struct vdev *d, const struct vbuf *bufs, int n)
{
	struct virtq_used u = { 0 };
	uint16_t id = 0;

	if (!d->ready || n < 1 || n > VIRTQ_SIZE)
		return -1;
	enum virtq_result r = virtq_add(&d->vq, bufs, n, VIRTQ_CHAIN_DIRECT, &id);
	if (!vdev_used_ok(d, r, &u, "post"))
		return -1;
	vmmio_notify(&d->t, &d->vq);
	r = vmmio_wait_used(&d->t, &d->vq, 2000000, &u);
	if (!vdev_used_ok(d, r, &u, "request"))
		return -1;
	/* Used buffer notification: InterruptStatus bit 0 (§4.2.2), then acknowledge. */
	uint32_t isr = d->t.isr_seen | vmmio_wait_isr(&d->t, VIRTIO_ISR_USED, 100000);
	if (isr & VIRTIO_ISR_USED)
		d->interrupts_seen++;
	else
		d->interrupts_missing++;
	vmmio_ack(&d->t, isr);
	probe_check(u.id == id, "%s: used ring returned id %u, posted %u", vdev_name(d), u.id, id);
	return u.len;
}
