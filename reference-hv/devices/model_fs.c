/* File system device model (VIRTIO 1.2 Device Types / File System Device): a FUSE session over one in-memory file, flock waits held pending, and a DAX window as shared memory region 0. */
#include "fs_proto.h"
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS_REQUESTQ 1                 /* hiprio is queue 0, one request queue follows */
#define FS_FILE_NODEID 2
#define FS_FILE_BYTES 16384u
#define FS_PAGE 4096u
#define FS_PAGE_SHIFT 12
#define FS_WINDOW_BYTES 65536u       /* the DAX window: 16 pages */
#define FS_WINDOW_PAGES (FS_WINDOW_BYTES / FS_PAGE)
#define FS_HANDLES 8
#define FS_HELD 8                    /* SETLKW requests waiting for the lock */
#define FS_REPLY_MAX (FUSE_OUT_HDR + FUSE_ENTRY_OUT)

enum fs_fault {
	FS_FAULT_HIPRIO_STARVED,
	FS_FAULT_DAX_OVERLAP_REFUSED,
	FS_FAULT_DAX_PAST_END_ACCEPTED,
	FS_FAULT_NO_REQUEST_QUEUES,
	FS_FAULT_DAX_REGION_1,
	FS_FAULT_COUNT,
};

static const struct vdev_fault fs_faults[FS_FAULT_COUNT] = {
	[FS_FAULT_HIPRIO_STARVED] = { "hiprio-starved-while-requests-pending", FS_HIPRIO(1) },
	[FS_FAULT_DAX_OVERLAP_REFUSED] = { "dax-overlap-refused", FS_DAX(4) },
	[FS_FAULT_DAX_PAST_END_ACCEPTED] = { "dax-past-end-accepted", FS_DAX(5) },
	[FS_FAULT_NO_REQUEST_QUEUES] = { "request-queues-zero",
					 "VIRTIO-1.2: Device Types / File System Device / Device configuration layout #1" },
	[FS_FAULT_DAX_REGION_1] = { "dax-window-region-1", FS_DAX(2) },
};

/* A SETLKW the lock holder keeps waiting: its chain stays taken until the lock is granted or interrupted. */
struct fs_held {
	bool used;
	unsigned queue;
	uint64_t unique, fh;
	struct virtq_chain chain;
	struct virtq_segment segments[VIRTQ_MAX_SEGMENTS];
};

struct fs_state {
	bool initialised;
	uint64_t nlookup;                     /* lookups of the file not yet forgotten */
	bool open[FS_HANDLES];
	int lock_holder;                      /* the fh holding the file's flock, -1 when none */
	int32_t window[FS_WINDOW_PAGES];      /* file page mapped at each window page, -1 when none */
	bool writable[FS_WINDOW_PAGES];
	struct fs_held held[FS_HELD];
	bool hiprio_deferred;                 /* fault: hiprio left waiting for the held requests */
	uint8_t file[FS_FILE_BYTES];
	uint8_t in[FUSE_IN_HDR + 64];
	uint8_t reply[FS_REPLY_MAX + FS_PAGE];
};

static void fs_reset(struct vdev *dev)
{
	struct fs_state *st = dev->state;
	st->initialised = false;
	st->nlookup = 0;
	memset(st->open, 0, sizeof(st->open));
	st->lock_holder = -1;
	for (unsigned i = 0; i < FS_WINDOW_PAGES; i++)
		st->window[i] = -1;
	memset(st->writable, 0, sizeof(st->writable));
	for (unsigned i = 0; i < FS_HELD; i++)
		st->held[i].used = false;
	st->hiprio_deferred = false;
}

static bool fs_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	(void)options;
	struct fs_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	for (unsigned i = 0; i < FS_FILE_BYTES; i++)
		st->file[i] = (uint8_t)(i * 7 + (i >> FS_PAGE_SHIFT) * 31 + 1); /* each page distinct */
	dev->state = st;
	dev->num_queues = 2;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	dev->config_size = FS_CFG_BYTES;
	memcpy(dev->config + FS_CFG_TAG, "avpsfs", 6);
	/* fault request-queues-zero: the config says none; fault dax-window-region-1: the window under ID 1 */
	fs_put32(dev->config + FS_CFG_NUM_REQUEST_QUEUES, vdev_fault(dev, FS_FAULT_NO_REQUEST_QUEUES) ? 0 : 1);
	dev->shm_id = vdev_fault(dev, FS_FAULT_DAX_REGION_1) ? 1 : FS_SHM_DAX_WINDOW;
	dev->shm_size = FS_WINDOW_BYTES;
	fs_reset(dev);
	return true;
}

