/* Split virtqueue, device side (VIRTIO 1.2 Basic Facilities / Virtqueues): descriptor table, available and used rings. */
#include "virtio_constants.h"
#include "virtqueue.h"

/* Layout offsets (little-endian guest and host: both are arm64 or x86-64 here). */
#define AVAIL_FLAGS(vq) ((vq)->driver_addr)
#define AVAIL_IDX(vq) ((vq)->driver_addr + 2)
#define AVAIL_RING(vq, i) ((vq)->driver_addr + 4 + 2ULL * (i))
#define AVAIL_USED_EVENT(vq) ((vq)->driver_addr + 4 + 2ULL * (vq)->size)
#define USED_FLAGS(vq) ((vq)->device_addr)
#define USED_IDX(vq) ((vq)->device_addr + 2)
#define USED_RING(vq, i) ((vq)->device_addr + 4 + 8ULL * (i))
#define USED_AVAIL_EVENT(vq) ((vq)->device_addr + 4 + 8ULL * (vq)->size)

struct split_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct used_elem {
	uint32_t id;
	uint32_t len;
};

static enum virtq_take walk_chain(struct virtq *vq, const struct guest_memory *mem, uint16_t head,
				  struct virtq_chain *chain)
{
	uint16_t index = head;
	/* A driver never makes a chain longer than the queue size: more steps mean a loop. */
	for (unsigned steps = 0;; steps++) {
		struct split_desc d;
		if (steps >= vq->size)
			return virtq_mark_broken(vq, "descriptor chain loops (longer than the queue size)");
		if (index >= vq->size)
			return virtq_mark_broken(vq, "descriptor index outside the descriptor table");
		if (!guest_read(mem, vq->desc_addr + 16ULL * index, &d, sizeof(d)))
			return virtq_mark_broken(vq, "descriptor table outside guest memory");
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Indirect Descriptors #1 and #2: the WRITE flag here is ignored, and this
			 * descriptor may end a chain of normal ones. */
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return virtq_mark_broken(vq, "descriptor has both INDIRECT and NEXT");
			if (steps && (vq->faults & VIRTQ_FAULT_CHAIN_THEN_INDIRECT_REFUSED))
				return virtq_mark_broken(vq, "fault: INDIRECT descriptor after a chain refused");
			if ((d.flags & VIRTQ_DESC_F_WRITE) && (vq->faults & VIRTQ_FAULT_INDIRECT_WRITE_FLAG_HONOURED))
				return virtq_mark_broken(vq, "fault: WRITE flag on an INDIRECT descriptor refused");
			return virtq_chain_add_indirect(vq, mem, chain, d.addr, d.len) ? VIRTQ_TAKEN : VIRTQ_BROKEN;
		}
		if (!virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
			return VIRTQ_BROKEN;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_TAKEN;
		index = d.next;
	}
}

enum virtq_take virtq_split_take(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain)
{
	uint16_t avail_idx, head;
	if (!guest_read(mem, AVAIL_IDX(vq), &avail_idx, sizeof(avail_idx)))
		return virtq_mark_broken(vq, "available ring outside guest memory");
	uint16_t pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return VIRTQ_EMPTY;
	if (pending > vq->size)
		return virtq_mark_broken(vq, "available index moved by more than the queue size");
	/* Read the ring entry only after seeing the index that published it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!guest_read(mem, AVAIL_RING(vq, vq->last_avail % vq->size), &head, sizeof(head)))
		return virtq_mark_broken(vq, "available ring outside guest memory");
	enum virtq_take result = walk_chain(vq, mem, head, chain);
	if (result != VIRTQ_TAKEN)
		return result;
	chain->id = head;
	chain->ring_slots = 1;
	vq->last_avail++;
	if (vq->event_idx) {
		/* Ask to be kicked when the driver goes past what was just taken. */
		uint16_t avail_event = vq->last_avail;
		guest_write(mem, USED_AVAIL_EVENT(vq), &avail_event, sizeof(avail_event));
	}
	return VIRTQ_TAKEN;
}

bool virtq_split_give(struct virtq *vq, const struct guest_memory *mem, const struct virtq_chain *chain,
		      uint32_t written)
{
	struct used_elem elem = { chain->id, written };
	if (!guest_write(mem, USED_RING(vq, vq->used_idx % vq->size), &elem, sizeof(elem)))
		return false;
	/* Used Ring #1: the element (and the data) before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	uint16_t next = (uint16_t)(vq->used_idx + 1);
	if (!guest_write(mem, USED_IDX(vq), &next, sizeof(next)))
		return false;
	if ((vq->faults & VIRTQ_FAULT_USED_FLAGS_GARBAGE) && !vq->event_idx) {
		uint16_t garbage = 0x2; /* fault: a used flags value other than 0 or 1 */
		guest_write(mem, USED_FLAGS(vq), &garbage, sizeof(garbage));
	}
	vq->used_idx = next;
	return true;
}

bool virtq_split_should_notify(struct virtq *vq, const struct guest_memory *mem)
{
	/* The used index must be visible before the driver's suppression state is read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		/* Used Buffer Notification Suppression #4/#5: only used_event counts. */
		uint16_t used_event, old = vq->signalled_used, new = vq->used_idx;
		bool valid = vq->signalled_valid;
		vq->signalled_used = new;
		vq->signalled_valid = true;
		if (!guest_read(mem, AVAIL_USED_EVENT(vq), &used_event, sizeof(used_event)))
			return true;
		if (vq->faults & VIRTQ_FAULT_NO_INTERRUPT_HONOURED) {
			uint16_t flags;
			if (guest_read(mem, AVAIL_FLAGS(vq), &flags, sizeof(flags)) && (flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
				return false; /* fault: the flag counted although EVENT_IDX is negotiated */
		}
		if (vq->faults & VIRTQ_FAULT_EVENT_IDX_LATE)
			used_event++; /* fault: notify one used entry after the one the driver asked for */
		return !valid || (uint16_t)(new - used_event - 1) < (uint16_t)(new - old);
	}
	/* #1/#3: without EVENT_IDX only the avail flags count. */
	uint16_t flags;
	if (!guest_read(mem, AVAIL_FLAGS(vq), &flags, sizeof(flags)))
		return true;
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
