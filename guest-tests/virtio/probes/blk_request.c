/* Block requests over a driver session: header, data, status in the layouts the descriptor cases need. */
#include "blk_request.h"
#include "probe.h"

struct blk_header blk_hdr __attribute__((aligned(16)));
volatile uint8_t blk_status __attribute__((aligned(16)));

int blk_call(struct vsession *s, uint32_t type, uint64_t sector, void *data, uint32_t len,
	     enum blk_layout layout)
{
	bool in = type == VIRTIO_BLK_T_IN || type == 10 /* GET_LIFETIME */;
	uint8_t *h = (uint8_t *)&blk_hdr, *p = data;
	blk_hdr.type = type;
	blk_hdr.reserved = 0;
	blk_hdr.sector = sector;
	blk_status = 0xff;
	struct vbuf e[5];
	int n = 0;
	if (layout == BLK_PIECES) {
		e[n++] = (struct vbuf){ h, 8, false };
		e[n++] = (struct vbuf){ h + 8, 8, false };
		e[n++] = (struct vbuf){ p, len / 2, in };
		e[n++] = (struct vbuf){ p + len / 2, len - len / 2, in };
	} else {
		e[n++] = (struct vbuf){ h, sizeof(blk_hdr), false };
		if (len)
			e[n++] = (struct vbuf){ p, len, in };
	}
	e[n++] = (struct vbuf){ (void *)&blk_status, 1, true };
	enum virtq_chain chain = layout == BLK_INDIRECT || layout == BLK_INDIRECT_WRITE ? VIRTQ_CHAIN_INDIRECT
			       : layout == BLK_CHAIN_THEN_INDIRECT ? VIRTQ_CHAIN_THEN_INDIRECT
			       : VIRTQ_CHAIN_DIRECT;
	s->q[0].indirect_extra_flags = layout == BLK_INDIRECT_WRITE ? VIRTQ_DESC_F_WRITE : 0;
	struct virtq_used u;
	bool ok = vs_call(s, 0, e, n, chain, &u, type == VIRTIO_BLK_T_IN ? "read" : "request");
	s->q[0].indirect_extra_flags = 0;
	if (!ok)
		return -1;
	uint32_t most = (in ? len : 0) + 1;
	probe_check(u.len >= 1 && u.len <= most, "%s: request type %u: used len %u, expected 1..%u",
		    vdev_name(s->d), type, u.len, most);
	return blk_status;
}

uint64_t blk_capacity(const struct vdev *d)
{
	return vmmio_config(&d->t, 0, 8);
}

struct vdev *blk_writable_device(void)
{
	vdev_discover();
	for (int i = 0; i < vdev_count; i++) {
		struct vdev *d = &vdevs[i];
		if (d->device_id == VIRTIO_ID_BLOCK && d->version == 2 &&
		    !(d->t.offered & VIRTIO_BIT(VIRTIO_BLK_F_RO)))
			return d;
	}
	probe_check(false, "no writable block device (DeviceID 2 without VIRTIO_BLK_F_RO) on a version-2 "
		    "virtio-mmio transport");
	return NULL;
}
