/* Media device model (VIRTIO 1.4 Device Types / Media Device): a V4L2 test-pattern camera; sessions, commands, MMAP buffers in shared memory region 0. */
#include "model_media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEDIA(s) "VIRTIO-1.4: Device Types / Media Device / Device Operation / " s

static const struct vdev_fault media_faults[MEDIA_FAULT_COUNT] = {
	[MEDIA_FAULT_SESSION_ID_REUSED] = { "session-id-reused", MEDIA("Open device #1") },
	[MEDIA_FAULT_IOCTL_PAYLOAD_NOT_WRITTEN] = { "ioctl-payload-not-written", MEDIA("V4L2 ioctls #1") },
	[MEDIA_FAULT_PLANES_POINTER_CLEARED] = { "planes-pointer-cleared", MEDIA("Pointers in V4l2 ioctls #1") },
	[MEDIA_FAULT_UNSUPPORTED_IOCTL_EINVAL] = { "unsupported-ioctl-einval", MEDIA("Unsupported ioctls #1") },
	[MEDIA_FAULT_MMAP_LEN_PAGE_ROUNDED] = { "mmap-len-page-rounded", MEDIA("Mapping a MMAP buffer #1") },
	[MEDIA_FAULT_CLOSE_DROPS_MAPPINGS] = { "close-drops-mappings", MEDIA("Unmapping a MMAP buffer #1") },
	[MEDIA_FAULT_USERPTR_REWRITTEN] = { "userptr-rewritten", MEDIA("Shared Pages #2") },
	[MEDIA_FAULT_EXPBUF_FD_WRITTEN] = { "expbuf-fd-written", MEDIA("Virtio Object #1") },
	[MEDIA_FAULT_ERRORED_SESSION_ID_RECYCLED] = { "errored-session-id-recycled", MEDIA("Device-side error #1") },
};

static const char card_name[] = "refhv test pattern";

static bool media_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	(void)options;
	struct media_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->ev_chain.segments = st->ev_segments;
	st->ev_chain.capacity = VIRTQ_MAX_SEGMENTS;
	dev->state = st;
	dev->num_queues = 2;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	dev->config_size = MEDIA_CFG_BYTES;
	media_put32(dev->config + MEDIA_CFG_DEVICE_CAPS, V4L2_CAPS_CAPTURE_MPLANE | V4L2_CAPS_STREAMING);
	media_put32(dev->config + MEDIA_CFG_DEVICE_TYPE, 0); /* VFL_TYPE_VIDEO */
	memcpy(dev->config + MEDIA_CFG_CARD, card_name, sizeof(card_name));
	dev->shm_id = MEDIA_SHM_MMAP;
	dev->shm_size = MEDIA_SHM_BYTES;
	return true;
}

static void media_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

/* A reset closes every session and drops every mapping. */
static void media_reset(struct vdev *dev)
{
	struct media_state *st = dev->state;
	memset(st->sessions, 0, sizeof(st->sessions));
	for (unsigned i = 0; i < MEDIA_SLOTS; i++) {
		st->slots[i].owned = false;
		st->slots[i].maps = 0;
	}
}

static struct media_session *session_of(struct media_state *st, uint32_t id)
{
	for (unsigned i = 0; i < MEDIA_SESSIONS; i++)
		if (st->sessions[i].state != SESSION_FREE && st->sessions[i].id == id)
			return &st->sessions[i];
	return NULL;
}

/* Open device #1: the lowest ID no session holds (an errored session keeps its ID until CLOSE). */
static uint32_t open_session(struct media_state *st, uint8_t *resp, size_t *resp_len, struct vdev *dev)
{
	struct media_session *s = NULL;
	for (unsigned i = 0; i < MEDIA_SESSIONS && !s; i++)
		if (st->sessions[i].state == SESSION_FREE)
			s = &st->sessions[i];
	if (!s)
		return MEDIA_EBUSY;
	uint32_t id = 1;
	while (session_of(st, id))
		id++;
	if (vdev_fault(dev, MEDIA_FAULT_SESSION_ID_REUSED))
		for (unsigned i = 0; i < MEDIA_SESSIONS; i++)
			if (st->sessions[i].state == SESSION_OPEN) {
				id = st->sessions[i].id; /* fault: the ID of a session still open */
				break;
			}
	memset(s, 0, sizeof(*s));
	s->state = SESSION_OPEN;
	s->id = id;
	media_put32(resp + MEDIA_HDR, id);
	*resp_len = MEDIA_OPEN_RESP;
	return 0;
}

