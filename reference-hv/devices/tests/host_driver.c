/* Host-side virtio driver used by the unit tests: lays out rings in flat guest RAM and plays the driver's part of both layouts. */
#include "host_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_used(void *ctx, unsigned queue)
{
	struct test_driver *td = ctx;
	td->used_notifications[queue]++;
}

static void on_config(void *ctx)
{
	struct test_driver *td = ctx;
	td->config_notifications++;
}

static void fixed_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x42, len);
}

uint64_t td_alloc(struct test_driver *td, size_t len)
{
	uint64_t addr = (td->next_free + 15) & ~15ULL;
	td->next_free = addr + len;
	if (td->next_free > TD_RAM_BASE + TD_RAM_BYTES) {
		fprintf(stderr, "test driver: out of guest RAM\n");
		abort();
	}
	return addr;
}

void *td_host(struct test_driver *td, uint64_t gpa)
{
	return td->flat.bytes + (gpa - TD_RAM_BASE);
}

bool td_start(struct test_driver *td, const char *model, const char *options, uint64_t features, bool packed)
{
	const struct vdev_storage *storage = td->storage;
	memset(td, 0, sizeof(*td));
	td->storage = storage;
	td->flat = (struct flat_memory){ TD_RAM_BASE, calloc(1, TD_RAM_BYTES), TD_RAM_BYTES };
	td->next_free = TD_RAM_BASE + 4096;
	td->packed = packed;
	struct vdev_host host = { .ctx = td, .used_notify = on_used, .config_notify = on_config,
				  .random = fixed_random, .storage = storage };
	char err[160];
	if (!vdev_create(&td->dev, model, options, flat_memory_accessor(&td->flat), host, err, sizeof(err))) {
		fprintf(stderr, "# %s\n", err);
		free(td->flat.bytes);
		return false;
	}
	struct vdev *dev = &td->dev;
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t wanted = features & dev->offered;
	if (packed)
		wanted |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	else
		wanted &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	vdev_set_driver_features(dev, wanted);
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(dev->status & VIRTIO_STATUS_FEATURES_OK))
		return true; /* the caller checks the refusal */
	for (unsigned i = 0; i < dev->num_queues; i++) {
		struct td_queue *q = &td->q[i];
		struct virtq *vq = &dev->queues[i];
		q->size = TD_QUEUE_SIZE;
		q->avail_wrap = q->used_wrap = true;
		q->desc = td_alloc(td, 16u * q->size);
		q->driver = td_alloc(td, packed ? 4 : 6 + 2u * q->size);
		q->device = td_alloc(td, packed ? 4 : 6 + 8u * q->size);
		vq->size = q->size;
		vq->desc_addr = q->desc;
		vq->driver_addr = q->driver;
		vq->device_addr = q->device;
		vq->ready = true;
	}
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			     VIRTIO_STATUS_DRIVER_OK);
	return true;
}

void td_stop(struct test_driver *td)
{
	vdev_destroy(&td->dev);
	free(td->flat.bytes);
	td->flat.bytes = NULL;
}

struct raw_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t a; /* split: flags; packed: id */
	uint16_t b; /* split: next;  packed: flags */
};

void td_write_split_desc(struct test_driver *td, unsigned queue, uint16_t index, uint64_t addr, uint32_t len,
			 uint16_t flags, uint16_t next)
{
	struct raw_desc d = { addr, len, flags, next };
	memcpy(td_host(td, td->q[queue].desc + 16ULL * index), &d, sizeof(d));
}

void td_publish_split_head(struct test_driver *td, unsigned queue, uint16_t head)
{
	struct td_queue *q = &td->q[queue];
	memcpy(td_host(td, q->driver + 4 + 2ULL * (q->avail_idx % q->size)), &head, 2);
	q->avail_idx++;
	memcpy(td_host(td, q->driver + 2), &q->avail_idx, 2);
}

static uint64_t indirect_table(struct test_driver *td, const struct td_buffer *bufs, unsigned count)
{
	uint64_t table = td_alloc(td, 16u * count);
	for (unsigned i = 0; i < count; i++) {
		uint16_t flags = (uint16_t)((bufs[i].device_writable ? VIRTQ_DESC_F_WRITE : 0) |
					    (!td->packed && i + 1 < count ? VIRTQ_DESC_F_NEXT : 0));
		struct raw_desc d = { bufs[i].addr, bufs[i].len, td->packed ? 0 : flags,
				      td->packed ? flags : (uint16_t)(i + 1) };
		memcpy(td_host(td, table + 16ULL * i), &d, sizeof(d));
	}
	return table;
}

