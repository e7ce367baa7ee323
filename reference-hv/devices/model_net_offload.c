/* Network model offloads (VIRTIO 1.2 Network Device / Processing of Incoming Packets, Packet Transmission): receive checksum flags, TCP segments coalesced for GUEST_TSO4 (RSC_EXT counts), transmit checksum completion and HOST_TSO4 segmentation. */
#include "byte_order.h"
#include "model_net.h"

#include <string.h>

#define ETH_HEADER 14
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80
#define GSO_ECN 0x80

static void put_le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

/* Where a frame's IPv4 packet and, for TCP, its segment lie. */
struct ip_view {
	uint32_t ihl, total;      /* IPv4 header and packet length; 0 when the frame holds no whole IPv4 header */
	bool fragment;
	uint32_t thl, payload;    /* TCP header and payload length; thl 0 when not a whole TCP segment */
};

static struct ip_view view(const uint8_t *f, uint32_t len)
{
	struct ip_view v = { 0 };
	const uint8_t *ip = f + ETH_HEADER;
	if (len < ETH_HEADER + 20 || be16(f + 12) != 0x0800 || (ip[0] >> 4) != 4)
		return v;
	uint32_t ihl = (ip[0] & 15u) * 4, total = be16(ip + 2);
	if (ihl < 20 || total < ihl || ETH_HEADER + total > len)
		return v;
	v.ihl = ihl, v.total = total, v.fragment = (be16(ip + 6) & 0x3fff) != 0;
	if (ip[9] != PROTO_TCP || v.fragment || total < ihl + 20)
		return v;
	uint32_t thl = (uint32_t)(ip[ihl + 12] >> 4) * 4;
	if (thl >= 20 && ihl + thl <= total)
		v.thl = thl, v.payload = total - ihl - thl;
	return v;
}

/* Sum of the TCP/UDP pseudo header of an IPv4 packet whose transport part is l4_len bytes (not inverted). */
static uint32_t pseudo_sum(const uint8_t *ip, uint32_t l4_len)
{
	uint8_t p[4] = { 0, ip[9], (uint8_t)(l4_len >> 8), (uint8_t)l4_len };
	return net_checksum_add(net_checksum_add(0, ip + 12, 8), p, 4);
}

/* Does the frame's IPv4 header checksum verify and, for a whole ICMP/TCP/UDP packet, its own? */
static bool checksums_valid(const uint8_t *f, const struct ip_view *v)
{
	const uint8_t *ip = f + ETH_HEADER;
	if (!v->ihl || v->fragment || net_checksum_finish(net_checksum_add(0, ip, v->ihl)) != 0)
		return false;
	const uint8_t *l4 = ip + v->ihl;
	uint32_t n = v->total - v->ihl;
	if (ip[9] == PROTO_ICMP)
		return net_checksum_finish(net_checksum_add(0, l4, n)) == 0;
	if (ip[9] == PROTO_UDP && n >= 8 && !l4[6] && !l4[7])
		return true;   /* UDP without a checksum */
	if (ip[9] == PROTO_TCP || ip[9] == PROTO_UDP)
		return net_checksum_finish(net_checksum_add(pseudo_sum(ip, n), l4, n)) == 0;
	return false;
}

/* May pending frame q follow the segments coalesced so far (first segment f, next sequence number seq)? */
static bool continues(const uint8_t *f, const struct ip_view *v, uint32_t seq, const struct pending_frame *q,
		      uint8_t pair)
{
	struct ip_view w = view(q->bytes, q->len);
	const uint8_t *ip = f + ETH_HEADER, *qip = q->bytes + ETH_HEADER;
	if (q->pair != pair || !w.thl || w.ihl != v->ihl || w.thl != v->thl || !w.payload || w.payload > v->payload)
		return false;
	const uint8_t *tcp = ip + v->ihl, *qtcp = qip + w.ihl;
	return !memcmp(ip + 12, qip + 12, 8) && !memcmp(tcp, qtcp, 4) && be32(qtcp + 4) == seq &&
	       !memcmp(tcp + 8, qtcp + 8, 4) && !(qtcp[13] & ~(TCP_ACK | TCP_PSH)) && checksums_valid(q->bytes, &w);
}

