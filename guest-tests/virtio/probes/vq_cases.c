/* Virtqueue statement cases (VIRTIO 1.2 §2.7): notification suppression, descriptor ownership, indirect tables, message framing, ordering. */
#include "blk_request.h"
#include "probe.h"
#include "statements.h"

#define VIRTIO_F_IN_ORDER_BIT VIRTIO_BIT(VIRTIO_F_IN_ORDER)
#define NOTIFY_WAIT_US 100000   /* InterruptStatus after a used entry: 100 ms */

static uint8_t rng_buf[4][32] __attribute__((aligned(16)));

/* One entropy request on queue 0 of an open session; InterruptStatus is acknowledged first. */
static bool rng_call(struct vsession *s, int slot, struct virtq_used *u)
{
	vmmio_ack(s->t, vmmio_read(s->t, VMMIO_INTERRUPT_STATUS));
	struct vbuf b = { rng_buf[slot], sizeof(rng_buf[slot]), true };
	return vs_call(s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, u, "entropy request");
}

PROBE_CASE(vq_used_flags, "virtio.vq.used_flags", AVPS_CHECKS("the used ring flags a device writes are 0 or 1 without VIRTIO_F_EVENT_IDX, and 0 with it"),
	   VQ_AVAIL_NOTIF(1), VQ_AVAIL_NOTIF(3))
static void vq_used_flags(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	if (!d)
		return;
	for (int event_idx = 0; event_idx < 2; event_idx++) {
		if (event_idx && !(d->t.offered & VIRTIO_BIT(VIRTIO_F_EVENT_IDX))) {
			probe_diag("%s: VIRTIO_F_EVENT_IDX not offered: only the flags without it checked", vdev_name(d));
			break;
		}
		uint64_t f = event_idx ? VIRTIO_BIT(VIRTIO_F_EVENT_IDX) : 0;
		if (!vs_open(&s, d, f, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			return;
		for (int i = 0; i < 3 && rng_call(&s, 0, &u); i++) {
			uint16_t flags = virtq_used_flags(&s.q[0]);
			probe_check(event_idx ? flags == 0 : flags <= 1, "%s: %s EVENT_IDX: used ring flags 0x%x after "
				    "request %d", vdev_name(d), event_idx ? "with" : "without", flags, i);
		}
		vs_close(&s);
	}
}

PROBE_CASE(vq_spurious, "virtio.vq.spurious_notifications", AVPS_CHECKS("notifications with nothing new on the ring produce no used entry and leave the queue working"),
	   VQ_AVAIL_NOTIF(5))
static void vq_spurious(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	rng_call(&s, 0, &u);
	for (int i = 0; i < 4; i++)
		vmmio_notify(s.t, &s.q[0]);
	enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], 20000, &u);
	probe_check(r == VIRTQ_EMPTY, "%s: 4 notifications with no new buffer: used ring answered '%s' (used idx %u)",
		    vdev_name(d), virtq_result_name(r), u.used_idx);
	uint32_t st = vmmio_status(s.t);
	probe_check(!(st & VIRTIO_STATUS_NEEDS_RESET), "%s: status 0x%x after spurious notifications", vdev_name(d), st);
	probe_check(rng_call(&s, 1, &u), "%s: queue stopped working after spurious notifications", vdev_name(d));
	vs_close(&s);
}

PROBE_CASE(vq_notify_no_event_idx, "virtio.vq.notify_without_event_idx", AVPS_CHECKS("without VIRTIO_F_EVENT_IDX and avail flags 0, every used entry raises InterruptStatus bit 0, whatever used_event says"),
	   VQ_USED_NOTIF(1), VQ_USED_NOTIF(3))
static void vq_notify_no_event_idx(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	virtq_set_no_interrupt(&s.q[0], false);
	for (int i = 0; i < 4; i++) {
		/* A used_event far ahead: a device that honoured it would stay silent. */
		virtq_set_used_event(&s.q[0], 5);
		if (!rng_call(&s, 0, &u))
			break;
		uint32_t isr = s.t->isr_seen | vmmio_wait_isr(s.t, VIRTIO_ISR_USED, NOTIFY_WAIT_US);
		probe_check(isr & VIRTIO_ISR_USED, "%s: request %d: no used-buffer notification (InterruptStatus 0x%x) "
			    "with avail flags 0, used_event %u", vdev_name(d), i, isr, *virtq_used_event_field(&s.q[0]));
	}
	vs_close(&s);
}

/* Opens the entropy device with EVENT_IDX, or says why the case cannot run. */
static struct vdev *event_idx_session(struct vsession *s)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_ENTROPY, "entropy device", VIRTIO_F_EVENT_IDX, "VIRTIO_F_EVENT_IDX");
	if (!d)
		return NULL;
	return vs_open(s, d, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK) ? d : NULL;
}

PROBE_CASE(vq_event_idx_flags, "virtio.vq.event_idx_ignores_no_interrupt", AVPS_CHECKS("with VIRTIO_F_EVENT_IDX, avail flags bit 0 set does not suppress the notification used_event asks for"),
	   VQ_USED_NOTIF(4))