static void fs_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static int handle_of(struct fs_state *st, uint64_t fh)
{
	return fh < FS_HANDLES && st->open[fh] ? (int)fh : -1;
}

/* Writes the out header (len covers the payload) and uses the chain. */
static void answer(struct vdev *dev, unsigned queue, struct virtq_chain *chain, uint64_t unique, int32_t error,
		   const uint8_t *payload, uint32_t len)
{
	struct fs_state *st = dev->state;
	if (error)
		len = 0;
	if (FUSE_OUT_HDR + len > chain->writable_bytes)
		len = chain->writable_bytes < FUSE_OUT_HDR ? 0 : (uint32_t)chain->writable_bytes - FUSE_OUT_HDR;
	fs_put32(st->reply + FUSE_OUT_LEN, FUSE_OUT_HDR + len);
	fs_put32(st->reply + FUSE_OUT_ERROR, (uint32_t)error);
	fs_put64(st->reply + FUSE_OUT_UNIQUE, unique);
	if (len && payload != st->reply + FUSE_OUT_HDR)
		memmove(st->reply + FUSE_OUT_HDR, payload, len);
	vdev_complete(dev, queue, chain, (uint32_t)virtq_chain_write(chain, &dev->mem, 0, st->reply, FUSE_OUT_HDR + len));
}

static void process_hiprio(struct vdev *dev);

/* FUSE_INIT or FUSE_DESTROY ends the session: requests still held are answered EIO before its state goes. */
static void end_session(struct vdev *dev)
{
	struct fs_state *st = dev->state;
	for (unsigned i = 0; i < FS_HELD; i++) {
		struct fs_held *h = &st->held[i];
		if (!h->used)
			continue;
		h->used = false;
		answer(dev, h->queue, &h->chain, h->unique, -FUSE_EIO, NULL, 0);
		vdev_notify_used(dev, h->queue);
	}
	fs_reset(dev);
}

/* The lock is free again: the oldest waiter gets it, its SETLKW answered 0. */
static void grant_waiter(struct vdev *dev)
{
	struct fs_state *st = dev->state;
	for (unsigned i = 0; i < FS_HELD && st->lock_holder < 0; i++) {
		struct fs_held *h = &st->held[i];
		if (!h->used)
			continue;
		h->used = false;
		if (handle_of(st, h->fh) < 0) {
			answer(dev, h->queue, &h->chain, h->unique, -FUSE_EBADF, NULL, 0);
		} else {
			st->lock_holder = (int)h->fh;
			answer(dev, h->queue, &h->chain, h->unique, 0, NULL, 0);
		}
		vdev_notify_used(dev, h->queue);
	}
}

static unsigned held_count(const struct fs_state *st)
{
	unsigned n = 0;
	for (unsigned i = 0; i < FS_HELD; i++)
		n += st->held[i].used;
	return n;
}

/* SETLK / SETLKW of a whole-file flock; a SETLKW that cannot have the lock now is held (true). */
static int32_t set_lock(struct vdev *dev, unsigned queue, struct virtq_chain *chain, uint64_t unique, bool wait,
			bool *held)
{
	struct fs_state *st = dev->state;
	uint8_t *lk = st->in + FUSE_IN_HDR;
	if (chain->readable_bytes < FUSE_IN_HDR + FUSE_LK_IN)
		return -FUSE_EINVAL;
	if (!(fs_get32(lk + FUSE_LK_FLAGS) & FUSE_LK_FLOCK))
		return -FUSE_ENOSYS;                 /* POSIX locks are not offered */
	int fh = handle_of(st, fs_get64(lk + FUSE_LK_FH));
	uint32_t type = fs_get32(lk + FUSE_LK_TYPE);
	if (fh < 0)
		return -FUSE_EBADF;
	if (type == FUSE_F_UNLCK) {
		if (st->lock_holder == fh)
			st->lock_holder = -1;   /* a waiter gets it once this request is answered */
		return 0;
	}
	if (type != FUSE_F_RDLCK && type != FUSE_F_WRLCK)
		return -FUSE_EINVAL;
	if (st->lock_holder < 0 || st->lock_holder == fh) {
		st->lock_holder = fh;
		return 0;
	}
	if (!wait)
		return -FUSE_EAGAIN;
	for (unsigned i = 0; i < FS_HELD; i++) {
		struct fs_held *h = &st->held[i];
		if (h->used)
			continue;
		h->used = true;
		h->queue = queue;
		h->unique = unique;
		h->fh = (uint64_t)fh;
		h->chain = *chain;
		h->chain.segments = h->segments;
		memcpy(h->segments, chain->segments, chain->count * sizeof(*chain->segments));
		*held = true;
		return 0;
	}
	return -FUSE_EAGAIN;
}