static uint16_t add_split(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count,
			  bool indirect)
{
	struct td_queue *q = &td->q[queue];
	uint16_t head = q->next_desc;
	if (indirect) {
		td_write_split_desc(td, queue, head, indirect_table(td, bufs, count), 16u * count,
				    VIRTQ_DESC_F_INDIRECT, 0);
		q->next_desc = (uint16_t)((q->next_desc + 1) % q->size);
	} else {
		for (unsigned i = 0; i < count; i++) {
			uint16_t index = q->next_desc, next = (uint16_t)((index + 1) % q->size);
			uint16_t flags = (uint16_t)((bufs[i].device_writable ? VIRTQ_DESC_F_WRITE : 0) |
						    (i + 1 < count ? VIRTQ_DESC_F_NEXT : 0));
			td_write_split_desc(td, queue, index, bufs[i].addr, bufs[i].len, flags, next);
			q->next_desc = next;
		}
	}
	td_publish_split_head(td, queue, head);
	return head;
}

static uint16_t add_packed(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count,
			   bool indirect)
{
	struct td_queue *q = &td->q[queue];
	uint16_t id = q->next_id;
	unsigned slots = indirect ? 1 : count;
	q->next_id = (uint16_t)((q->next_id + 1) % q->size);
	q->slots_of[id] = (uint16_t)slots;
	uint16_t head_slot = q->next_desc, head_flags = 0;
	bool wrap = q->avail_wrap;
	for (unsigned i = 0; i < slots; i++) {
		struct raw_desc d;
		uint16_t avail = wrap ? VIRTQ_PACKED_DESC_F_AVAIL : VIRTQ_PACKED_DESC_F_USED;
		if (indirect) {
			d = (struct raw_desc){ indirect_table(td, bufs, count), 16u * count, id,
					       (uint16_t)(VIRTQ_DESC_F_INDIRECT | avail) };
		} else {
			uint16_t flags = (uint16_t)((bufs[i].device_writable ? VIRTQ_DESC_F_WRITE : 0) |
						    (i + 1 < count ? VIRTQ_DESC_F_NEXT : 0) | avail);
			d = (struct raw_desc){ bufs[i].addr, bufs[i].len, id, flags };
		}
		uint16_t slot = q->next_desc;
		if (i == 0) {
			/* The head's flags are written last, so the device sees the chain complete. */
			head_flags = d.b;
			d.b = (uint16_t)(d.b ^ (VIRTQ_PACKED_DESC_F_AVAIL | VIRTQ_PACKED_DESC_F_USED));
		}
		memcpy(td_host(td, q->desc + 16ULL * slot), &d, sizeof(d));
		if (++q->next_desc == q->size) {
			q->next_desc = 0;
			wrap = !wrap;
		}
	}
	q->avail_wrap = wrap;
	memcpy(td_host(td, q->desc + 16ULL * head_slot + 14), &head_flags, 2);
	return id;
}

uint16_t td_add(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count, bool indirect)
{
	return td->packed ? add_packed(td, queue, bufs, count, indirect) : add_split(td, queue, bufs, count, indirect);
}

void td_kick(struct test_driver *td, unsigned queue)
{
	vdev_queue_notify(&td->dev, queue);
}

uint16_t td_submit(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count)
{
	uint16_t id = td_add(td, queue, bufs, count, false);
	td_kick(td, queue);
	return id;
}

uint16_t td_submit_indirect(struct test_driver *td, unsigned queue, const struct td_buffer *bufs, unsigned count)
{
	uint16_t id = td_add(td, queue, bufs, count, true);
	td_kick(td, queue);
	return id;
}

bool td_used(struct test_driver *td, unsigned queue, uint16_t *id, uint32_t *len)
{
	struct td_queue *q = &td->q[queue];
	if (!td->packed) {
		uint16_t used_idx;
		memcpy(&used_idx, td_host(td, q->device + 2), 2);
		if (used_idx == q->last_used)
			return false;
		uint32_t elem[2];
		memcpy(elem, td_host(td, q->device + 4 + 8ULL * (q->last_used % q->size)), 8);
		q->last_used++;
		*id = (uint16_t)elem[0];
		*len = elem[1];
		return true;
	}
	struct raw_desc d;
	memcpy(&d, td_host(td, q->desc + 16ULL * q->last_used), sizeof(d));
	bool avail = d.b & VIRTQ_PACKED_DESC_F_AVAIL, used = d.b & VIRTQ_PACKED_DESC_F_USED;
	if (avail != used || used != q->used_wrap)
		return false;
	*id = d.a;
	*len = d.len;
	/* The device wrote one used descriptor per chain: the next one follows this chain's slots. */
	unsigned next = q->last_used + (d.a < q->size ? q->slots_of[d.a] : 1);
	if (next >= q->size) {
		next -= q->size;
		q->used_wrap = !q->used_wrap;
	}
	q->last_used = (uint16_t)next;
	return true;
}
