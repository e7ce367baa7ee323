/* Socket device statements (VIRTIO 1.2 §5.10): guest_cid, OP_RST for an unknown type, and the credit rules on a stream to the host's echo service. */
#include <string.h>

#include "host_link.h"
#include "probe.h"
#include "session.h"

#define VIRTIO_ID_VSOCK 19
#define VSOCK_RT(n) "VIRTIO-1.2: Device Types / Socket Device / Device Operation / Receive and Transmit #" #n
#define VSOCK_BSM(n) "VIRTIO-1.2: Device Types / Socket Device / Device Operation / Buffer Space Management #" #n
#define HOST_CID 2
#define OP_REQUEST 1
#define OP_RESPONSE 2
#define OP_RST 3
#define OP_RW 5
#define OP_CREDIT_UPDATE 6
#define TYPE_STREAM 1
#define CREDIT 64            /* the probe's receive space on the stream */
#define ECHO_BYTES 200       /* sent in one OP_RW: the echo needs four credit rounds */
#define UNKNOWN_TYPE 0x7f     /* types are 1 (stream) and 2 (seqpacket) */
#define PROBE_PORT 0x5a5a0001u
#define PEER_PORT 0x5a5a0002u
#define RX_BUFFERS 4
#define RX_BYTES 256

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

static struct vsock_hdr tx_hdr __attribute__((aligned(16)));
static uint8_t tx_payload[ECHO_BYTES] __attribute__((aligned(16)));
static uint8_t echoed[ECHO_BYTES];
static uint8_t rx[RX_BUFFERS][RX_BYTES] __attribute__((aligned(16)));

static struct vdev *vsock_present(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_VSOCK);
	if (!d)
		probe_skip("device absent: no socket device (DeviceID 19) on a version-2 virtio-mmio transport");
	return d;
}

PROBE_CASE(vsock_cid, "virtio.vsock.guest_cid_not_reserved",
	   AVPS_CHECKS("guest_cid in the config space is none of the reserved CIDs 0, 1, 2 (host), 0xffffffff and has "
		       "its upper 32 bits zero"),
	   "AVPS.NET.2", VSOCK_RT(1))
static void vsock_cid(void)
{
	struct vdev *d = vsock_present();
	if (!d)
		return;
	uint64_t cid = vmmio_config(&d->t, 0, 8);
	uint32_t low = (uint32_t)cid;
	probe_check(low > HOST_CID && low != 0xffffffffu && (cid >> 32) == 0, "%s: guest_cid 0x%llx is reserved",
		    vdev_name(d), (unsigned long long)cid);
}

PROBE_CASE(vsock_unknown_type, "virtio.vsock.unknown_type_answered_rst",
	   AVPS_CHECKS("a REQUEST of type 0x7f sent to the host (CID 2) is answered on the rx queue by an OP_RST from "
		       "CID 2 to the sender's CID and port"),
	   "AVPS.NET.2", VSOCK_RT(2))
