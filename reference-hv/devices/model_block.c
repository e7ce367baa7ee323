/* Block device model (VIRTIO 1.2 Device Types / Block Device): a volatile write-back cache over RAM or host storage. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

#define SECTOR 512ULL
#define CACHE_BLOCK 4096ULL
#define SEG_MAX 126
#define MAX_RANGE_SECTORS 0x3fffffU

/* Config layout offsets (struct virtio_blk_config). */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_PHYSICAL_BLOCK_EXP 24
#define CFG_MIN_IO_SIZE 26
#define CFG_OPT_IO_SIZE 28
#define CFG_NUM_QUEUES 34
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGNMENT 44
#define CFG_MAX_WRITE_ZEROES_SECTORS 48
#define CFG_MAX_WRITE_ZEROES_SEG 52
#define CFG_WRITE_ZEROES_MAY_UNMAP 56
#define CFG_SIZE 60

enum block_fault {
	BLOCK_FAULT_FLUSH_NOT_DONE,
	BLOCK_FAULT_WRITE_ZEROES_IGNORED,
	BLOCK_FAULT_READONLY_WRITE_ACKNOWLEDGED,
	BLOCK_FAULT_FLUSH_NOT_OFFERED,
	BLOCK_FAULT_UNMAP_DISCARD_ACCEPTED,
	BLOCK_FAULT_UNKNOWN_FLAG_ACCEPTED,
	BLOCK_FAULT_COUNT,
};

static const struct vdev_fault block_faults[BLOCK_FAULT_COUNT] = {
	[BLOCK_FAULT_FLUSH_NOT_DONE] = { "flush-not-done",
		"VIRTIO-1.2: Device Types / Block Device / Device Operation #11" },
	[BLOCK_FAULT_WRITE_ZEROES_IGNORED] = { "write-zeroes-ignored",
		"VIRTIO-1.2: Device Types / Block Device / Device Operation #7" },
	[BLOCK_FAULT_READONLY_WRITE_ACKNOWLEDGED] = { "readonly-write-acknowledged",
		"VIRTIO-1.2: Device Types / Block Device / Device Operation #1" },
	[BLOCK_FAULT_FLUSH_NOT_OFFERED] = { "flush-not-offered",
		"VIRTIO-1.2: Device Types / Block Device / Device Initialization #1" },
	[BLOCK_FAULT_UNMAP_DISCARD_ACCEPTED] = { "unmap-discard-accepted",
		"VIRTIO-1.2: Device Types / Block Device / Device Operation #4" },
	[BLOCK_FAULT_UNKNOWN_FLAG_ACCEPTED] = { "unknown-flag-accepted",
		"VIRTIO-1.2: Device Types / Block Device / Device Operation #3" },
};

struct block_state {
	uint64_t bytes;
	uint8_t *cache;       /* what the guest sees: the medium plus writes not yet flushed */
	uint8_t *dirty;       /* one flag per CACHE_BLOCK not yet in storage */
	bool read_only;
	char serial[20];
};

