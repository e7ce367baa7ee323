/* Host unit tests of the probe's virtio driver core: ring arithmetic against hand-computed cases, split/packed rings against a small device model, used-entry validation, config generation retries. */
#include <stdlib.h>

#include "unit_check.h"
#include "virtq.h"
#include "vmmio.h"

static struct virtq_storage mem;

/* ---- a minimal device: walks what the driver made available ---------------- */
struct model_buf {
	uint16_t id;
	int elems;
	uint32_t writable;
	uint8_t *writes[VIRTQ_INDIRECT_MAX];
	uint32_t write_len[VIRTQ_INDIRECT_MAX];
};

static void model_collect(struct model_buf *b, const struct virtq_desc *table, uint16_t first, bool indirect_table)
{
	uint16_t i = first;
	for (;;) {
		const struct virtq_desc *d = &table[i];
		if ((d->flags & VIRTQ_DESC_F_INDIRECT) && !indirect_table) {
			model_collect(b, (const struct virtq_desc *)(uintptr_t)d->addr, 0, true);
			return;
		}
		if (d->flags & VIRTQ_DESC_F_WRITE) {
			b->writes[b->elems] = (uint8_t *)(uintptr_t)d->addr;
			b->write_len[b->elems] = d->len;
			b->writable += d->len;
		}
		b->elems++;
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			return;
		i = d->next;
	}
}

/* Split: takes the buffer at avail position `pos`. */
static struct model_buf split_take(struct virtq *q, uint16_t pos)
{
	struct model_buf b = { 0 };
	b.id = *virtq_avail_ring(q, pos);
	model_collect(&b, q->mem->desc, b.id, false);
	return b;
}

static void split_complete(struct virtq *q, uint16_t used_pos, uint32_t id, uint32_t len, uint16_t new_idx)
{
	virtq_used_ring(q, used_pos)->id = id;
	virtq_used_ring(q, used_pos)->len = len;
	*virtq_used_idx_field(q) = new_idx;
}

static void test_math(void)
{
	CHECK(vring_need_event(0, 1, 0), "event_idx_first_entry");
	CHECK(!vring_need_event(1, 1, 0), "event_idx_not_reached");
	CHECK(vring_need_event(0xffff, 1, 0xfffe), "event_idx_across_wrap");
	CHECK(vring_need_event(1, 2, 0xffff), "event_idx_after_wrap");
	CHECK(!vring_need_event(5, 3, 0xfffe), "event_idx_ahead_across_wrap");
	CHECK(!vring_need_event(0, 0, 0), "event_idx_no_move");
	CHECK(virtq_idx_distance(0xfffe, 2) == 4, "idx_distance_wraps");
	CHECK(packed_desc_is_used(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED, true), "packed_used_wrap1");
	CHECK(!packed_desc_is_used(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED, false), "packed_used_other_lap");
	CHECK(!packed_desc_is_used(VIRTQ_DESC_F_AVAIL, true), "packed_avail_only_not_used");
	CHECK(packed_desc_is_used(0, false), "packed_used_wrap0");
	CHECK(packed_avail_flags(true) == VIRTQ_DESC_F_AVAIL, "packed_avail_flags_wrap1");
	CHECK(packed_avail_flags(false) == VIRTQ_DESC_F_USED, "packed_avail_flags_wrap0");
	uint16_t pos = 6;
	bool wrap = true;
	packed_advance(&pos, &wrap, 3, 8);
	CHECK(pos == 1 && !wrap, "packed_advance_wraps");
	packed_advance(&pos, &wrap, 7, 8);
	CHECK(pos == 0 && wrap, "packed_advance_to_exact_wrap");
	CHECK(packed_off_wrap(5, true) == 0x8005, "packed_off_wrap");
	/* size 8, moved 4 slots 6,7,0,1 -> now at 2 with wrap 0 (was 1). */
	CHECK(packed_need_event(packed_off_wrap(7, true), 2, false, 4, 8), "packed_event_previous_lap");
	CHECK(packed_need_event(packed_off_wrap(1, false), 2, false, 4, 8), "packed_event_this_lap");
	CHECK(!packed_need_event(packed_off_wrap(2, false), 2, false, 4, 8), "packed_event_not_reached");
	CHECK(!packed_need_event(packed_off_wrap(5, true), 2, false, 4, 8), "packed_event_before_old");
}