/* DAX Window #4 (overlaps replace what they cover) and #5 (nothing past the window's end). */
static int32_t setup_mapping(struct fs_state *st, struct vdev *dev)
{
	const uint8_t *in = st->in + FUSE_IN_HDR;
	uint64_t foffset = fs_get64(in + FUSE_SM_FOFFSET), len = fs_get64(in + FUSE_SM_LEN);
	uint64_t moffset = fs_get64(in + FUSE_SM_MOFFSET), flags = fs_get64(in + FUSE_SM_FLAGS);
	if (handle_of(st, fs_get64(in + FUSE_SM_FH)) < 0)
		return -FUSE_EBADF;
	if (!len || (foffset | len | moffset) % FS_PAGE || foffset > FS_FILE_BYTES || len > FS_FILE_BYTES - foffset)
		return -FUSE_EINVAL;
	if (moffset >= FS_WINDOW_BYTES || len > FS_WINDOW_BYTES - moffset) {
		if (!vdev_fault(dev, FS_FAULT_DAX_PAST_END_ACCEPTED) || moffset >= FS_WINDOW_BYTES)
			return -FUSE_EINVAL;
		len = FS_WINDOW_BYTES - moffset;     /* fault: maps what fits and answers success */
	}
	uint64_t first = moffset / FS_PAGE, pages = len / FS_PAGE;
	for (uint64_t p = first; p < first + pages; p++)
		if (st->window[p] >= 0 && vdev_fault(dev, FS_FAULT_DAX_OVERLAP_REFUSED))
			return -FUSE_EBUSY;              /* fault: an overlap refused */
	for (uint64_t p = 0; p < pages; p++) {
		st->window[first + p] = (int32_t)(foffset / FS_PAGE + p);
		st->writable[first + p] = flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	}
	return 0;
}

static int32_t remove_mapping(struct fs_state *st, struct virtq_chain *chain, const struct guest_memory *mem)
{
	uint32_t count = fs_get32(st->in + FUSE_IN_HDR);
	if (!count || chain->readable_bytes < FUSE_IN_HDR + FUSE_REMOVEMAPPING_IN + (uint64_t)count * FUSE_REMOVEMAPPING_ONE)
		return -FUSE_EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t one[FUSE_REMOVEMAPPING_ONE];
		virtq_chain_read(chain, mem, FUSE_IN_HDR + FUSE_REMOVEMAPPING_IN + (uint64_t)i * FUSE_REMOVEMAPPING_ONE, one,
				 sizeof(one));
		uint64_t moffset = fs_get64(one), len = fs_get64(one + 8);
		if ((moffset | len) % FS_PAGE || moffset >= FS_WINDOW_BYTES || len > FS_WINDOW_BYTES - moffset)
			return -FUSE_EINVAL;
		for (uint64_t p = moffset / FS_PAGE; p < (moffset + len) / FS_PAGE; p++)
			st->window[p] = -1;
	}
	return 0;
}

