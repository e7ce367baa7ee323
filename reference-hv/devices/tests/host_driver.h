/* A host-side virtio driver for the model unit tests and fuzzers: flat guest RAM, split or packed rings, used-buffer collection. */
#ifndef AVPS_DEVICES_HOST_DRIVER_H
#define AVPS_DEVICES_HOST_DRIVER_H

#include "../virtio_device.h"

#define TD_RAM_BASE 0x40000000ULL
#define TD_RAM_BYTES (8u << 20)
#define TD_QUEUE_SIZE 64

struct td_buffer {
	uint64_t addr;
	uint32_t len;
	bool device_writable;
};

struct td_queue {
	uint16_t size;
	uint64_t desc, driver, device;
	uint16_t next_desc;   /* split: next free descriptor (round robin); packed: next ring slot */
	uint16_t avail_idx;   /* split: driver's avail idx */
	uint16_t last_used;   /* split: used idx consumed; packed: next used slot to look at */
	bool avail_wrap, used_wrap;
	uint16_t next_id;     /* packed: buffer IDs, reused modulo the size */
	uint16_t slots_of[TD_QUEUE_SIZE]; /* packed: ring slots each buffer ID occupies */
};

struct test_driver {
	struct flat_memory flat;
	struct vdev dev;
	struct td_queue q[VDEV_MAX_QUEUES];
	uint64_t next_free;
	unsigned used_notifications[VDEV_MAX_QUEUES];
	unsigned config_notifications;
	bool packed;
	const struct vdev_storage *storage;
};

/* Creates the model, negotiates `features` (all offered ones when ~0) and brings it to DRIVER_OK. */
bool td_start(struct test_driver *td, const char *model, const char *options, uint64_t features, bool packed);
void td_stop(struct test_driver *td);
/* Guest RAM from a bump allocator (16-byte aligned). */
uint64_t td_alloc(struct test_driver *td, size_t len);
void *td_host(struct test_driver *td, uint64_t gpa);
/* Makes one chain available and notifies the device; returns its id (split head / packed buffer ID). */
uint16_t td_submit(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count);
/* Same, but through one indirect table. */
uint16_t td_submit_indirect(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count);
/* Publishes without notifying (to batch), then a notification. */
uint16_t td_add(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count, bool indirect);
void td_kick(struct test_driver *td, unsigned queue);
/* Takes one used element; false when none. */
bool td_used(struct test_driver *td, unsigned queue, uint16_t *id, uint32_t *len);
/* Raw ring access for hostile-ring tests. */
void td_write_split_desc(struct test_driver *td, unsigned queue, uint16_t index, uint64_t addr, uint32_t len,
			 uint16_t flags, uint16_t next);
void td_publish_split_head(struct test_driver *td, unsigned queue, uint16_t head);

#endif