static void test_split_wrap(void)
{
	struct virtq q;
	static uint8_t data[32];
	CHECK(virtq_init(&q, &mem, VIRTQ_SPLIT, 4, 0, false), "split_init");
	CHECK(!virtq_init(&q, &mem, VIRTQ_SPLIT, 6, 0, false), "split_size_power_of_two");
	virtq_init(&q, &mem, VIRTQ_SPLIT, 4, 0, false);
	bool ok = true;
	/* 70000 requests: avail and used idx both wrap past 0xffff. */
	for (uint32_t n = 0; n < 70000 && ok; n++) {
		struct vbuf e[2] = { { data, 8, false }, { data + 8, 16, true } };
		uint16_t id;
		ok &= virtq_add(&q, e, 2, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK;
		struct model_buf b = split_take(&q, (uint16_t)n);
		ok &= b.id == id && b.elems == 2 && b.writable == 16;
		split_complete(&q, (uint16_t)n, id, 16, (uint16_t)(n + 1));
		struct virtq_used u;
		ok &= virtq_get_used(&q, &u) == VIRTQ_OK && u.id == id && u.len == 16 && u.order == n;
		ok &= virtq_get_used(&q, &u) == VIRTQ_EMPTY;
	}
	CHECK(ok, "split_70000_requests_wrap_idx");
	CHECK(*virtq_avail_idx_field(&q) == (uint16_t)70000, "split_avail_idx_mod_2_16");
	CHECK(q.num_free == 4, "split_descriptors_all_returned");
}

static void test_split_validation(void)
{
	struct virtq q;
	static uint8_t data[64];
	struct vbuf e = { data, 32, true };
	struct virtq_used u;
	uint16_t id, id2;

	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, false);
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	split_complete(&q, 0, 5, 4, 1);   /* id 5 never made available */
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_ID && u.bad_id == 5, "split_rejects_unknown_id");
	split_complete(&q, 0, 1000, 4, 1);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_ID && u.bad_id == 1000, "split_rejects_id_outside_ring");
	split_complete(&q, 0, id, 33, 1);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_LEN && u.bad_len == 33 && u.limit == 32, "split_rejects_len_beyond_buffer");
	split_complete(&q, 0, id, 4, 3);  /* two entries published, one buffer in flight */
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_IDX && u.used_idx == 3 && u.limit == 1, "split_rejects_used_idx_ahead");
	split_complete(&q, 0, id, 32, 1);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_OK && u.len == 32, "split_accepts_full_len");
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id2);
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id2);
	split_complete(&q, 1, id2, 4, 2);
	virtq_get_used(&q, &u);
	split_complete(&q, 2, id2, 4, 3);  /* the same id again: no longer in flight */
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_ID, "split_rejects_id_used_twice");

	/* device-readable only: any len > 0 is beyond the writable part */
	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, false);
	struct vbuf ro = { data, 16, false };
	virtq_add(&q, &ro, 1, VIRTQ_CHAIN_DIRECT, &id);
	virtq_add(&q, &ro, 1, VIRTQ_CHAIN_DIRECT, &id2);
	split_complete(&q, 0, id2, 0, 1);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_OK && u.id == id2 && u.order == 1, "split_out_of_order_completion");
	split_complete(&q, 1, id, 1, 2);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_LEN && u.limit == 0, "split_len_on_readable_buffer");
}

static void test_split_indirect(void)
{
	struct virtq q;
	static uint8_t hdr[16], buf[64], st[1];
	struct vbuf e[3] = { { hdr, 16, false }, { buf, 64, true }, { st, 1, true } };
	uint16_t id;

	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, false);
	CHECK(virtq_add(&q, e, 3, VIRTQ_CHAIN_INDIRECT, &id) == VIRTQ_OK && q.num_free == 7, "indirect_takes_one_descriptor");
	struct model_buf b = split_take(&q, 0);
	CHECK(b.elems == 3 && b.writable == 65 && b.writes[1] == buf, "indirect_table_holds_every_element");
	CHECK(mem.desc[id].len == 3 * sizeof(struct virtq_desc) && mem.desc[id].flags == VIRTQ_DESC_F_INDIRECT,
	      "indirect_descriptor_len_and_flags");
	CHECK(virtq_add(&q, e, 3, VIRTQ_CHAIN_THEN_INDIRECT, &id) == VIRTQ_OK && q.num_free == 5,
	      "chain_then_indirect_takes_two");
	CHECK((mem.desc[id].flags & VIRTQ_DESC_F_NEXT) && (mem.desc[mem.desc[id].next].flags == VIRTQ_DESC_F_INDIRECT),
	      "chain_then_indirect_layout");
	b = split_take(&q, 1);
	CHECK(b.elems == 3 && b.writable == 65, "chain_then_indirect_elements");
	CHECK(virtq_add(&q, e, 1, VIRTQ_CHAIN_THEN_INDIRECT, &id) == VIRTQ_BAD_ARGS, "chain_then_indirect_needs_two");
}

