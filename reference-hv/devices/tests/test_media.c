/* Host unit tests of the media model: sessions, V4L2 ioctls, MMAP buffers in shared memory, SHARED_PAGES capture, events, and its faults. */
#include "../media_proto.h"
#include "host_driver.h"
#include "unit_check.h"

#define FRAME 6144u

static uint8_t req[1024], resp[1024];
static uint32_t resp_used;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Sends req[0..out) on the commandq with `in` writable bytes (pre-set to 0xcc); the status, or ~0u when unused. */
static uint32_t call(struct test_driver *td, uint32_t out, uint32_t in)
{
	uint64_t r = td_alloc(td, out), w = td_alloc(td, in);
	memcpy(td_host(td, r), req, out);
	memset(td_host(td, w), 0xcc, in);
	struct td_buffer b[2] = { { r, out, false }, { w, in, true } };
	td_submit(td, MEDIA_COMMANDQ, b, 2);
	uint16_t id;
	if (!td_used(td, MEDIA_COMMANDQ, &id, &resp_used))
		return ~0u;
	memcpy(resp, td_host(td, w), in);
	return get32(resp);
}

static uint32_t open_session(struct test_driver *td)
{
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_OPEN);
	return call(td, 8, MEDIA_OPEN_RESP) == 0 ? get32(resp + 8) : 0;
}

static void close_session(struct test_driver *td, uint32_t id)
{
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_CLOSE);
	put32(req + 8, id);
	call(td, MEDIA_CLOSE_CMD, MEDIA_HDR);
}

/* An ioctl whose payload (payload_len bytes, already at req + 16) goes both ways; the status. */
static uint32_t ioctl(struct test_driver *td, uint32_t session, uint32_t code, uint32_t payload_out, uint32_t payload_in)
{
	put32(req, MEDIA_CMD_IOCTL);
	put32(req + 4, 0);
	put32(req + 8, session);
	put32(req + 12, code);
	return call(td, MEDIA_IOCTL_CMD + payload_out, MEDIA_HDR + payload_in);
}

