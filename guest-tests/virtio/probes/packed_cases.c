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

static uint8_t bufs[4][32] __attribute__((aligned(16)));

/* Used in the ring's first lap: AVAIL and USED both equal the device's wrap counter, 1. */
static bool used_lap1(uint16_t flags)
{
	return (flags & VIRTQ_DESC_F_AVAIL) && (flags & VIRTQ_DESC_F_USED);
}

static void fill(uint8_t *b, uint8_t v)
{
	for (int i = 0; i < 32; i++)
		b[i] = v;
}

static int written(const uint8_t *b, uint8_t v)
{
	int n = 0;
	for (int i = 0; i < 32; i++)
		n += b[i] != v;
	return n;
}

PROBE_CASE(packed_ring_order, "virtio.packed.processing_starts_in_ring_order",
	   AVPS_CHECKS("with slot 1 made available but slot 0 not yet, a notification gets neither used for 20 ms "
		       "(the device starts at slot 0); once slot 0 is made available and notified, both are used"),
	   BF "Packed Virtqueues #1")
static void packed_ring_order(void)
{
	struct vsession s;
	struct vdev *d = packed_session(&s, VIRTIO_ID_ENTROPY, "entropy device");
	if (!d)
		return;
	volatile struct pvirtq_desc *p0 = slot(&s, 0), *p1 = slot(&s, 1);
	fill(bufs[0], 0x5a);
	fill(bufs[1], 0x5a);
	p0->addr = (uint64_t)(uintptr_t)bufs[0];
	p0->len = 32;
	p0->id = 0;
	p1->addr = (uint64_t)(uintptr_t)bufs[1];
	p1->len = 32;
	p1->id = 1;
	virtq_mb();
	p1->flags = VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_AVAIL;   /* available in lap 1; slot 0 still is not */
	vmmio_notify(s.t, &s.q[0]);
	uint64_t end = vmmio_now_us(s.t) + 20000;
	while (vmmio_now_us(s.t) < end)
		;
	uint16_t f1 = p1->flags;
	int touched = written(bufs[1], 0x5a);
	if (probe_check(f1 == (VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_AVAIL) && touched == 0, "%s: slot 1 was used before "
			"slot 0 was made available: flags 0x%x, %d buffer bytes written", vdev_name(d), f1, touched)) {
		p0->flags = VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_AVAIL;
		vmmio_notify(s.t, &s.q[0]);
		end = vmmio_now_us(s.t) + VS_WAIT_US;
		while (!(used_lap1(p0->flags) && used_lap1(p1->flags)) && vmmio_now_us(s.t) < end)
			;
		uint16_t f0 = p0->flags;
		f1 = p1->flags;
		probe_check(used_lap1(f0) && used_lap1(f1) && written(bufs[0], 0x5a) && written(bufs[1], 0x5a),
			    "%s: after slot 0 was made available: flags 0x%x / 0x%x, %d / %d bytes written", vdev_name(d),
			    f0, f1, written(bufs[0], 0x5a), written(bufs[1], 0x5a));
	}
	vs_close(&s);
}

PROBE_CASE(packed_used_sequence, "virtio.packed.used_descriptors_written_in_sequence",
	   AVPS_CHECKS("four entropy buffers made available with one notification come back as used descriptors that "
		       "fill the ring from the device's position without a gap: whenever slot k reads used, every "
		       "earlier slot already does, and each used id is one of the four (validated by the driver core)"),
	   BF "Packed Virtqueues #2")
static void packed_used_sequence(void)
{
	struct vsession s;
	struct vdev *d = packed_session(&s, VIRTIO_ID_ENTROPY, "entropy device");
	if (!d)
		return;
	struct virtq *q = &s.q[0];
	uint16_t first = q->next_used, ids[4];
	for (int i = 0; i < 4; i++) {
		fill(bufs[i], 0x5a);
		struct vbuf b = { bufs[i], (uint32_t)(8 + 8 * i), true };
		if (!probe_check(virtq_add(q, &b, 1, VIRTQ_CHAIN_DIRECT, &ids[i]) == VIRTQ_OK, "%s: buffer %d not added",
				 vdev_name(d), i))
			goto out;
	}
	virtq_kick_prepare(q);
	vmmio_notify(s.t, q);
	int seen = 0, polls = 0;
	bool gap = false;
	uint64_t end = vmmio_now_us(s.t) + VS_WAIT_US;
	while (seen < 4 && !gap && vmmio_now_us(s.t) < end) {
		uint16_t f[4];
		for (int i = 0; i < 4; i++)
			f[i] = slot(&s, (uint16_t)(first + i))->flags;
		int prefix = 0;
		while (prefix < 4 && used_lap1(f[prefix]))
			prefix++;
		for (int i = prefix; i < 4; i++)
			gap |= used_lap1(f[i]);
		seen = prefix;
		polls++;
	}
	if (!probe_check(!gap && seen == 4, "%s: used descriptors from slot %u: %d in sequence after %d polls%s",
			 vdev_name(d), first, seen, polls, gap ? ", then a later slot used before an earlier one" : ""))
		goto out;
	for (int i = 0; i < 4; i++) {
		struct virtq_used u;
		if (!vdev_used_ok(d, virtq_get_used(q, &u), &u, "entropy buffer"))
			break;
	}
out:
	vs_close(&s);
}
