/* The media device model's state, shared by its command side (model_media.c) and its V4L2 side (model_media_v4l2.c). */
#ifndef AVPS_DEVICES_MODEL_MEDIA_H
#define AVPS_DEVICES_MODEL_MEDIA_H

#include "media_proto.h"
#include "virtio_device.h"

#define MEDIA_SESSIONS 4
#define MEDIA_BUFFERS 4                 /* per session */
#define MEDIA_SLOTS 16                  /* MMAP buffers the device can hold at once */
#define MEDIA_SLOT_BYTES 8192u          /* each at slot * MEDIA_SLOT_BYTES in shared memory region 0 */
#define MEDIA_SHM_BYTES (MEDIA_SLOTS * MEDIA_SLOT_BYTES)
#define MEDIA_WIDTH 64
#define MEDIA_HEIGHT 48
#define MEDIA_BYTESPERLINE (MEDIA_WIDTH * 2)                   /* YUYV */
#define MEDIA_FRAME_BYTES (MEDIA_BYTESPERLINE * MEDIA_HEIGHT)  /* 6144: not a whole number of pages */
#define MEDIA_SG_MAX 8
#define MEDIA_PAYLOAD_MAX (V4L2_BUFFER_BYTES + MEDIA_MAX_PLANES * V4L2_PLANE_BYTES + MEDIA_SG_MAX * MEDIA_SG_ENTRY)

enum media_fault {
	MEDIA_FAULT_SESSION_ID_REUSED,
	MEDIA_FAULT_IOCTL_PAYLOAD_NOT_WRITTEN,
	MEDIA_FAULT_PLANES_POINTER_CLEARED,
	MEDIA_FAULT_UNSUPPORTED_IOCTL_EINVAL,
	MEDIA_FAULT_MMAP_LEN_PAGE_ROUNDED,
	MEDIA_FAULT_CLOSE_DROPS_MAPPINGS,
	MEDIA_FAULT_USERPTR_REWRITTEN,
	MEDIA_FAULT_EXPBUF_FD_WRITTEN,
	MEDIA_FAULT_ERRORED_SESSION_ID_RECYCLED,
	MEDIA_FAULT_COUNT,
};

struct media_sg {
	uint64_t start;
	uint32_t len;
};

struct media_buffer {
	int slot;                       /* MMAP: its slot; -1 otherwise */
	bool queued;
	uint32_t queued_order;          /* buffers are filled in the order they were queued */
	uint64_t userptr;               /* SHARED_PAGES: as the driver passed it (never used as an address) */
	struct media_sg sg[MEDIA_SG_MAX];
	unsigned sg_count;
};

enum media_session_state { SESSION_FREE, SESSION_OPEN, SESSION_ERRORED };

struct media_session {
	enum media_session_state state;
	uint32_t id;
	uint32_t memory;                /* of the buffers requested; 0 when none */
	unsigned count;
	struct media_buffer bufs[MEDIA_BUFFERS];
	bool streaming;
	uint32_t sequence, next_order;
};

struct media_slot {
	bool owned;                     /* a buffer of an open session holds it */
	unsigned maps;                  /* MMAP mappings not yet MUNMAPped */
	uint8_t bytes[MEDIA_SLOT_BYTES];
};

struct media_state {
	struct media_session sessions[MEDIA_SESSIONS];
	struct media_slot slots[MEDIA_SLOTS];
	struct virtq_chain ev_chain;
	struct virtq_segment ev_segments[VIRTQ_MAX_SEGMENTS];
	uint8_t in[MEDIA_PAYLOAD_MAX], out[MEDIA_PAYLOAD_MAX];   /* one ioctl's payloads */
	uint8_t resp[MEDIA_HDR + MEDIA_PAYLOAD_MAX];
	uint8_t event[MEDIA_EVT_DQBUF_BYTES];
};

/* One ioctl: payload in (in_len bytes read from the chain), payload out (*out_len bytes); returns the status. */
uint32_t media_ioctl(struct vdev *dev, struct media_session *s, uint32_t code, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t *out_len);
/* Fills queued buffers of streaming sessions, each answered by a DQBUF event (ERROR when the frame cannot be
 * written), while the eventq has buffers. */
void media_run_events(struct vdev *dev);
/* Releases a session's buffers (REQBUFS 0, CLOSE): an MMAP slot stays while it is mapped. */
void media_release_buffers(struct vdev *dev, struct media_session *s);
void media_slot_release(struct media_state *st, int slot);

static inline uint32_t media_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t media_get64(const uint8_t *p)
{
	return media_get32(p) | (uint64_t)media_get32(p + 4) << 32;
}
static inline void media_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}
static inline void media_put64(uint8_t *p, uint64_t v)
{
	media_put32(p, (uint32_t)v);
	media_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
