/* The network model's peer on its in-process switch: a gateway (10.0.2.2) that answers ARP, ICMP echo and a TCP echo service, checking every checksum it relies on. */
#include "byte_order.h"
#include "model_net_responder.h"

#include <string.h>

#define ETH_HEADER 14
#define ETH_MIN_FRAME 60
#define ETH_ARP 0x0806
#define ETH_IPV4 0x0800
#define IP_HEADER 20
#define IP_MF 0x2000
#define IP_DF 0x4000
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define TCP_HEADER 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_WINDOW 65535

uint32_t net_checksum_add(uint32_t sum, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
	if (len & 1)
		sum += (uint32_t)bytes[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t net_checksum_finish(uint32_t sum)
{
	return (uint16_t)~net_checksum_add(sum, NULL, 0);
}

/* Sum of the TCP pseudo header (source, destination, protocol, length). */
static uint32_t pseudo_header(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len)
{
	uint8_t p[12];
	memcpy(p, src, 4);
	memcpy(p + 4, dst, 4);
	p[8] = 0, p[9] = proto;
	put16(p + 10, len);
	return net_checksum_add(0, p, sizeof(p));
}

void net_responder_init(struct net_responder *r, uint16_t echo_port, uint16_t mtu)
{
	static const uint8_t gateway_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	memset(r->tcp, 0, sizeof(r->tcp));
	memcpy(r->mac, gateway_mac, 6);
	r->ip[0] = 10, r->ip[1] = 0, r->ip[2] = 2, r->ip[3] = 2;
	r->guest_ip[0] = 10, r->guest_ip[1] = 0, r->guest_ip[2] = 2, r->guest_ip[3] = 15;
	r->echo_port = echo_port;
	r->mtu = mtu;
	r->datagram_active = false;
}

static bool send_frame(struct net_responder *r, const uint8_t *frame, size_t len)
{
	uint8_t padded[ETH_MIN_FRAME];
	if (len < ETH_MIN_FRAME) {
		memset(padded, 0, sizeof(padded));
		memcpy(padded, frame, len);
		frame = padded, len = ETH_MIN_FRAME;
	}
	return r->send(r->ctx, frame, len);
}

static void answer_arp(struct net_responder *r, const uint8_t *f, size_t len)
{
	if (len < 42 || be16(f + 14) != 1 || be16(f + 16) != ETH_IPV4 || f[18] != 6 || f[19] != 4 || be16(f + 20) != 1 ||
	    memcmp(f + 38, r->ip, 4))
		return;
	uint8_t out[42];
	memcpy(out, f + 6, 6);                 /* to the request's Ethernet source */
	memcpy(out + 6, r->mac, 6);
	memcpy(out + 12, f + 12, 10);          /* ethertype, hardware/protocol types and sizes */
	put16(out + 20, 2);                    /* reply */
	memcpy(out + 22, r->mac, 6);
	memcpy(out + 28, r->ip, 4);
	memcpy(out + 32, f + 22, 10);          /* the asker's addresses */
	send_frame(r, out, sizeof(out));
}

/* Sends one IP datagram's payload to dst_mac, in fragments of at most mtu bytes (the fault: mtu + 100). */
static bool send_ip(struct net_responder *r, const uint8_t dst_mac[6], uint8_t proto, const uint8_t *payload,
		    uint32_t len)
{
	uint8_t frame[NET_FRAME_MAX];
	uint32_t mtu = r->mtu + (r->no_fragmenting ? 100u : 0u);
	if (ETH_HEADER + mtu > sizeof(frame))
		mtu = sizeof(frame) - ETH_HEADER;
	uint32_t piece = (mtu - IP_HEADER) & ~7u;
	uint16_t id = ++r->ip_id;
	for (uint32_t off = 0; off < len || off == 0; off += piece) {
		uint32_t n = len - off < piece ? len - off : piece;
		bool more = off + n < len;
		memcpy(frame, dst_mac, 6);
		memcpy(frame + 6, r->mac, 6);
		put16(frame + 12, ETH_IPV4);
		uint8_t *ip = frame + ETH_HEADER;
		memset(ip, 0, IP_HEADER);
		ip[0] = 0x45;
		put16(ip + 2, IP_HEADER + n);
		put16(ip + 4, id);
		put16(ip + 6, (more ? IP_MF : 0) | (off / 8));
		ip[8] = 64, ip[9] = proto;
		memcpy(ip + 12, r->ip, 4);
		memcpy(ip + 16, r->guest_ip, 4);
		put16(ip + 10, net_checksum_finish(net_checksum_add(0, ip, IP_HEADER)));
		memcpy(ip + IP_HEADER, payload + off, n);
		if (!send_frame(r, frame, ETH_HEADER + IP_HEADER + n))
			return false;
		if (!more)
			break;
	}
	return true;
}

static void answer_icmp(struct net_responder *r, const uint8_t *src_mac, const uint8_t *msg, uint32_t len)
{
	uint8_t *reply = r->reply;
	if (len < 8 || msg[0] != 8 || len > sizeof(r->reply))
		return;
	/* Packet Transmission #6: a checksum the driver did not ask the device to fill must be right. */
	if (!r->trust_checksums && net_checksum_finish(net_checksum_add(0, msg, len)) != 0)
		return;
	memcpy(reply, msg, len);
	reply[0] = 0;                          /* echo reply */
	put16(reply + 2, 0);
	put16(reply + 2, net_checksum_finish(net_checksum_add(0, reply, len)));
	send_ip(r, src_mac, PROTO_ICMP, reply, len);
}

static bool send_tcp(struct net_responder *r, const uint8_t *dst_mac, uint16_t dst_port, uint32_t seq, uint32_t ack,
		     uint8_t flags, const uint8_t *data, uint32_t len, uint16_t mss_option)
{
	uint8_t seg[TCP_HEADER + 4 + NET_FRAME_MAX];
	uint32_t header = TCP_HEADER + (mss_option ? 4u : 0u);
	memset(seg, 0, header);
	put16(seg, r->echo_port);
	put16(seg + 2, dst_port);
	put32(seg + 4, seq);
	put32(seg + 8, ack);
	seg[12] = (uint8_t)((header / 4) << 4);
	seg[13] = flags;
	put16(seg + 14, TCP_WINDOW);
	if (mss_option) {
		seg[20] = 2, seg[21] = 4;
		put16(seg + 22, mss_option);
	}
	if (len)
		memcpy(seg + header, data, len);
	uint32_t sum = pseudo_header(r->ip, r->guest_ip, PROTO_TCP, header + len);
	put16(seg + 16, net_checksum_finish(net_checksum_add(sum, seg, header + len)));
	return send_ip(r, dst_mac, PROTO_TCP, seg, header + len);
}

static struct net_tcp_connection *find_connection(struct net_responder *r, uint16_t port, bool create)
{
	for (unsigned i = 0; i < NET_TCP_CONNECTIONS; i++)
		if (r->tcp[i].used && r->tcp[i].peer_port == port)
			return &r->tcp[i];
	for (unsigned i = 0; create && i < NET_TCP_CONNECTIONS; i++)
		if (!r->tcp[i].used)
			return &r->tcp[i];
	return NULL;
}

static uint16_t peer_mss(const uint8_t *seg, uint32_t header)
{
	for (uint32_t i = TCP_HEADER; i + 1 < header;) {
		if (seg[i] == 0)
			break;
		if (seg[i] == 1) {
			i++;
			continue;
		}
		if (seg[i] == 2 && seg[i + 1] == 4 && i + 4 <= header)
			return be16(seg + i + 2);
		if (seg[i + 1] < 2)
			break;
		i += seg[i + 1];
	}
	return 536;
}

/* The echo service: what arrives in order is sent back, and acknowledged only once its echo is queued. */
static void answer_tcp(struct net_responder *r, const uint8_t *src_mac, const uint8_t *seg, uint32_t len)
{
	if (len < TCP_HEADER)
		return;
	uint32_t header = (uint32_t)(seg[12] >> 4) * 4;
	if (header < TCP_HEADER || header > len)
		return;
	if (!r->trust_checksums &&
	    net_checksum_finish(net_checksum_add(pseudo_header(r->guest_ip, r->ip, PROTO_TCP, len), seg, len)) != 0)
		return;
	uint16_t port = be16(seg), dport = be16(seg + 2);
	uint32_t seq = be32(seg + 4), ack = be32(seg + 8), data_len = len - header;
	uint8_t flags = seg[13];
	const uint8_t *data = seg + header;
	if (flags & TCP_RST) {
		struct net_tcp_connection *c = find_connection(r, port, false);
		if (c)
			c->used = false;
		return;
	}
	struct net_tcp_connection *c = dport == r->echo_port ? find_connection(r, port, (flags & TCP_SYN) != 0) : NULL;
	if (!c) {
		uint32_t end = seq + data_len + ((flags & TCP_SYN) ? 1 : 0) + ((flags & TCP_FIN) ? 1 : 0);
		if (flags & TCP_ACK)
			send_tcp(r, src_mac, port, ack, 0, TCP_RST, NULL, 0, 0);
		else
			send_tcp(r, src_mac, port, 0, end, TCP_RST | TCP_ACK, NULL, 0, 0);
		return;
	}
	if ((flags & TCP_SYN) && !(flags & TCP_ACK)) {
		if (!c->used || c->rcv_nxt != seq + 1) {
			*c = (struct net_tcp_connection){ .used = true, .peer_port = port, .rcv_nxt = seq + 1,
							   .snd_una = 0x10000u * port, .snd_nxt = 0x10000u * port + 1,
							   .snd_wnd = be16(seg + 14), .peer_mss = peer_mss(seg, header) };
			memcpy(c->peer_mac, src_mac, 6);
		}
		send_tcp(r, src_mac, port, c->snd_una, c->rcv_nxt, TCP_SYN | TCP_ACK, NULL, 0,
			 (uint16_t)(r->mtu - IP_HEADER - TCP_HEADER));
		return;
	}
	if ((flags & TCP_ACK) && (int32_t)(ack - c->snd_una) > 0 && (int32_t)(ack - c->snd_nxt) <= 0) {
		c->snd_una = ack;
		c->snd_wnd = be16(seg + 14);
		if (c->fin_sent && ack == c->snd_nxt) {
			c->used = false;
			return;
		}
	}
	if (data_len && seq == c->rcv_nxt) {
		uint32_t mss = c->peer_mss < r->mtu - IP_HEADER - TCP_HEADER ? c->peer_mss : r->mtu - IP_HEADER - TCP_HEADER;
		if (mss < 64)
			mss = 64;
		uint32_t segments = (data_len + mss - 1) / mss;
		bool room = (!r->room || r->room(r->ctx) >= segments + 1) &&
			    c->snd_nxt + data_len - c->snd_una <= c->snd_wnd;
		if (!room)
			return;   /* not acknowledged: the guest sends it again */
		c->rcv_nxt += data_len;
		for (uint32_t off = 0; off < data_len; off += mss) {
			uint32_t n = data_len - off < mss ? data_len - off : mss;
			send_tcp(r, src_mac, port, c->snd_nxt, c->rcv_nxt, TCP_ACK | TCP_PSH, data + off, n, 0);
			c->snd_nxt += n;
		}
	} else if (data_len) {
		send_tcp(r, src_mac, port, c->snd_nxt, c->rcv_nxt, TCP_ACK, NULL, 0, 0);   /* out of order: ack what we have */
	}
	if ((flags & TCP_FIN) && seq + data_len == c->rcv_nxt && !c->fin_sent) {
		c->rcv_nxt++;
		send_tcp(r, src_mac, port, c->snd_nxt, c->rcv_nxt, TCP_FIN | TCP_ACK, NULL, 0, 0);
		c->snd_nxt++;
		c->fin_sent = true;
	}
}

/* An IPv4 datagram addressed to the gateway, whole. */
static void answer_ip(struct net_responder *r, const uint8_t *src_mac, uint8_t proto, const uint8_t *payload,
		      uint32_t len)
{
	if (proto == PROTO_ICMP)
		answer_icmp(r, src_mac, payload, len);
	else if (proto == PROTO_TCP)
		answer_tcp(r, src_mac, payload, len);
}

static void receive_ipv4(struct net_responder *r, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HEADER;
	if (len < ETH_HEADER + IP_HEADER || (ip[0] >> 4) != 4)
		return;
	uint32_t ihl = (ip[0] & 15u) * 4, total = be16(ip + 2);
	if (ihl < IP_HEADER || total < ihl || ETH_HEADER + total > len || memcmp(ip + 16, r->ip, 4))
		return;
	if (!r->trust_checksums && net_checksum_finish(net_checksum_add(0, ip, ihl)) != 0)
		return;
	uint32_t frag = be16(ip + 6), off = (frag & 0x1fff) * 8, n = total - ihl;
	if (!(frag & IP_MF) && off == 0) {
		answer_ip(r, f + 6, ip[9], ip + ihl, n);
		return;
	}
	/* A fragment: one datagram at a time is reassembled; a new ID starts over. */
	if (!r->datagram_active || r->datagram_id != be16(ip + 4)) {
		r->datagram_active = true;
		r->datagram_id = be16(ip + 4);
		r->datagram_bytes = r->datagram_total = 0;
		memcpy(r->datagram_header, ip, IP_HEADER);
	}
	if (off + n > sizeof(r->datagram)) {
		r->datagram_active = false;
		return;
	}
	memcpy(r->datagram + off, ip + ihl, n);
	r->datagram_bytes += n;
	if (!(frag & IP_MF))
		r->datagram_total = off + n;
	if (r->datagram_total && r->datagram_bytes >= r->datagram_total) {
		r->datagram_active = false;
		answer_ip(r, f + 6, r->datagram_header[9], r->datagram, r->datagram_total);
	}
}

void net_responder_receive(struct net_responder *r, const uint8_t *frame, size_t len)
{
	if (len < ETH_HEADER)
		return;
	uint16_t type = be16(frame + 12);
	if (type == ETH_ARP)
		answer_arp(r, frame, len);
	else if (type == ETH_IPV4)
		receive_ipv4(r, frame, len);
}