static uint32_t reqbufs(struct test_driver *td, uint32_t s, uint32_t count, uint32_t memory)
{
	memset(req, 0, sizeof(req));
	put32(req + 16 + V4L2_REQBUFS_COUNT, count);
	put32(req + 16 + V4L2_REQBUFS_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	put32(req + 16 + V4L2_REQBUFS_MEMORY, memory);
	return ioctl(td, s, VIDIOC_NR_REQBUFS, V4L2_REQBUFS_BYTES, V4L2_REQBUFS_BYTES);
}

/* A v4l2_buffer with one plane at req + 16 (m.planes = 0xfeed0000 + index). */
static void buffer_payload(uint32_t index, uint32_t memory, uint64_t userptr)
{
	memset(req, 0, sizeof(req));
	uint8_t *b = req + 16, *p = b + V4L2_BUFFER_BYTES;
	put32(b + V4L2_BUF_INDEX, index);
	put32(b + V4L2_BUF_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	put32(b + V4L2_BUF_MEMORY, memory);
	put64(b + V4L2_BUF_M, 0xfeed0000u + index);
	put32(b + V4L2_BUF_LENGTH, 1);
	put32(p + V4L2_PLANE_LENGTH, FRAME);
	put64(p + V4L2_PLANE_M, userptr);
}

static uint32_t stream(struct test_driver *td, uint32_t s, bool on)
{
	put32(req + 16, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	return ioctl(td, s, on ? VIDIOC_NR_STREAMON : VIDIOC_NR_STREAMOFF, 4, 0);
}

static uint64_t post_event(struct test_driver *td)
{
	uint64_t e = td_alloc(td, MEDIA_EVT_DQBUF_BYTES);
	memset(td_host(td, e), 0xcc, MEDIA_EVT_DQBUF_BYTES);
	struct td_buffer b = { e, MEDIA_EVT_DQBUF_BYTES, true };
	td_submit(td, MEDIA_EVENTQ, &b, 1);
	return e;
}

static bool event(struct test_driver *td, uint64_t e, uint8_t *out)
{
	uint16_t id;
	uint32_t len;
	if (!td_used(td, MEDIA_EVENTQ, &id, &len))
		return false;
	memcpy(out, td_host(td, e), len);
	return true;
}

static uint8_t shm_byte(struct test_driver *td, uint64_t offset)
{
	uint8_t b;
	td->dev.model->shm_access(&td->dev, offset, &b, 1, false);
	return b;
}

static void sessions_and_ioctls(void)
{
	struct test_driver td;
	td_start(&td, "media", "", ~0ULL, false);
	uint32_t caps;
	vdev_read_config(&td.dev, MEDIA_CFG_DEVICE_CAPS, &caps, 4);
	CHECK(caps == (V4L2_CAPS_CAPTURE_MPLANE | V4L2_CAPS_STREAMING) && td.dev.shm_size == 16 * 8192, "config_and_shm");
	uint32_t a = open_session(&td), b = open_session(&td);
	CHECK(a && b && a != b, "open_gives_distinct_ids");
	memset(req, 0, sizeof(req));
	put32(req + 16, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	CHECK(ioctl(&td, a, VIDIOC_NR_G_FMT, V4L2_FORMAT_BYTES, V4L2_FORMAT_BYTES) == 0 &&
	      resp_used == 8 + V4L2_FORMAT_BYTES && get32(resp + 8 + V4L2_FORMAT_FMT + V4L2_MP_SIZEIMAGE) == FRAME,
	      "g_fmt_writes_payload");
	memset(req, 0, sizeof(req));
	put32(req + 16 + V4L2_FMTDESC_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	CHECK(ioctl(&td, a, VIDIOC_NR_ENUM_FMT, 64, 64) == 0 && get32(resp + 8 + V4L2_FMTDESC_PIXELFORMAT) == V4L2_FOURCC_YUYV,
	      "enum_fmt_yuyv");
	put32(req + 16, 1);
	CHECK(ioctl(&td, a, VIDIOC_NR_ENUM_FMT, 64, 64) == MEDIA_EINVAL && resp_used == 8, "enum_fmt_end");
	static const uint32_t unsupported[] = { VIDIOC_NR_QUERYCAP, VIDIOC_NR_DQBUF, VIDIOC_NR_DQEVENT, VIDIOC_NR_LOG_STATUS,
						VIDIOC_NR_G_JPEGCOMP, 200 };
	bool enotty = true;
	for (unsigned i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		enotty &= ioctl(&td, a, unsupported[i], 0, 128) == MEDIA_ENOTTY;
	CHECK(enotty, "unsupported_ioctls_enotty");
	CHECK(ioctl(&td, 99, VIDIOC_NR_G_FMT, V4L2_FORMAT_BYTES, V4L2_FORMAT_BYTES) == MEDIA_EINVAL, "unknown_session");
	close_session(&td, a);
	CHECK(open_session(&td) == a, "closed_id_reusable");
	td_stop(&td);
}

static void mmap_buffers(void)
{
	struct test_driver td;
	td_start(&td, "media", "", ~0ULL, false);
	uint32_t s = open_session(&td);
	CHECK(reqbufs(&td, s, 2, V4L2_MEM_MMAP) == 0 && get32(resp + 8) == 2, "reqbufs_mmap");
	buffer_payload(1, V4L2_MEM_MMAP, 0);
	CHECK(ioctl(&td, s, VIDIOC_NR_QUERYBUF, 88 + 64, 88 + 64) == 0 && get64(resp + 8 + V4L2_BUF_M) == 0xfeed0001u &&
	      get32(resp + 8 + 88 + V4L2_PLANE_LENGTH) == FRAME, "querybuf_keeps_planes_pointer");
	uint32_t offset = get32(resp + 8 + 88 + V4L2_PLANE_M);
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_MMAP);
	put32(req + 8, s);
	put32(req + 16, offset);
	CHECK(call(&td, MEDIA_MMAP_CMD, MEDIA_MMAP_RESP) == 0 && get64(resp + 16) == FRAME, "mmap_len_is_buffer_length");
	uint64_t addr = get64(resp + 8);
	uint64_t e = post_event(&td);
	buffer_payload(1, V4L2_MEM_MMAP, 0);
	CHECK(ioctl(&td, s, VIDIOC_NR_QBUF, 88 + 64, 88 + 64) == 0 && stream(&td, s, true) == 0, "qbuf_streamon");
	uint8_t ev[MEDIA_EVT_DQBUF_BYTES];
	CHECK(event(&td, e, ev) && get32(ev) == MEDIA_EVT_DQBUF && get32(ev + 4) == s && get32(ev + 8) == 1 &&
	      get32(ev + 8 + 88 + V4L2_PLANE_BYTESUSED) == FRAME, "dqbuf_event");
	CHECK(shm_byte(&td, addr) == 235 && shm_byte(&td, addr + 1) == 128, "frame_in_shared_memory");
	memset(req, 0, sizeof(req));
	put32(req + 16 + V4L2_EXPBUF_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	put32(req + 16 + V4L2_EXPBUF_FD, 0xabcd);
	CHECK(ioctl(&td, s, VIDIOC_NR_EXPBUF, 64 + 16, 64 + 16) == 0 && get32(resp + 8 + V4L2_EXPBUF_FD) == 0xabcd &&
	      resp_used == 8 + 64 + 16, "expbuf_fd_untouched");
	close_session(&td, s);
	CHECK(shm_byte(&td, addr) == 235, "mapping_outlives_session");
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_MUNMAP);
	put64(req + 8, addr);
	CHECK(call(&td, MEDIA_MUNMAP_CMD, MEDIA_HDR) == 0 && shm_byte(&td, addr) == 0, "munmap_after_close");
	CHECK(call(&td, MEDIA_MUNMAP_CMD, MEDIA_HDR) == MEDIA_EINVAL, "munmap_twice_einval");
	td_stop(&td);
}

static void shared_pages(void)
{
	struct test_driver td;
	td_start(&td, "media", "", ~0ULL, false);
	uint32_t s = open_session(&td);
	uint64_t pages = td_alloc(&td, FRAME);
	CHECK(reqbufs(&td, s, 1, V4L2_MEM_USERPTR) == 0, "reqbufs_userptr");
	buffer_payload(0, V4L2_MEM_USERPTR, 0x7f0012345000ull);
	put64(req + 16 + 88 + 64, pages);
	put32(req + 16 + 88 + 64 + 8, 4096);
	put64(req + 16 + 88 + 64 + 16, pages + 4096);
	put32(req + 16 + 88 + 64 + 24, FRAME - 4096);
	uint64_t e = post_event(&td);
	CHECK(ioctl(&td, s, VIDIOC_NR_QBUF, 88 + 64 + 32, 88 + 64) == 0 &&
	      get64(resp + 8 + 88 + V4L2_PLANE_M) == 0x7f0012345000ull, "qbuf_userptr_unchanged");
	uint8_t ev[MEDIA_EVT_DQBUF_BYTES];
	CHECK(stream(&td, s, true) == 0 && event(&td, e, ev) && get32(ev) == MEDIA_EVT_DQBUF, "userptr_frame_event");
	CHECK(((uint8_t *)td_host(&td, pages))[0] == 235 && ((uint8_t *)td_host(&td, pages))[FRAME - 2] == 16,
	      "userptr_frame_in_pages");
	/* Pages outside guest RAM: the session errs, keeps its ID until CLOSE. */
	buffer_payload(0, V4L2_MEM_USERPTR, 0x1000);
	put64(req + 16 + 88 + 64, 0x10);
	put32(req + 16 + 88 + 64 + 8, FRAME);
	e = post_event(&td);
	CHECK(ioctl(&td, s, VIDIOC_NR_QBUF, 88 + 64 + 16, 88 + 64) == 0 && event(&td, e, ev) &&
	      get32(ev) == MEDIA_EVT_ERROR && get32(ev + 4) == s && get32(ev + 8) == MEDIA_EFAULT, "error_event");
	CHECK(stream(&td, s, false) == MEDIA_EIO, "errored_session_refuses");
	uint32_t other = open_session(&td);
	CHECK(other && other != s, "errored_id_not_recycled");
	close_session(&td, s);
	CHECK(open_session(&td) == s, "errored_id_free_after_close");
	td_stop(&td);
}

static void faults(void)
{
	struct test_driver td;
	uint8_t ev[MEDIA_EVT_DQBUF_BYTES];
	td_start(&td, "media", "fault=session-id-reused", ~0ULL, false);
	CHECK(open_session(&td) == open_session(&td), "fault_session_id_reused");
	td_stop(&td);
	td_start(&td, "media", "fault=ioctl-payload-not-written", ~0ULL, false);
	uint32_t s = open_session(&td);
	memset(req, 0, sizeof(req));
	put32(req + 16, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	CHECK(ioctl(&td, s, VIDIOC_NR_G_FMT, 208, 208) == 0 && resp_used == 8, "fault_ioctl_payload_not_written");
	td_stop(&td);
	td_start(&td, "media", "fault=planes-pointer-cleared", ~0ULL, false);
	s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_MMAP);
	buffer_payload(0, V4L2_MEM_MMAP, 0);
	CHECK(ioctl(&td, s, VIDIOC_NR_QUERYBUF, 152, 152) == 0 && get64(resp + 8 + V4L2_BUF_M) == 0,
	      "fault_planes_pointer_cleared");
	td_stop(&td);
	td_start(&td, "media", "fault=unsupported-ioctl-einval", ~0ULL, false);
	s = open_session(&td);
	CHECK(ioctl(&td, s, VIDIOC_NR_LOG_STATUS, 0, 0) == MEDIA_EINVAL, "fault_unsupported_ioctl_einval");
	td_stop(&td);
	td_start(&td, "media", "fault=mmap-len-page-rounded", ~0ULL, false);
	s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_MMAP);
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_MMAP);
	put32(req + 8, s);
	CHECK(call(&td, MEDIA_MMAP_CMD, MEDIA_MMAP_RESP) == 0 && get64(resp + 16) == 8192, "fault_mmap_len_page_rounded");
	td_stop(&td);
	td_start(&td, "media", "fault=close-drops-mappings", ~0ULL, false);
	s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_MMAP);
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_MMAP);
	put32(req + 8, s);
	call(&td, MEDIA_MMAP_CMD, MEDIA_MMAP_RESP);
	close_session(&td, s);
	memset(req, 0, sizeof(req));
	put32(req, MEDIA_CMD_MUNMAP);
	CHECK(call(&td, MEDIA_MUNMAP_CMD, MEDIA_HDR) == MEDIA_EINVAL, "fault_close_drops_mappings");
	td_stop(&td);
	td_start(&td, "media", "fault=userptr-rewritten", ~0ULL, false);
	s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_USERPTR);
	buffer_payload(0, V4L2_MEM_USERPTR, 0x7f0000001000ull);
	put64(req + 16 + 152, TD_RAM_BASE + 0x100000);
	put32(req + 16 + 152 + 8, FRAME);
	CHECK(ioctl(&td, s, VIDIOC_NR_QBUF, 152 + 16, 152) == 0 && get64(resp + 8 + 88 + V4L2_PLANE_M) == TD_RAM_BASE + 0x100000,
	      "fault_userptr_rewritten");
	td_stop(&td);
	td_start(&td, "media", "fault=expbuf-fd-written", ~0ULL, false);
	s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_MMAP);
	memset(req, 0, sizeof(req));
	put32(req + 16, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	put32(req + 16 + V4L2_EXPBUF_FD, 0xabcd);
	CHECK(ioctl(&td, s, VIDIOC_NR_EXPBUF, 80, 80) == 0 && get32(resp + 8 + V4L2_EXPBUF_FD) == 3, "fault_expbuf_fd_written");
	td_stop(&td);
	td_start(&td, "media", "fault=errored-session-id-recycled", ~0ULL, false);
	s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_USERPTR);
	buffer_payload(0, V4L2_MEM_USERPTR, 0x1000);
	put64(req + 16 + 152, 0x10);
	put32(req + 16 + 152 + 8, FRAME);
	uint64_t e = post_event(&td);
	ioctl(&td, s, VIDIOC_NR_QBUF, 152 + 16, 152);
	CHECK(stream(&td, s, true) == 0 && event(&td, e, ev) && get32(ev) == MEDIA_EVT_ERROR && open_session(&td) == s,
	      "fault_errored_session_id_recycled");
	td_stop(&td);
}

