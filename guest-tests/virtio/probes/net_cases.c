/* Network device statement cases (VIRTIO 1.2 §5.1.6): an ARP exchange with the host's gateway, checking the transmit and receive headers. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_NET_F_MAC 5
#define NET_HDR 12        /* struct virtio_net_hdr with VIRTIO_F_VERSION_1 */
#define RX_SLOTS 4
#define RX_BYTES 1536
#define ETH_ARP 0x0806

struct net_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

static struct net_hdr tx_hdr __attribute__((aligned(16)));
static uint8_t tx_frame[42] __attribute__((aligned(16)));
static uint8_t rx[RX_SLOTS][RX_BYTES] __attribute__((aligned(16)));
static int rx_slot_of[VIRTQ_MAX_SIZE];

/* What one exchange saw. */
struct arp_exchange {
	bool replied;
	int packets;                 /* received packets checked */
	struct net_hdr bad_offload;  /* first header with flags or gso_type set, for the message */
	int bad_offload_packet;      /* -1: none */
	struct net_hdr bad_count;    /* first header whose num_buffers is not 1 */
	int bad_count_packet;        /* -1: none */
	uint32_t bad_len;            /* used len of a packet shorter than header + Ethernet header */
	int short_packet;            /* -1: none */
};

static const uint8_t gateway_ip[4] = { 10, 0, 2, 2 }, guest_ip[4] = { 10, 0, 2, 15 };

static void build_arp_request(const uint8_t mac[6])
{
	uint8_t *f = tx_frame;
	for (int i = 0; i < 6; i++)
		f[i] = 0xff, f[6 + i] = mac[i], f[22 + i] = mac[i], f[32 + i] = 0;
	f[12] = 0x08, f[13] = 0x06;                 /* ARP */
	f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
	for (int i = 0; i < 4; i++)
		f[28 + i] = guest_ip[i], f[38 + i] = gateway_ip[i];
}

static bool post_rx(struct vsession *s, int slot)
{
	uint16_t id;
	for (int i = 0; i < NET_HDR; i++)
		rx[slot][i] = 0xa5;   /* a header field the device never writes reads 0xa5.. */
	struct vbuf b = { rx[slot], RX_BYTES, true };
	if (virtq_add(&s->q[0], &b, 1, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK)
		return false;
	rx_slot_of[id] = slot;
	return true;
}

static bool is_arp_reply_from_gateway(const uint8_t *f, uint32_t len)
{
	if (len < 42 || ((f[12] << 8) | f[13]) != ETH_ARP || f[21] != 2)
		return false;
	for (int i = 0; i < 4; i++)
		if (f[28 + i] != gateway_ip[i])
			return false;
	return true;
}

/* Sends "who-has 10.0.2.2" with the given transmit header and waits for the gateway's reply,
 * checking every received header against the no-offload rules on the way. */
static bool arp_exchange(struct vsession *s, const struct net_hdr *hdr, struct arp_exchange *x)
{
	const struct vdev *d = s->d;
	uint8_t mac[6];
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)vmmio_config(&d->t, (uint32_t)i, 1);
	*x = (struct arp_exchange){ .bad_offload_packet = -1, .bad_count_packet = -1, .short_packet = -1 };
	for (int i = 0; i < RX_SLOTS; i++)
		post_rx(s, i);
	vmmio_notify(s->t, &s->q[0]);
	build_arp_request(mac);
	tx_hdr = *hdr;
	struct virtq_used u;
	struct vbuf e[2] = { { &tx_hdr, sizeof(tx_hdr), false }, { tx_frame, sizeof(tx_frame), false } };
	if (!vs_call(s, 1, e, 2, VIRTQ_CHAIN_DIRECT, &u, "ARP request on transmitq"))
		return false;
	uint64_t end = vmmio_now_us(s->t) + 2000000;
	while (!x->replied && vmmio_now_us(s->t) < end) {
		enum virtq_result r = vmmio_wait_used(s->t, &s->q[0], 20000, &u);
		if (r == VIRTQ_EMPTY)
			continue;
		if (!vdev_used_ok(d, r, &u, "receiveq"))
			return false;
		int slot = rx_slot_of[u.id];
		const struct net_hdr *h = (const struct net_hdr *)rx[slot];
		x->packets++;
		if ((h->flags != 0 || h->gso_type != 0) && x->bad_offload_packet < 0) {
			x->bad_offload = *h;
			x->bad_offload_packet = x->packets;
		}
		if (h->num_buffers != 1 && x->bad_count_packet < 0) {
			x->bad_count = *h;
			x->bad_count_packet = x->packets;
		}
		if (u.len < NET_HDR + 14 && x->short_packet < 0) {
			x->short_packet = x->packets;
			x->bad_len = u.len;
		}
		if (is_arp_reply_from_gateway(rx[slot] + NET_HDR, u.len - NET_HDR))
			x->replied = true;
		post_rx(s, slot);
		vmmio_notify(s->t, &s->q[0]);
	}
	return true;
}