static void close_session(struct vdev *dev, struct media_session *s)
{
	struct media_state *st = dev->state;
	if (vdev_fault(dev, MEDIA_FAULT_CLOSE_DROPS_MAPPINGS))
		for (unsigned i = 0; i < s->count; i++)
			if (s->bufs[i].slot >= 0)
				st->slots[s->bufs[i].slot].maps = 0; /* fault: the mappings go with the session */
	media_release_buffers(dev, s);
	memset(s, 0, sizeof(*s));
}

/* MMAP: the offset is a buffer's mem_offset (QUERYBUF); the mapping is its slot, len the buffer's length. */
static uint32_t mmap_buffer(struct vdev *dev, struct media_session *s, const uint8_t *cmd, uint8_t *resp,
			    size_t *resp_len)
{
	struct media_state *st = dev->state;
	uint32_t flags = media_get32(cmd + 12), offset = media_get32(cmd + 16);
	if (flags & ~MEDIA_MMAP_FLAG_RW)
		return MEDIA_EINVAL;
	for (unsigned i = 0; i < s->count; i++) {
		int slot = s->bufs[i].slot;
		if (slot < 0 || (uint32_t)slot * MEDIA_SLOT_BYTES != offset)
			continue;
		st->slots[slot].maps++;
		uint64_t len = MEDIA_FRAME_BYTES;
		if (vdev_fault(dev, MEDIA_FAULT_MMAP_LEN_PAGE_ROUNDED))
			len = (len + 4095) & ~4095ull; /* fault: the mapping's page-rounded size */
		media_put64(resp + MEDIA_HDR, offset);
		media_put64(resp + MEDIA_HDR + 8, len);
		*resp_len = MEDIA_MMAP_RESP;
		return 0;
	}
	return MEDIA_EINVAL;
}

/* MUNMAP: any mapping still valid, whether or not its buffer or session is gone. */
static uint32_t munmap_buffer(struct media_state *st, uint64_t addr)
{
	if (addr % MEDIA_SLOT_BYTES || addr / MEDIA_SLOT_BYTES >= MEDIA_SLOTS || !st->slots[addr / MEDIA_SLOT_BYTES].maps)
		return MEDIA_EINVAL;
	struct media_slot *slot = &st->slots[addr / MEDIA_SLOT_BYTES];
	if (!--slot->maps && !slot->owned)
		memset(slot->bytes, 0, sizeof(slot->bytes));
	return 0;
}

static uint32_t ioctl_command(struct vdev *dev, struct media_session *s, uint32_t code, struct virtq_chain *chain,
			      uint8_t *resp, size_t *resp_len)
{
	struct media_state *st = dev->state;
	uint8_t *in = st->in, *out = st->out;
	size_t in_len = chain->readable_bytes - MEDIA_IOCTL_CMD, out_len = chain->writable_bytes - MEDIA_HDR;
	if (in_len > sizeof(st->in))
		in_len = sizeof(st->in);
	if (out_len > sizeof(st->out))
		out_len = sizeof(st->out);
	memset(in, 0, sizeof(st->in));
	virtq_chain_read(chain, &dev->mem, MEDIA_IOCTL_CMD, in, in_len);
	uint32_t status = media_ioctl(dev, s, code, in, in_len, out, &out_len);
	if (!status && !vdev_fault(dev, MEDIA_FAULT_IOCTL_PAYLOAD_NOT_WRITTEN)) {
		memcpy(resp + MEDIA_HDR, out, out_len); /* V4L2 ioctls #1: the payload follows the header */
		*resp_len = MEDIA_HDR + out_len;
	}
	return status;
}

