/* Split and packed virtqueues: add buffers (chained, indirect), decide notifications, validate every used entry. */
#include "virtq.h"

#define SPLIT_DESC(q) ((q)->mem->desc)
#define PACKED_DESC(q) ((volatile struct pvirtq_desc *)(q)->mem->desc)

volatile uint16_t *virtq_avail_flags(struct virtq *q) { return &q->mem->driver_area[0]; }
volatile uint16_t *virtq_avail_idx_field(struct virtq *q) { return &q->mem->driver_area[1]; }
volatile uint16_t *virtq_avail_ring(struct virtq *q, uint16_t slot)
{
	return &q->mem->driver_area[2 + slot % q->size];
}
volatile uint16_t *virtq_used_event_field(struct virtq *q) { return &q->mem->driver_area[2 + q->size]; }
volatile uint16_t *virtq_used_flags_field(const struct virtq *q)
{
	return (volatile uint16_t *)&q->mem->device_area[0];
}
volatile uint16_t *virtq_used_idx_field(const struct virtq *q)
{
	return (volatile uint16_t *)&q->mem->device_area[0] + 1;
}
volatile struct virtq_used_elem *virtq_used_ring(const struct virtq *q, uint16_t slot)
{
	return (volatile struct virtq_used_elem *)&q->mem->device_area[1] + slot % q->size;
}
volatile uint16_t *virtq_avail_event_field(const struct virtq *q)
{
	return (volatile uint16_t *)&q->mem->device_area[1 + 2 * q->size];
}
static volatile struct pvirtq_event *driver_event(struct virtq *q)
{
	return (volatile struct pvirtq_event *)q->mem->driver_area;
}
static volatile struct pvirtq_event *device_event(const struct virtq *q)
{
	return (volatile struct pvirtq_event *)q->mem->device_area;
}

const char *virtq_result_name(enum virtq_result r)
{
	static const char *const names[] = { "ok", "empty", "used idx ran ahead", "bad id",
					     "len beyond buffer", "bad request", "queue full" };
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static void zero(void *p, size_t n)
{
	volatile uint8_t *b = p;
	while (n--)
		*b++ = 0;
}

bool virtq_init(struct virtq *q, struct virtq_storage *mem, enum virtq_layout layout,
		uint16_t size, uint16_t index, bool event_idx)
{
	zero(q, sizeof(*q));
	if (size == 0 || size > VIRTQ_MAX_SIZE || (layout == VIRTQ_SPLIT && (size & (size - 1))))
		return false;
	zero(mem, sizeof(*mem));
	q->layout = layout;
	q->size = size;
	q->index = index;
	q->event_idx = event_idx;
	q->mem = mem;
	q->num_free = size;
	for (uint16_t i = 0; i < size; i++)
		mem->desc[i].next = (uint16_t)(i + 1);
	q->avail_wrap = q->used_wrap = true;   /* packed: both wrap counters start at 1 */
	return true;
}

uint64_t virtq_desc_addr(const struct virtq *q) { return (uint64_t)(uintptr_t)q->mem->desc; }
uint64_t virtq_driver_addr(const struct virtq *q) { return (uint64_t)(uintptr_t)q->mem->driver_area; }
uint64_t virtq_device_addr(const struct virtq *q) { return (uint64_t)(uintptr_t)q->mem->device_area; }

static void fill_desc(volatile struct virtq_desc *d, const struct vbuf *e, uint16_t flags, uint16_t next)
{
	d->addr = (uint64_t)(uintptr_t)e->addr;
	d->len = e->len;
	d->flags = (uint16_t)(flags | (e->device_writes ? VIRTQ_DESC_F_WRITE : 0));
	d->next = next;
}

/* Indirect table of buffer `id`: elements chained 0 -> 1 -> ... */
static uint64_t fill_indirect(struct virtq *q, uint16_t id, const struct vbuf *elems, int n)
{
	struct virtq_desc *table = q->mem->indirect[id];
	for (int i = 0; i < n; i++)
		fill_desc(&table[i], &elems[i], i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1 < n ? i + 1 : 0));
	return (uint64_t)(uintptr_t)table;
}