/* One request of a request queue; returns the error, *len payload bytes in st->reply after the header. */
static int32_t request(struct vdev *dev, unsigned queue, struct virtq_chain *chain, uint64_t unique, uint32_t *len,
		       bool *held)
{
	struct fs_state *st = dev->state;
	uint32_t opcode = fs_get32(st->in + FUSE_IN_OPCODE);
	uint64_t nodeid = fs_get64(st->in + FUSE_IN_NODEID);
	uint8_t *in = st->in + FUSE_IN_HDR, *out = st->reply + FUSE_OUT_HDR;
	memset(out, 0, FUSE_ENTRY_OUT);
	if (opcode == FUSE_INIT) {
		uint32_t flags = fs_get32(in + 12) & (FUSE_FLOCK_LOCKS | FUSE_MAP_ALIGNMENT);
		end_session(dev);                   /* a new INIT ends the previous session */
		st->initialised = true;
		fs_put32(out + FUSE_INIT_OUT_MAJOR, FUSE_KERNEL_VERSION);
		fs_put32(out + FUSE_INIT_OUT_MINOR, FUSE_KERNEL_MINOR);
		fs_put32(out + FUSE_INIT_OUT_FLAGS, flags);
		fs_put32(out + FUSE_INIT_OUT_MAX_WRITE, FS_PAGE);
		fs_put16(out + FUSE_INIT_OUT_MAP_ALIGNMENT, FS_PAGE_SHIFT);
		*len = FUSE_INIT_OUT;
		return 0;
	}
	if (!st->initialised)
		return -FUSE_EIO;
	switch (opcode) {
	case FUSE_DESTROY:
		end_session(dev);                   /* the next session starts with FUSE_INIT */
		return 0;
	case FUSE_LOOKUP: {
		char name[sizeof(FS_SEED_FILE)] = { 0 };
		size_t n = chain->readable_bytes - FUSE_IN_HDR;
		virtq_chain_read(chain, &dev->mem, FUSE_IN_HDR, name, n < sizeof(name) ? n : sizeof(name));
		if (nodeid != FUSE_ROOT_ID || n != sizeof(name) || memcmp(name, FS_SEED_FILE, sizeof(name)))
			return -FUSE_ENOENT;
		st->nlookup++;
		fs_put64(out + FUSE_ENTRY_NODEID, FS_FILE_NODEID);
		fs_put64(out + FUSE_ATTR_OFFSET, FS_FILE_NODEID);
		fs_put64(out + FUSE_ATTR_OFFSET + FUSE_ATTR_SIZE, FS_FILE_BYTES);
		fs_put32(out + FUSE_ATTR_OFFSET + FUSE_ATTR_MODE, 0100644);
		*len = FUSE_ENTRY_OUT;
		return 0;
	}
	case FUSE_OPEN:
		if (nodeid != FS_FILE_NODEID)
			return -FUSE_ENOENT;
		for (unsigned fh = 0; fh < FS_HANDLES; fh++)
			if (!st->open[fh]) {
				st->open[fh] = true;
				fs_put64(out, fh);
				*len = FUSE_OPEN_OUT;
				return 0;
			}
		return -FUSE_EAGAIN;
	case FUSE_RELEASE: {
		int fh = handle_of(st, fs_get64(in));
		if (fh < 0)
			return -FUSE_EBADF;
		st->open[fh] = false;
		if (st->lock_holder == fh)
			st->lock_holder = -1;
		return 0;
	}
	case FUSE_READ: {
		uint64_t offset = fs_get64(in + 8);
		uint32_t size = fs_get32(in + 16);
		if (handle_of(st, fs_get64(in)) < 0)
			return -FUSE_EBADF;
		if (size > FS_PAGE)
			size = FS_PAGE;
		if (offset >= FS_FILE_BYTES)
			size = 0;
		else if (size > FS_FILE_BYTES - offset)
			size = (uint32_t)(FS_FILE_BYTES - offset);
		memcpy(out, st->file + (size ? offset : 0), size);
		*len = size;
		return 0;
	}
	case FUSE_SETLK:
	case FUSE_SETLKW:
		return set_lock(dev, queue, chain, unique, opcode == FUSE_SETLKW, held);
	case FUSE_SETUPMAPPING:
		return chain->readable_bytes < FUSE_IN_HDR + FUSE_SETUPMAPPING_IN ? -FUSE_EINVAL : setup_mapping(st, dev);
	case FUSE_REMOVEMAPPING:
		return remove_mapping(st, chain, &dev->mem);
	default:
		return -FUSE_ENOSYS;
	}
}

