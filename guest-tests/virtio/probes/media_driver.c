/* The media probe cases' driver side: commands and ioctls on the commandq, events on the eventq, one device reset per case. */
#include "media_driver.h"

#include "probe.h"

#include <string.h>

#define V4L2_CAP_VIDEO_CAPTURE 0x1u
#define V4L2_CAP_VIDEO_OUTPUT 0x2u
#define V4L2_CAP_VIDEO_OUTPUT_MPLANE 0x2000u
#define V4L2_CAP_VIDEO_M2M_MPLANE 0x4000u
#define V4L2_CAP_VIDEO_M2M 0x8000u

static uint8_t req_buf[MEDIA_BUF_BYTES] __attribute__((aligned(16)));
static uint8_t resp_buf[MEDIA_BUF_BYTES] __attribute__((aligned(16)));
static uint8_t event_buf[MEDIA_EVT_DQBUF_BYTES] __attribute__((aligned(16)));

bool media_open(struct media *m)
{
	m->d = vdev_find(MEDIA_DEVICE_ID);
	if (!m->d) {
		probe_skip("device absent: no media device (DeviceID %u) on a version-2 virtio-mmio transport",
			   MEDIA_DEVICE_ID);
		return false;
	}
	m->n = vdev_name(m->d);
	m->req = req_buf;
	m->resp = resp_buf;
	if (!vs_open(&m->s, m->d, 0, 2, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return false;
	m->caps = (uint32_t)vmmio_config(m->s.t, MEDIA_CFG_DEVICE_CAPS, 4);
	return true;
}

void media_close(struct media *m)
{
	if (m->s.t)
		vs_close(&m->s);
}

uint32_t media_buffer_type(const struct media *m)
{
	if (m->caps & (V4L2_CAPS_CAPTURE_MPLANE | V4L2_CAP_VIDEO_M2M_MPLANE))
		return V4L2_BUF_TYPE_CAPTURE_MPLANE;
	if (m->caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_M2M))
		return 1;   /* V4L2_BUF_TYPE_VIDEO_CAPTURE */
	if (m->caps & V4L2_CAP_VIDEO_OUTPUT_MPLANE)
		return 10;  /* V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE */
	return m->caps & V4L2_CAP_VIDEO_OUTPUT ? 2 : 0;
}

int64_t media_command(struct media *m, uint32_t out, uint32_t in, const char *what)
{
	struct virtq_used u;
	memset(m->resp, 0xcc, in);
	struct vbuf e[2] = { { m->req, out, false }, { m->resp, in, true } };
	if (!vs_call(&m->s, MEDIA_COMMANDQ, e, 2, VIRTQ_CHAIN_DIRECT, &u, what) ||
	    !probe_check(u.len >= MEDIA_HDR, "%s: %s used length %u: no response header", m->n, what, u.len))
		return -1;
	m->used = u.len;
	return media_le32(m->resp);
}

int64_t media_session_open(struct media *m)
{
	memset(m->req, 0, MEDIA_HDR);
	media_set32(m->req, MEDIA_CMD_OPEN);
	int64_t status = media_command(m, MEDIA_HDR, MEDIA_OPEN_RESP, "OPEN");
	if (status < 0 || !probe_check(status == 0 && m->used >= MEDIA_OPEN_RESP, "%s: OPEN answered status %lld, used "
				       "length %u", m->n, (long long)status, m->used))
		return -1;
	return media_le32(m->resp + MEDIA_HDR);
}

void media_session_close(struct media *m, uint32_t session)
{
	memset(m->req, 0, MEDIA_CLOSE_CMD);
	media_set32(m->req, MEDIA_CMD_CLOSE);
	media_set32(m->req + 8, session);
	media_command(m, MEDIA_CLOSE_CMD, MEDIA_HDR, "CLOSE");
}

int64_t media_ioctl(struct media *m, uint32_t session, uint32_t code, uint32_t payload_out, uint32_t payload_in,
		    const char *what)
{
	media_set32(m->req, MEDIA_CMD_IOCTL);
	media_set32(m->req + 4, 0);
	media_set32(m->req + 8, session);
	media_set32(m->req + 12, code);
	return media_command(m, MEDIA_IOCTL_CMD + payload_out, MEDIA_HDR + payload_in, what);
}

int64_t media_reqbufs(struct media *m, uint32_t session, uint32_t type, uint32_t memory, uint32_t count)
{
	uint8_t *p = m->req + MEDIA_IOCTL_CMD;
	memset(m->req, 0, MEDIA_IOCTL_CMD + V4L2_REQBUFS_BYTES);
	media_set32(p + V4L2_REQBUFS_COUNT, count);
	media_set32(p + V4L2_REQBUFS_TYPE, type);
	media_set32(p + V4L2_REQBUFS_MEMORY, memory);
	int64_t status = media_ioctl(m, session, VIDIOC_NR_REQBUFS, V4L2_REQBUFS_BYTES, V4L2_REQBUFS_BYTES, "REQBUFS");
	if (status < 0 || !probe_check(status == 0 && m->used >= MEDIA_HDR + V4L2_REQBUFS_BYTES, "%s: REQBUFS of %u "
				       "buffers (memory %u) answered status %lld", m->n, count, memory, (long long)status))
		return -1;
	return media_le32(m->resp + MEDIA_HDR + V4L2_REQBUFS_COUNT);
}

void media_buffer_payload(struct media *m, uint32_t index, uint32_t type, uint32_t memory, uint64_t planes_ptr,
			  uint32_t plane_length, uint64_t plane_m)
{
	uint8_t *b = m->req + MEDIA_IOCTL_CMD, *plane = b + V4L2_BUFFER_BYTES;
	memset(m->req, 0, MEDIA_IOCTL_CMD + V4L2_BUFFER_BYTES + V4L2_PLANE_BYTES);
	media_set32(b + V4L2_BUF_INDEX, index);
	media_set32(b + V4L2_BUF_TYPE, type);
	media_set32(b + V4L2_BUF_MEMORY, memory);
	media_set64(b + V4L2_BUF_M, planes_ptr);
	media_set32(b + V4L2_BUF_LENGTH, 1);
	media_set32(plane + V4L2_PLANE_LENGTH, plane_length);
	media_set64(plane + V4L2_PLANE_M, plane_m);
}

bool media_post_event(struct media *m)
{
	uint16_t id;
	memset(event_buf, 0xcc, sizeof(event_buf));
	struct vbuf e = { event_buf, sizeof(event_buf), true };
	enum virtq_result r = vmmio_post(m->s.t, &m->s.q[MEDIA_EVENTQ], &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	return probe_check(r == VIRTQ_OK, "%s: eventq buffer not posted: %s", m->n, virtq_result_name(r));
}

int media_wait_event(struct media *m, uint32_t timeout_us, uint8_t *ev)
{
	struct virtq_used u;
	enum virtq_result r = vmmio_wait_used(m->s.t, &m->s.q[MEDIA_EVENTQ], timeout_us, &u);
	if (r == VIRTQ_EMPTY && !(vmmio_status(m->s.t) & VIRTIO_STATUS_NEEDS_RESET))
		return 0;
	if (!vdev_used_ok(m->d, r, &u, "media event") ||
	    !probe_check(u.len >= 8, "%s: event of %u bytes: no event header", m->n, u.len))
		return -1;
	memcpy(ev, event_buf, sizeof(event_buf));
	return 1;
}