static void test_split_notifications(void)
{
	struct virtq q;
	static uint8_t data[8];
	struct vbuf e = { data, 8, true };
	uint16_t id;

	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, false);
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	CHECK(virtq_kick_prepare(&q), "kick_without_no_notify");
	*virtq_used_flags_field(&q) = VIRTQ_USED_F_NO_NOTIFY;
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	CHECK(!virtq_kick_prepare(&q), "no_kick_with_no_notify");

	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, true);
	*virtq_avail_event_field(&q) = 1;   /* device wants a kick once avail idx passes 1 */
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	CHECK(!virtq_kick_prepare(&q), "event_idx_no_kick_before_event");
	virtq_add(&q, &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	CHECK(virtq_kick_prepare(&q), "event_idx_kick_at_event");
	virtq_set_used_event(&q, 2);
	CHECK(*virtq_used_event_field(&q) == 2, "used_event_relative_to_last_used");
	virtq_set_no_interrupt(&q, true);
	CHECK(*virtq_avail_flags(&q) == VIRTQ_AVAIL_F_NO_INTERRUPT, "avail_flags_no_interrupt");
}

/* Packed: the device writes one used descriptor per buffer at its next used slot. */
static void packed_complete(struct virtq *q, uint16_t *dev_pos, bool *dev_wrap, uint16_t id, uint32_t len, uint16_t skip)
{
	volatile struct pvirtq_desc *d = (volatile struct pvirtq_desc *)&q->mem->desc[*dev_pos];
	d->id = id;
	d->len = len;
	d->flags = (uint16_t)(*dev_wrap ? (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED) : 0);
	packed_advance(dev_pos, dev_wrap, skip, q->size);
}

static void test_packed(void)
{
	struct virtq q;
	static uint8_t a[8], b[8];
	struct vbuf e[2] = { { a, 8, false }, { b, 8, true } };
	struct virtq_used u;
	uint16_t id, dev_pos = 0;
	bool dev_wrap = true, ok = true;

	CHECK(virtq_init(&q, &mem, VIRTQ_PACKED, 6, 1, false), "packed_any_size");
	for (int n = 0; n < 40 && ok; n++) {   /* 2 slots per buffer, 6-slot ring: many laps */
		uint16_t slot = q.next_avail;
		bool wrap = q.avail_wrap;
		ok &= virtq_add(&q, e, 2, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK;
		struct pvirtq_desc *d = (struct pvirtq_desc *)&mem.desc[slot];
		ok &= d->flags == (packed_avail_flags(wrap) | VIRTQ_DESC_F_NEXT) && d->id == id;
		ok &= virtq_get_used(&q, &u) == VIRTQ_EMPTY;
		packed_complete(&q, &dev_pos, &dev_wrap, id, 8, 2);
		ok &= virtq_get_used(&q, &u) == VIRTQ_OK && u.id == id && u.len == 8;
	}
	CHECK(ok, "packed_40_buffers_over_many_laps");
	CHECK(q.next_used == q.next_avail && q.used_wrap == q.avail_wrap && q.num_free == 6, "packed_positions_agree");

	virtq_add(&q, e, 2, VIRTQ_CHAIN_DIRECT, &id);
	packed_complete(&q, &dev_pos, &dev_wrap, (uint16_t)(id + 1), 8, 0);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_ID, "packed_rejects_unknown_id");
	packed_complete(&q, &dev_pos, &dev_wrap, id, 9, 0);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_LEN && u.limit == 8, "packed_rejects_len_beyond_buffer");
	packed_complete(&q, &dev_pos, &dev_wrap, id, 8, 2);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_OK, "packed_accepts_after_rejects");
	packed_complete(&q, &dev_pos, &dev_wrap, 0, 0, 1);
	CHECK(virtq_get_used(&q, &u) == VIRTQ_BAD_IDX, "packed_rejects_used_with_nothing_outstanding");

	virtq_init(&q, &mem, VIRTQ_PACKED, 4, 0, true);
	CHECK(virtq_add(&q, e, 2, VIRTQ_CHAIN_INDIRECT, &id) == VIRTQ_OK && q.num_free == 3, "packed_indirect_one_slot");
	CHECK(virtq_add(&q, e, 2, VIRTQ_CHAIN_THEN_INDIRECT, &id) == VIRTQ_BAD_ARGS, "packed_no_chain_then_indirect");
	virtq_set_used_event(&q, 5);   /* 5 buffers on a 4-slot ring: slot 1 of the next lap */
	volatile struct pvirtq_event *drv = (volatile struct pvirtq_event *)mem.driver_area;
	CHECK(drv->flags == RING_EVENT_FLAGS_DESC && drv->off_wrap == packed_off_wrap(1, false), "packed_used_event_next_lap");
}

