/* Media device statements (VIRTIO 1.4 Device Types / Media Device): session IDs, ioctl payloads, pointers kept, ENOTTY, MMAP buffers in shared memory, device-side errors. */
#include "media_driver.h"
#include "probe.h"

#include <string.h>

#define MEDIA_OP(s) "VIRTIO-1.4: Device Types / Media Device / Device Operation / " s
#define EVENT_WAIT_US 1000000
#define PLANES_MAGIC 0x5afe00c0ffee0000ull    /* a driver-side pointer value the device must hand back */
#define USERPTR_MAGIC 0x00007f5a5a5a1000ull
#define FD_MAGIC 0x5a5a1234u
#define NOT_RAM_IPA 0x100000ull               /* no DT memory node covers it (RAM starts at 0x40000000) */
#define SAMPLE_WORDS 16

static uint8_t pages[16384] __attribute__((aligned(4096)));
static uint8_t ev[MEDIA_EVT_DQBUF_BYTES] __attribute__((aligned(16)));

/* The buffer cases drive multi-planar buffers (the v4l2_buffer carries m.planes); other devices SKIP them. */
static bool mplane(struct media *m)
{
	if (media_buffer_type(m) == V4L2_BUF_TYPE_CAPTURE_MPLANE)
		return true;
	probe_skip("%s: device_caps 0x%x name no multi-planar capture type: the buffer cases use multi-planar buffers",
		   m->n, m->caps);
	return false;
}