static void vsock_unknown_type(void)
{
	struct vdev *d = vsock_present();
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	const char *n = vdev_name(d);
	uint64_t cid = vmmio_config(s.t, 0, 8);
	uint16_t ids[RX_BUFFERS];
	for (int i = 0; i < RX_BUFFERS; i++) {
		memset(rx[i], 0xcc, RX_BYTES);
		struct vbuf e = { rx[i], RX_BYTES, true };
		if (!probe_check(vmmio_post(s.t, &s.q[0], &e, 1, VIRTQ_CHAIN_DIRECT, &ids[i]) == VIRTQ_OK, "%s: rx buffer %d "
				 "not posted", n, i))
			goto out;
	}
	tx_hdr = (struct vsock_hdr){ .src_cid = cid, .dst_cid = HOST_CID, .src_port = PROBE_PORT, .dst_port = PEER_PORT,
				     .type = UNKNOWN_TYPE, .op = OP_REQUEST, .buf_alloc = 65536 };
	struct vbuf t = { &tx_hdr, sizeof(tx_hdr), false };
	if (!vs_call(&s, 1, &t, 1, VIRTQ_CHAIN_DIRECT, &u, "tx packet"))
		goto out;
	enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], VS_WAIT_US, &u);
	if (!probe_check(r != VIRTQ_EMPTY, "%s: no packet on the rx queue within 1 s after a packet of type 0x%x "
			 "(expected OP_RST)", n, UNKNOWN_TYPE) || !vdev_used_ok(d, r, &u, "rx packet"))
		goto out;
	int slot = 0;
	while (slot < RX_BUFFERS - 1 && ids[slot] != u.id)
		slot++;
	const struct vsock_hdr *h = (const struct vsock_hdr *)(const void *)rx[slot];
	probe_check(u.len >= sizeof(*h) && h->op == OP_RST && h->src_cid == HOST_CID && h->dst_cid == cid &&
		    h->dst_port == PROBE_PORT && h->src_port == PEER_PORT, "%s: answer to type 0x%x: used len %u, op %u, "
		    "from %llu:%u to %llu:%u (expected OP_RST from 2:%u to %llu:%u)", n, UNKNOWN_TYPE, u.len, h->op,
		    (unsigned long long)h->src_cid, h->src_port, (unsigned long long)h->dst_cid, h->dst_port, PEER_PORT,
		    (unsigned long long)cid, PROBE_PORT);
out:
	vs_close(&s);
}

/* A stream session: rx buffers posted (ids kept), the guest CID read. */
struct stream {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint64_t cid;
	uint32_t port;
	uint16_t ids[RX_BUFFERS];
};

static bool post_rx(struct stream *st, int i)
{
	memset(rx[i], 0xcc, RX_BYTES);
	struct vbuf e = { rx[i], RX_BYTES, true };
	return probe_check(vmmio_post(st->s.t, &st->s.q[0], &e, 1, VIRTQ_CHAIN_DIRECT, &st->ids[i]) == VIRTQ_OK,
			   "%s: rx buffer %d not posted", st->n, i);
}

/* Sends one stream packet (header + payload) on tx, announcing the probe's credit. */
static bool send_pkt(struct stream *st, uint16_t op, uint32_t len, uint32_t fwd_cnt)
{
	struct virtq_used u;
	tx_hdr = (struct vsock_hdr){ .src_cid = st->cid, .dst_cid = HOST_CID, .src_port = PROBE_PORT, .dst_port = st->port,
				     .len = len, .type = TYPE_STREAM, .op = op, .buf_alloc = CREDIT, .fwd_cnt = fwd_cnt };
	struct vbuf e[2] = { { &tx_hdr, sizeof(tx_hdr), false }, { tx_payload, len, false } };
	return vs_call(&st->s, 1, e, len ? 2 : 1, VIRTQ_CHAIN_DIRECT, &u, "tx packet");
}

/* The next rx packet within timeout_us: its header (payload copied to out when given); 0 none, -1 bad. */
static int recv_pkt(struct stream *st, uint32_t timeout_us, struct vsock_hdr *h, uint8_t *out, uint32_t room)
{
	struct virtq_used u;
	enum virtq_result r = vmmio_wait_used(st->s.t, &st->s.q[0], timeout_us, &u);
	if (r == VIRTQ_EMPTY)
		return 0;
	if (!vdev_used_ok(st->d, r, &u, "rx packet"))
		return -1;
	int slot = 0;
	while (slot < RX_BUFFERS - 1 && st->ids[slot] != u.id)
		slot++;
	memcpy(h, rx[slot], sizeof(*h));
	if (!probe_check(u.len >= sizeof(*h) && h->len <= u.len - sizeof(*h), "%s: rx packet: used len %u, header "
			 "len %u", st->n, u.len, h->len))
		return -1;
	if (out)
		memcpy(out, rx[slot] + sizeof(*h), h->len < room ? h->len : room);
	return post_rx(st, slot) ? 1 : -1;
}

PROBE_CASE(vsock_credit, "virtio.vsock.stream_credit_respected",
	   AVPS_CHECKS("on a stream to the host's declared echo port with 64 bytes of receive space, the echo of 200 "
		       "bytes never has more unacknowledged payload in flight than that space, every packet carries "
		       "buf_alloc > 0 and a fwd_cnt between the bytes echoed and the bytes sent, and the echo is intact"),
	   "AVPS.NET.2", VSOCK_BSM(1), VSOCK_BSM(2))
