/* Virtqueues of the probe's virtio driver (VIRTIO 1.2 §2.7 split, §2.8 packed): pure ring logic, builds for the target and the host. */
#ifndef PROBE_VIRTQ_H
#define PROBE_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtq_math.h"

#define VIRTQ_MAX_SIZE      64   /* largest queue the probe sets up */
#define VIRTQ_INDIRECT_MAX  8    /* entries of one indirect table */

#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_DESC_F_AVAIL    (1u << 7)
#define VIRTQ_DESC_F_USED     (1u << 15)
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY     1u
#define RING_EVENT_FLAGS_ENABLE  0u
#define RING_EVENT_FLAGS_DISABLE 1u
#define RING_EVENT_FLAGS_DESC    2u

/* A split descriptor and a packed descriptor are both 16 bytes. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct pvirtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};
struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
struct pvirtq_event {
	uint16_t off_wrap;
	uint16_t flags;
};

/* Memory one queue lives in (MMU off on the target: addresses are physical). */
struct virtq_storage {
	struct virtq_desc desc[VIRTQ_MAX_SIZE] __attribute__((aligned(16)));
	/* split: flags, idx, ring[size], used_event; packed: driver event suppression */
	uint16_t driver_area[2 + VIRTQ_MAX_SIZE + 1] __attribute__((aligned(16)));
	/* split: flags, idx, ring[size] (8 bytes each), avail_event; packed: device event suppression */
	uint32_t device_area[1 + 2 * VIRTQ_MAX_SIZE + 1] __attribute__((aligned(16)));
	/* one indirect table per buffer id */
	struct virtq_desc indirect[VIRTQ_MAX_SIZE][VIRTQ_INDIRECT_MAX] __attribute__((aligned(16)));
};

enum virtq_layout { VIRTQ_SPLIT, VIRTQ_PACKED };

/* How a buffer's elements are laid out in descriptors. */
enum virtq_chain {
	VIRTQ_CHAIN_DIRECT,          /* one descriptor per element, chained with NEXT */
	VIRTQ_CHAIN_INDIRECT,        /* one INDIRECT descriptor whose table holds every element */
	VIRTQ_CHAIN_THEN_INDIRECT,   /* split only: first element direct, the rest behind one INDIRECT */
};

/* One element of a buffer (a contiguous piece of guest memory). */
struct vbuf {
	void *addr;
	uint32_t len;
	bool device_writes;
};

/* Per buffer id: what the driver made available, so a used entry can be checked against it. */
struct virtq_token {
	bool in_flight;
	uint16_t descs;          /* ring slots the buffer took (packed) / chain length (split) */
	uint32_t writable;       /* total device-writable bytes */
	uint32_t order;          /* sequence number in the order made available */
};

struct virtq {
	enum virtq_layout layout;
	uint16_t size;
	uint16_t index;          /* queue number on its device */
	bool event_idx;          /* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t indirect_extra_flags;  /* ORed into descriptors that point to a table (tests) */
	struct virtq_storage *mem;
	/* split */
	uint16_t free_head, num_free;
	uint16_t avail_idx;      /* next avail->idx to publish */
	uint16_t last_used;      /* next used->idx position to consume */
	uint16_t kicked_avail;   /* avail idx at the last notification decision */
	/* packed */
	uint16_t next_avail, next_used;
	bool avail_wrap, used_wrap;
	uint16_t added_since_kick;  /* ring slots made available since the last kick decision */
	/* both */
	uint16_t in_flight;
	uint32_t made_available, used_seen;
	struct virtq_token tokens[VIRTQ_MAX_SIZE];
};

/* What one used entry said, and why it was rejected. */
enum virtq_result {
	VIRTQ_OK,
	VIRTQ_EMPTY,             /* nothing new in the used ring */
	VIRTQ_BAD_IDX,           /* used idx ran ahead of what was made available */
	VIRTQ_BAD_ID,            /* id outside the ring or never made available */
	VIRTQ_BAD_LEN,           /* len larger than the buffer's writable bytes */
	VIRTQ_BAD_ARGS,          /* the driver's own request was malformed (probe bug) */
	VIRTQ_FULL,              /* no free descriptors or ids */
};

struct virtq_used {
	uint16_t id;
	uint32_t len;
	uint32_t order;          /* the buffer's position in the order made available */
	/* observed values when rejected */
	uint32_t bad_id, bad_len, limit;
	uint16_t used_idx, last_used, in_flight;
};

const char *virtq_result_name(enum virtq_result r);

/* Initialises q over mem (zeroed) for a ring of `size` entries (power of 2 for split). */
bool virtq_init(struct virtq *q, struct virtq_storage *mem, enum virtq_layout layout,
		uint16_t size, uint16_t index, bool event_idx);
/* Addresses the transport programs (descriptor area, driver area, device area). */
uint64_t virtq_desc_addr(const struct virtq *q);
uint64_t virtq_driver_addr(const struct virtq *q);
uint64_t virtq_device_addr(const struct virtq *q);

/* Adds one buffer of n elements; *id is its buffer id. Does not notify. */
enum virtq_result virtq_add(struct virtq *q, const struct vbuf *elems, int n, enum virtq_chain chain,
			    uint16_t *id);
/* After one or more virtq_add: whether the device asked to be notified (EVENT_IDX or
 * NO_NOTIFY / device event flags). Records the point for the next decision. */
bool virtq_kick_prepare(struct virtq *q);
/* Takes the next used entry, validating it against what was made available. */
enum virtq_result virtq_get_used(struct virtq *q, struct virtq_used *out);
/* Whether a used entry is pending, without consuming it (same validation not applied). */
bool virtq_has_used(const struct virtq *q);

/* Used-buffer notification suppression, driver side. */
void virtq_set_no_interrupt(struct virtq *q, bool suppress);   /* split flags / packed DISABLE */
/* EVENT_IDX: ask for a notification when the device writes the used entry `after` entries
 * past the next one (0: the next one). Packed rings count one slot per buffer. */
void virtq_set_used_event(struct virtq *q, uint16_t after);

/* Device-written fields, read with the ordering the ring needs. */
uint16_t virtq_used_flags(const struct virtq *q);    /* split used->flags / packed device event flags */
uint16_t virtq_used_idx(const struct virtq *q);      /* split used->idx */

/* Split-ring field accessors (volatile: the device writes them). */
volatile uint16_t *virtq_avail_flags(struct virtq *q);
volatile uint16_t *virtq_avail_idx_field(struct virtq *q);
volatile uint16_t *virtq_avail_ring(struct virtq *q, uint16_t slot);
volatile uint16_t *virtq_used_event_field(struct virtq *q);
volatile uint16_t *virtq_used_flags_field(const struct virtq *q);
volatile uint16_t *virtq_used_idx_field(const struct virtq *q);
volatile struct virtq_used_elem *virtq_used_ring(const struct virtq *q, uint16_t slot);
volatile uint16_t *virtq_avail_event_field(const struct virtq *q);

#endif