struct block_request {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct block_range {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static void put16(struct vdev *dev, unsigned off, uint16_t v) { memcpy(dev->config + off, &v, 2); }
static void put32(struct vdev *dev, unsigned off, uint32_t v) { memcpy(dev->config + off, &v, 4); }
static void put64(struct vdev *dev, unsigned off, uint64_t v) { memcpy(dev->config + off, &v, 8); }

static bool block_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[64];
	uint64_t bytes = 64ULL << 20, physical = 4096, queues = 1;
	const struct vdev_storage *storage = dev->host.storage;
	if (storage)
		bytes = storage->size;
	if (vdev_option(options, "size", text, sizeof(text)) && (!vdev_parse_size(text, &bytes) || storage)) {
		snprintf(err, err_size, "block: size=%s is not a size (or storage already gives one)", text);
		return false;
	}
	if (vdev_option(options, "physical_block_size", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &physical) || physical < SECTOR || physical > (1 << 20) || (physical & (physical - 1)))) {
		snprintf(err, err_size, "block: physical_block_size=%s is not a power of two from 512", text);
		return false;
	}
	if (vdev_option(options, "queues", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &queues) || queues < 1 || queues > VDEV_MAX_QUEUES)) {
		snprintf(err, err_size, "block: queues=%s is not 1..%d", text, VDEV_MAX_QUEUES);
		return false;
	}
	if (bytes == 0 || bytes % CACHE_BLOCK || bytes > (4ULL << 30)) {
		snprintf(err, err_size, "block: size %llu is not a multiple of 4096 up to 4 GiB", (unsigned long long)bytes);
		return false;
	}
	struct block_state *st = calloc(1, sizeof(*st));
	if (st) {
		st->cache = calloc(1, bytes);
		st->dirty = calloc(1, bytes / CACHE_BLOCK);
	}
	if (!st || !st->cache || !st->dirty) {
		if (st) {
			free(st->cache);
			free(st->dirty);
		}
		free(st);
		snprintf(err, err_size, "block: cannot allocate a %llu-byte cache", (unsigned long long)bytes);
		return false;
	}
	dev->state = st;
	st->bytes = bytes;
	st->read_only = vdev_option(options, "ro", NULL, 0);
	if (vdev_option(options, "serial", text, sizeof(text)))
		/* GET_ID: 20 bytes, NUL-padded, not terminated when all 20 are used */
		memcpy(st->serial, text, strlen(text) < sizeof(st->serial) ? strlen(text) : sizeof(st->serial));
	if (storage && !storage->read(storage->ctx, 0, st->cache, bytes)) {
		snprintf(err, err_size, "block: cannot read the backing storage");
		return false;
	}
	dev->num_queues = (unsigned)queues;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) |
		       VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		       VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) | VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
		       VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	/* Device Initialization #1: FLUSH is offered (the cache below is volatile). */
	if (!vdev_fault(dev, BLOCK_FAULT_FLUSH_NOT_OFFERED))
		dev->offered |= VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (queues > 1)
		dev->offered |= VIRTIO_BIT(VIRTIO_BLK_F_MQ);
	if (st->read_only)
		dev->offered |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	/* Device Initialization #4: padding (unused0/unused1) stays zero, like every unset field. */
	dev->config_size = CFG_SIZE;
	put64(dev, CFG_CAPACITY, bytes / SECTOR);
	put32(dev, CFG_SEG_MAX, SEG_MAX);
	put32(dev, CFG_BLK_SIZE, SECTOR);
	dev->config[CFG_PHYSICAL_BLOCK_EXP] = (uint8_t)__builtin_ctzll(physical / SECTOR);
	put16(dev, CFG_MIN_IO_SIZE, (uint16_t)(physical / SECTOR));
	put32(dev, CFG_OPT_IO_SIZE, (uint32_t)(physical / SECTOR));
	put16(dev, CFG_NUM_QUEUES, (uint16_t)queues);
	put32(dev, CFG_MAX_DISCARD_SECTORS, MAX_RANGE_SECTORS);
	put32(dev, CFG_MAX_DISCARD_SEG, 1);
	put32(dev, CFG_DISCARD_ALIGNMENT, (uint32_t)(physical / SECTOR));
	put32(dev, CFG_MAX_WRITE_ZEROES_SECTORS, MAX_RANGE_SECTORS);
	put32(dev, CFG_MAX_WRITE_ZEROES_SEG, 1);
	/* Device Operation #8: write-zeroes here never deallocates, so may_unmap stays 0. */
	dev->config[CFG_WRITE_ZEROES_MAY_UNMAP] = 0;
	return true;
}

static void block_destroy(struct vdev *dev)
{
	struct block_state *st = dev->state;
	if (st) {
		free(st->cache);
		free(st->dirty);
		free(st);
	}
	dev->state = NULL;
}

static bool in_range(const struct block_state *st, uint64_t sector, uint64_t bytes)
{
	return sector <= st->bytes / SECTOR && bytes <= st->bytes - sector * SECTOR;
}

static void mark_dirty(struct block_state *st, uint64_t offset, uint64_t len)
{
	for (uint64_t b = offset / CACHE_BLOCK; len && b <= (offset + len - 1) / CACHE_BLOCK; b++)
		st->dirty[b] = 1;
}

