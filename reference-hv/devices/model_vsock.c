/* Socket device model (VIRTIO 1.2 Device Types / Socket Device): stream connections to a host-side echo service. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RXQ 0
#define TXQ 1
#define EVENTQ 2
#define HOST_CID 2
#define TYPE_STREAM 1
#define OP_REQUEST 1
#define OP_RESPONSE 2
#define OP_RST 3
#define OP_SHUTDOWN 4
#define OP_RW 5
#define OP_CREDIT_UPDATE 6
#define OP_CREDIT_REQUEST 7
#define MAX_CONNECTIONS 4
#define HOST_BUF_ALLOC 65536u   /* receive space of each host-side socket */
#define MAX_PAYLOAD 4096u
#define OUT_SLOTS 16            /* packets waiting for rx buffers */

enum vsock_fault {
	VSOCK_FAULT_CREDIT_IGNORED,
	VSOCK_FAULT_RESERVED_CID,
	VSOCK_FAULT_NO_RST_FOR_UNKNOWN_TYPE,
	VSOCK_FAULT_FWD_CNT_STALE,
	VSOCK_FAULT_COUNT,
};

static const struct vdev_fault vsock_faults[VSOCK_FAULT_COUNT] = {
	[VSOCK_FAULT_CREDIT_IGNORED] = { "credit-ignored",
		"VIRTIO-1.2: Device Types / Socket Device / Device Operation / Buffer Space Management #1" },
	[VSOCK_FAULT_RESERVED_CID] = { "reserved-cid",
		"VIRTIO-1.2: Device Types / Socket Device / Device Operation / Receive and Transmit #1" },
	[VSOCK_FAULT_NO_RST_FOR_UNKNOWN_TYPE] = { "no-rst-for-unknown-type",
		"VIRTIO-1.2: Device Types / Socket Device / Device Operation / Receive and Transmit #2" },
	[VSOCK_FAULT_FWD_CNT_STALE] = { "fwd-cnt-stale",
		"VIRTIO-1.2: Device Types / Socket Device / Device Operation / Buffer Space Management #2" },
};

struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

/* One connection between a guest port and the host echo service. */
struct connection {
	bool used;
	uint32_t guest_port, host_port;
	uint32_t peer_buf_alloc, peer_fwd_cnt; /* the guest's receive space, as it last told us */
	uint32_t tx_cnt;                       /* payload bytes sent to the guest */
	uint32_t fwd_cnt;                      /* payload bytes taken out of our receive buffer */
	uint32_t pending;                      /* bytes to echo, in echo[] */
	uint8_t echo[HOST_BUF_ALLOC];
};

struct out_packet {
	struct vsock_hdr hdr;
	uint8_t payload[MAX_PAYLOAD];
};

struct vsock_state {
	uint64_t guest_cid;
	uint32_t echo_port;
	struct connection conn[MAX_CONNECTIONS];
	struct out_packet out[OUT_SLOTS];
	unsigned out_head, out_count;
};

static bool vsock_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t cid = 3, port = 1234;
	if (vdev_option(options, "cid", text, sizeof(text)) && !vdev_parse_size(text, &cid))
		cid = 0;
	/* Receive and Transmit #1: never a reserved CID (0, 1, 2, 0xffffffff). */
	if (cid <= HOST_CID || cid >= 0xffffffffULL) {
		snprintf(err, err_size, "vsock: cid=%s is reserved or not a number (3..0xfffffffe)", text);
		return false;
	}
	if (vdev_option(options, "echo_port", text, sizeof(text)) && (!vdev_parse_size(text, &port) || port > 0xffffffffULL)) {
		snprintf(err, err_size, "vsock: echo_port=%s is not a port number", text);
		return false;
	}
	struct vsock_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->guest_cid = vdev_fault(dev, VSOCK_FAULT_RESERVED_CID) ? HOST_CID : cid;
	st->echo_port = (uint32_t)port;
	dev->state = st;
	dev->num_queues = 3;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	dev->config_size = 8;
	memcpy(dev->config, &st->guest_cid, 8);
	return true;
}

static void vsock_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void vsock_reset(struct vdev *dev)
{
	struct vsock_state *st = dev->state;
	for (unsigned i = 0; i < MAX_CONNECTIONS; i++)
		st->conn[i].used = false;
	st->out_head = st->out_count = 0;
}