static enum virtq_result split_add(struct virtq *q, const struct vbuf *elems, int n,
				   enum virtq_chain chain, uint16_t *id_out)
{
	int direct = chain == VIRTQ_CHAIN_DIRECT ? n : chain == VIRTQ_CHAIN_INDIRECT ? 0 : 1;
	int slots = direct + (direct < n ? 1 : 0);
	if (q->num_free < slots)
		return VIRTQ_FULL;
	uint16_t head = q->free_head, cur = head;
	for (int i = 0; i < slots; i++) {
		volatile struct virtq_desc *d = &SPLIT_DESC(q)[cur];
		uint16_t next = SPLIT_DESC(q)[cur].next;
		bool last = i + 1 == slots;
		if (i < direct) {
			fill_desc(d, &elems[i], last ? 0 : VIRTQ_DESC_F_NEXT, last ? 0 : next);
		} else {
			d->addr = fill_indirect(q, head, elems + direct, n - direct);
			d->len = (uint32_t)((n - direct) * sizeof(struct virtq_desc));
			d->flags = (uint16_t)(VIRTQ_DESC_F_INDIRECT | q->indirect_extra_flags);
			d->next = 0;
		}
		if (!last)
			cur = next;
		else
			q->free_head = next;
	}
	q->num_free = (uint16_t)(q->num_free - slots);
	q->tokens[head].descs = (uint16_t)slots;
	*virtq_avail_ring(q, q->avail_idx) = head;
	virtq_mb();                               /* ring entry before the index */
	q->avail_idx++;
	*virtq_avail_idx_field(q) = q->avail_idx;
	virtq_mb();
	*id_out = head;
	return VIRTQ_OK;
}

static enum virtq_result packed_add(struct virtq *q, const struct vbuf *elems, int n,
				    enum virtq_chain chain, uint16_t *id_out)
{
	int slots = chain == VIRTQ_CHAIN_DIRECT ? n : 1;
	if (chain == VIRTQ_CHAIN_THEN_INDIRECT)
		return VIRTQ_BAD_ARGS;   /* packed rings have no chain ending in an indirect table */
	if (q->num_free < slots)
		return VIRTQ_FULL;
	uint16_t id = 0;
	while (id < q->size && q->tokens[id].in_flight)
		id++;
	if (id == q->size)
		return VIRTQ_FULL;
	uint16_t pos = q->next_avail;
	bool wrap = q->avail_wrap;
	uint16_t head_flags = 0;
	for (int i = 0; i < slots; i++) {
		volatile struct pvirtq_desc *d = &PACKED_DESC(q)[pos];
		uint16_t flags = packed_avail_flags(wrap);
		if (chain == VIRTQ_CHAIN_INDIRECT) {
			d->addr = fill_indirect(q, id, elems, n);
			d->len = (uint32_t)(n * sizeof(struct virtq_desc));
			flags |= (uint16_t)(VIRTQ_DESC_F_INDIRECT | q->indirect_extra_flags);
		} else {
			d->addr = (uint64_t)(uintptr_t)elems[i].addr;
			d->len = elems[i].len;
			flags |= (uint16_t)((i + 1 < slots ? VIRTQ_DESC_F_NEXT : 0) |
					    (elems[i].device_writes ? VIRTQ_DESC_F_WRITE : 0));
		}
		d->id = id;
		if (i == 0)
			head_flags = flags;   /* published last, after the rest of the chain */
		else
			d->flags = flags;
		packed_advance(&pos, &wrap, 1, q->size);
	}
	virtq_mb();
	PACKED_DESC(q)[q->next_avail].flags = head_flags;
	virtq_mb();
	q->next_avail = pos;
	q->avail_wrap = wrap;
	q->num_free = (uint16_t)(q->num_free - slots);
	q->tokens[id].descs = (uint16_t)slots;
	*id_out = id;
	return VIRTQ_OK;
}

enum virtq_result virtq_add(struct virtq *q, const struct vbuf *elems, int n, enum virtq_chain chain,
			    uint16_t *id)
{
	if (n < 1 || n > VIRTQ_INDIRECT_MAX || (chain == VIRTQ_CHAIN_THEN_INDIRECT && n < 2))
		return VIRTQ_BAD_ARGS;
	uint32_t writable = 0;
	for (int i = 0; i < n; i++)
		writable += elems[i].device_writes ? elems[i].len : 0;
	enum virtq_result r = q->layout == VIRTQ_SPLIT ? split_add(q, elems, n, chain, id)
						      : packed_add(q, elems, n, chain, id);
	if (r != VIRTQ_OK)
		return r;
	q->tokens[*id].in_flight = true;
	q->tokens[*id].writable = writable;
	q->tokens[*id].order = q->made_available++;
	q->added_since_kick = (uint16_t)(q->added_since_kick + q->tokens[*id].descs);
	q->in_flight++;
	return VIRTQ_OK;
}

bool virtq_kick_prepare(struct virtq *q)
{
	virtq_mb();   /* the published ring before reading the device's suppression fields */
	bool kick;
	if (q->layout == VIRTQ_SPLIT) {
		if (q->event_idx)
			kick = vring_need_event(*virtq_avail_event_field(q), q->avail_idx, q->kicked_avail);
		else
			kick = !(*virtq_used_flags_field(q) & VIRTQ_USED_F_NO_NOTIFY);
		q->kicked_avail = q->avail_idx;
	} else {
		uint16_t flags = device_event(q)->flags & 3u;
		if (flags == RING_EVENT_FLAGS_DESC && q->event_idx)
			kick = packed_need_event(device_event(q)->off_wrap, q->next_avail, q->avail_wrap,
						 q->added_since_kick, q->size);
		else
			kick = flags != RING_EVENT_FLAGS_DISABLE;
	}
	q->added_since_kick = 0;
	return kick;
}

