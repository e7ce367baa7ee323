/* Handles the vhost-user messages of one QEMU connection and moves the device model's rings between stopped and started. */
#include "session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void session_log(const struct vhost_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "avps-vhost-user[%s]: ", s->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void session_open(struct vhost_session *s, int sock)
{
	s->sock = sock;
	s->protocol_features = 0;
	s->protocol_features_negotiated = false;
	memset(&s->map, 0, sizeof(s->map));
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++)
		s->rings[q] = (struct host_ring){ .kick_fd = -1, .call_fd = -1, .err_fd = -1 };
}

static void stop_ring(struct vhost_session *s, unsigned q)
{
	struct host_ring *r = &s->rings[q];
	r->started = false;
	close_fd(&r->kick_fd);
	if (q < s->dev->num_queues)
		s->dev->queues[q].ready = false;
}

void session_close(struct vhost_session *s)
{
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++) {
		stop_ring(s, q);
		close_fd(&s->rings[q].call_fd);
		close_fd(&s->rings[q].err_fd);
	}
	guest_map_clear(&s->map);
	/* QEMU went away: the device is reset, as on a power cycle of the transport (its medium stays). */
	vdev_set_status(s->dev, 0);
	close_fd(&s->sock);
}

void session_call(struct vhost_session *s, unsigned q)
{
	uint64_t one = 1;
	if (q < VDEV_MAX_QUEUES && s->rings[q].call_fd >= 0 && write(s->rings[q].call_fd, &one, sizeof(one)) < 0)
		session_log(s, "cannot signal the call eventfd of ring %u: %s", q, strerror(errno));
}