/* Takes a chain's in header (and the fixed part of its arguments); false when it is not a request at all. */
static bool read_request(struct vdev *dev, struct virtq_chain *chain, bool needs_reply)
{
	struct fs_state *st = dev->state;
	if (chain->readable_bytes < FUSE_IN_HDR || (needs_reply && chain->writable_bytes < FUSE_OUT_HDR)) {
		vdev_needs_reset(dev, "virtio-fs request without an in header or room for the out header");
		return false;
	}
	memset(st->in, 0, sizeof(st->in));
	virtq_chain_read(chain, &dev->mem, 0, st->in, sizeof(st->in));
	return true;
}

static void process_requests(struct vdev *dev, unsigned queue)
{
	struct fs_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		if (!read_request(dev, chain, true))
			break;
		uint64_t unique = fs_get64(st->in + FUSE_IN_UNIQUE);
		uint32_t len = 0;
		bool held = false;
		int32_t error = request(dev, queue, chain, unique, &len, &held);
		if (!held)
			answer(dev, queue, chain, unique, error, st->reply + FUSE_OUT_HDR, len);
		if (st->lock_holder < 0)
			grant_waiter(dev);
	}
	vdev_notify_used(dev, queue);
	if (st->hiprio_deferred && !held_count(st))
		process_hiprio(dev);
}

/* FORGET, BATCH_FORGET and INTERRUPT: no reply of their own; an INTERRUPT ends the held request it names (EINTR). */
static void process_hiprio(struct vdev *dev)
{
	struct fs_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	if (vdev_fault(dev, FS_FAULT_HIPRIO_STARVED) && held_count(st)) {
		st->hiprio_deferred = true;          /* fault: hiprio waits while a request queue has work pending */
		return;
	}
	st->hiprio_deferred = false;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, FS_HIPRIO_QUEUE, chain) == VIRTQ_TAKEN) {
		if (!read_request(dev, chain, false))
			break;
		uint32_t opcode = fs_get32(st->in + FUSE_IN_OPCODE);
		if (opcode == FUSE_FORGET && fs_get64(st->in + FUSE_IN_NODEID) == FS_FILE_NODEID) {
			uint64_t n = fs_get64(st->in + FUSE_IN_HDR);
			st->nlookup -= n < st->nlookup ? n : st->nlookup;
		} else if (opcode == FUSE_INTERRUPT) {
			uint64_t target = fs_get64(st->in + FUSE_IN_HDR);
			for (unsigned i = 0; i < FS_HELD; i++) {
				struct fs_held *h = &st->held[i];
				if (h->used && h->unique == target) {
					h->used = false;
					answer(dev, h->queue, &h->chain, h->unique, -4 /* EINTR */, NULL, 0);
					vdev_notify_used(dev, h->queue);
				}
			}
		}
		vdev_complete(dev, FS_HIPRIO_QUEUE, chain, 0);
	}
	vdev_notify_used(dev, FS_HIPRIO_QUEUE);
}

static void fs_process(struct vdev *dev, unsigned queue)
{
	if (queue == FS_HIPRIO_QUEUE)
		process_hiprio(dev);
	else if (queue == FS_REQUESTQ)
		process_requests(dev, queue);
}

/* The DAX window: a mapped page reads the file's page (and writes it when mapped writable); the rest reads 0. */
static void fs_shm_access(struct vdev *dev, uint64_t offset, void *buf, unsigned len, bool write)
{
	struct fs_state *st = dev->state;
	uint8_t *bytes = buf;
	for (unsigned i = 0; i < len; i++, offset++) {
		int32_t page = st->window[offset / FS_PAGE];
		uint8_t *at = page < 0 ? NULL : st->file + (uint64_t)page * FS_PAGE + offset % FS_PAGE;
		if (write && at && st->writable[offset / FS_PAGE])
			*at = bytes[i];
		else if (!write)
			bytes[i] = at ? *at : 0;
	}
}

const struct vdev_model model_fs = {
	.name = "fs",
	.device_id = VIRTIO_ID_FS,
	.faults = fs_faults,
	.fault_count = FS_FAULT_COUNT,
	.create = fs_create,
	.destroy = fs_destroy,
	.reset = fs_reset,
	.process_queue = fs_process,
	.shm_access = fs_shm_access,
};
