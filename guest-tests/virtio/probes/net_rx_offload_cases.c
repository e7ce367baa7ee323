/* Network receive offload statement cases (VIRTIO 1.2 §5.1.6.4.2): what DATA_VALID, NEEDS_CSUM and a GSO type promise about a received packet. */
#include "host_link.h"
#include "net_frames.h"
#include "probe.h"
#include "statements.h"

#define NET_F_GUEST_CSUM 1
#define NET_F_GUEST_TSO4 7
#define NET_F_GUEST_ECN 9
#define NET_F_CSUM 0
#define NET_F_HOST_TSO4 11
#define NET_F_RSC_EXT 61
#define HDR_F_RSC_INFO 4
#define HDR_F_NEEDS_CSUM 1
#define HDR_F_DATA_VALID 2
#define GSO_NONE 0
#define GSO_ECN 0x80
#define TCP_CWR 0x80
#define ECHO_IDENT 0x6c01
#define ECHO_PAYLOAD 1200       /* sent as two fragments: the reply may come back whole, fragmented or coalesced */
#define TCP_SPORT 0x6c02
#define TCP_ISN 0x6c020000u
#define TCP_MSS 536             /* announced in the SYN: the 1200-byte TCP echo comes back in 3 segments or coalesced */
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH_ACK 0x18
#define TCP_SYN_ACK 0x12
#define FACT "AVPS-FACT-REPLY net_echo_port "

enum offload_kind { DATA_VALID, NEEDS_CSUM, GSO };

static uint8_t frames[4][NETF_FRAME_MAX] __attribute__((aligned(16)));
static uint8_t tcp_frame[NETF_FRAME_MAX] __attribute__((aligned(16)));
static uint32_t lens[4];
static struct netf_rx got;

