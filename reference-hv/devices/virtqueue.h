/* Device side of one virtqueue (split or packed layout): take descriptor chains, return used buffers, decide on notifications. */
#ifndef AVPS_DEVICES_VIRTQUEUE_H
#define AVPS_DEVICES_VIRTQUEUE_H

#include "guest_memory.h"

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_MAX_SIZE 32768
/* Longest chain a model accepts (direct descriptors plus one indirect table); longer is malformed. */
#define VIRTQ_MAX_SEGMENTS 1024

struct virtq_segment {
	uint64_t addr;
	uint32_t len;
	bool device_writable;
};

/* One buffer taken from the available ring: its segments in the driver's order, readable ones first.
 * The caller provides the segment array (segments, capacity); a longer chain is malformed. */
struct virtq_chain {
	uint16_t id;          /* split: head descriptor index; packed: buffer ID */
	uint16_t ring_slots;  /* packed: descriptors it occupied in the ring (1 for an indirect one) */
	unsigned count;
	unsigned capacity;
	uint64_t readable_bytes;
	uint64_t writable_bytes;
	struct virtq_segment *segments;
};

struct virtq {
	/* Set by the transport from what the driver wrote. */
	uint16_t size;
	bool ready;
	bool packed;
	bool event_idx;       /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;        /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint64_t desc_addr;   /* descriptor table / packed descriptor ring */
	uint64_t driver_addr; /* available ring / driver event suppression */
	uint64_t device_addr; /* used ring / device event suppression */

	/* Device-side state (virtq_reset returns it to the defaults). */
	uint16_t last_avail;  /* split: next avail index to read; packed: next ring slot */
	uint16_t used_idx;    /* split: next used index; packed: next ring slot to write */
	bool avail_wrap;      /* packed: Driver Ring Wrap Counter the device expects */
	bool used_wrap;       /* packed: Device Ring Wrap Counter */
	uint16_t signalled_used;   /* used_idx when the driver was last notified */
	bool signalled_valid;
	bool used_unsignalled;     /* a buffer was used since the last notification decision */
	bool broken;          /* a malformed ring was seen: nothing more is taken from it */
	const char *broken_reason;
	unsigned faults;      /* VIRTQ_FAULT_* bits the device core switched on */
};

/* Ring-level fault switches (set from the device's generic faults; each breaks one statement). */
#define VIRTQ_FAULT_EVENT_IDX_LATE (1u << 0)           /* Used Buffer Notification Suppression #5 */
#define VIRTQ_FAULT_NO_INTERRUPT_HONOURED (1u << 1)    /* Used Buffer Notification Suppression #4 */
#define VIRTQ_FAULT_CHAIN_THEN_INDIRECT_REFUSED (1u << 2) /* Indirect Descriptors #2 */
#define VIRTQ_FAULT_INDIRECT_WRITE_FLAG_HONOURED (1u << 3) /* Indirect Descriptors #1 */
#define VIRTQ_FAULT_USED_FLAGS_GARBAGE (1u << 4)       /* Available Buffer Notification Suppression #1 */

enum virtq_take {
	VIRTQ_EMPTY,   /* no buffer available */
	VIRTQ_TAKEN,   /* chain filled in */
	VIRTQ_BROKEN,  /* the driver broke a ring rule; vq->broken_reason says which */
};

/* Returns the queue to its initial state (Virtqueue Reset #2), keeping the driver's configuration. */
void virtq_reset(struct virtq *vq);

/* Takes the next available chain. Never reads outside guest memory, never loops forever. */
enum virtq_take virtq_take(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain);

/* Returns a chain as used, reporting `written` bytes; false when the used ring is not guest memory. */
bool virtq_give(struct virtq *vq, const struct guest_memory *mem, const struct virtq_chain *chain, uint32_t written);

/* After one or more virtq_give calls: does the driver want a used-buffer notification now? Always false
 * when nothing was used since the last call: a notification must stand for a used buffer (MMIO Device
 * Register Layout #4: InterruptStatus bits of events that did not take place stay zero). */
bool virtq_should_notify(struct virtq *vq, const struct guest_memory *mem);

/* Asks the driver for (or tells it to stop sending) available-buffer notifications. */
void virtq_set_kick_suppression(struct virtq *vq, const struct guest_memory *mem, bool suppress);

/* Copies from the readable part of a chain starting at byte `offset`; returns bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *chain, const struct guest_memory *mem, uint64_t offset,
			void *buf, size_t len);
/* Copies into the writable part of a chain starting at byte `offset`; returns bytes copied. */
size_t virtq_chain_write(const struct virtq_chain *chain, const struct guest_memory *mem, uint64_t offset,
			 const void *buf, size_t len);

/* Internal: the layout-specific halves (virtqueue_split.c, virtqueue_packed.c). */
enum virtq_take virtq_split_take(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain);
bool virtq_split_give(struct virtq *vq, const struct guest_memory *mem, const struct virtq_chain *chain,
		      uint32_t written);
bool virtq_split_should_notify(struct virtq *vq, const struct guest_memory *mem);
enum virtq_take virtq_packed_take(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain);
bool virtq_packed_give(struct virtq *vq, const struct guest_memory *mem, const struct virtq_chain *chain,
		       uint32_t written);
bool virtq_packed_should_notify(struct virtq *vq, const struct guest_memory *mem);
enum virtq_take virtq_mark_broken(struct virtq *vq, const char *reason);
/* Adds one descriptor's buffer to a chain, enforcing readable-before-writable and the length limits. */
bool virtq_chain_add(struct virtq *vq, struct virtq_chain *chain, uint64_t addr, uint32_t len, bool writable);
/* Reads the indirect table at addr/len into the chain (split and packed descriptors share the layout). */
bool virtq_chain_add_indirect(struct virtq *vq, const struct guest_memory *mem, struct virtq_chain *chain,
			      uint64_t addr, uint32_t len);

#endif