static void vq_event_idx_flags(void)
{
	struct vsession s;
	struct virtq_used u;
	struct vdev *d = event_idx_session(&s);
	if (!d)
		return;
	for (int i = 0; i < 3; i++) {
		virtq_set_no_interrupt(&s.q[0], true);
		virtq_set_used_event(&s.q[0], 0);   /* the very entry this request produces */
		if (!rng_call(&s, 0, &u))
			break;
		uint32_t isr = s.t->isr_seen | vmmio_wait_isr(s.t, VIRTIO_ISR_USED, NOTIFY_WAIT_US);
		probe_check(isr & VIRTIO_ISR_USED, "%s: request %d: no notification for used entry %u = used_event "
			    "(avail flags 1)", vdev_name(d), i, (unsigned)(s.q[0].last_used - 1));
	}
	vs_close(&s);
}

PROBE_CASE(vq_event_idx_notify, "virtio.vq.event_idx_notifies_at_used_event", AVPS_CHECKS("with VIRTIO_F_EVENT_IDX, writing the used entry whose index equals used_event raises InterruptStatus bit 0"),
	   VQ_USED_NOTIF(5))
static void vq_event_idx_notify(void)
{
	struct vsession s;
	struct virtq_used u;
	struct vdev *d = event_idx_session(&s);
	if (!d)
		return;
	/* used_event one entry ahead: the first request may stay silent, the second must not.
	 * Repeated so the check also covers entries past the first ring lap (ring size 8). */
	for (int i = 0; i < 6; i++) {
		virtq_set_used_event(&s.q[0], 1);
		if (!rng_call(&s, 0, &u))
			break;
		if (!rng_call(&s, 1, &u))
			break;
		uint32_t isr = s.t->isr_seen | vmmio_wait_isr(s.t, VIRTIO_ISR_USED, NOTIFY_WAIT_US);
		probe_check(isr & VIRTIO_ISR_USED, "%s: no notification for used entry %u (used_event %u)",
			    vdev_name(d), (unsigned)(s.q[0].last_used - 1), *virtq_used_event_field(&s.q[0]));
	}
	vs_close(&s);
}

static uint8_t sector_buf[BLK_SECTOR] __attribute__((aligned(16)));
static uint8_t reference[BLK_SECTOR], snapshot[BLK_SECTOR];
static struct virtq_desc desc_snapshot[8];