/* One command of the commandq; the response (header first) goes into resp, *resp_len bytes. */
static uint32_t command(struct vdev *dev, struct virtq_chain *chain, uint8_t *resp, size_t *resp_len)
{
	struct media_state *st = dev->state;
	uint8_t cmd[MEDIA_IOCTL_CMD + 8] = { 0 };
	virtq_chain_read(chain, &dev->mem, 0, cmd, sizeof(cmd));
	uint32_t type = media_get32(cmd);
	if (type == MEDIA_CMD_OPEN)
		return open_session(st, resp, resp_len, dev);
	if (type == MEDIA_CMD_MUNMAP)
		return chain->readable_bytes < MEDIA_MUNMAP_CMD ? MEDIA_EINVAL : munmap_buffer(st, media_get64(cmd + 8));
	if (type < MEDIA_CMD_CLOSE || type > MEDIA_CMD_MMAP)
		return MEDIA_ENOTTY;
	struct media_session *s = chain->readable_bytes < 12 ? NULL : session_of(st, media_get32(cmd + 8));
	if (!s)
		return MEDIA_EINVAL;
	if (type == MEDIA_CMD_CLOSE) {
		close_session(dev, s);
		return 0;
	}
	if (s->state == SESSION_ERRORED)
		return MEDIA_EIO;  /* Device-side error: every command on the session fails until CLOSE */
	if (type == MEDIA_CMD_MMAP)
		return chain->readable_bytes < MEDIA_MMAP_CMD ? MEDIA_EINVAL : mmap_buffer(dev, s, cmd, resp, resp_len);
	if (chain->readable_bytes < MEDIA_IOCTL_CMD)
		return MEDIA_EINVAL;
	return ioctl_command(dev, s, media_get32(cmd + 12), chain, resp, resp_len);
}

static void media_process(struct vdev *dev, unsigned queue)
{
	struct media_state *st = dev->state;
	uint8_t *resp = st->resp;
	struct virtq_chain *chain = &dev->scratch;
	while (queue == MEDIA_COMMANDQ && !(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       vdev_take(dev, MEDIA_COMMANDQ, chain) == VIRTQ_TAKEN) {
		if (chain->readable_bytes < MEDIA_HDR || chain->writable_bytes < MEDIA_HDR) {
			vdev_needs_reset(dev, "media command without header or room for the response header");
			break;
		}
		memset(resp, 0, sizeof(st->resp));
		size_t resp_len = MEDIA_HDR;
		uint32_t status = command(dev, chain, resp, &resp_len);
		if (status)
			resp_len = MEDIA_HDR;
		media_put32(resp, status);
		vdev_complete(dev, MEDIA_COMMANDQ, chain, (uint32_t)virtq_chain_write(chain, &dev->mem, 0, resp, resp_len));
	}
	if (queue == MEDIA_COMMANDQ)
		vdev_notify_used(dev, MEDIA_COMMANDQ);
	media_run_events(dev);
}

/* Shared memory region 0: the MMAP slots; a slot nobody holds or maps reads as zeros and ignores writes. */
static void media_shm_access(struct vdev *dev, uint64_t offset, void *buf, unsigned len, bool write)
{
	struct media_state *st = dev->state;
	uint8_t *bytes = buf;
	for (unsigned i = 0; i < len; i++, offset++) {
		struct media_slot *slot = &st->slots[offset / MEDIA_SLOT_BYTES];
		bool live = slot->owned || slot->maps;
		if (write && live)
			slot->bytes[offset % MEDIA_SLOT_BYTES] = bytes[i];
		else if (!write)
			bytes[i] = live ? slot->bytes[offset % MEDIA_SLOT_BYTES] : 0;
	}
}

const struct vdev_model model_media = {
	.name = "media",
	.device_id = MEDIA_DEVICE_ID,
	.faults = media_faults,
	.fault_count = MEDIA_FAULT_COUNT,
	.create = media_create,
	.destroy = media_destroy,
	.reset = media_reset,
	.process_queue = media_process,
	.shm_access = media_shm_access,
};