unsigned net_rx_build(struct vdev *dev, uint32_t room, uint8_t *out, uint32_t *len)
{
	struct net_state *st = dev->state;
	const struct pending_frame *p = &st->pending[st->head];
	uint8_t *hdr = out, *f = out + NET_HDR;
	uint32_t flen = p->len;
	unsigned taken = 1, segments = 1;
	memset(hdr, 0, NET_HDR);
	memcpy(f, p->bytes, flen);
	*len = NET_HDR + flen;
	if (!vdev_has_feature(dev, NET_F_GUEST_CSUM)) {
		/* Processing of Incoming Packets #5: no flags or GSO type the driver did not negotiate. */
		if (vdev_fault(dev, NET_FAULT_RX_OFFLOAD_FLAGS))
			hdr[0] = HDR_F_DATA_VALID;
		return 1;
	}
	struct ip_view v = view(f, flen);
	if (!checksums_valid(f, &v))
		return 1;   /* nothing validated: no flag promises anything (#23, #13) */
	if (!v.thl) {
		hdr[0] = HDR_F_DATA_VALID;   /* #23: validated just above */
		return 1;
	}
	uint8_t *ip = f + ETH_HEADER, *tcp = ip + v.ihl;
	/* GUEST_TSO4: the flow's next in-sequence data segments join this one while they fit; a segment
	 * shorter than the first (the MSS) ends the run. */
	if (vdev_has_feature(dev, NET_F_GUEST_TSO4) && v.payload && !(tcp[13] & ~(TCP_ACK | TCP_PSH))) {
		uint32_t seq = be32(tcp + 4) + v.payload, last = v.payload;
		flen = ETH_HEADER + v.total;
		while (taken < st->count && last == v.payload) {
			const struct pending_frame *q = &st->pending[(st->head + taken) % PENDING_FRAMES];
			if (!continues(f, &v, seq, q, p->pair))
				break;
			struct ip_view w = view(q->bytes, q->len);
			if (flen + w.payload > room || flen + w.payload > RX_PACKET_MAX)
				break;
			const uint8_t *qtcp = q->bytes + ETH_HEADER + w.ihl;
			memcpy(f + flen, qtcp + w.thl, w.payload);
			tcp[13] |= qtcp[13] & TCP_PSH;
			flen += w.payload, seq += w.payload, last = w.payload;
			taken++, segments++;
		}
		if (segments > 1) {
			v.total = flen - ETH_HEADER;
			put16(ip + 2, v.total);
			put16(ip + 10, 0);
			put16(ip + 10, net_checksum_finish(net_checksum_add(0, ip, v.ihl)));
			hdr[1] = GSO_TCPV4;
			put_le16(hdr + 2, ETH_HEADER + v.ihl + v.thl);   /* #21: headers up to the transport header */
			put_le16(hdr + 4, v.payload);                     /* #18: the MSS */
			*len = NET_HDR + flen;
		}
	}
	/* #13-#15: checksums validated above; the TCP checksum field holds the pseudo-header sum, and
	 * csum_start/csum_offset say where to complete it. */
	uint32_t l4 = v.total - v.ihl;
	put16(tcp + 16, 0);
	uint16_t partial = (uint16_t)net_checksum_add(pseudo_sum(ip, l4), NULL, 0);
	if (vdev_fault(dev, NET_FAULT_NEEDS_CSUM_FULL_CHECKSUM))
		partial = net_checksum_finish(net_checksum_add(pseudo_sum(ip, l4), tcp, l4));   /* fault: breaks #14 */
	put16(tcp + 16, partial);
	hdr[0] = HDR_F_NEEDS_CSUM;
	put_le16(hdr + 6, ETH_HEADER + v.ihl);
	put_le16(hdr + 8, 16);
	if (vdev_fault(dev, NET_FAULT_DATA_VALID_ON_PARTIAL) && segments == 1)
		hdr[0] = HDR_F_DATA_VALID;   /* fault: a segment's partial checksum marked valid (breaks #23) */
	if (segments > 1) {
		if (vdev_fault(dev, NET_FAULT_GSO_WITHOUT_NEEDS_CSUM))
			hdr[0] &= (uint8_t)~HDR_F_NEEDS_CSUM;   /* fault: breaks #17 */
		/* #19: with RSC_EXT, RSC_INFO and the coalesced segments (no duplicate ACKs are coalesced). */
		if (vdev_has_feature(dev, NET_F_RSC_EXT) && !vdev_fault(dev, NET_FAULT_RSC_INFO_MISSING)) {
			hdr[0] |= HDR_F_RSC_INFO;
			put_le16(hdr + 6, segments);
			put_le16(hdr + 8, 0);
		}
	}
	return taken;
}