static uint32_t sum16(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* IPv4 packet of the frame: header length, or 0 when the frame is no whole IPv4 packet. */
static uint32_t ipv4(const struct netf_rx *r, uint32_t *total)
{
	const uint8_t *ip = r->frame + 14;
	if (r->len < 34 || r->frame[12] != 0x08 || r->frame[13] != 0 || (ip[0] >> 4) != 4)
		return 0;
	uint32_t ihl = (ip[0] & 15u) * 4, tot = (uint32_t)(ip[2] << 8 | ip[3]);
	if (ihl < 20 || tot < ihl || 14 + tot > r->len)
		return 0;
	*total = tot;
	return ihl;
}

/* TCP/UDP pseudo-header sum (not complemented) of an IPv4 packet. */
static uint32_t pseudo_sum(const uint8_t *ip, uint32_t ihl, uint32_t total)
{
	return sum16(ip + 12, 8, 0) + ip[9] + (total - ihl);
}

#define BAD(...) probe_check(false, __VA_ARGS__)

/* DATA_VALID: the IPv4 header checksum and, for a whole ICMP/TCP/UDP packet, its checksum verify. */
static bool judge_data_valid(const char *n, const struct netf_rx *r)
{
	uint32_t total, ihl = ipv4(r, &total);
	if (!ihl)
		return true;   /* not IPv4: nothing the probe can recompute */
	const uint8_t *ip = r->frame + 14;
	if (fold(sum16(ip, ihl, 0)) != 0xffff)
		return BAD("%s: %u-byte frame marked DATA_VALID: IPv4 header checksum wrong", n, r->len);
	if ((ip[6] & 0x3f) || ip[7])
		return true;   /* a fragment: its transport checksum covers the whole datagram */
	uint32_t l4 = sum16(ip + ihl, total - ihl, 0);
	if (ip[9] == 1 && fold(l4) != 0xffff)
		return BAD("%s: %u-byte frame marked DATA_VALID: ICMP checksum wrong", n, r->len);
	bool udp_none = ip[9] == 17 && !ip[ihl + 6] && !ip[ihl + 7];
	if ((ip[9] == 6 || ip[9] == 17) && !udp_none && fold(l4 + pseudo_sum(ip, ihl, total)) != 0xffff)
		return BAD("%s: %u-byte frame marked DATA_VALID: %s checksum wrong", n, r->len, ip[9] == 6 ? "TCP" : "UDP");
	return true;
}

/* NEEDS_CSUM: csum_start/offset inside the packet, earlier checksums (IPv4 header) right, the
 * checksum field holding the pseudo-header sum, and completing it gives a valid packet. */
static bool judge_needs_csum(const char *n, const struct netf_rx *r)
{
	uint32_t start = r->hdr.csum_start, off = r->hdr.csum_offset, total, ihl = ipv4(r, &total);
	if (start + off + 2 > r->len)
		return BAD("%s: NEEDS_CSUM with csum_start %u + csum_offset %u beyond the %u-byte frame", n, start, off,
			   r->len);
	if (!ihl)
		return true;
	const uint8_t *ip = r->frame + 14;
	if (fold(sum16(ip, ihl, 0)) != 0xffff)
		return BAD("%s: NEEDS_CSUM frame: IPv4 header checksum (before csum_start) wrong", n);
	if (ip[9] != 6 && ip[9] != 17)
		return true;
	const uint8_t *field = r->frame + start + off;
	uint32_t end = 14 + total;
	uint16_t stored = (uint16_t)(field[0] << 8 | field[1]), pseudo = fold(pseudo_sum(ip, ihl, total));
	if (stored != pseudo)
		return BAD("%s: NEEDS_CSUM frame: checksum field 0x%04x, TCP/UDP pseudo-header sum 0x%04x", n, stored, pseudo);
	if (start != 14 + ihl || start >= end)
		return BAD("%s: NEEDS_CSUM frame: csum_start %u, the transport header starts at %u", n, start, 14 + ihl);
	uint16_t completed = (uint16_t)~fold(sum16(r->frame + start, end - start, 0));
	uint32_t check = sum16(ip + ihl, total - ihl, 0) - stored + completed + pseudo_sum(ip, ihl, total);
	if (fold(check) != 0xffff)
		return BAD("%s: NEEDS_CSUM frame: completing at csum_start %u csum_offset %u gives a wrong %s checksum", n,
			   start, off, ip[9] == 6 ? "TCP" : "UDP");
	return true;
}

/* GSO type set: NEEDS_CSUM also set, gso_size a segment size (1 .. the frame's length); with
 * RSC_EXT negotiated, RSC_INFO set and csum_start counting at least one coalesced segment; with
 * GUEST_ECN negotiated, a TCP packet whose header has the ECN bit (CWR) set carries GSO_ECN. */
static bool judge_gso(const char *n, const struct netf_rx *r, bool rsc_ext, bool ecn)
{
	uint32_t total, ihl = ipv4(r, &total);
	const uint8_t *ip = r->frame + 14;
	if (ecn && ihl && ip[9] == 6 && total >= ihl + 20 && (ip[ihl + 13] & TCP_CWR) && !(r->hdr.gso_type & GSO_ECN))
		return BAD("%s: received gso_type 0x%x for a TCP packet with CWR set, GUEST_ECN negotiated: "
			   "GSO_ECN (0x80) missing", n, r->hdr.gso_type);
	if (rsc_ext && (!(r->hdr.flags & HDR_F_RSC_INFO) || r->hdr.csum_start == 0))
		return BAD("%s: received gso_type %u with RSC_EXT negotiated: flags 0x%x, csum_start (coalesced "
			   "segments) %u", n, r->hdr.gso_type, r->hdr.flags, r->hdr.csum_start);
	if (!(r->hdr.flags & HDR_F_NEEDS_CSUM))
		return BAD("%s: received gso_type %u without NEEDS_CSUM", n, r->hdr.gso_type);
	if (r->hdr.gso_size == 0 || r->hdr.gso_size >= r->len)
		return BAD("%s: received gso_type %u with gso_size %u (frame %u bytes)", n, r->hdr.gso_type,
			   r->hdr.gso_size, r->len);
	return true;
}

static bool applies(enum offload_kind k, const struct netf_rx *r)
{
	return k == DATA_VALID ? (r->hdr.flags & HDR_F_DATA_VALID) != 0
	     : k == NEEDS_CSUM ? (r->hdr.flags & HDR_F_NEEDS_CSUM) != 0 : r->hdr.gso_type != GSO_NONE;
}

/* The TCP echo service the platform declares at the gateway (AVPS-FACT net_echo_port), 0 without one. */
static uint16_t declared_echo_port(void)
{
	char reply[96];
	if (!host_link_request("AVPS-FACT net_echo_port", FACT, reply, sizeof(reply), 2000))
		return 0;
	uint32_t port = 0;
	const char *v = reply + sizeof(FACT) - 1;
	for (; *v >= '0' && *v <= '9' && port <= 65535; v++)
		port = port * 10 + (uint32_t)(*v - '0');
	return *v || port > 65535 ? 0 : (uint16_t)port;
}

/* Sends one TCP segment of the echo exchange; false (a failed check) if it is not used. */
static bool tcp_send(struct vsession *s, const uint8_t own[6], const uint8_t gateway[6], uint16_t port, uint32_t seq,
		     uint32_t ack, uint8_t flags, uint16_t mss, uint32_t payload)
{
	uint32_t n = netf_tcp_segment(tcp_frame, own, gateway, TCP_SPORT, port, seq, ack, flags, mss, payload);
	return probe_check(n > 0, "probe: TCP segment not built") && netf_send(s, tcp_frame, n);
}

/* Negotiates GUEST_CSUM (GSO: plus GUEST_TSO4), runs an ARP, an ICMP echo and, where the platform
 * declares a TCP echo service, a TCP echo exchange with the gateway (SYN with MSS 536, then 1200
 * bytes) and judges every received packet the flag or type applies to. */
static void offload_case(enum offload_kind k, const char *name)
{
	struct vsession s;
	uint8_t own[6], gateway[6];
	uint64_t want = VIRTIO_BIT(NET_F_GUEST_CSUM) | (k == GSO ? VIRTIO_BIT(NET_F_GUEST_TSO4) : 0);
	/* GSO: RSC_EXT too where offered, with the transmit features it requires (the probe's transmit
	 * headers stay all-zero, so they change nothing it sends). */
	uint64_t rsc = VIRTIO_BIT(NET_F_CSUM) | VIRTIO_BIT(NET_F_HOST_TSO4) | VIRTIO_BIT(NET_F_RSC_EXT);
	struct vdev *net = vdev_find(VIRTIO_ID_NET);
	if (k == GSO && net && (net->t.offered & rsc) == rsc)
		want |= rsc;
	if (k == GSO && net)
		want |= net->t.offered & VIRTIO_BIT(NET_F_GUEST_ECN);
	uint16_t port = net && (net->t.offered & want) == want ? declared_echo_port() : 0;
	struct vdev *d = netf_open(&s, want, k == GSO ? "VIRTIO_NET_F_GUEST_CSUM and GUEST_TSO4" :
				   "VIRTIO_NET_F_GUEST_CSUM", own);
	if (!d)
		return;
	int marked = 0;
	bool syn_sent = false, data_sent = false;
	if (!netf_learn_gateway(&s, own, gateway))
		goto out;
	int nf = netf_icmp_echo(frames, lens, 4, own, gateway, 0x7c01, ECHO_IDENT, ECHO_PAYLOAD, 800, false);
	for (int i = 0; i < nf; i++)
		if (!netf_send(&s, frames[i], lens[i]))
			goto out;
	if (port && !(syn_sent = tcp_send(&s, own, gateway, port, TCP_ISN, 0, TCP_SYN, TCP_MSS, 0)))
		goto out;
	uint64_t end = vmmio_now_us(s.t) + 300000;
	while (vmmio_now_us(s.t) < end) {
		int r = netf_receive(&s, 10000, &got);
		uint32_t server_seq;
		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		if (port && !data_sent && netf_is_tcp_from_gateway(&got, TCP_SPORT, TCP_SYN_ACK, &server_seq)) {
			data_sent = true;
			if (!tcp_send(&s, own, gateway, port, TCP_ISN + 1, server_seq + 1, TCP_PSH_ACK, 0, ECHO_PAYLOAD))
				goto out;
		}
		if (!applies(k, &got))
			continue;
		marked++;
		bool ok = k == DATA_VALID ? judge_data_valid(vdev_name(d), &got)
			: k == NEEDS_CSUM ? judge_needs_csum(vdev_name(d), &got) : judge_gso(vdev_name(d), &got, (s.features & VIRTIO_BIT(NET_F_RSC_EXT)) != 0,
						    (s.features & VIRTIO_BIT(NET_F_GUEST_ECN)) != 0);
		if (!ok)
			goto out;
	}
	if (!marked)
		probe_skip("%s set %s on no received packet (ARP and ICMP echo replies from the gateway%s); the "
			   "statements bind only a device that sets it", vdev_name(d), name,
			   port ? (data_sent ? ", TCP echo" : ", no TCP SYN-ACK") : ", no TCP echo service declared");
	else
		probe_diag("%s: %d received packets with %s checked", vdev_name(d), marked, name);
out:
	if (syn_sent)   /* the gateway forgets the connection */
		tcp_send(&s, own, gateway, port, TCP_ISN + 1 + (data_sent ? ECHO_PAYLOAD : 0), 0, TCP_RST, 0, 0);
	vs_close(&s);
}

PROBE_CASE(net_rx_data_valid, "virtio.net.rx_data_valid_checksums_hold",
	   AVPS_CHECKS("with GUEST_CSUM negotiated, every received packet marked DATA_VALID carries a correct IPv4 "
		       "header checksum and, when whole, a correct ICMP/TCP/UDP checksum (SKIP while none is marked)"),
	   NET_OP("Processing of Incoming Packets #23"))
static void net_rx_data_valid(void)
{
	offload_case(DATA_VALID, "DATA_VALID");
}

PROBE_CASE(net_rx_needs_csum, "virtio.net.rx_needs_csum_completes",
	   AVPS_CHECKS("with GUEST_CSUM negotiated, every received packet marked NEEDS_CSUM has a correct IPv4 "
		       "header checksum, the TCP/UDP pseudo-header sum in its checksum field, and csum_start/offset "
		       "that give a correct checksum when completed (SKIP while none is marked)"),
	   NET_OP("Processing of Incoming Packets #13"), NET_OP("Processing of Incoming Packets #14"),
	   NET_OP("Processing of Incoming Packets #15"))
static void net_rx_needs_csum(void)
{
	offload_case(NEEDS_CSUM, "NEEDS_CSUM");
}

PROBE_CASE(net_rx_gso, "virtio.net.rx_gso_header_complete",
	   AVPS_CHECKS("with GUEST_CSUM and GUEST_TSO4 negotiated (and RSC_EXT where offered), every received "
		       "packet with a gso_type other than NONE also has NEEDS_CSUM, a gso_size between 1 and its "
		       "length, with RSC_EXT, RSC_INFO and a coalesced-segment count and, with GUEST_ECN (negotiated "
		       "where offered), GSO_ECN when the TCP header has CWR set (SKIP while none comes)"),
	   NET_OP("Processing of Incoming Packets #11"), NET_OP("Processing of Incoming Packets #17"),
	   NET_OP("Processing of Incoming Packets #18"), NET_OP("Processing of Incoming Packets #19"))
static void net_rx_gso(void)
{
	offload_case(GSO, "a GSO type");
}
