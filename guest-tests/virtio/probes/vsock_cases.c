/* Socket device statements (VIRTIO 1.2 §5.10): guest_cid is no reserved CID, and a packet of unknown type is answered with OP_RST addressed back to its sender. */
#include <string.h>

#include "probe.h"
#include "session.h"

#define VIRTIO_ID_VSOCK 19
#define VSOCK_RT(n) "VIRTIO-1.2: Device Types / Socket Device / Device Operation / Receive and Transmit #" #n
#define HOST_CID 2
#define OP_REQUEST 1
#define OP_RST 3
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
