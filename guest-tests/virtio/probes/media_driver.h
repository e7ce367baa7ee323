/* The media probe cases' driver side (VIRTIO 1.4 Device Types / Media Device): one session of commands, ioctls and events on the commandq and eventq. */
#ifndef PROBE_VIRTIO_MEDIA_DRIVER_H
#define PROBE_VIRTIO_MEDIA_DRIVER_H

#include "session.h"

#include "../../../reference-hv/devices/media_proto.h"

#define MEDIA_BUF_BYTES 1024

struct media {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint32_t caps;                       /* device_caps from the configuration */
	uint32_t used;                       /* used length of the last command */
	uint8_t *req, *resp;                 /* the last command and its response (MEDIA_BUF_BYTES each) */
};

/* The device (or a SKIP 'device absent'), reset with both queues enabled; false when the case cannot go on. */
bool media_open(struct media *m);
/* Resets the device unless the case never opened it. */
void media_close(struct media *m);
/* The V4L2 buffer type the device's capabilities name first (capture before output), 0 when none. */
uint32_t media_buffer_type(const struct media *m);
/* Sends m->req[0..out) with `in` device-writable bytes (pre-set to 0xcc); the response's status, -1 after a failed check. */
int64_t media_command(struct media *m, uint32_t out, uint32_t in, const char *what);
/* OPEN: the new session's ID, or -1 after a failed check (status or short response). */
int64_t media_session_open(struct media *m);
void media_session_close(struct media *m, uint32_t session);
/* An ioctl with payload_out bytes (already at m->req + MEDIA_IOCTL_CMD) and room for payload_in; its status or -1. */
int64_t media_ioctl(struct media *m, uint32_t session, uint32_t code, uint32_t payload_out, uint32_t payload_in,
		    const char *what);
/* REQBUFS of count buffers of type/memory; the count granted, or -1 (a failed check or an error status). */
int64_t media_reqbufs(struct media *m, uint32_t session, uint32_t type, uint32_t memory, uint32_t count);
/* Lays out a one-plane struct v4l2_buffer at the ioctl payload: index, type, memory, m.planes, plane length and m. */
void media_buffer_payload(struct media *m, uint32_t index, uint32_t type, uint32_t memory, uint64_t planes_ptr,
			  uint32_t plane_length, uint64_t plane_m);
/* Posts one eventq buffer of the largest event's size; false after a failed check. */
bool media_post_event(struct media *m);
/* Waits up to timeout_us for an event: 1 (copied into ev), 0 none, -1 a failed check. */
int media_wait_event(struct media *m, uint32_t timeout_us, uint8_t *ev);

static inline uint32_t media_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t media_le64(const uint8_t *p)
{
	return media_le32(p) | (uint64_t)media_le32(p + 4) << 32;
}
static inline void media_set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}
static inline void media_set64(uint8_t *p, uint64_t v)
{
	media_set32(p, (uint32_t)v);
	media_set32(p + 4, (uint32_t)(v >> 32));
}

#endif