bool virtq_has_used(const struct virtq *q)
{
	if (q->layout == VIRTQ_SPLIT)
		return *virtq_used_idx_field(q) != q->last_used;
	return packed_desc_is_used(PACKED_DESC(q)[q->next_used].flags, q->used_wrap);
}

/* Checks id and len against what was made available; on success retires the buffer. */
static enum virtq_result accept(struct virtq *q, uint32_t id, uint32_t len, struct virtq_used *out)
{
	out->bad_id = id;
	out->bad_len = len;
	if (id >= q->size || !q->tokens[id].in_flight) {
		out->limit = q->size;
		return VIRTQ_BAD_ID;
	}
	if (len > q->tokens[id].writable) {
		out->limit = q->tokens[id].writable;
		return VIRTQ_BAD_LEN;
	}
	out->id = (uint16_t)id;
	out->len = len;
	out->order = q->tokens[id].order;
	q->tokens[id].in_flight = false;
	q->in_flight--;
	q->used_seen++;
	return VIRTQ_OK;
}

enum virtq_result virtq_get_used(struct virtq *q, struct virtq_used *out)
{
	out->in_flight = q->in_flight;
	if (q->layout == VIRTQ_SPLIT) {
		uint16_t idx = *virtq_used_idx_field(q);
		out->used_idx = idx;
		out->last_used = q->last_used;
		if (idx == q->last_used)
			return VIRTQ_EMPTY;
		if (virtq_idx_distance(q->last_used, idx) > q->in_flight) {
			out->limit = q->in_flight;
			return VIRTQ_BAD_IDX;
		}
		virtq_mb();   /* the index before the entry it covers */
		volatile struct virtq_used_elem *e = virtq_used_ring(q, q->last_used);
		uint32_t id = e->id, len = e->len;
		enum virtq_result r = accept(q, id, len, out);
		if (r != VIRTQ_OK)
			return r;
		/* Return the chain to the free list. */
		uint16_t tail = (uint16_t)id;
		for (uint16_t i = 1; i < q->tokens[id].descs; i++)
			tail = SPLIT_DESC(q)[tail].next;
		SPLIT_DESC(q)[tail].next = q->free_head;
		q->free_head = (uint16_t)id;
		q->num_free = (uint16_t)(q->num_free + q->tokens[id].descs);
		q->last_used++;
		return VIRTQ_OK;
	}
	volatile struct pvirtq_desc *d = &PACKED_DESC(q)[q->next_used];
	out->used_idx = q->next_used;
	out->last_used = q->next_used;
	if (!packed_desc_is_used(d->flags, q->used_wrap))
		return VIRTQ_EMPTY;
	if (q->in_flight == 0) {
		out->limit = 0;
		return VIRTQ_BAD_IDX;   /* a used descriptor with nothing outstanding */
	}
	virtq_mb();
	enum virtq_result r = accept(q, d->id, d->len, out);
	if (r != VIRTQ_OK)
		return r;
	q->num_free = (uint16_t)(q->num_free + q->tokens[out->id].descs);
	packed_advance(&q->next_used, &q->used_wrap, q->tokens[out->id].descs, q->size);
	return VIRTQ_OK;
}

void virtq_set_no_interrupt(struct virtq *q, bool suppress)
{
	if (q->layout == VIRTQ_SPLIT)
		*virtq_avail_flags(q) = suppress ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0;
	else
		driver_event(q)->flags = suppress ? RING_EVENT_FLAGS_DISABLE : RING_EVENT_FLAGS_ENABLE;
	virtq_mb();
}

void virtq_set_used_event(struct virtq *q, uint16_t after)
{
	if (q->layout == VIRTQ_SPLIT) {
		*virtq_used_event_field(q) = (uint16_t)(q->last_used + after);
	} else {
		uint16_t pos = q->next_used;
		bool wrap = q->used_wrap;
		packed_advance(&pos, &wrap, after, q->size);
		driver_event(q)->off_wrap = packed_off_wrap(pos, wrap);
		virtq_mb();
		driver_event(q)->flags = RING_EVENT_FLAGS_DESC;
	}
	virtq_mb();
}

uint16_t virtq_used_flags(const struct virtq *q)
{
	return q->layout == VIRTQ_SPLIT ? *virtq_used_flags_field(q) : device_event(q)->flags;
}

uint16_t virtq_used_idx(const struct virtq *q)
{
	return *virtq_used_idx_field(q);
}
