/* Network MTU statement cases (VIRTIO 1.2 §5.1.4.2): an mtu-sized frame goes out whole, and no received frame exceeds mtu, both seen through ICMP echoes with the host's gateway. */
#include "net_frames.h"
#include "probe.h"
#include "statements.h"

#define NET_CONFIG_MTU 10
#define ETH_HEADER 14
#define GSO_NONE 0
#define GSO_ECN 0x80
#define MAX_FRAGMENTS 4
#define ECHO_WAIT_US 1000000
#define STRAGGLER_WAIT_US 2000

static uint8_t frames[MAX_FRAGMENTS][NETF_FRAME_MAX] __attribute__((aligned(16)));
static uint32_t lens[MAX_FRAGMENTS];
static uint8_t arp[64] __attribute__((aligned(16)));
static struct netf_rx got;
static uint8_t reply[4 * NETF_FRAME_MAX];   /* the gateway's echo reply, reassembled */

/* Opens the device with MTU negotiated and learns the gateway's MAC. */
static struct vdev *mtu_open(struct vsession *s, uint8_t own[6], uint8_t gateway[6], uint32_t *mtu)
{
	struct vdev *d = netf_open(s, VIRTIO_BIT(NETF_F_MTU), "VIRTIO_NET_F_MAC and VIRTIO_NET_F_MTU", own);
	if (!d)
		return NULL;
	*mtu = (uint32_t)vmmio_config(&d->t, NET_CONFIG_MTU, 2);
	return netf_learn_gateway(s, own, gateway) ? d : NULL;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

struct reassembly {
	uint32_t bytes, total;   /* total: 0 until the last fragment came */
};

/* Adds one received IPv4 fragment from the gateway to `reply`; true once the datagram is whole. */
static bool reassemble(struct reassembly *ra, const struct netf_rx *r)
{
	const uint8_t *ip = r->frame + ETH_HEADER;
	uint32_t ihl = (ip[0] & 15u) * 4, len = be16(ip + 2), frag = be16(ip + 6);
	uint32_t off = (frag & 0x1fff) * 8;
	if (len < ihl || ETH_HEADER + len > r->len || off + len - ihl > sizeof(reply))
		return false;
	__builtin_memcpy(reply + off, ip + ihl, len - ihl);
	ra->bytes += len - ihl;
	if (!(frag & 0x2000))
		ra->total = off + len - ihl;
	return ra->total && ra->bytes >= ra->total;
}

/* Where the reassembled reply differs from an echo reply to `ident` with `payload` bytes; -1 if it does not. */
static long reply_mismatch(uint16_t ident, uint32_t payload, uint32_t total)
{
	if (total != 8 + payload)
		return 0;
	if (reply[0] != 0 || be16(reply + 4) != ident)
		return 0;
	for (uint32_t i = 0; i < payload; i++)
		if (reply[8 + i] != netf_echo_pattern(ident, i))
			return 8 + (long)i;
	return -1;
}

PROBE_CASE(net_mtu_forward, "virtio.net.mtu_sized_frame_forwarded", AVPS_CHECKS("with VIRTIO_NET_F_MTU negotiated, an ICMP echo request in one frame of mtu + 14 bytes (IP length = mtu, DF set, gso_type NONE) reaches the gateway whole: its echo reply carries the full payload"),
	   NET_CONFIG(6))
static void net_mtu_forward(void)
{
	struct vsession s = { 0 };
	uint8_t own[6], gateway[6];
	uint32_t mtu = 0;
	struct vdev *d = mtu_open(&s, own, gateway, &mtu);
	if (!d)
		goto out;
	if (mtu < 68 || ETH_HEADER + mtu > NETF_FRAME_MAX) {
		probe_skip("%s: mtu %u: the probe sends frames of 82..%u bytes", vdev_name(d), mtu, NETF_FRAME_MAX);
		goto out;
	}
	uint16_t ident = (uint16_t)(0x4d00 | (mtu & 0xff));
	uint32_t payload = mtu - 28, msg = payload + 8;
	int n = netf_icmp_echo(frames, lens, MAX_FRAGMENTS, own, gateway, 0x7a01, ident, payload, (msg + 7) & ~7u, true);
	if (!probe_check(n == 1 && lens[0] == ETH_HEADER + mtu, "probe: echo of %u bytes built as %d frames", mtu, n) ||
	    !netf_send(&s, frames[0], lens[0]))
		goto out;
	struct reassembly ra = { 0, 0 };
	bool whole = false;
	uint64_t end = vmmio_now_us(s.t) + ECHO_WAIT_US;
	while (!whole && vmmio_now_us(s.t) < end) {
		int r = netf_receive(&s, 10000, &got);
		if (r < 0)
			goto out;
		if (r > 0 && netf_is_icmp_from_gateway(&got))
			whole = reassemble(&ra, &got);
	}
	if (!probe_check(whole, "%s: no echo reply from the gateway within %u ms to a %u-byte frame (mtu %u + %u); "
			 "%u reply bytes seen", vdev_name(d), ECHO_WAIT_US / 1000, lens[0], mtu, ETH_HEADER, ra.bytes))
		goto out;
	long at = reply_mismatch(ident, payload, ra.total);
	probe_check(at < 0, "%s: the echo reply to the %u-byte frame differs at ICMP byte %ld (reply of %u bytes, "
		    "expected %u)", vdev_name(d), lens[0], at, ra.total, msg);
	probe_diag("%s: mtu %u: a %u-byte frame went out and its %u-byte echo came back", vdev_name(d), mtu, lens[0],
		   ra.total);
out:
	if (s.t)
		vs_close(&s);
}

PROBE_CASE(net_rx_mtu, "virtio.net.rx_frames_within_mtu", AVPS_CHECKS("with VIRTIO_NET_F_MTU negotiated, no received gso_type NONE/ECN frame exceeds mtu + 14 bytes, while the gateway answers a 2 x mtu ICMP echo sent as mtu-sized IP fragments"),
	   NET_CONFIG(5))
static void net_rx_mtu(void)
{
	struct vsession s = { 0 };
	uint8_t own[6], gateway[6];
	uint32_t mtu = 0;
	struct vdev *d = mtu_open(&s, own, gateway, &mtu);
	if (!d)
		goto out;
	uint32_t frag_data = (mtu - 20) & ~7u, payload = 2 * mtu - 8;
	if (mtu < 68 || 2 * mtu + 20 > sizeof(reply) || ETH_HEADER + 20 + frag_data > NETF_FRAME_MAX) {
		probe_skip("%s: mtu %u: the probe's echo needs 68 <= mtu <= %u", vdev_name(d), mtu, NETF_FRAME_MAX - 34);
		goto out;
	}
	uint16_t ident = (uint16_t)(0x5200 | (mtu & 0xff));
	int n = netf_icmp_echo(frames, lens, MAX_FRAGMENTS, own, gateway, 0x7a02, ident, payload, frag_data, false);
	if (!probe_check(n >= 2, "probe: echo of %u bytes built as %d fragments", payload + 8, n))
		goto out;
	for (int i = 0; i < n; i++)
		if (!netf_send(&s, frames[i], lens[i]))
			goto out;
	if (!netf_send(&s, arp, netf_arp_request(arp, own)))   /* marker: its answer comes after the echo's */
		goto out;
	uint32_t largest = 0, oversized = 0, fragments = 0;
	struct netf_hdr bad = { 0 };
	bool marker = false;
	uint64_t end = vmmio_now_us(s.t) + ECHO_WAIT_US;
	while (vmmio_now_us(s.t) < end) {
		int r = netf_receive(&s, 10000, &got);
		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		bool plain = got.hdr.gso_type == GSO_NONE || got.hdr.gso_type == GSO_ECN;
		if (plain && got.len > largest)
			largest = got.len;
		if (plain && got.len > mtu + ETH_HEADER && !oversized) {
			oversized = got.len;
			bad = got.hdr;
		}
		fragments += netf_is_icmp_from_gateway(&got);
		if (!marker && netf_is_arp_reply_to(&got, own, NULL)) {
			marker = true;
			end = vmmio_now_us(s.t) + STRAGGLER_WAIT_US;
		}
	}
	probe_diag("%s: mtu %u: %d fragments out, %u ICMP frames from the gateway back, largest frame %u bytes",
		   vdev_name(d), mtu, n, fragments, largest);
	if (!probe_check(marker, "%s: no ARP reply after the fragmented echo within %u ms", vdev_name(d),
			 ECHO_WAIT_US / 1000))
		goto out;
	if (!probe_check(!oversized, "%s: a received frame of %u bytes with gso_type 0x%x exceeds mtu %u + %u (the "
			 "gateway's echo reply to a %u-byte echo)", vdev_name(d), oversized, bad.gso_type, mtu, ETH_HEADER,
			 payload + 8))
		goto out;
	probe_check(fragments > 0, "%s: the gateway sent no part of its echo reply: nothing to check", vdev_name(d));
out:
	if (s.t)
		vs_close(&s);
}
