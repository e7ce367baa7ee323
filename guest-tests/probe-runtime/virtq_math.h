/* Ring arithmetic of virtqueues (VIRTIO 1.2 §2.7.10, §2.8): 16-bit index wrap, event-index test, packed wrap counters. */
#ifndef PROBE_VIRTQ_MATH_H
#define PROBE_VIRTQ_MATH_H

#include <stdbool.h>
#include <stdint.h>

/* Memory barrier between ring fields the other side reads (MMU off: Device memory). */
#if defined(__aarch64__) && !defined(VIRTQ_HOST_BUILD)
#define virtq_mb() __asm__ volatile("dmb sy" ::: "memory")
#else
#define virtq_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* Entries between two free-running 16-bit ring indexes (from `from` up to `to`). */
static inline uint16_t virtq_idx_distance(uint16_t from, uint16_t to)
{
	return (uint16_t)(to - from);
}

/* §2.7.10: with EVENT_IDX, a notification is due when `event` lies in [old, new_idx)
 * (mod 2^16): the side moved its index from old to new_idx past the event index. */
static inline bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Packed ring: flags a driver writes into an available descriptor for wrap counter w. */
static inline uint16_t packed_avail_flags(bool wrap)
{
	return (uint16_t)(wrap ? (1u << 7) : (1u << 15));
}

/* Packed ring: a descriptor is used when AVAIL == USED == the driver's used wrap counter. */
static inline bool packed_desc_is_used(uint16_t flags, bool used_wrap)
{
	bool avail = (flags >> 7) & 1, used = (flags >> 15) & 1;
	return avail == used && used == used_wrap;
}

/* Packed ring: advances a ring position by n slots, flipping the wrap counter on wrap. */
static inline void packed_advance(uint16_t *pos, bool *wrap, uint16_t n, uint16_t size)
{
	uint32_t next = (uint32_t)*pos + n;
	while (next >= size) {
		next -= size;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)next;
}

/* Packed event suppression: off_wrap encodes a ring offset (bits 0-14) and a wrap counter (bit 15). */
static inline uint16_t packed_off_wrap(uint16_t offset, bool wrap)
{
	return (uint16_t)((offset & 0x7fffu) | (wrap ? 0x8000u : 0));
}

/* Packed ring, EVENT_IDX: whether moving the ring position to new_pos (wrap counter new_wrap)
 * by `moved` slots passed the event position given as off_wrap. An event in the other lap
 * counts one ring length back, then the split-ring test applies (mod 2^16). */
static inline bool packed_need_event(uint16_t off_wrap, uint16_t new_pos, bool new_wrap,
				     uint16_t moved, uint16_t size)
{
	uint16_t event = off_wrap & 0x7fffu;
	if ((bool)(off_wrap >> 15) != new_wrap)
		event = (uint16_t)(event - size);
	return vring_need_event(event, new_pos, (uint16_t)(new_pos - moved));
}

#endif