void session_kick(struct vhost_session *s, unsigned q)
{
	uint64_t count;
	if (read(s->rings[q].kick_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		session_log(s, "reading the kick eventfd of ring %u: %s", q, strerror(errno));
	vdev_queue_notify(s->dev, q);
	if (s->dev->status & VIRTIO_STATUS_NEEDS_RESET) {
		uint64_t one = 1;
		if (s->rings[q].err_fd >= 0 && write(s->rings[q].err_fd, &one, sizeof(one)) < 0)
			session_log(s, "cannot signal the error eventfd of ring %u", q);
	}
}

/* Translates QEMU's ring addresses and hands the ring to the model; false (logged) when it cannot. */
static bool start_ring(struct vhost_session *s, unsigned q)
{
	struct host_ring *r = &s->rings[q];
	struct virtq *vq = &s->dev->queues[q];
	uint64_t desc, avail, used;
	if (!guest_map_qemu_to_gpa(&s->map, r->desc_va, &desc) || !guest_map_qemu_to_gpa(&s->map, r->avail_va, &avail) ||
	    !guest_map_qemu_to_gpa(&s->map, r->used_va, &used)) {
		session_log(s, "ring %u lies outside the memory table QEMU shared: is guest RAM a shared memory backend "
			    "(-object memory-backend-memfd,share=on -machine memory-backend=...)?", q);
		return false;
	}
	if (r->num == 0 || r->num > VIRTQ_MAX_SIZE) {
		session_log(s, "ring %u has size %u", q, r->num);
		return false;
	}
	vq->size = r->num;
	vq->desc_addr = desc;
	vq->driver_addr = avail;
	vq->device_addr = used;
	virtq_reset(vq);
	vdev_apply_ring_features(s->dev);
	vq->last_avail = r->base;
	/* The used index continues from what the guest's used ring already says. */
	uint16_t used_idx = r->base;
	guest_read(&s->dev->mem, used + 2, &used_idx, sizeof(used_idx));
	vq->used_idx = used_idx;
	r->started = true;
	vq->ready = r->enabled;
	return true;
}

static bool receive(struct vhost_session *s, struct vhost_user_message *m)
{
	char control[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
	struct iovec iov = { &m->header, sizeof(m->header) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	m->fd_count = 0;
	ssize_t n = recvmsg(s->sock, &msg, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return false;
	if (n != (ssize_t)sizeof(m->header)) {
		session_log(s, "short message header (%zd bytes): %s", n, n < 0 ? strerror(errno) : "closing");
		return false;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			unsigned count = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (unsigned i = 0; i < count && m->fd_count < VHOST_USER_MAX_FDS; i++)
				memcpy(&m->fds[m->fd_count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
	if (m->header.size > sizeof(m->payload)) {
		session_log(s, "request %u carries %u payload bytes, more than any request may", m->header.request,
			    m->header.size);
		return false;
	}
	for (size_t done = 0; done < m->header.size;) {
		n = read(s->sock, m->payload.bytes + done, m->header.size - done);
		if (n <= 0) {
			session_log(s, "connection lost inside request %u", m->header.request);
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

static bool reply(struct vhost_session *s, const struct vhost_user_message *request, const void *payload, uint32_t size)
{
	struct {
		struct vhost_user_header header;
		uint8_t payload[sizeof(union vhost_user_payload)];
	} out;
	out.header = (struct vhost_user_header){ request->header.request, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, size };
	memcpy(out.payload, payload, size);
	size_t len = sizeof(out.header) + size;
	return write(s->sock, &out, len) == (ssize_t)len;
}

static bool reply_u64(struct vhost_session *s, const struct vhost_user_message *request, uint64_t value)
{
	return reply(s, request, &value, sizeof(value));
}

/* The ring index of a vring request; logs and returns false when the device has no such ring. */
static bool ring_index(struct vhost_session *s, uint32_t raw, unsigned *q)
{
	*q = raw & VHOST_USER_VRING_INDEX_MASK;
	if (*q >= s->dev->num_queues) {
		session_log(s, "QEMU names ring %u; the %s model has %u", *q, s->dev->model->name, s->dev->num_queues);
		return false;
	}
	return true;
}

static void set_features(struct vhost_session *s, uint64_t features)
{
	struct vdev *dev = s->dev;
	s->protocol_features_negotiated = features & VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	features &= ~VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	bool running = false;
	for (unsigned q = 0; q < dev->num_queues; q++)
		running |= s->rings[q].started;
	if (!running)
		vdev_set_status(dev, 0); /* a new start of the device: fresh model state */
	/* QEMU negotiated with the guest already: replay the handshake on the model. */
	uint8_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	vdev_set_status(dev, status);
	vdev_set_driver_features(dev, features);
	vdev_set_status(dev, status | VIRTIO_STATUS_FEATURES_OK);
	if (!(dev->status & VIRTIO_STATUS_FEATURES_OK)) {
		session_log(s, "the %s model refuses the features 0x%llx the guest negotiated", dev->model->name,
			    (unsigned long long)features);
		return;
	}
	vdev_set_status(dev, status | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* Handles one request; returns false when the connection must end. *failed makes a REPLY_ACK say so. */
static bool dispatch(struct vhost_session *s, struct vhost_user_message *m, bool *replied, bool *failed)
{
	struct vdev *dev = s->dev;
	union vhost_user_payload *p = &m->payload;
	unsigned q;
	char err[256];
	switch (m->header.request) {
	case VHOST_USER_GET_FEATURES:
		*replied = true;
		/* Packed rings are not offered here: vring base exchange is implemented for split rings. */
		return reply_u64(s, m, (dev->offered & ~VIRTIO_BIT(VIRTIO_F_RING_PACKED)) |
					       VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	case VHOST_USER_SET_FEATURES:
		set_features(s, p->u64);
		return true;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		*replied = true;
		/* CONFIG only where the model has a config space (QEMU warns about it otherwise). */
		return reply_u64(s, m, VIRTIO_BIT(VHOST_USER_PROTOCOL_F_MQ) | VIRTIO_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
					       (dev->config_size ? VIRTIO_BIT(VHOST_USER_PROTOCOL_F_CONFIG) : 0));
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		s->protocol_features = p->u64;
		return true;
	case VHOST_USER_GET_QUEUE_NUM:
		*replied = true;
		return reply_u64(s, m, dev->num_queues);
	case VHOST_USER_SET_OWNER:
		return true;
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE:
		for (q = 0; q < VDEV_MAX_QUEUES; q++)
			stop_ring(s, q);
		vdev_set_status(dev, 0);
		return true;
	case VHOST_USER_SET_MEM_TABLE:
		if (!guest_map_load(&s->map, &p->memory, m->fds, m->fd_count, err, sizeof(err))) {
			session_log(s, "refusing the memory table: %s", err);
			*failed = true;
			return false;
		}
		for (q = 0; q < dev->num_queues; q++)
			if (s->rings[q].started && !start_ring(s, q))
				stop_ring(s, q);
		return true;
	case VHOST_USER_SET_VRING_NUM:
		if (!ring_index(s, p->state.index, &q))
			return *failed = true;
		s->rings[q].num = (uint16_t)p->state.num;
		return true;
	case VHOST_USER_SET_VRING_ADDR:
		if (!ring_index(s, p->addr.index, &q))
			return *failed = true;
		s->rings[q].desc_va = p->addr.desc_user_addr;
		s->rings[q].avail_va = p->addr.avail_user_addr;
		s->rings[q].used_va = p->addr.used_user_addr;
		return true;
	case VHOST_USER_SET_VRING_BASE:
		if (!ring_index(s, p->state.index, &q))
			return *failed = true;
		s->rings[q].base = (uint16_t)p->state.num;
		return true;
	case VHOST_USER_GET_VRING_BASE: {
		if (!ring_index(s, p->state.index, &q))
			return *failed = true;
		struct vhost_user_vring_state state = { q, dev->queues[q].last_avail };
		stop_ring(s, q);
		*replied = true;
		return reply(s, m, &state, sizeof(state));
	}
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR: {
		int fd = m->fd_count && !(p->u64 & VHOST_USER_VRING_NOFD) ? m->fds[0] : -1;
		if (m->fd_count)
			m->fd_count = 0; /* taken over (or closed below) */
		if (!ring_index(s, (uint32_t)p->u64, &q)) {
			close_fd(&fd);
			return *failed = true;
		}
		struct host_ring *r = &s->rings[q];
		if (m->header.request == VHOST_USER_SET_VRING_CALL) {
			close_fd(&r->call_fd);
			r->call_fd = fd;
		} else if (m->header.request == VHOST_USER_SET_VRING_ERR) {
			close_fd(&r->err_fd);
			r->err_fd = fd;
		} else {
			close_fd(&r->kick_fd);
			r->kick_fd = fd;
			if (fd < 0) {
				session_log(s, "ring %u: polling mode (no kick eventfd) is not supported", q);
				return *failed = true;
			}
			if (!s->protocol_features_negotiated)
				r->enabled = true; /* without protocol features a ring starts enabled */
			if (!start_ring(s, q))
				return *failed = true;
			vdev_queue_notify(dev, q); /* buffers may already wait */
		}
		return true;
	}
	case VHOST_USER_SET_VRING_ENABLE:
		if (!ring_index(s, p->state.index, &q))
			return *failed = true;
		s->rings[q].enabled = p->state.num != 0;
		dev->queues[q].ready = s->rings[q].started && s->rings[q].enabled;
		if (dev->queues[q].ready)
			vdev_queue_notify(dev, q);
		return true;
	case VHOST_USER_GET_CONFIG: {
		struct vhost_user_config config = p->config;
		if (config.size > VHOST_USER_CONFIG_MAX || m->header.size < 12 + config.size) {
			session_log(s, "GET_CONFIG for %u bytes", config.size);
			return false;
		}
		vdev_read_config(dev, config.offset, config.payload, config.size);
		*replied = true;
		return reply(s, m, &config, 12 + config.size);
	}
	case VHOST_USER_SET_CONFIG:
		if (p->config.size > VHOST_USER_CONFIG_MAX)
			return *failed = true;
		vdev_write_config(dev, p->config.offset, p->config.payload, p->config.size);
		return true;
	case VHOST_USER_SET_LOG_BASE:
	case VHOST_USER_SET_LOG_FD:
	default:
		session_log(s, "request %u is not supported (ignored)", m->header.request);
		*failed = true;
		return true;
	}
}

bool session_handle_message(struct vhost_session *s)
{
	struct vhost_user_message m;
	if (!receive(s, &m))
		return false;
	bool replied = false, failed = false;
	bool keep = dispatch(s, &m, &replied, &failed);
	for (unsigned i = 0; i < m.fd_count; i++)
		close(m.fds[i]); /* fds a request did not take over (SET_MEM_TABLE's are mapped already) */
	if (!replied && (m.header.flags & VHOST_USER_FLAG_NEED_REPLY) &&
	    (s->protocol_features & VIRTIO_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)))
		keep = reply_u64(s, &m, failed ? 1 : 0) && keep;
	return keep;
}