/* Device Operation #11: FLUSH makes every completed write stable in the storage. */
static uint8_t flush_cache(struct vdev *dev)
{
	struct block_state *st = dev->state;
	const struct vdev_storage *storage = dev->host.storage;
	if (vdev_fault(dev, BLOCK_FAULT_FLUSH_NOT_DONE))
		return VIRTIO_BLK_S_OK; /* fault: acknowledged, nothing written */
	if (!storage)
		return VIRTIO_BLK_S_OK; /* RAM-backed: the cache is the medium */
	for (uint64_t b = 0; b < st->bytes / CACHE_BLOCK; b++) {
		if (!st->dirty[b])
			continue;
		if (!storage->write(storage->ctx, b * CACHE_BLOCK, st->cache + b * CACHE_BLOCK, CACHE_BLOCK))
			return VIRTIO_BLK_S_IOERR;
		st->dirty[b] = 0;
	}
	return storage->flush(storage->ctx) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static uint8_t do_read(struct vdev *dev, const struct virtq_chain *chain, uint64_t sector, uint64_t len,
		       uint32_t *written)
{
	struct block_state *st = dev->state;
	if (len % SECTOR || !in_range(st, sector, len))
		return VIRTIO_BLK_S_IOERR;
	*written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, st->cache + sector * SECTOR, len);
	return *written == len ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static uint8_t do_write(struct vdev *dev, const struct virtq_chain *chain, uint64_t sector, uint64_t len)
{
	struct block_state *st = dev->state;
	if (st->read_only)
		/* Device Operation #1/#2: fail with IOERR and write nothing. */
		return vdev_fault(dev, BLOCK_FAULT_READONLY_WRITE_ACKNOWLEDGED) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	if (len % SECTOR || !in_range(st, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (virtq_chain_read(chain, &dev->mem, sizeof(struct block_request), st->cache + sector * SECTOR, len) != len)
		return VIRTIO_BLK_S_IOERR;
	mark_dirty(st, sector * SECTOR, len);
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_ranges(struct vdev *dev, const struct virtq_chain *chain, uint32_t type, uint64_t len)
{
	struct block_state *st = dev->state;
	if (st->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (len == 0 || len % sizeof(struct block_range) || len / sizeof(struct block_range) > 1)
		return VIRTIO_BLK_S_UNSUPP;
	struct block_range r;
	if (virtq_chain_read(chain, &dev->mem, sizeof(struct block_request), &r, sizeof(r)) != sizeof(r))
		return VIRTIO_BLK_S_IOERR;
	/* Device Operation #3: unknown flags; #4: a discard may not ask for unmap. */
	if ((r.flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) && !vdev_fault(dev, BLOCK_FAULT_UNKNOWN_FLAG_ACCEPTED))
		return VIRTIO_BLK_S_UNSUPP;
	if (type == VIRTIO_BLK_T_DISCARD && (r.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) &&
	    !vdev_fault(dev, BLOCK_FAULT_UNMAP_DISCARD_ACCEPTED))
		return VIRTIO_BLK_S_UNSUPP;
	if (r.num_sectors > MAX_RANGE_SECTORS || !in_range(st, r.sector, (uint64_t)r.num_sectors * SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_WRITE_ZEROES && vdev_fault(dev, BLOCK_FAULT_WRITE_ZEROES_IGNORED))
		return VIRTIO_BLK_S_OK; /* fault: acknowledged, data left in place */
	/* Write zeroes (Device Operation #7) and discard alike leave zeroes behind. */
	memset(st->cache + r.sector * SECTOR, 0, (size_t)r.num_sectors * SECTOR);
	mark_dirty(st, r.sector * SECTOR, (uint64_t)r.num_sectors * SECTOR);
	return VIRTIO_BLK_S_OK;
}

static void handle_request(struct vdev *dev, unsigned queue, struct virtq_chain *chain)
{
	struct block_state *st = dev->state;
	struct block_request req;
	/* Message Framing #1: the header and status may sit anywhere in the chain's segments. */
	if (chain->writable_bytes < 1 ||
	    virtq_chain_read(chain, &dev->mem, 0, &req, sizeof(req)) != sizeof(req)) {
		vdev_needs_reset(dev, "block request without header or status byte");
		return;
	}
	uint64_t data_in = chain->writable_bytes - 1, data_out = chain->readable_bytes - sizeof(req);
	uint32_t written = 0;
	uint8_t status;
	switch (req.type) {
	case VIRTIO_BLK_T_IN:
		status = do_read(dev, chain, req.sector, data_in, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		status = do_write(dev, chain, req.sector, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = vdev_has_feature(dev, VIRTIO_BLK_F_FLUSH) ? flush_cache(dev) : VIRTIO_BLK_S_UNSUPP;
		break;
	case VIRTIO_BLK_T_GET_ID:
		written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, st->serial,
						      data_in < sizeof(st->serial) ? data_in : sizeof(st->serial));
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (!vdev_has_feature(dev, req.type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES)) {
			status = VIRTIO_BLK_S_UNSUPP;
			break;
		}
		status = do_ranges(dev, chain, req.type, data_out);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	/* The status byte is the chain's last writable byte. */
	virtq_chain_write(chain, &dev->mem, data_in, &status, 1);
	vdev_complete(dev, queue, chain, written + 1);
}

static void block_process(struct vdev *dev, unsigned queue)
{
	struct virtq_chain *chain = &dev->scratch;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN)
		handle_request(dev, queue, chain);
	vdev_notify_used(dev, queue);
}

const struct vdev_model model_block = {
	.name = "block",
	.device_id = VIRTIO_ID_BLOCK,
	.faults = block_faults,
	.fault_count = BLOCK_FAULT_COUNT,
	.create = block_create,
	.destroy = block_destroy,
	.process_queue = block_process,
};