/* HOST_TSO4: one TCPV4 GSO frame cut into gso_size segments, each with its own IPv4 length, ID and
 * checksum and a complete TCP checksum; hdr_len is not used (Packet Transmission #5). */
static void segment(struct net_state *st, const uint8_t *f, size_t len, uint16_t mss)
{
	struct ip_view v = view(f, (uint32_t)len);
	if (!v.thl || !mss)
		return;   /* not a TCP/IPv4 frame the device can segment: dropped */
	uint32_t headers = ETH_HEADER + v.ihl + v.thl;
	const uint8_t *ip = f + ETH_HEADER;
	uint32_t seq = be32(ip + v.ihl + 4);
	uint16_t id = be16(ip + 4);
	uint8_t flags = ip[v.ihl + 13];
	for (uint32_t off = 0, k = 0; off < v.payload; off += mss, k++) {
		uint32_t n = v.payload - off < mss ? v.payload - off : mss;
		if (headers + n > sizeof(st->segment))
			return;   /* segments longer than any frame the link carries */
		uint8_t *s = st->segment, *sip = s + ETH_HEADER, *tcp = sip + v.ihl;
		memcpy(s, f, headers);
		memcpy(s + headers, f + headers + off, n);
		put16(sip + 2, v.ihl + v.thl + n);
		put16(sip + 4, (uint32_t)(id + k));
		put16(sip + 10, 0);
		put16(sip + 10, net_checksum_finish(net_checksum_add(0, sip, v.ihl)));
		put32(tcp + 4, seq + off);
		bool last = off + n == v.payload;
		tcp[13] = (uint8_t)(flags & ~(last ? 0 : TCP_FIN | TCP_PSH) & ~(k ? TCP_CWR : 0));
		put16(tcp + 16, 0);
		put16(tcp + 16, net_checksum_finish(net_checksum_add(pseudo_sum(sip, v.thl + n), tcp, v.thl + n)));
		net_responder_receive(&st->responder, s, headers + n);
	}
}

void net_tx_offload(struct vdev *dev, const uint8_t hdr[NET_HDR], size_t len)
{
	struct net_state *st = dev->state;
	uint16_t csum_start = (uint16_t)(hdr[6] | hdr[7] << 8), csum_offset = (uint16_t)(hdr[8] | hdr[9] << 8);
	uint16_t gso_size = (uint16_t)(hdr[4] | hdr[5] << 8);
	if ((hdr[1] & (uint8_t)~GSO_ECN) == GSO_TCPV4 && vdev_has_feature(dev, NET_F_HOST_TSO4)) {
		segment(st, st->tx, len, gso_size);
		return;
	}
	if (len > (size_t)st->mtu + 14 + 4 || (vdev_fault(dev, NET_FAULT_TX_DROPS_LARGE) && len > 1000 + 14))
		return;
	/* Packet Transmission: the header's hints are used only as NEEDS_CSUM asks (#2, #6). */
	bool fill = (hdr[0] & HDR_F_NEEDS_CSUM) && vdev_has_feature(dev, NET_F_CSUM);
	if (vdev_fault(dev, NET_FAULT_TX_HINTS_APPLIED) && (csum_start || csum_offset))
		fill = true;   /* fault: the hints used without NEEDS_CSUM */
	if (fill && (size_t)csum_start + csum_offset + 2 <= len) {
		uint8_t *at = st->tx + csum_start + csum_offset;
		uint16_t sum = net_checksum_finish(net_checksum_add(0, st->tx + csum_start, len - csum_start));
		put16(at, sum);
	}
	net_responder_receive(&st->responder, st->tx, len);
}