/* ---- config generation against a register model ------------------------------ */
static int generation_reads, unstable_reads;
static uint32_t model_read(void *ctx, uint32_t off, unsigned size)
{
	(void)ctx;
	(void)size;
	if (off == VMMIO_CONFIG_GENERATION)
		return (uint32_t)(generation_reads++ < unstable_reads ? generation_reads : 1000);
	return off == VMMIO_CONFIG ? 0x1234 : 0;
}
static void model_write(void *ctx, uint32_t off, uint32_t v, unsigned size) { (void)ctx; (void)off; (void)v; (void)size; }
static uint64_t clock_us;
static uint64_t model_now(void *ctx) { (void)ctx; return clock_us++; }

static void test_config_generation(void)
{
	struct vmmio t;
	struct vmmio_io io = { model_read, model_write, model_now, NULL };
	uint64_t v;
	uint32_t gen;
	vmmio_attach(&t, &io);
	generation_reads = 0;
	unstable_reads = 3;
	CHECK(vmmio_config_stable(&t, 0, 4, &v, 4, &gen) && v == 0x1234 && gen == 1000, "config_retries_until_generation_holds");
	generation_reads = 0;
	unstable_reads = 100;
	CHECK(!vmmio_config_stable(&t, 0, 4, &v, 4, &gen), "config_gives_up_when_generation_moves");
	uint32_t s;
	CHECK(vmmio_reset(&t, 50, &s) && s == 0, "reset_reads_zero");
}


/* ---- the transport driving a small entropy-like device model through its registers ---- */
struct rng_model {
	uint32_t status, isr, queue_ready, queue_num, features_sel, driver_sel;
	uint64_t desc, driver, device, driver_features;
	uint16_t last_avail;
	int notifies;
};
static struct rng_model rm;

static void rng_model_process(void)
{
	volatile uint16_t *avail = (volatile uint16_t *)(uintptr_t)rm.driver;
	volatile struct virtq_desc *desc = (volatile struct virtq_desc *)(uintptr_t)rm.desc;
	volatile uint16_t *used = (volatile uint16_t *)(uintptr_t)rm.device;
	while (rm.last_avail != avail[1]) {
		uint16_t head = avail[2 + rm.last_avail % rm.queue_num];
		uint32_t written = 0;
		for (uint16_t i = head;; i = desc[i].next) {
			if (desc[i].flags & VIRTQ_DESC_F_WRITE) {
				for (uint32_t b = 0; b < desc[i].len; b++)
					((uint8_t *)(uintptr_t)desc[i].addr)[b] = 0xab;
				written += desc[i].len;
			}
			if (!(desc[i].flags & VIRTQ_DESC_F_NEXT))
				break;
		}
		volatile struct virtq_used_elem *e = (volatile struct virtq_used_elem *)(used + 2) + used[1] % rm.queue_num;
		e->id = head;
		e->len = written;
		used[1]++;
		rm.last_avail++;
		rm.isr |= VIRTIO_ISR_USED;
	}
}

static uint32_t rng_model_read(void *ctx, uint32_t off, unsigned size)
{
	(void)ctx;
	(void)size;
	switch (off) {
	case VMMIO_VERSION: return 2;
	case VMMIO_DEVICE_ID: return 4;
	case VMMIO_DEVICE_FEATURES: return rm.features_sel ? 1 : 0;   /* VERSION_1 only */
	case VMMIO_QUEUE_NUM_MAX: return 8;
	case VMMIO_QUEUE_READY: return rm.queue_ready;
	case VMMIO_INTERRUPT_STATUS: return rm.isr;
	case VMMIO_STATUS: return rm.status;
	default: return 0;
	}
}

