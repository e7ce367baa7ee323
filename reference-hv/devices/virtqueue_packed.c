/* Packed virtqueue, device side (VIRTIO 1.2 Basic Facilities / Packed Virtqueues): one descriptor ring plus event suppression. */
#include "virtio_constants.h"
#include "virtqueue.h"

struct packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct event_suppress {
	uint16_t off_wrap;
	uint16_t flags;
};

static uint64_t slot_addr(const struct virtq *vq, uint16_t slot)
{
	return vq->desc_addr + 16ULL * slot;
}

static bool is_available(uint16_t flags, bool wrap)
{
	bool avail = flags & VIRTQ_PACKED_DESC_F_AVAIL, used = flags & VIRTQ_PACKED_DESC_F_USED;
	return avail == wrap && used != wrap;
}

enum virtq_take virtq_packed_take(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain)
{
	uint16_t slot = vq->last_avail, flags;
	bool wrap = vq->avail_wrap;
	if (!guest_read(mem, slot_addr(vq, slot) + 14, &flags, sizeof(flags)))
		return virtq_mark_broken(vq, "descriptor ring outside guest memory");
	/* Descriptor Table #3: a descriptor is the device's only once its AVAIL flag changed. */
	if (!is_available(flags, wrap))
		return VIRTQ_EMPTY;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* Packed Virtqueues #1 and Scatter-Gather #1: descriptors in ring order. */
	for (uint16_t used_slots = 1;; used_slots++) {
		struct packed_desc d;
		if (used_slots > vq->size)
			return virtq_mark_broken(vq, "descriptor chain longer than the queue size");
		if (!guest_read(mem, slot_addr(vq, slot), &d, sizeof(d)))
			return virtq_mark_broken(vq, "descriptor ring outside guest memory");
		bool last;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (used_slots != 1 || (d.flags & VIRTQ_DESC_F_NEXT))
				return virtq_mark_broken(vq, "INDIRECT descriptor chained with others in a packed ring");
			if (!virtq_chain_add_indirect(vq, mem, chain, d.addr, d.len))
				return VIRTQ_BROKEN;
			last = true;
		} else {
			if (!virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
				return VIRTQ_BROKEN;
			last = !(d.flags & VIRTQ_DESC_F_NEXT);
		}
		if (++slot == vq->size) {
			slot = 0;
			wrap = !wrap;
		}
		if (last) {
			/* The buffer ID travels in the last descriptor of the chain. */
			chain->id = d.id;
			chain->ring_slots = used_slots;
			vq->last_avail = slot;
			vq->avail_wrap = wrap;
			return VIRTQ_TAKEN;
		}
	}
}

bool virtq_packed_give(struct virtq *vq, const struct guest_memory *mem, const struct virtq_chain *chain,
		       uint32_t written)
{
	uint64_t addr = slot_addr(vq, vq->used_idx);
	struct { uint32_t len; uint16_t id; } body = { written, chain->id };
	if (!guest_write(mem, addr + 8, &body, sizeof(body)))
		return false;
	/* Packed Virtqueues #2: the flags that hand the descriptor back go last. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	uint16_t flags = vq->used_wrap ? (VIRTQ_PACKED_DESC_F_AVAIL | VIRTQ_PACKED_DESC_F_USED) : 0;
	if (!guest_write(mem, addr + 14, &flags, sizeof(flags)))
		return false;
	uint32_t next = (uint32_t)vq->used_idx + chain->ring_slots;
	if (next >= vq->size) {
		next -= vq->size;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->used_idx = (uint16_t)next;
	return true;
}

bool virtq_packed_should_notify(struct virtq *vq, const struct guest_memory *mem)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct event_suppress driver_event;
	uint16_t old = vq->signalled_used, new = vq->used_idx;
	bool valid = vq->signalled_valid;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!guest_read(mem, vq->driver_addr, &driver_event, sizeof(driver_event)))
		return true;
	if (driver_event.flags == VIRTQ_PACKED_EVENT_DISABLE)
		return false;
	if (driver_event.flags != VIRTQ_PACKED_EVENT_DESC || !vq->event_idx || !valid)
		return true;
	int off = driver_event.off_wrap & 0x7fff;
	if ((bool)(driver_event.off_wrap >> 15) != vq->used_wrap)
		off -= vq->size;
	return (uint16_t)(new - (uint16_t)off - 1) < (uint16_t)(new - old);
}