/* Queues one packet for the guest; every packet carries our credit (Buffer Space Management #2). */
static bool send_packet(struct vsock_state *st, const struct connection *c, uint32_t guest_port, uint32_t host_port,
			uint16_t op, uint32_t flags, const uint8_t *payload, uint32_t len)
{
	if (st->out_count == OUT_SLOTS)
		return false;
	struct out_packet *p = &st->out[(st->out_head + st->out_count++) % OUT_SLOTS];
	p->hdr = (struct vsock_hdr){ .src_cid = HOST_CID, .dst_cid = st->guest_cid, .src_port = host_port,
				     .dst_port = guest_port, .len = len, .type = TYPE_STREAM, .op = op, .flags = flags,
				     .buf_alloc = HOST_BUF_ALLOC, .fwd_cnt = c ? c->fwd_cnt : 0 };
	if (len)
		memcpy(p->payload, payload, len);
	return true;
}

/* Echoes what the guest has room for (Buffer Space Management #1: never beyond its credit). */
static void echo_pending(struct vdev *dev, struct vsock_state *st, struct connection *c)
{
	while (c->pending) {
		uint32_t credit = c->peer_buf_alloc - (c->tx_cnt - c->peer_fwd_cnt);
		if (vdev_fault(dev, VSOCK_FAULT_CREDIT_IGNORED))
			credit = MAX_PAYLOAD;
		uint32_t n = c->pending < MAX_PAYLOAD ? c->pending : MAX_PAYLOAD;
		if (n > credit)
			n = credit;
		if (n == 0 || st->out_count == OUT_SLOTS)
			return;
		c->fwd_cnt += n;
		c->tx_cnt += n;
		send_packet(st, c, c->guest_port, c->host_port, OP_RW, 0, c->echo, n);
		/* Buffer Space Management #2: fwd_cnt counts what we took; the fault leaves it at 0. */
		if (vdev_fault(dev, VSOCK_FAULT_FWD_CNT_STALE))
			st->out[(st->out_head + st->out_count - 1) % OUT_SLOTS].hdr.fwd_cnt = 0;
		memmove(c->echo, c->echo + n, c->pending - n);
		c->pending -= n;
	}
}

static struct connection *find(struct vsock_state *st, uint32_t guest_port, uint32_t host_port)
{
	for (unsigned i = 0; i < MAX_CONNECTIONS; i++)
		if (st->conn[i].used && st->conn[i].guest_port == guest_port && st->conn[i].host_port == host_port)
			return &st->conn[i];
	return NULL;
}

static void handle_packet(struct vdev *dev, struct virtq_chain *chain)
{
	struct vsock_state *st = dev->state;
	struct vsock_hdr h;
	if (virtq_chain_read(chain, &dev->mem, 0, &h, sizeof(h)) != sizeof(h))
		return; /* too short to answer: dropped */
	struct connection *c = find(st, h.src_port, h.dst_port);
	if (h.dst_cid != HOST_CID || h.src_cid != st->guest_cid)
		return; /* not addressed to this host: dropped */
	/* Receive and Transmit #2: an unknown type gets an RST. */
	if (h.type != TYPE_STREAM) {
		if (!vdev_fault(dev, VSOCK_FAULT_NO_RST_FOR_UNKNOWN_TYPE))
			send_packet(st, c, h.src_port, h.dst_port, OP_RST, 0, NULL, 0);
		return;
	}
	if (c) {
		c->peer_buf_alloc = h.buf_alloc;
		c->peer_fwd_cnt = h.fwd_cnt;
	}
	switch (h.op) {
	case OP_REQUEST:
		if (c || h.dst_port != st->echo_port) {
			send_packet(st, c, h.src_port, h.dst_port, OP_RST, 0, NULL, 0);
			return;
		}
		for (unsigned i = 0; i < MAX_CONNECTIONS && !c; i++)
			if (!st->conn[i].used)
				c = &st->conn[i];
		if (!c) {
			send_packet(st, NULL, h.src_port, h.dst_port, OP_RST, 0, NULL, 0);
			return;
		}
		c->used = true;
		c->guest_port = h.src_port;
		c->host_port = h.dst_port;
		c->peer_buf_alloc = h.buf_alloc;
		c->peer_fwd_cnt = h.fwd_cnt;
		c->tx_cnt = c->fwd_cnt = c->pending = 0;
		send_packet(st, c, h.src_port, h.dst_port, OP_RESPONSE, 0, NULL, 0);
		return;
	case OP_RW:
		if (!c || h.len > HOST_BUF_ALLOC - c->pending || chain->readable_bytes < sizeof(h) + (uint64_t)h.len) {
			/* No such connection, or the guest overran the credit we gave: reset it. */
			send_packet(st, c, h.src_port, h.dst_port, OP_RST, 0, NULL, 0);
			if (c)
				c->used = false;
			return;
		}
		virtq_chain_read(chain, &dev->mem, sizeof(h), c->echo + c->pending, h.len);
		c->pending += h.len;
		echo_pending(dev, st, c);
		return;
	case OP_CREDIT_UPDATE:
		if (c)
			echo_pending(dev, st, c);
		return;
	case OP_CREDIT_REQUEST:
		if (c)
			send_packet(st, c, h.src_port, h.dst_port, OP_CREDIT_UPDATE, 0, NULL, 0);
		return;
	case OP_SHUTDOWN:
		/* The echo service closes at once: its RST ends the connection. */
		send_packet(st, c, h.src_port, h.dst_port, OP_RST, 0, NULL, 0);
		if (c)
			c->used = false;
		return;
	case OP_RST:
		if (c)
			c->used = false;
		return;
	default:
		send_packet(st, c, h.src_port, h.dst_port, OP_RST, 0, NULL, 0);
		if (c)
			c->used = false;
		return;
	}
}

