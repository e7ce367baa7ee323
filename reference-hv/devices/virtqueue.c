/* Layout-independent virtqueue parts: reset, dispatch to split/packed, chain building and chain copy helpers. */
#include "virtqueue.h"
#include "virtio_constants.h"

#include <string.h>

void virtq_reset(struct virtq *vq)
{
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->avail_wrap = true;
	vq->used_wrap = true;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->used_unsignalled = false;
	vq->broken = false;
	vq->broken_reason = NULL;
}

enum virtq_take virtq_mark_broken(struct virtq *vq, const char *reason)
{
	vq->broken = true;
	vq->broken_reason = reason;
	return VIRTQ_BROKEN;
}

enum virtq_take virtq_take(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain)
{
	if (vq->broken)
		return VIRTQ_BROKEN;
	if (!vq->ready || vq->size == 0)
		return VIRTQ_EMPTY;
	chain->count = 0;
	chain->readable_bytes = 0;
	chain->writable_bytes = 0;
	chain->ring_slots = 0;
	enum virtq_take result = vq->packed ? virtq_packed_take(vq, mem, chain) : virtq_split_take(vq, mem, chain);
	if (result != VIRTQ_TAKEN)
		return result;
	/* Every buffer must be guest memory: probe its first and last byte (a huge length fails here). */
	for (unsigned i = 0; i < chain->count; i++) {
		const struct virtq_segment *s = &chain->segments[i];
		uint8_t probe;
		if (s->len && (!guest_read(mem, s->addr, &probe, 1) || !guest_read(mem, s->addr + s->len - 1, &probe, 1)))
			return virtq_mark_broken(vq, "descriptor buffer outside guest memory");
	}
	return VIRTQ_TAKEN;
}

bool virtq_give(struct virtq *vq, const struct guest_memory *mem, const struct virtq_chain *chain, uint32_t written)
{
	bool given = vq->packed ? virtq_packed_give(vq, mem, chain, written) : virtq_split_give(vq, mem, chain, written);
	vq->used_unsignalled |= given;
	return given;
}

bool virtq_should_notify(struct virtq *vq, const struct guest_memory *mem)
{
	/* A model that processed a queue with nothing in it (a spurious kick, a ring just started) has no
	 * used buffer to tell the driver about. */
	if (!vq->used_unsignalled)
		return false;
	vq->used_unsignalled = false;
	return vq->packed ? virtq_packed_should_notify(vq, mem) : virtq_split_should_notify(vq, mem);
}

void virtq_set_kick_suppression(struct virtq *vq, const struct guest_memory *mem, bool suppress)
{
	if (vq->packed) {
		uint16_t device_event[2] = { 0, suppress ? VIRTQ_PACKED_EVENT_DISABLE : VIRTQ_PACKED_EVENT_ENABLE };
		guest_write(mem, vq->device_addr, device_event, sizeof(device_event));
		return;
	}
	if (vq->event_idx) {
		uint16_t avail_event = vq->last_avail;
		guest_write(mem, vq->device_addr + 4 + 8ULL * vq->size, &avail_event, sizeof(avail_event));
		return;
	}
	/* Available Buffer Notification Suppression #1: used flags are 0 or 1. */
	uint16_t flags = suppress ? VIRTQ_USED_F_NO_NOTIFY : 0;
	guest_write(mem, vq->device_addr, &flags, sizeof(flags));
}

bool virtq_chain_add(struct virtq *vq, struct virtq_chain *chain, uint64_t addr, uint32_t len, bool writable)
{
	if (chain->count >= chain->capacity) {
		virtq_mark_broken(vq, "descriptor chain longer than the device accepts (a loop?)");
		return false;
	}
	if (!writable && chain->writable_bytes) {
		virtq_mark_broken(vq, "device-readable descriptor after a device-writable one");
		return false;
	}
	if (addr + len < addr) {
		virtq_mark_broken(vq, "descriptor buffer wraps around the address space");
		return false;
	}
	chain->segments[chain->count++] = (struct virtq_segment){ addr, len, writable };
	if (writable)
		chain->writable_bytes += len;
	else
		chain->readable_bytes += len;
	return true;
}

/* Indirect table entries: le64 addr, le32 len, then le16 flags + le16 next (split) or le16 id + le16 flags (packed). */
struct indirect_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

bool virtq_chain_add_indirect(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain,
			      uint64_t addr, uint32_t len)
{
	if (!vq->indirect) {
		virtq_mark_broken(vq, "INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC negotiated");
		return false;
	}
	if (len == 0 || len % sizeof(struct indirect_desc)) {
		virtq_mark_broken(vq, "indirect table length is not a positive multiple of 16");
		return false;
	}
	uint32_t entries = len / sizeof(struct indirect_desc);
	if (entries > VIRTQ_MAX_SEGMENTS) {
		virtq_mark_broken(vq, "indirect table longer than the device accepts");
		return false;
	}
	/* Split tables are walked through `next` from entry 0; packed tables are sequential. */
	uint32_t index = 0;
	for (uint32_t visited = 0;; visited++) {
		struct indirect_desc d;
		if (visited >= entries) {
			virtq_mark_broken(vq, "indirect table chain loops");
			return false;
		}
		if (!guest_read(mem, addr + (uint64_t)index * sizeof(d), &d, sizeof(d))) {
			virtq_mark_broken(vq, "indirect table outside guest memory");
			return false;
		}
		if (vq->packed)
			d.flags = d.next; /* packed layout: le16 id, then le16 flags */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			virtq_mark_broken(vq, "INDIRECT descriptor inside an indirect table");
			return false;
		}
		if (!virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
			return false;
		if (vq->packed) {
			if (++index == entries)
				return true;
			continue;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= entries) {
			virtq_mark_broken(vq, "indirect descriptor's next is outside its table");
			return false;
		}
		index = d.next;
	}
}

size_t virtq_chain_read(const struct virtq_chain *chain, const struct guest_memory *mem, uint64_t offset,
			void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < chain->count && done < len; i++) {
		const struct virtq_segment *s = &chain->segments[i];
		if (s->device_writable)
			break;
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		size_t n = s->len - offset;
		if (n > len - done)
			n = len - done;
		if (!guest_read(mem, s->addr + offset, (uint8_t *)buf + done, n))
			break;
		done += n;
		offset = 0;
	}
	return done;
}

size_t virtq_chain_write(const struct virtq_chain *chain, const struct guest_memory *mem, uint64_t offset,
			 const void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < chain->count && done < len; i++) {
		const struct virtq_segment *s = &chain->segments[i];
		/* Descriptor Table #1: never write into a device-readable buffer. */
		if (!s->device_writable)
			continue;
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		size_t n = s->len - offset;
		if (n > len - done)
			n = len - done;
		if (!guest_write(mem, s->addr + offset, (const uint8_t *)buf + done, n))
			break;
		done += n;
		offset = 0;
	}
	return done;
}
