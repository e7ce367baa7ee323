/* Driver sessions for the statement cases: the §3.1.1 initialisation on the runtime's driver core, with every failure a check. */
#include "probe.h"
#include "session.h"

static struct virtq_storage vs_storage[VS_MAX_QUEUES];

const char *vs_layout_name(enum virtq_layout l)
{
	return l == VIRTQ_PACKED ? "packed" : "split";
}

int vs_layouts(const struct vdev *d, enum virtq_layout out[2])
{
	int n = 0;
	out[n++] = VIRTQ_SPLIT;
	if (d->t.offered & VIRTIO_BIT(VIRTIO_F_RING_PACKED))
		out[n++] = VIRTQ_PACKED;
	return n;
}

struct vdev *vs_device(uint32_t device_id, const char *what)
{
	struct vdev *d = vdev_find(device_id);
	/* Whether the platform must offer this class is judged once per platform (AVPS areas, its
	 * declaration); a statement about the class cannot be observed without the device. */
	if (!d)
		probe_skip("device absent: no %s (DeviceID %u) on a version-2 virtio-mmio transport", what, device_id);
	return d;
}

struct vdev *vs_device_offering(uint32_t device_id, const char *what, unsigned feature_bit, const char *feature)
{
	struct vdev *d = vs_device(device_id, what);
	if (d && !(d->t.offered & VIRTIO_BIT(feature_bit))) {
		probe_skip("%s does not offer %s", vdev_name(d), feature);
		return NULL;
	}
	return d;
}

bool vs_open(struct vsession *s, struct vdev *d, uint64_t features, int queues,
	     enum virtq_layout layout, uint16_t size, enum vs_stage stage)
{
	const char *n = vdev_name(d), *why = "";
	s->d = d;
	s->t = &d->t;
	s->queues = 0;
	d->ready = false;   /* the transport cases' queue 0 is gone after this reset */
	if (queues > VS_MAX_QUEUES)
		return probe_check(false, "%s: %d queues asked, the probe has %d", n, queues, VS_MAX_QUEUES);
	features |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	if (layout == VIRTQ_PACKED)
		features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	uint32_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	uint32_t st = vmmio_negotiate(s->t, features);
	s->features = s->t->negotiated;
	if (!probe_check(st == want, "%s: features 0x%llx: status after FEATURES_OK 0x%x, expected 0x%x",
			 n, (unsigned long long)s->features, st, want))
		return false;
	bool event_idx = s->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	for (int i = 0; i < queues; i++) {
		if (!probe_check(virtq_init(&s->q[i], &vs_storage[i], layout, size, (uint16_t)i, event_idx),
				 "%s: no %s ring of %u entries", n, vs_layout_name(layout), size))
			return false;
		if (!probe_check(vmmio_queue_enable(s->t, &s->q[i], &why), "%s: queue %d: %s", n, i, why))
			return false;
		s->queues++;
	}
	return stage == VS_DRIVER_OK ? vs_driver_ok(s) : true;
}

bool vs_driver_ok(struct vsession *s)
{
	uint32_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			VIRTIO_STATUS_DRIVER_OK;
	vmmio_set_status(s->t, want);
	uint32_t st = vmmio_status(s->t);
	return probe_check(st == want, "%s: status after DRIVER_OK 0x%x, expected 0x%x",
			   vdev_name(s->d), st, want);
}

bool vs_call(struct vsession *s, int qi, const struct vbuf *e, int n, enum virtq_chain chain,
	     struct virtq_used *u, const char *what)
{
	uint16_t id = 0;
	*u = (struct virtq_used){ 0 };
	enum virtq_result r = vmmio_post(s->t, &s->q[qi], e, n, chain, &id);
	if (!vdev_used_ok(s->d, r, u, what))
		return false;
	r = vmmio_wait_used(s->t, &s->q[qi], VS_WAIT_US, u);
	if (!vdev_used_ok(s->d, r, u, what))
		return false;
	return probe_check(u->id == id, "%s: %s: used id %u, but the only buffer posted was %u",
			   vdev_name(s->d), what, u->id, id);
}

void vs_close(struct vsession *s)
{
	uint32_t st = 0;
	vmmio_reset(s->t, 100000, &st);
	s->queues = 0;
}