/* The plane size G_FMT gives for the multi-planar capture type; 0 after a failed check. */
static uint32_t plane_size(struct media *m, uint32_t session)
{
	memset(m->req, 0, MEDIA_IOCTL_CMD + V4L2_FORMAT_BYTES);
	media_set32(m->req + MEDIA_IOCTL_CMD + V4L2_FORMAT_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	int64_t status = media_ioctl(m, session, VIDIOC_NR_G_FMT, V4L2_FORMAT_BYTES, V4L2_FORMAT_BYTES, "G_FMT");
	if (status < 0 || !probe_check(status == 0 && m->used >= MEDIA_HDR + V4L2_FORMAT_BYTES, "%s: G_FMT answered "
				       "status %lld, used length %u", m->n, (long long)status, m->used))
		return 0;
	return media_le32(m->resp + MEDIA_HDR + V4L2_FORMAT_FMT + V4L2_MP_SIZEIMAGE);
}

PROBE_CASE(media_open_ids, "virtio.media.session_ids_distinct",
	   AVPS_CHECKS("three OPEN commands in a row each answer status 0 with a session_id no other open session has"),
	   "AVPS.MEDIA.1", MEDIA_OP("Open device #1"))
static void media_open_ids(void)
{
	struct media m = { 0 };
	int64_t id[3];
	if (!media_open(&m))
		goto out;
	for (int i = 0; i < 3; i++) {
		if ((id[i] = media_session_open(&m)) < 0)
			goto out;
		for (int k = 0; k < i; k++)
			if (!probe_check(id[i] != id[k], "%s: OPEN #%d gave session_id %lld, which open session #%d has",
					 m.n, i + 1, (long long)id[i], k + 1))
				goto out;
	}
	probe_diag("%s: session IDs %lld, %lld, %lld", m.n, (long long)id[0], (long long)id[1], (long long)id[2]);
out:
	media_close(&m);
}

PROBE_CASE(media_payload_written, "virtio.media.ioctl_payload_written",
	   AVPS_CHECKS("VIDIOC_G_FMT (an _IOWR ioctl) for the device's first buffer type answers status 0 with the whole "
		       "struct v4l2_format written after the response header (used length 8 + 208, type as asked)"),
	   "AVPS.MEDIA.1", MEDIA_OP("V4L2 ioctls #1"))
static void media_payload_written(void)
{
	struct media m = { 0 };
	int64_t s;
	if (!media_open(&m) || (s = media_session_open(&m)) < 0)
		goto out;
	uint32_t type = media_buffer_type(&m);
	if (!type) {
		probe_skip("%s: device_caps 0x%x name no video capture or output type to ask G_FMT for", m.n, m.caps);
		goto out;
	}
	memset(m.req, 0, MEDIA_IOCTL_CMD + V4L2_FORMAT_BYTES);
	media_set32(m.req + MEDIA_IOCTL_CMD, type);
	int64_t status = media_ioctl(&m, (uint32_t)s, VIDIOC_NR_G_FMT, V4L2_FORMAT_BYTES, V4L2_FORMAT_BYTES, "G_FMT");
	if (status < 0 || !probe_check(status == 0, "%s: G_FMT for type %u (from device_caps 0x%x) answered %lld", m.n,
				       type, m.caps, (long long)status))
		goto out;
	probe_check(m.used == MEDIA_HDR + V4L2_FORMAT_BYTES && media_le32(m.resp + MEDIA_HDR) == type,
		    "%s: G_FMT succeeded but wrote %u bytes (expected 8 + 208), payload type 0x%x (expected %u): the "
		    "payload was not written", m.n, m.used, media_le32(m.resp + MEDIA_HDR), type);
out:
	media_close(&m);
}

PROBE_CASE(media_unsupported, "virtio.media.unsupported_ioctls_enotty",
	   AVPS_CHECKS("VIDIOC_QUERYCAP, VIDIOC_DQBUF, VIDIOC_DQEVENT and VIDIOC_LOG_STATUS (replaced or driver-only in "
		       "virtio-media) and an ioctl code V4L2 does not define (250) are each answered ENOTTY"),
	   "AVPS.MEDIA.1", MEDIA_OP("Unsupported ioctls #1"))
static void media_unsupported(void)
{
	static const struct { uint32_t code; const char *name; } ioctls[] = {
		{ VIDIOC_NR_QUERYCAP, "QUERYCAP" }, { VIDIOC_NR_DQBUF, "DQBUF" }, { VIDIOC_NR_DQEVENT, "DQEVENT" },
		{ VIDIOC_NR_LOG_STATUS, "LOG_STATUS" }, { 250, "code 250" } };
	struct media m = { 0 };
	int64_t s;
	if (!media_open(&m) || (s = media_session_open(&m)) < 0)
		goto out;
	for (unsigned i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		memset(m.req, 0, MEDIA_IOCTL_CMD + 128);
		int64_t status = media_ioctl(&m, (uint32_t)s, ioctls[i].code, 128, 128, ioctls[i].name);
		if (status < 0 || !probe_check(status == MEDIA_ENOTTY, "%s: %s answered %lld, expected ENOTTY (%d)", m.n,
					       ioctls[i].name, (long long)status, MEDIA_ENOTTY))
			break;
	}
out:
	media_close(&m);
}

PROBE_CASE(media_planes_pointer, "virtio.media.planes_pointer_returned",
	   AVPS_CHECKS("VIDIOC_QUERYBUF of an MMAP buffer with m.planes = 0x5afe00c0ffee0000 and one struct v4l2_plane "
		       "after the v4l2_buffer answers 0 with m.planes still 0x5afe00c0ffee0000"),
	   "AVPS.MEDIA.1", MEDIA_OP("Pointers in V4l2 ioctls #1"))
static void media_planes_pointer(void)
{
	struct media m = { 0 };
	int64_t s;
	if (!media_open(&m) || !mplane(&m) || (s = media_session_open(&m)) < 0 ||
	    media_reqbufs(&m, (uint32_t)s, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_MMAP, 1) < 1)
		goto out;
	uint32_t len = V4L2_BUFFER_BYTES + V4L2_PLANE_BYTES;
	media_buffer_payload(&m, 0, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_MMAP, PLANES_MAGIC, 0, 0);
	int64_t status = media_ioctl(&m, (uint32_t)s, VIDIOC_NR_QUERYBUF, len, len, "QUERYBUF");
	if (status < 0 || !probe_check(status == 0 && m.used >= MEDIA_HDR + V4L2_BUFFER_BYTES, "%s: QUERYBUF answered "
				       "%lld, used length %u", m.n, (long long)status, m.used))
		goto out;
	uint64_t back = media_le64(m.resp + MEDIA_HDR + V4L2_BUF_M);
	probe_check(back == PLANES_MAGIC, "%s: QUERYBUF returned m.planes 0x%llx, the driver passed 0x%llx", m.n,
		    (unsigned long long)back, PLANES_MAGIC);
out:
	media_close(&m);
}

/* REQBUFS of one MMAP buffer, then QUERYBUF: its plane length and mem_offset; false after a failed check. */
static bool mmap_buffer(struct media *m, uint32_t session, uint32_t *length, uint32_t *offset)
{
	if (media_reqbufs(m, session, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_MMAP, 1) < 1)
		return false;
	uint32_t len = V4L2_BUFFER_BYTES + V4L2_PLANE_BYTES;
	media_buffer_payload(m, 0, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_MMAP, (uintptr_t)pages, 0, 0);
	int64_t status = media_ioctl(m, session, VIDIOC_NR_QUERYBUF, len, len, "QUERYBUF");
	if (status < 0 || !probe_check(status == 0 && m->used >= MEDIA_HDR + len, "%s: QUERYBUF answered %lld, used "
				       "length %u", m->n, (long long)status, m->used))
		return false;
	*length = media_le32(m->resp + MEDIA_HDR + V4L2_BUFFER_BYTES + V4L2_PLANE_LENGTH);
	*offset = media_le32(m->resp + MEDIA_HDR + V4L2_BUFFER_BYTES + V4L2_PLANE_M);
	return true;
}

/* MMAP of the plane at offset: status, with driver_addr and len. */
static int64_t mmap_command(struct media *m, uint32_t session, uint32_t offset, uint64_t *addr, uint64_t *len)
{
	memset(m->req, 0, MEDIA_MMAP_CMD);
	media_set32(m->req, MEDIA_CMD_MMAP);
	media_set32(m->req + 8, session);
	media_set32(m->req + 16, offset);
	int64_t status = media_command(m, MEDIA_MMAP_CMD, MEDIA_MMAP_RESP, "MMAP");
	if (status == 0 && !probe_check(m->used >= MEDIA_MMAP_RESP, "%s: MMAP answered 0 in %u bytes", m->n, m->used))
		return -1;
	*addr = media_le64(m->resp + MEDIA_HDR);
	*len = media_le64(m->resp + MEDIA_HDR + 8);
	return status;
}

PROBE_CASE(media_mmap_len, "virtio.media.mmap_len_is_buffer_length",
	   AVPS_CHECKS("MMAP of a one-plane MMAP buffer's mem_offset (from QUERYBUF) answers 0 with len equal to the "
		       "plane's length"),
	   "AVPS.MEDIA.1", MEDIA_OP("Mapping a MMAP buffer #1"))
static void media_mmap_len(void)
{
	struct media m = { 0 };
	int64_t s;
	uint32_t length, offset;
	uint64_t addr, len;
	if (!media_open(&m) || !mplane(&m) || (s = media_session_open(&m)) < 0 ||
	    !mmap_buffer(&m, (uint32_t)s, &length, &offset))
		goto out;
	int64_t status = mmap_command(&m, (uint32_t)s, offset, &addr, &len);
	if (status < 0 || !probe_check(status == 0, "%s: MMAP of mem_offset 0x%x answered %lld", m.n, offset,
				       (long long)status))
		goto out;
	probe_check(len == length, "%s: MMAP answered len %llu for a buffer of length %u", m.n, (unsigned long long)len,
		    length);
out:
	media_close(&m);
}

/* Shared memory region 0's base, or ~0 after a failed check. */
static uint64_t shm_base(struct media *m, uint64_t addr, uint64_t len)
{
	vmmio_write(m->s.t, VMMIO_SHM_SEL, MEDIA_SHM_MMAP);
	uint64_t size = (uint64_t)vmmio_read(m->s.t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(m->s.t, VMMIO_SHM_LEN_LOW);
	uint64_t base = (uint64_t)vmmio_read(m->s.t, VMMIO_SHM_BASE_HIGH) << 32 | vmmio_read(m->s.t, VMMIO_SHM_BASE_LOW);
	if (!probe_check(size != ~0ull && addr + len <= size, "%s: the mapping 0x%llx+0x%llx is not inside shared memory "
			 "region 0 (length 0x%llx)", m->n, (unsigned long long)addr, (unsigned long long)len,
			 (unsigned long long)size))
		return ~0ull;
	return base;
}

static void sample(uint64_t at, uint64_t len, uint32_t *words)
{
	for (unsigned i = 0; i < SAMPLE_WORDS; i++)
		words[i] = *(volatile uint32_t *)(uintptr_t)(at + (len / 4 / SAMPLE_WORDS * i) * 4);
}

/* QBUF of MMAP buffer 0, STREAMON, and its DQBUF event; false after a failed check. */
static bool capture_one(struct media *m, uint32_t session)
{
	uint32_t len = V4L2_BUFFER_BYTES + V4L2_PLANE_BYTES;
	if (!media_post_event(m))
		return false;
	media_buffer_payload(m, 0, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_MMAP, (uintptr_t)pages, 0, 0);
	int64_t q = media_ioctl(m, session, VIDIOC_NR_QBUF, len, len, "QBUF");
	media_set32(m->req + MEDIA_IOCTL_CMD, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	int64_t on = q == 0 ? media_ioctl(m, session, VIDIOC_NR_STREAMON, 4, 0, "STREAMON") : -1;
	if (q < 0 || on < 0 || !probe_check(q == 0 && on == 0, "%s: QBUF answered %lld, STREAMON %lld", m->n,
					    (long long)q, (long long)on))
		return false;
	int got = media_wait_event(m, EVENT_WAIT_US, ev);
	return got >= 0 && probe_check(got == 1 && media_le32(ev) == MEDIA_EVT_DQBUF, "%s: no DQBUF event within 1 s of "
				       "STREAMON (event %d, type %u)", m->n, got, got == 1 ? media_le32(ev) : 0);
}

PROBE_CASE(media_mapping_kept, "virtio.media.mapping_valid_until_munmap",
	   AVPS_CHECKS("an MMAP mapping of a captured buffer reads the same bytes in shared memory region 0 after the "
		       "session is closed, and MUNMAP of its driver_addr then answers 0"),
	   "AVPS.MEDIA.1", MEDIA_OP("Unmapping a MMAP buffer #1"))
static void media_mapping_kept(void)
{
	struct media m = { 0 };
	int64_t s;
	uint32_t length, offset, before[SAMPLE_WORDS], after[SAMPLE_WORDS];
	uint64_t addr, len, base;
	if (!media_open(&m) || !mplane(&m) || (s = media_session_open(&m)) < 0 ||
	    !mmap_buffer(&m, (uint32_t)s, &length, &offset))
		goto out;
	int64_t status = mmap_command(&m, (uint32_t)s, offset, &addr, &len);
	if (status < 0 || !probe_check(status == 0, "%s: MMAP answered %lld", m.n, (long long)status) ||
	    (base = shm_base(&m, addr, length)) == ~0ull || !capture_one(&m, (uint32_t)s))
		goto out;
	sample(base + addr, length, before);
	bool blank = true;
	for (unsigned i = 0; i < SAMPLE_WORDS; i++)
		blank &= before[i] == 0;
	if (blank)
		probe_diag("%s: the captured frame samples as zeros: only MUNMAP tells whether the mapping stayed", m.n);
	media_session_close(&m, (uint32_t)s);
	sample(base + addr, length, after);
	for (unsigned i = 0; i < SAMPLE_WORDS; i++)
		if (!probe_check(after[i] == before[i], "%s: after CLOSE, word %u of the mapping reads 0x%x (0x%x before): "
				 "the mapping did not stay valid", m.n, i, after[i], before[i]))
			goto out;
	memset(m.req, 0, MEDIA_MUNMAP_CMD);
	media_set32(m.req, MEDIA_CMD_MUNMAP);
	media_set64(m.req + 8, addr);
	status = media_command(&m, MEDIA_MUNMAP_CMD, MEDIA_HDR, "MUNMAP");
	if (status >= 0)
		probe_check(status == 0, "%s: MUNMAP of driver_addr 0x%llx after CLOSE answered %lld: the mapping was "
			    "dropped with its session", m.n, (unsigned long long)addr, (long long)status);
out:
	media_close(&m);
}

PROBE_CASE(media_userptr, "virtio.media.shared_pages_userptr_returned",
	   AVPS_CHECKS("VIDIOC_QBUF of a SHARED_PAGES buffer (plane m.userptr = 0x7f5a5a5a1000, SG entries after the "
		       "plane) answers 0 with the plane's m.userptr unchanged"),
	   "AVPS.MEDIA.1", MEDIA_OP("Shared Pages #1"), MEDIA_OP("Shared Pages #2"))
static void media_userptr(void)
{
	struct media m = { 0 };
	int64_t s;
	uint32_t size;
	if (!media_open(&m) || !mplane(&m) || (s = media_session_open(&m)) < 0 || !(size = plane_size(&m, (uint32_t)s)) ||
	    media_reqbufs(&m, (uint32_t)s, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_USERPTR, 1) < 1)
		goto out;
	if (size > sizeof(pages)) {
		probe_skip("%s: a plane of %u bytes is larger than the probe's %u-byte pages", m.n, size,
			   (unsigned)sizeof(pages));
		goto out;
	}
	uint32_t len = V4L2_BUFFER_BYTES + V4L2_PLANE_BYTES;
	media_buffer_payload(&m, 0, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_USERPTR, (uintptr_t)pages, size, USERPTR_MAGIC);
	uint8_t *sg = m.req + MEDIA_IOCTL_CMD + len;
	uint32_t first = size > 4096 ? 4096 : size;     /* two entries: the list is walked, not just its head */
	media_set64(sg, (uintptr_t)pages);
	media_set32(sg + 8, first);
	media_set64(sg + MEDIA_SG_ENTRY, (uintptr_t)pages + first);
	media_set32(sg + MEDIA_SG_ENTRY + 8, size - first);
	int64_t status = media_ioctl(&m, (uint32_t)s, VIDIOC_NR_QBUF, len + 2 * MEDIA_SG_ENTRY, len, "QBUF");
	if (status < 0 || !probe_check(status == 0 && m.used >= MEDIA_HDR + len, "%s: QBUF of a SHARED_PAGES buffer "
				       "answered %lld, used length %u", m.n, (long long)status, m.used))
		goto out;
	uint64_t back = media_le64(m.resp + MEDIA_HDR + V4L2_BUFFER_BYTES + V4L2_PLANE_M);
	probe_check(back == USERPTR_MAGIC, "%s: QBUF returned plane m.userptr 0x%llx, the driver passed 0x%llx", m.n,
		    (unsigned long long)back, USERPTR_MAGIC);
out:
	media_close(&m);
}

PROBE_CASE(media_expbuf_fd, "virtio.media.expbuf_fd_placeholder_kept",
	   AVPS_CHECKS("VIDIOC_EXPBUF of an MMAP buffer (fd placeholder 0x5a5a1234, room for the UUID after the "
		       "structure) answers 0 with fd still 0x5a5a1234; a device that exports no buffers SKIPs"),
	   "AVPS.MEDIA.1", MEDIA_OP("Virtio Object #1"))
static void media_expbuf_fd(void)
{
	struct media m = { 0 };
	int64_t s;
	if (!media_open(&m) || !mplane(&m) || (s = media_session_open(&m)) < 0 ||
	    media_reqbufs(&m, (uint32_t)s, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_MMAP, 1) < 1)
		goto out;
	uint32_t len = V4L2_EXPBUF_BYTES + MEDIA_UUID;
	memset(m.req, 0, MEDIA_IOCTL_CMD + len);
	media_set32(m.req + MEDIA_IOCTL_CMD + V4L2_EXPBUF_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	media_set32(m.req + MEDIA_IOCTL_CMD + V4L2_EXPBUF_FD, FD_MAGIC);
	int64_t status = media_ioctl(&m, (uint32_t)s, VIDIOC_NR_EXPBUF, len, len, "EXPBUF");
	if (status == MEDIA_ENOTTY || status == MEDIA_EINVAL) {
		probe_skip("%s: EXPBUF answered %lld: the device exports no buffers as virtio objects", m.n, (long long)status);
		goto out;
	}
	if (status < 0 || !probe_check(status == 0 && m.used >= MEDIA_HDR + V4L2_EXPBUF_BYTES, "%s: EXPBUF answered "
				       "%lld, used length %u", m.n, (long long)status, m.used))
		goto out;
	uint32_t fd = media_le32(m.resp + MEDIA_HDR + V4L2_EXPBUF_FD);
	probe_check(fd == FD_MAGIC, "%s: EXPBUF returned fd 0x%x, the driver's placeholder was 0x%x", m.n, fd, FD_MAGIC);
out:
	media_close(&m);
}

PROBE_CASE(media_error_id, "virtio.media.errored_session_id_not_recycled",
	   AVPS_CHECKS("a SHARED_PAGES buffer whose SG entry points where the DT has no memory, queued and streamed, "
		       "draws an ERROR event for its session; an OPEN before that session's CLOSE gets another ID; a "
		       "device that delivers the frame instead SKIPs"),
	   "AVPS.MEDIA.1", MEDIA_OP("Device-side error #1"))
static void media_error_id(void)
{
	struct media m = { 0 };
	int64_t s, other;
	uint32_t size;
	if (!media_open(&m) || !mplane(&m) || (s = media_session_open(&m)) < 0 || !(size = plane_size(&m, (uint32_t)s)) ||
	    media_reqbufs(&m, (uint32_t)s, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_USERPTR, 1) < 1 || !media_post_event(&m))
		goto out;
	uint32_t len = V4L2_BUFFER_BYTES + V4L2_PLANE_BYTES;
	media_buffer_payload(&m, 0, V4L2_BUF_TYPE_CAPTURE_MPLANE, V4L2_MEM_USERPTR, (uintptr_t)pages, size, USERPTR_MAGIC);
	media_set64(m.req + MEDIA_IOCTL_CMD + len, NOT_RAM_IPA);
	media_set32(m.req + MEDIA_IOCTL_CMD + len + 8, size);
	int64_t q = media_ioctl(&m, (uint32_t)s, VIDIOC_NR_QBUF, len + MEDIA_SG_ENTRY, len, "QBUF");
	if (q != 0) {
		if (q > 0)
			probe_skip("%s: QBUF of pages outside RAM answered %lld: refused up front, no session error", m.n,
				   (long long)q);
		goto out;
	}
	media_set32(m.req + MEDIA_IOCTL_CMD, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	int64_t on = media_ioctl(&m, (uint32_t)s, VIDIOC_NR_STREAMON, 4, 0, "STREAMON");
	int got = on == 0 ? media_wait_event(&m, EVENT_WAIT_US, ev) : 0;
	if (on < 0 || got < 0)
		goto out;
	if (on != 0 || got == 0 || media_le32(ev) != MEDIA_EVT_ERROR) {
		probe_skip("%s: no ERROR event for pages outside RAM (STREAMON %lld, event %s): no session error to observe",
			   m.n, (long long)on, got ? "other than ERROR" : "none");
		goto out;
	}
	if (!probe_check(media_le32(ev + 4) == (uint32_t)s, "%s: ERROR event for session %u, the failing one is %lld",
			 m.n, media_le32(ev + 4), (long long)s) ||
	    (other = media_session_open(&m)) < 0)
		goto out;
	probe_check(other != s, "%s: OPEN after the ERROR event, before CLOSE, gave the errored session's ID %lld", m.n,
		    (long long)s);
	probe_diag("%s: errored session %lld (errno %u), new session %lld", m.n, (long long)s, media_le32(ev + 8),
		   (long long)other);
out:
	media_close(&m);
}