static bool equal(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static void copy_bytes(void *dst, const void *src, size_t n)
{
	uint8_t *x = dst;
	const uint8_t *y = src;
	for (size_t i = 0; i < n; i++)
		x[i] = y[i];
}

/* Opens the writable disk with the features a layout case needs; reads its last sector as reference. */
static struct vdev *blk_session(struct vsession *s, uint64_t features, uint64_t *sector)
{
	struct vdev *d = blk_writable_device();
	if (!d)
		return NULL;
	if ((features & d->t.offered) != features) {
		probe_skip("%s does not offer features 0x%llx", vdev_name(d), (unsigned long long)features);
		return NULL;
	}
	if (!vs_open(s, d, features, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return NULL;
	uint64_t cap = blk_capacity(d);
	*sector = cap ? cap - 1 : 0;
	if (!probe_check(blk_call(s, VIRTIO_BLK_T_IN, *sector, sector_buf, BLK_SECTOR, BLK_PLAIN) == VIRTIO_BLK_S_OK,
			 "%s: plain read of sector %llu failed", vdev_name(d), (unsigned long long)*sector))
		return NULL;
	copy_bytes(reference, sector_buf, BLK_SECTOR);
	return d;
}

PROBE_CASE(vq_readable_untouched, "virtio.vq.device_readable_untouched", AVPS_CHECKS("a block write leaves its header and data buffers and every descriptor table entry as the driver wrote them"),
	   VQ_DESC_TABLE(1), VQ_DESC_TABLE(4))
static void vq_readable_untouched(void)
{
	struct vsession s;
	uint64_t sector;
	struct vdev *d = blk_session(&s, 0, &sector);
	if (!d)
		return;
	for (int i = 0; i < BLK_SECTOR; i++)
		sector_buf[i] = (uint8_t)(reference[i] ^ 0x3c ^ i);
	copy_bytes(snapshot, sector_buf, BLK_SECTOR);
	/* What the descriptor table will hold: filled by the add, compared after completion. */
	struct blk_header want_hdr = { VIRTIO_BLK_T_OUT, 0, sector };
	int st = blk_call(&s, VIRTIO_BLK_T_OUT, sector, sector_buf, BLK_SECTOR, BLK_PLAIN);
	copy_bytes(desc_snapshot, s.q[0].mem->desc, sizeof(desc_snapshot));
	probe_check(st == VIRTIO_BLK_S_OK, "%s: write sector %llu: status %d", vdev_name(d), (unsigned long long)sector, st);
	probe_check(equal(sector_buf, snapshot, BLK_SECTOR), "%s: the device changed the device-readable data buffer",
		    vdev_name(d));
	probe_check(equal(&blk_hdr, &want_hdr, sizeof(want_hdr)), "%s: the device changed the device-readable header "
		    "(type %u sector %llu)", vdev_name(d), blk_hdr.type, (unsigned long long)blk_hdr.sector);
	/* The chain the driver wrote: head 0 -> 1 -> 2 (fresh ring). */
	const struct virtq_desc *t = desc_snapshot;
	probe_check(t[0].addr == (uintptr_t)&blk_hdr && t[0].len == 16 && t[0].flags == VIRTQ_DESC_F_NEXT &&
		    t[1].addr == (uintptr_t)sector_buf && t[1].len == BLK_SECTOR && t[1].flags == VIRTQ_DESC_F_NEXT &&
		    t[2].addr == (uintptr_t)&blk_status && t[2].len == 1 && t[2].flags == VIRTQ_DESC_F_WRITE,
		    "%s: descriptor table changed: [0] len %u flags 0x%x, [1] len %u flags 0x%x, [2] len %u flags 0x%x",
		    vdev_name(d), t[0].len, t[0].flags, t[1].len, t[1].flags, t[2].len, t[2].flags);
	copy_bytes(sector_buf, reference, BLK_SECTOR);
	probe_check(blk_call(&s, VIRTIO_BLK_T_OUT, sector, sector_buf, BLK_SECTOR, BLK_PLAIN) == VIRTIO_BLK_S_OK,
		    "%s: restoring sector %llu failed", vdev_name(d), (unsigned long long)sector);
	vs_close(&s);
}

/* Reads the reference sector again in `layout` and compares. */
static void read_in_layout(uint64_t features, enum blk_layout layout, const char *what)
{
	struct vsession s;
	uint64_t sector;
	struct vdev *d = blk_session(&s, features, &sector);
	if (!d)
		return;
	for (int i = 0; i < BLK_SECTOR; i++)
		sector_buf[i] = 0xa5;
	int st = blk_call(&s, VIRTIO_BLK_T_IN, sector, sector_buf, BLK_SECTOR, layout);
	if (st >= 0)
		probe_check(st == VIRTIO_BLK_S_OK && equal(sector_buf, reference, BLK_SECTOR),
			    "%s: read of sector %llu %s: status %d, data %s the plain read", vdev_name(d),
			    (unsigned long long)sector, what, st,
			    equal(sector_buf, reference, BLK_SECTOR) ? "equal to" : "differs from");
	vs_close(&s);
}

PROBE_CASE(vq_indirect_write_flag, "virtio.vq.indirect_write_flag_ignored", AVPS_CHECKS("a block read through an INDIRECT descriptor that also carries WRITE completes with the same data as a plain read"),
	   VQ_INDIRECT(1))
static void vq_indirect_write_flag(void)
{
	read_in_layout(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), BLK_INDIRECT_WRITE,
		       "through an indirect table whose descriptor has WRITE set");
}

PROBE_CASE(vq_chain_then_indirect, "virtio.vq.chain_ending_in_indirect", AVPS_CHECKS("a block read whose header descriptor chains to one INDIRECT descriptor (data, status) completes with the same data as a plain read"),
	   VQ_INDIRECT(2))
static void vq_chain_then_indirect(void)
{
	read_in_layout(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), BLK_CHAIN_THEN_INDIRECT,
		       "as header descriptor + INDIRECT(data, status)");
}

PROBE_CASE(vq_any_layout, "virtio.vq.any_descriptor_layout", AVPS_CHECKS("a block read with header and data each split over two descriptors completes with the same data as a plain read"),
	   MESSAGE_FRAMING(1))
static void vq_any_layout(void)
{
	read_in_layout(0, BLK_PIECES, "with header 8+8 and data 256+256 descriptors");
}

PROBE_CASE(vq_in_order, "virtio.vq.in_order", AVPS_CHECKS("with VIRTIO_F_IN_ORDER, four entropy buffers made available together come back used in that order"),
	   RESERVED_FEATURES(5))
static void vq_in_order(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_F_IN_ORDER_BIT)) {
		probe_skip("%s does not offer VIRTIO_F_IN_ORDER", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_F_IN_ORDER_BIT, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint16_t ids[4];
	for (int i = 0; i < 4; i++) {
		struct vbuf b = { rng_buf[i], sizeof(rng_buf[i]), true };
		virtq_add(&s.q[0], &b, 1, VIRTQ_CHAIN_DIRECT, &ids[i]);
	}
	vmmio_notify(s.t, &s.q[0]);
	/* A device may write one used entry for a batch (the last buffer's id), so orders
	 * must only increase, ending with the fourth buffer. */
	int64_t last = -1;
	while (last < 3) {
		struct virtq_used u;
		enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], VS_WAIT_US, &u);
		if (!vdev_used_ok(d, r, &u, "in-order request"))
			break;
		if (!probe_check((int64_t)u.order > last, "%s: used entry for buffer %u (made available as number %u) "
				 "after number %lld", vdev_name(d), u.id, u.order, (long long)last))
			break;
		last = u.order;
	}
	vs_close(&s);
}