/* Moves queued packets into the guest's rx buffers. */
static void deliver(struct vdev *dev)
{
	struct vsock_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	bool delivered = false;
	while (st->out_count && !(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, RXQ, chain) == VIRTQ_TAKEN) {
		struct out_packet *p = &st->out[st->out_head];
		uint64_t room = chain->writable_bytes;
		if (room < sizeof(p->hdr) + (p->hdr.len ? 1 : 0)) {
			/* A buffer that cannot hold the header (and some payload): return it empty, keep the packet. */
			vdev_complete(dev, RXQ, chain, 0);
			delivered = true;
			continue;
		}
		/* A data packet larger than the buffer goes out in pieces, each with its own header. */
		uint32_t part = p->hdr.len;
		if (room < sizeof(p->hdr) + part)
			part = (uint32_t)(room - sizeof(p->hdr));
		struct vsock_hdr hdr = p->hdr;
		hdr.len = part;
		virtq_chain_write(chain, &dev->mem, 0, &hdr, sizeof(hdr));
		virtq_chain_write(chain, &dev->mem, sizeof(hdr), p->payload, part);
		vdev_complete(dev, RXQ, chain, (uint32_t)(sizeof(hdr) + part));
		delivered = true;
		if (part < p->hdr.len) {
			memmove(p->payload, p->payload + part, p->hdr.len - part);
			p->hdr.len -= part;
			continue;
		}
		st->out_head = (st->out_head + 1) % OUT_SLOTS;
		st->out_count--;
	}
	if (delivered)
		vdev_notify_used(dev, RXQ);
}

static void vsock_process(struct vdev *dev, unsigned queue)
{
	struct vsock_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	if (queue == TXQ) {
		/* Virtqueue Flow Control: tx is drained while there is room to hold replies. */
		while (st->out_count < OUT_SLOTS - 1 && !(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
		       vdev_take(dev, TXQ, chain) == VIRTQ_TAKEN) {
			handle_packet(dev, chain);
			vdev_complete(dev, TXQ, chain, 0);
		}
		vdev_notify_used(dev, TXQ);
	}
	/* The event queue only holds buffers for transport resets, which this device never sends. */
	deliver(dev);
	if (queue == RXQ) {
		/* Room in rx may unblock echoes and tx processing. */
		for (unsigned i = 0; i < MAX_CONNECTIONS; i++)
			if (st->conn[i].used)
				echo_pending(dev, st, &st->conn[i]);
		deliver(dev);
		if (dev->queues[TXQ].ready)
			vsock_process(dev, TXQ);
	}
}

const struct vdev_model model_vsock = {
	.name = "vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.faults = vsock_faults,
	.fault_count = VSOCK_FAULT_COUNT,
	.create = vsock_create,
	.destroy = vsock_destroy,
	.reset = vsock_reset,
	.process_queue = vsock_process,
};
