/* Media device model, V4L2 side: the ioctls of a one-format multi-planar capture device, MMAP and SHARED_PAGES buffers, frames and events. */
#include "model_media.h"

#include <string.h>

static const uint8_t bar_luma[8] = { 235, 210, 170, 145, 106, 81, 41, 16 };

static void fill_format(uint8_t *f)
{
	memset(f, 0, V4L2_FORMAT_BYTES);
	uint8_t *mp = f + V4L2_FORMAT_FMT;
	media_put32(f + V4L2_FORMAT_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	media_put32(mp + V4L2_MP_WIDTH, MEDIA_WIDTH);
	media_put32(mp + V4L2_MP_HEIGHT, MEDIA_HEIGHT);
	media_put32(mp + V4L2_MP_PIXELFORMAT, V4L2_FOURCC_YUYV);
	media_put32(mp + V4L2_MP_FIELD, V4L2_FIELD_NONE_);
	media_put32(mp + V4L2_MP_COLORSPACE, V4L2_COLORSPACE_SRGB_);
	media_put32(mp + V4L2_MP_SIZEIMAGE, MEDIA_FRAME_BYTES);
	media_put32(mp + V4L2_MP_BYTESPERLINE, MEDIA_BYTESPERLINE);
	mp[V4L2_MP_NUM_PLANES] = 1;
}

void media_slot_release(struct media_state *st, int slot)
{
	st->slots[slot].owned = false;
	if (!st->slots[slot].maps)
		memset(st->slots[slot].bytes, 0, MEDIA_SLOT_BYTES);
}

void media_release_buffers(struct vdev *dev, struct media_session *s)
{
	struct media_state *st = dev->state;
	for (unsigned i = 0; i < s->count; i++)
		if (s->bufs[i].slot >= 0)
			media_slot_release(st, s->bufs[i].slot);
	memset(s->bufs, 0, sizeof(s->bufs));
	s->count = 0;
	s->memory = 0;
	s->streaming = false;
}

static uint32_t reqbufs(struct vdev *dev, struct media_session *s, const uint8_t *in, uint8_t *out)
{
	struct media_state *st = dev->state;
	uint32_t count = media_get32(in + V4L2_REQBUFS_COUNT), memory = media_get32(in + V4L2_REQBUFS_MEMORY);
	if (media_get32(in + V4L2_REQBUFS_TYPE) != V4L2_BUF_TYPE_CAPTURE_MPLANE ||
	    (memory != V4L2_MEM_MMAP && memory != V4L2_MEM_USERPTR))
		return MEDIA_EINVAL;
	if (s->streaming)
		return MEDIA_EBUSY;
	media_release_buffers(dev, s);
	if (count > MEDIA_BUFFERS)
		count = MEDIA_BUFFERS;
	unsigned made = 0;
	for (unsigned slot = 0; made < count && slot < MEDIA_SLOTS; slot++) {
		if (memory == V4L2_MEM_USERPTR) {
			s->bufs[made++].slot = -1;
			continue;
		}
		if (st->slots[slot].owned || st->slots[slot].maps)
			continue;
		st->slots[slot].owned = true;
		memset(st->slots[slot].bytes, 0, MEDIA_SLOT_BYTES);
		s->bufs[made++].slot = (int)slot;
	}
	if (count && !made)
		return MEDIA_ENOMEM;
	s->count = made;
	s->memory = made ? memory : 0;
	memcpy(out, in, V4L2_REQBUFS_BYTES);
	media_put32(out + V4L2_REQBUFS_COUNT, made);
	media_put32(out + V4L2_REQBUFS_CAPS, V4L2_REQBUFS_CAN_MMAP | V4L2_REQBUFS_CAN_USERPTR);
	out[16] = 0; /* flags */
	return 0;
}

/* The buffer a QUERYBUF/QBUF payload names, with its plane count; NULL when the payload is not one of ours. */
static struct media_buffer *named_buffer(struct media_session *s, const uint8_t *in, size_t in_len, size_t out_len,
					 unsigned *planes)
{
	uint32_t index = media_get32(in + V4L2_BUF_INDEX), n = media_get32(in + V4L2_BUF_LENGTH);
	size_t need = V4L2_BUFFER_BYTES + (size_t)n * V4L2_PLANE_BYTES;
	if (media_get32(in + V4L2_BUF_TYPE) != V4L2_BUF_TYPE_CAPTURE_MPLANE || index >= s->count ||
	    media_get32(in + V4L2_BUF_MEMORY) != s->memory || n < 1 || n > MEDIA_MAX_PLANES || in_len < need ||
	    out_len < need)
		return NULL;
	*planes = n;
	return &s->bufs[index];
}

/* The buffer's state over the driver's own payload: pointers (m.planes, m.userptr) stay as the driver passed them. */
static size_t describe_buffer(struct vdev *dev, const struct media_session *s, const struct media_buffer *b,
			      const uint8_t *in, unsigned planes, uint8_t *out)
{
	size_t len = V4L2_BUFFER_BYTES + (size_t)planes * V4L2_PLANE_BYTES;
	memcpy(out, in, len);
	uint8_t *plane = out + V4L2_BUFFER_BYTES;
	uint32_t flags = b->queued ? V4L2_BUFFLAG_QUEUED : 0;
	if (b->slot >= 0 && ((struct media_state *)dev->state)->slots[b->slot].maps)
		flags |= V4L2_BUFFLAG_MAPPED;
	media_put32(out + V4L2_BUF_BYTESUSED, 0);
	media_put32(out + V4L2_BUF_FLAGS, flags);
	media_put32(out + V4L2_BUF_FIELD, V4L2_FIELD_NONE_);
	media_put32(out + V4L2_BUF_LENGTH, 1);
	if (vdev_fault(dev, MEDIA_FAULT_PLANES_POINTER_CLEARED))
		media_put64(out + V4L2_BUF_M, 0); /* fault: the device's own view of the pointer */
	media_put32(plane + V4L2_PLANE_BYTESUSED, 0);
	media_put32(plane + V4L2_PLANE_LENGTH, MEDIA_FRAME_BYTES);
	if (s->memory == V4L2_MEM_MMAP)
		media_put64(plane + V4L2_PLANE_M, (uint64_t)b->slot * MEDIA_SLOT_BYTES);
	else if (vdev_fault(dev, MEDIA_FAULT_USERPTR_REWRITTEN) && b->sg_count)
		media_put64(plane + V4L2_PLANE_M, b->sg[0].start); /* fault: the guest address the pages are at */
	return len;
}

/* QBUF of a SHARED_PAGES buffer: the SG entries after the planes cover the plane's length. */
static bool take_pages(struct media_buffer *b, const uint8_t *in, size_t in_len, unsigned planes)
{
	const uint8_t *plane = in + V4L2_BUFFER_BYTES;
	uint32_t length = media_get32(plane + V4L2_PLANE_LENGTH);
	size_t at = V4L2_BUFFER_BYTES + (size_t)planes * V4L2_PLANE_BYTES;
	uint64_t covered = 0;
	if (length < MEDIA_FRAME_BYTES)
		return false;
	b->sg_count = 0;
	while (covered < length) {
		if (b->sg_count == MEDIA_SG_MAX || at + MEDIA_SG_ENTRY > in_len)
			return false;
		struct media_sg *sg = &b->sg[b->sg_count++];
		sg->start = media_get64(in + at);
		sg->len = media_get32(in + at + 8);
		covered += sg->len;
		at += MEDIA_SG_ENTRY;
	}
	b->userptr = media_get64(plane + V4L2_PLANE_M);
	return true;
}

static uint32_t buffer_ioctl(struct vdev *dev, struct media_session *s, bool queue, const uint8_t *in, size_t in_len,
			     uint8_t *out, size_t *out_len)
{
	unsigned planes;
	struct media_buffer *b = named_buffer(s, in, in_len, *out_len, &planes);
	if (!b || (queue && b->queued) ||
	    (queue && s->memory == V4L2_MEM_USERPTR && !take_pages(b, in, in_len, planes)))
		return MEDIA_EINVAL;
	if (queue) {
		b->queued = true;
		b->queued_order = s->next_order++;
	}
	*out_len = describe_buffer(dev, s, b, in, planes, out);
	return 0;
}

/* EXPBUF: the MMAP buffer as a virtio object; the UUID follows the structure, whose fd placeholder stays. */
static uint32_t expbuf(struct vdev *dev, struct media_session *s, const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t *out_len)
{
	uint32_t index = media_get32(in + V4L2_EXPBUF_INDEX);
	if (in_len < V4L2_EXPBUF_BYTES || *out_len < V4L2_EXPBUF_BYTES + MEDIA_UUID ||
	    media_get32(in + V4L2_EXPBUF_TYPE) != V4L2_BUF_TYPE_CAPTURE_MPLANE || s->memory != V4L2_MEM_MMAP ||
	    index >= s->count || media_get32(in + V4L2_EXPBUF_PLANE) != 0)
		return MEDIA_EINVAL;
	memcpy(out, in, V4L2_EXPBUF_BYTES);
	if (vdev_fault(dev, MEDIA_FAULT_EXPBUF_FD_WRITTEN))
		media_put32(out + V4L2_EXPBUF_FD, 3); /* fault: a file descriptor, as a kernel would return */
	static const uint8_t uuid[MEDIA_UUID] = { 'R', 'F', 'H', 'V', 'm', 'e', 'd', 'i', 0x40, 'a', 0x80 };
	memcpy(out + V4L2_EXPBUF_BYTES, uuid, MEDIA_UUID);
	out[V4L2_EXPBUF_BYTES + MEDIA_UUID - 1] = (uint8_t)s->bufs[index].slot;
	*out_len = V4L2_EXPBUF_BYTES + MEDIA_UUID;
	return 0;
}

static uint32_t stream(struct vdev *dev, struct media_session *s, bool on, const uint8_t *in, size_t in_len)
{
	if (in_len < 4 || media_get32(in) != V4L2_BUF_TYPE_CAPTURE_MPLANE || (on && !s->count))
		return MEDIA_EINVAL;
	(void)dev;
	s->streaming = on;
	if (!on)
		for (unsigned i = 0; i < s->count; i++)
			s->bufs[i].queued = false;
	return 0;
}

uint32_t media_ioctl(struct vdev *dev, struct media_session *s, uint32_t code, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t *out_len)
{
	size_t room = *out_len;
	*out_len = 0;
	switch (code) {
	case VIDIOC_NR_ENUM_FMT:
		if (in_len < V4L2_FMTDESC_BYTES || room < V4L2_FMTDESC_BYTES ||
		    media_get32(in + V4L2_FMTDESC_TYPE) != V4L2_BUF_TYPE_CAPTURE_MPLANE || media_get32(in) != 0)
			return MEDIA_EINVAL;
		memcpy(out, in, V4L2_FMTDESC_BYTES);
		memset(out + 8, 0, V4L2_FMTDESC_BYTES - 8);
		memcpy(out + V4L2_FMTDESC_DESCRIPTION, "YUYV 4:2:2", 10);
		media_put32(out + V4L2_FMTDESC_PIXELFORMAT, V4L2_FOURCC_YUYV);
		*out_len = V4L2_FMTDESC_BYTES;
		return 0;
	case VIDIOC_NR_G_FMT:
	case VIDIOC_NR_S_FMT:
	case VIDIOC_NR_TRY_FMT:
		/* One format: S_FMT/TRY_FMT adjust any request to it, as V4L2 lets a device do. */
		if (in_len < V4L2_FORMAT_BYTES || room < V4L2_FORMAT_BYTES ||
		    media_get32(in + V4L2_FORMAT_TYPE) != V4L2_BUF_TYPE_CAPTURE_MPLANE)
			return MEDIA_EINVAL;
		if (code == VIDIOC_NR_S_FMT && s->count)
			return MEDIA_EBUSY;
		fill_format(out);
		*out_len = V4L2_FORMAT_BYTES;
		return 0;
	case VIDIOC_NR_REQBUFS:
		if (in_len < V4L2_REQBUFS_BYTES || room < V4L2_REQBUFS_BYTES)
			return MEDIA_EINVAL;
		*out_len = V4L2_REQBUFS_BYTES;
		return reqbufs(dev, s, in, out);
	case VIDIOC_NR_QUERYBUF:
	case VIDIOC_NR_QBUF:
		*out_len = room;
		return buffer_ioctl(dev, s, code == VIDIOC_NR_QBUF, in, in_len, out, out_len);
	case VIDIOC_NR_EXPBUF:
		*out_len = room;
		return expbuf(dev, s, in, in_len, out, out_len);
	case VIDIOC_NR_STREAMON:
	case VIDIOC_NR_STREAMOFF:
		return stream(dev, s, code == VIDIOC_NR_STREAMON, in, in_len);
	default:
		/* Unsupported ioctls #1: QUERYCAP, DQBUF, DQEVENT, the JPEGCOMP pair, LOG_STATUS and the rest. */
		return vdev_fault(dev, MEDIA_FAULT_UNSUPPORTED_IOCTL_EINVAL) ? MEDIA_EINVAL : MEDIA_ENOTTY;
	}
}

/* One frame of colour bars (YUYV) into the buffer; false when a SHARED_PAGES entry is not guest RAM. */
static bool capture(struct vdev *dev, struct media_buffer *b)
{
	struct media_state *st = dev->state;
	uint8_t row[MEDIA_BYTESPERLINE];
	for (unsigned i = 0; i < MEDIA_BYTESPERLINE; i++)
		row[i] = i & 1 ? 128 : bar_luma[i / 2 * 8 / MEDIA_WIDTH];
	unsigned sg = 0;
	uint32_t sg_at = 0;
	for (unsigned at = 0; at < MEDIA_FRAME_BYTES; at += MEDIA_BYTESPERLINE) {
		if (b->slot >= 0) {
			memcpy(st->slots[b->slot].bytes + at, row, MEDIA_BYTESPERLINE);
			continue;
		}
		for (unsigned done = 0; done < MEDIA_BYTESPERLINE;) {
			while (sg < b->sg_count && sg_at == b->sg[sg].len) {
				sg++;
				sg_at = 0;
			}
			if (sg == b->sg_count)
				return false;
			uint32_t chunk = b->sg[sg].len - sg_at;
			if (chunk > MEDIA_BYTESPERLINE - done)
				chunk = MEDIA_BYTESPERLINE - done;
			if (!guest_write(&dev->mem, b->sg[sg].start + sg_at, row + done, chunk))
				return false;
			sg_at += chunk;
			done += chunk;
		}
	}
	return true;
}

/* The next buffer to fill (the one queued first of a streaming session) and its session. */
static struct media_session *next_event(struct media_state *st, struct media_buffer **buf)
{
	for (unsigned i = 0; i < MEDIA_SESSIONS; i++) {
		struct media_session *s = &st->sessions[i];
		*buf = NULL;
		if (s->state != SESSION_OPEN || !s->streaming)
			continue;
		for (unsigned k = 0; k < s->count; k++)
			if (s->bufs[k].queued && (!*buf || s->bufs[k].queued_order < (*buf)->queued_order))
				*buf = &s->bufs[k];
		if (*buf)
			return s;
	}
	return NULL;
}

static size_t dqbuf_event(struct media_session *s, struct media_buffer *b, uint8_t *ev)
{
	memset(ev, 0, MEDIA_EVT_DQBUF_BYTES);
	uint8_t *buf = ev + 8, *plane = buf + V4L2_BUFFER_BYTES;
	media_put32(ev, MEDIA_EVT_DQBUF);
	media_put32(ev + 4, s->id);
	media_put32(buf + V4L2_BUF_INDEX, (uint32_t)(b - s->bufs));
	media_put32(buf + V4L2_BUF_TYPE, V4L2_BUF_TYPE_CAPTURE_MPLANE);
	media_put32(buf + V4L2_BUF_FLAGS, V4L2_BUFFLAG_DONE);
	media_put32(buf + V4L2_BUF_FIELD, V4L2_FIELD_NONE_);
	media_put32(buf + V4L2_BUF_SEQUENCE, s->sequence++);
	media_put32(buf + V4L2_BUF_MEMORY, s->memory);
	media_put32(buf + V4L2_BUF_LENGTH, 1);          /* m.planes stays NULL: the planes follow */
	media_put32(plane + V4L2_PLANE_BYTESUSED, MEDIA_FRAME_BYTES);
	media_put32(plane + V4L2_PLANE_LENGTH, MEDIA_FRAME_BYTES);
	if (b->slot >= 0)
		media_put64(plane + V4L2_PLANE_M, (uint64_t)b->slot * MEDIA_SLOT_BYTES);
	return MEDIA_EVT_DQBUF_BYTES;
}

void media_run_events(struct vdev *dev)
{
	struct media_state *st = dev->state;
	struct virtq_chain *chain = &st->ev_chain;
	struct media_buffer *b;
	struct media_session *s;
	bool any = false;
	while ((s = next_event(st, &b)) && !(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       vdev_take(dev, MEDIA_EVENTQ, chain) == VIRTQ_TAKEN) {
		if (chain->writable_bytes < MEDIA_EVT_DQBUF_BYTES) {
			vdev_needs_reset(dev, "media eventq buffer smaller than struct virtio_media_event_dqbuf");
			break;
		}
		size_t len;
		if (capture(dev, b)) {
			b->queued = false;
			len = dqbuf_event(s, b, st->event);
		} else {
			/* Device-side error: the frame cannot reach the driver's pages; the session is over. */
			s->state = SESSION_ERRORED;
			for (unsigned i = 0; i < s->count; i++)
				s->bufs[i].queued = false;
			s->streaming = false;
			memset(st->event, 0, MEDIA_EVT_ERROR_BYTES);
			media_put32(st->event, MEDIA_EVT_ERROR);
			media_put32(st->event + 4, s->id);
			media_put32(st->event + 8, MEDIA_EFAULT);
			len = MEDIA_EVT_ERROR_BYTES;
			if (vdev_fault(dev, MEDIA_FAULT_ERRORED_SESSION_ID_RECYCLED)) {
				media_release_buffers(dev, s); /* fault: the session (and its ID) freed at once */
				memset(s, 0, sizeof(*s));
			}
		}
		vdev_complete(dev, MEDIA_EVENTQ, chain, (uint32_t)virtq_chain_write(chain, &dev->mem, 0, st->event, len));
		any = true;
	}
	if (any)
		vdev_notify_used(dev, MEDIA_EVENTQ);
}