static void rng_model_write(void *ctx, uint32_t off, uint32_t v, unsigned size)
{
	(void)ctx;
	(void)size;
	switch (off) {
	case VMMIO_DEVICE_FEATURES_SEL: rm.features_sel = v; break;
	case VMMIO_DRIVER_FEATURES_SEL: rm.driver_sel = v; break;
	case VMMIO_DRIVER_FEATURES:
		rm.driver_features = rm.driver_sel ? (rm.driver_features & 0xffffffffu) | (uint64_t)v << 32
						   : (rm.driver_features & ~0xffffffffULL) | v;
		break;
	case VMMIO_QUEUE_NUM: rm.queue_num = v; break;
	case VMMIO_QUEUE_READY: rm.queue_ready = v; break;
	case VMMIO_QUEUE_DESC_LOW: rm.desc = (rm.desc & ~0xffffffffULL) | v; break;
	case VMMIO_QUEUE_DESC_LOW + 4: rm.desc = (rm.desc & 0xffffffffu) | (uint64_t)v << 32; break;
	case VMMIO_QUEUE_DRIVER_LOW: rm.driver = (rm.driver & ~0xffffffffULL) | v; break;
	case VMMIO_QUEUE_DRIVER_LOW + 4: rm.driver = (rm.driver & 0xffffffffu) | (uint64_t)v << 32; break;
	case VMMIO_QUEUE_DEVICE_LOW: rm.device = (rm.device & ~0xffffffffULL) | v; break;
	case VMMIO_QUEUE_DEVICE_LOW + 4: rm.device = (rm.device & 0xffffffffu) | (uint64_t)v << 32; break;
	case VMMIO_QUEUE_NOTIFY: rm.notifies++; if (rm.queue_ready && (rm.status & VIRTIO_STATUS_DRIVER_OK)) rng_model_process(); break;
	case VMMIO_INTERRUPT_ACK: rm.isr &= ~v; break;
	case VMMIO_STATUS:
		rm.status = v;
		if (v == 0)
			rm = (struct rng_model){ 0 };
		break;
	default: break;
	}
}

static void test_transport_drives_a_device_model(void)
{
	struct vmmio t;
	struct virtq q;
	struct vmmio_io io = { rng_model_read, rng_model_write, model_now, NULL };
	static uint8_t buf[16];
	const char *why = "";
	vmmio_attach(&t, &io);
	CHECK(t.version == 2 && t.device_id == 4 && t.offered == VIRTIO_BIT(VIRTIO_F_VERSION_1), "transport_reads_ids_and_features");
	uint32_t st = vmmio_negotiate(&t, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	CHECK(st == 0xb && rm.driver_features == VIRTIO_BIT(VIRTIO_F_VERSION_1), "negotiate_writes_only_offered_features");
	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, false);
	CHECK(vmmio_queue_enable(&t, &q, &why) && rm.queue_num == 8 && rm.desc == virtq_desc_addr(&q), "queue_enable_programs_the_ring");
	vmmio_set_status(&t, 0xf);
	bool ok = true;
	for (int i = 0; i < 20 && ok; i++) {   /* wraps the 8-entry ring */
		struct vbuf b = { buf, sizeof(buf), true };
		struct virtq_used u;
		uint16_t id;
		ok &= vmmio_post(&t, &q, &b, 1, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK;
		ok &= vmmio_wait_used(&t, &q, 1000, &u) == VIRTQ_OK && u.id == id && u.len == sizeof(buf) && buf[0] == 0xab;
		ok &= (vmmio_wait_isr(&t, VIRTIO_ISR_USED, 1000) & VIRTIO_ISR_USED) != 0;
		vmmio_ack(&t, VIRTIO_ISR_USED);
		buf[0] = 0;
	}
	CHECK(ok && rm.notifies == 20, "requests_round_trip_through_the_model");
	struct virtq_used u;
	CHECK(vmmio_wait_used(&t, &q, 50, &u) == VIRTQ_EMPTY, "bounded_wait_returns_empty");
	CHECK(vmmio_reset(&t, 50, &st) && rm.queue_ready == 0, "reset_through_status");
}

int main(void)
{
	printf("KTAP version 1\n");
	test_math();
	test_split_wrap();
	test_split_validation();
	test_split_indirect();
	test_split_notifications();
	test_packed();
	test_config_generation();
	test_transport_drives_a_device_model();
	return UNIT_DONE();
}
