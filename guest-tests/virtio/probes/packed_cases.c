/* Packed virtqueue statement cases (VIRTIO 1.2 §2.8): the AVAIL flag gate, used descriptors left alone, device-readable buffers, chained descriptors. */
#include "blk_request.h"
#include "probe.h"
#include "statements.h"

#define PACKED(n) BF "Packed Virtqueues / " n

static uint8_t buf[32] __attribute__((aligned(16)));
static uint8_t sector[BLK_SECTOR] __attribute__((aligned(16)));
static uint8_t reference[BLK_SECTOR], snapshot[BLK_SECTOR];

/* The first modern device of a type that offers VIRTIO_F_RING_PACKED, opened on packed rings. */
static struct vdev *packed_session(struct vsession *s, uint32_t device_id, const char *what)
{
	struct vdev *d = NULL;
	vdev_discover();
	for (int i = 0; i < vdev_count && !d; i++)
		if (vdevs[i].device_id == device_id && vdevs[i].version == 2 &&
		    (device_id != VIRTIO_ID_BLOCK || !(vdevs[i].t.offered & VIRTIO_BIT(VIRTIO_BLK_F_RO))))
			d = &vdevs[i];
	if (!d) {
		probe_check(false, "no %s (DeviceID %u) on a version-2 virtio-mmio transport", what, device_id);
		return NULL;
	}
	if (!(d->t.offered & VIRTIO_BIT(VIRTIO_F_RING_PACKED))) {
		probe_skip("%s does not offer VIRTIO_F_RING_PACKED", vdev_name(d));
		return NULL;
	}
	return vs_open(s, d, 0, 1, VIRTQ_PACKED, 8, VS_DRIVER_OK) ? d : NULL;
}

static volatile struct pvirtq_desc *slot(struct vsession *s, uint16_t i)
{
	return (volatile struct pvirtq_desc *)&s->q[0].mem->desc[i];
}

PROBE_CASE(packed_avail_gate, "virtio.packed.avail_flag_gate", AVPS_CHECKS("a packed descriptor whose AVAIL/USED flags still say 'not available' is not used for 20 ms despite a notification; with the right flags it is"),
	   PACKED("The Virtqueue Descriptor Table #3"))
static void packed_avail_gate(void)
{
	struct vsession s;
	struct virtq_used u;
	struct vdev *d = packed_session(&s, VIRTIO_ID_ENTROPY, "entropy device");
	if (!d)
		return;
	for (int i = 0; i < 32; i++)
		buf[i] = 0x5a;
	/* Slot 0 filled in completely, but its flags keep the initial value (0: not available in lap 1). */
	volatile struct pvirtq_desc *p = slot(&s, 0);
	p->addr = (uint64_t)(uintptr_t)buf;
	p->len = sizeof(buf);
	p->id = 0;
	virtq_mb();
	p->flags = VIRTQ_DESC_F_WRITE;
	vmmio_notify(s.t, &s.q[0]);
	uint64_t end = vmmio_now_us(s.t) + 20000;
	while (vmmio_now_us(s.t) < end)
		;
	int touched = 0;
	for (int i = 0; i < 32; i++)
		touched += buf[i] != 0x5a;
	uint16_t flags = p->flags;
	bool gated = probe_check(touched == 0 && flags == VIRTQ_DESC_F_WRITE, "%s: a descriptor never made available "
				 "was used: flags 0x%x, %d buffer bytes written", vdev_name(d), flags, touched);
	if (gated) {
		/* Now through the driver core: the same slot made available properly. */
		struct vbuf b = { buf, sizeof(buf), true };
		vs_call(&s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "the descriptor once made available");
	}
	vs_close(&s);
}

PROBE_CASE(packed_used_untouched, "virtio.packed.used_descriptor_left_alone", AVPS_CHECKS("once the device marked a packed descriptor used, its id, len and flags stay as the device wrote them while the driver has not reused it"),
	   PACKED("The Virtqueue Descriptor Table #4"))
static void packed_used_untouched(void)
{
	struct vsession s;
	struct virtq_used u;
	struct vdev *d = packed_session(&s, VIRTIO_ID_ENTROPY, "entropy device");
	if (!d)
		return;
	for (int round = 0; round < 3; round++) {
		uint16_t at = s.q[0].next_used;
		struct vbuf b = { buf, sizeof(buf), true };
		if (!vs_call(&s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request"))
			break;
		struct pvirtq_desc seen = { slot(&s, at)->addr, slot(&s, at)->len, slot(&s, at)->id, slot(&s, at)->flags };
		uint64_t end = vmmio_now_us(s.t) + 10000;
		while (vmmio_now_us(s.t) < end)
			;
		volatile struct pvirtq_desc *p = slot(&s, at);
		probe_check(p->id == seen.id && p->len == seen.len && p->flags == seen.flags, "%s: used descriptor %u "
			    "changed after it was marked used: id %u->%u len %u->%u flags 0x%x->0x%x", vdev_name(d), at,
			    seen.id, p->id, seen.len, p->len, seen.flags, p->flags);
	}
	vs_close(&s);
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

PROBE_CASE(packed_blk, "virtio.packed.block_requests", AVPS_CHECKS("on a packed ring, a block write leaves its device-readable header and data as written, and a read whose header and data are each chained over two descriptors returns the sector in order"),
	   PACKED("The Virtqueue Descriptor Table #1"), PACKED("Scatter-Gather Support #1"))
static void packed_blk(void)
{
	struct vsession s;
	struct vdev *d = packed_session(&s, VIRTIO_ID_BLOCK, "writable block device");
	if (!d)
		return;
	uint64_t at = blk_capacity(d) - 3;
	if (!probe_check(blk_call(&s, VIRTIO_BLK_T_IN, at, reference, BLK_SECTOR, BLK_PLAIN) == VIRTIO_BLK_S_OK,
			 "%s: packed-ring read of sector %llu failed", vdev_name(d), (unsigned long long)at))
		goto out;
	for (int i = 0; i < BLK_SECTOR; i++)
		sector[i] = (uint8_t)(i * 7 + 3);
	for (int i = 0; i < BLK_SECTOR; i++)
		snapshot[i] = sector[i];
	int st = blk_call(&s, VIRTIO_BLK_T_OUT, at, sector, BLK_SECTOR, BLK_PLAIN);
	probe_check(st == VIRTIO_BLK_S_OK && same(sector, snapshot, BLK_SECTOR) && blk_hdr.type == VIRTIO_BLK_T_OUT &&
		    blk_hdr.sector == at, "%s: packed-ring write: status %d, data %s, header type %u sector %llu",
		    vdev_name(d), st, same(sector, snapshot, BLK_SECTOR) ? "unchanged" : "CHANGED by the device",
		    blk_hdr.type, (unsigned long long)blk_hdr.sector);
	for (int i = 0; i < BLK_SECTOR; i++)
		sector[i] = 0;
	st = blk_call(&s, VIRTIO_BLK_T_IN, at, sector, BLK_SECTOR, BLK_PIECES);
	probe_check(st == VIRTIO_BLK_S_OK && same(sector, snapshot, BLK_SECTOR), "%s: chained packed-ring read: status "
		    "%d, data %s what was written", vdev_name(d), st, same(sector, snapshot, BLK_SECTOR) ? "equals" : "differs from");
	blk_call(&s, VIRTIO_BLK_T_OUT, at, reference, BLK_SECTOR, BLK_PLAIN);
out:
	vs_close(&s);
}