static struct vdev *net_open(struct vsession *s)
{
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return NULL;
	if (!(d->t.offered & VIRTIO_BIT(VIRTIO_NET_F_MAC))) {
		probe_skip("%s does not offer VIRTIO_NET_F_MAC: the probe has no address to use", vdev_name(d));
		return NULL;
	}
	/* Only MAC: no checksum, GSO, merged buffers or RSC, so every rule below applies. */
	return vs_open(s, d, VIRTIO_BIT(VIRTIO_NET_F_MAC), 2, VIRTQ_SPLIT, 8, VS_DRIVER_OK) ? d : NULL;
}

PROBE_CASE(net_tx_hints, "virtio.net.tx_header_hints_ignored", AVPS_CHECKS("an ARP request sent with an unknown flags bit, csum_start/csum_offset pointing into the target address without NEEDS_CSUM, and a wrong hdr_len still reaches the gateway intact (it replies)"),
	   NET_OP("Packet Transmission #1"), NET_OP("Packet Transmission #2"), NET_OP("Packet Transmission #5"))
static void net_tx_hints(void)
{
	struct vsession s;
	struct arp_exchange x;
	struct vdev *d = net_open(&s);
	if (!d)
		return;
	/* A checksum written at 14 + 24 would overwrite the target IP: the gateway would not answer. */
	struct net_hdr h = { 0x80, 0, 7, 0, 14, 24, 0 };
	struct net_hdr plain = { 0, 0, 0, 0, 0, 0, 0 };
	if (arp_exchange(&s, &plain, &x) && !x.replied)
		probe_skip("%s: no ARP reply from 10.0.2.2 to a plain request (%d packets seen): this platform's network "
			   "has no such gateway", vdev_name(d), x.packets);
	else if (x.replied) {
		vs_close(&s);
		if (!vs_open(&s, d, VIRTIO_BIT(VIRTIO_NET_F_MAC), 2, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			return;
		if (arp_exchange(&s, &h, &x))
			probe_check(x.replied, "%s: no ARP reply when the header carried flags 0x80, csum_start 14, "
				    "csum_offset 24, hdr_len 7 (the plain request got one)", vdev_name(d));
	}
	vs_close(&s);
}

/* One ARP exchange on a fresh session; false (already a failed check) without a reply. */
static bool exchange_with_reply(struct vsession *s, struct arp_exchange *x)
{
	struct net_hdr plain = { 0, 0, 0, 0, 0, 0, 0 };
	if (!arp_exchange(s, &plain, x))
		return false;
	if (!x->replied)   /* the environment, not the device: the platform's network has no such gateway */
		probe_skip("%s: no ARP reply from 10.0.2.2 (%d packets seen): no received packet to check",
			   vdev_name(s->d), x->packets);
	return x->replied;
}

PROBE_CASE(net_rx_offload_fields, "virtio.net.rx_header_without_offloads", AVPS_CHECKS("with only VIRTIO_NET_F_MAC negotiated, every received packet (the gateway's ARP reply included) comes in one descriptor with flags 0 and gso_type NONE"),
	   NET_OP("Setting Up Receive Buffers #2"), NET_OP("Processing of Incoming Packets #5"),
	   NET_OP("Processing of Incoming Packets #7"), NET_OP("Processing of Incoming Packets #8"),
	   NET_OP("Processing of Incoming Packets #9"), NET_OP("Processing of Incoming Packets #16"),
	   NET_OP("Processing of Incoming Packets #20"))
static void net_rx_offload_fields(void)
{
	struct vsession s;
	struct arp_exchange x;
	if (!net_open(&s))
		return;
	if (exchange_with_reply(&s, &x)) {
		probe_check(x.bad_offload_packet < 0, "%s: received packet %d: flags 0x%x gso_type %u without any offload "
			    "negotiated", vdev_name(s.d), x.bad_offload_packet, x.bad_offload.flags, x.bad_offload.gso_type);
		probe_check(x.short_packet < 0, "%s: received packet %d has used len %u: not one whole frame in its "
			    "descriptor", vdev_name(s.d), x.short_packet, x.bad_len);
	}
	vs_close(&s);
}

PROBE_CASE(net_rx_num_buffers, "virtio.net.rx_num_buffers_one", AVPS_CHECKS("without VIRTIO_NET_F_MRG_RXBUF, every received packet's header says num_buffers 1 (the one descriptor it used)"),
	   NET_OP("Setting Up Receive Buffers #1"), NET_OP("Processing of Incoming Packets #1"))
static void net_rx_num_buffers(void)
{
	struct vsession s;
	struct arp_exchange x;
	if (!net_open(&s))
		return;
	if (exchange_with_reply(&s, &x))
		probe_check(x.bad_count_packet < 0, "%s: received packet %d: num_buffers 0x%x, expected 1 (0xa5a5: the "
			    "device never wrote it)", vdev_name(s.d), x.bad_count_packet, x.bad_count.num_buffers);
	vs_close(&s);
}

#define VIRTIO_NET_F_MRG_RXBUF 15
#define SMALL_RX 32
#define SMALL_SLOTS 8

static uint8_t small_rx[SMALL_SLOTS][SMALL_RX] __attribute__((aligned(16)));
static int small_slot_of[VIRTQ_MAX_SIZE];

static void post_small_rx(struct vsession *s, int slot)
{
	uint16_t id;
	struct vbuf b = { small_rx[slot], SMALL_RX, true };
	if (virtq_add(&s->q[0], &b, 1, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK)
		small_slot_of[id] = slot;
}

PROBE_CASE(net_rx_mergeable, "virtio.net.rx_mergeable_buffers", AVPS_CHECKS("with MRG_RXBUF negotiated and 32-byte receive buffers, each received packet's num_buffers counts the buffers it fills, all but its last buffer are full, and all of them are used together"),
	   NET_OP("Processing of Incoming Packets #2"), NET_OP("Processing of Incoming Packets #3"),
	   NET_OP("Processing of Incoming Packets #4"))
static void net_rx_mergeable(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	struct vsession s;
	struct virtq_used u;
	if (!d)
		return;
	uint64_t need = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if ((d->t.offered & need) != need) {
		probe_skip("%s does not offer VIRTIO_NET_F_MAC and VIRTIO_NET_F_MRG_RXBUF", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, need, 2, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint8_t mac[6];
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)vmmio_config(&d->t, (uint32_t)i, 1);
	for (int i = 0; i < SMALL_SLOTS; i++)
		post_small_rx(&s, i);
	vmmio_notify(s.t, &s.q[0]);
	build_arp_request(mac);
	tx_hdr = (struct net_hdr){ 0, 0, 0, 0, 0, 0, 0 };
	struct vbuf e[2] = { { &tx_hdr, sizeof(tx_hdr), false }, { tx_frame, sizeof(tx_frame), false } };
	if (!vs_call(&s, 1, e, 2, VIRTQ_CHAIN_DIRECT, &u, "ARP request on transmitq"))
		goto out;
	int packets = 0, spanning = 0;
	uint64_t end = vmmio_now_us(s.t) + 2000000;
	while (vmmio_now_us(s.t) < end && spanning == 0) {
		enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], 20000, &u);
		if (r == VIRTQ_EMPTY)
			continue;
		if (!vdev_used_ok(d, r, &u, "receiveq"))
			goto out;
		int slot = small_slot_of[u.id];
		uint16_t n = ((const struct net_hdr *)small_rx[slot])->num_buffers;
		/* The rest of this packet's buffers must already be published with the first. */
		uint16_t published = virtq_idx_distance(s.q[0].last_used, virtq_used_idx(&s.q[0]));
		packets++;
		if (!probe_check(n >= 1 && n <= SMALL_SLOTS, "%s: packet %d: num_buffers %u with 32-byte buffers",
				 vdev_name(d), packets, n) ||
		    !probe_check(published >= n - 1, "%s: packet %d spans %u buffers, but only %u more were used with its first",
				 vdev_name(d), packets, n, published))
			goto out;
		uint32_t len = u.len;
		post_small_rx(&s, slot);
		for (uint16_t k = 1; k < n; k++) {
			probe_check(len == SMALL_RX, "%s: packet %d: buffer %u of %u holds %u bytes, not full (%d)", vdev_name(d),
				    packets, k, n, len, SMALL_RX);
			if (!vdev_used_ok(d, virtq_get_used(&s.q[0], &u), &u, "receiveq (rest of a packet)"))
				goto out;
			len = u.len;
			post_small_rx(&s, small_slot_of[u.id]);
		}
		if (n > 1 && spanning++ == 0)
			probe_diag("%s: packet %d spanned %u buffers, the last holding %u bytes", vdev_name(d), packets, n, len);
		vmmio_notify(s.t, &s.q[0]);
	}
	if (spanning == 0)
		probe_skip("%s: no received packet spanned more than one 32-byte buffer (%d packets; no reply from "
			   "10.0.2.2?)", vdev_name(d), packets);
out:
	vs_close(&s);
}