static void malformed(void)
{
	struct test_driver td;
	td_start(&td, "media", "", ~0ULL, false);
	uint64_t r = td_alloc(&td, 4);
	struct td_buffer b = { r, 4, false };
	td_submit(&td, MEDIA_COMMANDQ, &b, 1);
	CHECK(td.dev.status & VIRTIO_STATUS_NEEDS_RESET, "command_without_response_room_needs_reset");
	td_stop(&td);
	td_start(&td, "media", "", ~0ULL, false);
	memset(req, 0, sizeof(req));
	put32(req, 9);
	CHECK(call(&td, 8, 8) == MEDIA_ENOTTY, "unknown_command_enotty");
	uint32_t s = open_session(&td);
	reqbufs(&td, s, 1, V4L2_MEM_MMAP);
	buffer_payload(0, V4L2_MEM_MMAP, 0);
	ioctl(&td, s, VIDIOC_NR_QBUF, 152, 152);
	uint64_t small = td_alloc(&td, 16);
	struct td_buffer ev = { small, 16, true };
	td_submit(&td, MEDIA_EVENTQ, &ev, 1);
	stream(&td, s, true);
	CHECK(td.dev.status & VIRTIO_STATUS_NEEDS_RESET, "small_event_buffer_needs_reset");
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	sessions_and_ioctls();
	mmap_buffers();
	shared_pages();
	faults();
	malformed();
	return UNIT_DONE();
}