static void vsock_credit(void)
{
	struct stream st;
	struct vsock_hdr h;
	char reply[96];
	st.d = vsock_present();
	if (!st.d)
		return;
	st.n = vdev_name(st.d);
	if (!host_link_request("AVPS-FACT vsock_echo_port", "AVPS-FACT-REPLY vsock_echo_port ", reply, sizeof(reply),
			       2000)) {
		probe_skip("%s: no echo port from the host (AVPS-FACT vsock_echo_port): %s", st.n, reply);
		return;
	}
	const char *v = reply + sizeof("AVPS-FACT-REPLY vsock_echo_port ") - 1;
	st.port = 0;
	for (; *v >= '0' && *v <= '9'; v++)
		st.port = st.port * 10 + (uint32_t)(*v - '0');
	if (*v || st.port == 0) {
		probe_skip("%s: the platform declares no vsock echo port (avps.vsock_echo_port): '%s'", st.n, reply);
		return;
	}
	if (!vs_open(&st.s, st.d, 0, 3, VIRTQ_SPLIT, 16, VS_DRIVER_OK))
		return;
	st.cid = vmmio_config(st.s.t, 0, 8);
	for (int i = 0; i < RX_BUFFERS; i++)
		if (!post_rx(&st, i))
			goto out;
	if (!send_pkt(&st, OP_REQUEST, 0, 0))
		goto out;
	int got = recv_pkt(&st, VS_WAIT_US, &h, NULL, 0);
	if (got < 0 || !probe_check(got == 1 && h.op == OP_RESPONSE, "%s: connect to 2:%u: %s (op %u)", st.n, st.port,
				    got ? "answered" : "no answer within 1 s", got ? h.op : 0))
		goto out;
	for (unsigned i = 0; i < ECHO_BYTES; i++)
		tx_payload[i] = (uint8_t)(i * 7 + 1);
	if (!send_pkt(&st, OP_RW, ECHO_BYTES, 0))
		goto out;
	uint32_t received = 0, acked = 0, last_fwd = 0;
	for (int rounds = 0; received < ECHO_BYTES && rounds < 16; rounds++) {
		/* Everything the host sends before our next credit update must fit in what we announced. */
		while ((got = recv_pkt(&st, 20000, &h, echoed + received, ECHO_BYTES - received)) == 1) {
			if (!probe_check(h.op == OP_RW && h.src_port == st.port && h.dst_port == PROBE_PORT, "%s: op %u from "
					 "port %u on the stream (expected OP_RW echo data)", st.n, h.op, h.src_port))
				goto out;
			received += h.len;
			if (!probe_check(received - acked <= CREDIT, "%s: %u payload bytes in flight with %u bytes of "
					 "receive space announced (buf_alloc %u, fwd_cnt %u)", st.n, received - acked, CREDIT,
					 CREDIT, acked) ||
			    !probe_check(h.buf_alloc > 0 && h.fwd_cnt >= received && h.fwd_cnt <= ECHO_BYTES &&
					 h.fwd_cnt >= last_fwd, "%s: packet with buf_alloc %u fwd_cnt %u after %u bytes "
					 "echoed of %u sent (previous fwd_cnt %u)", st.n, h.buf_alloc, h.fwd_cnt, received,
					 ECHO_BYTES, last_fwd))
				goto out;
			last_fwd = h.fwd_cnt;
		}
		if (got < 0)
			goto out;
		acked = received;   /* the probe consumed it: tell the host */
		if (received < ECHO_BYTES && !send_pkt(&st, OP_CREDIT_UPDATE, 0, acked))
			goto out;
	}
	if (probe_check(received == ECHO_BYTES, "%s: %u of %u bytes echoed", st.n, received, ECHO_BYTES))
		probe_check(memcmp(echoed, tx_payload, ECHO_BYTES) == 0, "%s: the echoed bytes differ from those sent",
			    st.n);
	send_pkt(&st, OP_RST, 0, acked);
out:
	vs_close(&st.s);
}
