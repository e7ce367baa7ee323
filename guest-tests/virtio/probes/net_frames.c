/* Ethernet frames for the network statement cases: receive ring, transmit, control commands, ARP and ICMP echo with the host's gateway. */
#include "net_frames.h"
#include "probe.h"

#define RX_SLOTS 6
#define RX_BYTES (NETF_HDR + NETF_FRAME_MAX)

const uint8_t netf_guest_ip[4] = { 10, 0, 2, 15 }, netf_gateway_ip[4] = { 10, 0, 2, 2 };

static uint8_t rx[RX_SLOTS][RX_BYTES] __attribute__((aligned(16)));
static int rx_slot_of[VIRTQ_MAX_SIZE];
static struct netf_hdr tx_hdr __attribute__((aligned(16)));
static uint8_t ctrl_hdr[2] __attribute__((aligned(16)));
static volatile uint8_t ctrl_ack __attribute__((aligned(16)));

static bool post_rx(struct vsession *s, int slot)
{
	uint16_t id;
	struct vbuf b = { rx[slot], RX_BYTES, true };
	if (virtq_add(&s->q[NETF_RXQ], &b, 1, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK)
		return false;
	rx_slot_of[id] = slot;
	return true;
}

struct vdev *netf_open(struct vsession *s, uint64_t features, const char *what, uint8_t mac[6])
{
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return NULL;
	uint64_t need = features | VIRTIO_BIT(NETF_F_MAC);
	if ((d->t.offered & need) != need) {
		probe_skip("%s does not offer %s", vdev_name(d), what);
		return NULL;
	}
	int queues = (features & VIRTIO_BIT(NETF_F_CTRL_VQ)) ? 3 : 2;
	if (!vs_open(s, d, need, queues, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return NULL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)vmmio_config(&d->t, (uint32_t)i, 1);
	for (int i = 0; i < RX_SLOTS; i++)
		post_rx(s, i);
	vmmio_notify(s->t, &s->q[NETF_RXQ]);
	return d;
}

bool netf_send(struct vsession *s, const uint8_t *frame, uint32_t len)
{
	struct virtq_used u;
	tx_hdr = (struct netf_hdr){ 0 };
	struct vbuf e[2] = { { &tx_hdr, sizeof(tx_hdr), false }, { (void *)frame, len, false } };
	return vs_call(s, NETF_TXQ, e, 2, VIRTQ_CHAIN_DIRECT, &u, "frame on transmitq1");
}

int netf_receive(struct vsession *s, uint32_t timeout_us, struct netf_rx *out)
{
	struct virtq_used u;
	enum virtq_result r = vmmio_wait_used(s->t, &s->q[NETF_RXQ], timeout_us, &u);
	if (r == VIRTQ_EMPTY)
		return 0;
	if (!vdev_used_ok(s->d, r, &u, "receiveq1"))
		return -1;
	int slot = rx_slot_of[u.id];
	__builtin_memcpy(&out->hdr, rx[slot], NETF_HDR);
	out->len = u.len > NETF_HDR ? u.len - NETF_HDR : 0;
	__builtin_memcpy(out->frame, rx[slot] + NETF_HDR, out->len);
	post_rx(s, slot);
	vmmio_notify(s->t, &s->q[NETF_RXQ]);
	return 1;
}

int netf_ctrl(struct vsession *s, uint8_t class_, uint8_t cmd, const struct vbuf *data, int n)
{
	struct virtq_used u;
	struct vbuf e[6];
	if (n > 4)
		return -1;
	ctrl_hdr[0] = class_;
	ctrl_hdr[1] = cmd;
	ctrl_ack = 0xff;
	int k = 0;
	e[k++] = (struct vbuf){ ctrl_hdr, 2, false };
	for (int i = 0; i < n; i++)
		e[k++] = data[i];
	e[k++] = (struct vbuf){ (void *)&ctrl_ack, 1, true };
	return vs_call(s, NETF_CTRLQ, e, k, VIRTQ_CHAIN_DIRECT, &u, "control command") ? ctrl_ack : -1;
}

uint32_t netf_arp_request(uint8_t *f, const uint8_t src[6])
{
	static const uint8_t head[10] = { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 };   /* ARP, Ethernet/IPv4, request */
	for (int i = 0; i < 6; i++)
		f[i] = 0xff, f[6 + i] = src[i], f[22 + i] = src[i], f[32 + i] = 0;
	__builtin_memcpy(f + 12, head, sizeof(head));
	__builtin_memcpy(f + 28, netf_guest_ip, 4);
	__builtin_memcpy(f + 38, netf_gateway_ip, 4);
	return 42;
}

bool netf_is_arp_reply_to(const struct netf_rx *r, const uint8_t dst[6], uint8_t *gateway_mac)
{
	const uint8_t *f = r->frame;
	if (r->len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[21] != 2)
		return false;
	if (__builtin_memcmp(f, dst, 6) != 0 || __builtin_memcmp(f + 28, netf_gateway_ip, 4) != 0)
		return false;
	if (gateway_mac)
		__builtin_memcpy(gateway_mac, f + 22, 6);
	return true;
}

bool netf_learn_gateway(struct vsession *s, const uint8_t own[6], uint8_t gateway[6])
{
	static uint8_t arp[64] __attribute__((aligned(16)));
	static struct netf_rx got;
	if (!netf_send(s, arp, netf_arp_request(arp, own)))
		return false;
	uint64_t end = vmmio_now_us(s->t) + 1000000;
	while (vmmio_now_us(s->t) < end) {
		int r = netf_receive(s, 10000, &got);
		if (r < 0)
			return false;
		if (r > 0 && netf_is_arp_reply_to(&got, own, gateway))
			return true;
	}
	return probe_check(false, "%s: no ARP reply from the gateway 10.0.2.2 within 1000 ms", vdev_name(s->d));
}

/* Ones' complement sum of n bytes (big-endian 16-bit words), folded and inverted. */
static uint16_t inet_checksum(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint8_t netf_echo_pattern(uint16_t ident, uint32_t i)
{
	return (uint8_t)(i * 7 + (ident & 0xff) + (i >> 8));
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int netf_icmp_echo(uint8_t frames[][NETF_FRAME_MAX], uint32_t *lens, int max_frames, const uint8_t src[6],
		   const uint8_t gateway[6], uint16_t ip_id, uint16_t ident, uint32_t payload_len, uint32_t frag_data,
		   bool dont_fragment)
{
	static uint8_t msg[4 * NETF_FRAME_MAX];   /* the whole ICMP message, split below */
	uint32_t msg_len = 8 + payload_len;
	if (msg_len > sizeof(msg) || frag_data < 8 || frag_data % 8 || (dont_fragment && frag_data < msg_len))
		return 0;
	msg[0] = 8, msg[1] = 0, msg[2] = 0, msg[3] = 0;   /* echo request, checksum below */
	put16(msg + 4, ident);
	put16(msg + 6, 1);
	for (uint32_t i = 0; i < payload_len; i++)
		msg[8 + i] = netf_echo_pattern(ident, i);
	put16(msg + 2, inet_checksum(msg, msg_len));
	int k = 0;
	for (uint32_t off = 0; off < msg_len; off += frag_data, k++) {
		if (k == max_frames)
			return 0;
		uint32_t part = msg_len - off < frag_data ? msg_len - off : frag_data;
		if (14 + 20 + part > NETF_FRAME_MAX)
			return 0;
		uint8_t *f = frames[k], *ip = f + 14;
		__builtin_memcpy(f, gateway, 6);
		__builtin_memcpy(f + 6, src, 6);
		f[12] = 0x08, f[13] = 0x00;
		ip[0] = 0x45, ip[1] = 0;
		put16(ip + 2, 20 + part);
		put16(ip + 4, ip_id);
		put16(ip + 6, (off / 8) | (off + part < msg_len ? 0x2000u : 0) | (dont_fragment ? 0x4000u : 0));
		ip[8] = 64, ip[9] = 1, ip[10] = 0, ip[11] = 0;
		__builtin_memcpy(ip + 12, netf_guest_ip, 4);
		__builtin_memcpy(ip + 16, netf_gateway_ip, 4);
		put16(ip + 10, inet_checksum(ip, 20));
		__builtin_memcpy(ip + 20, msg + off, part);
		lens[k] = 14 + 20 + part;
	}
	return k;
}

bool netf_is_icmp_from_gateway(const struct netf_rx *r)
{
	const uint8_t *f = r->frame, *ip = f + 14;
	return r->len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00 && (ip[0] >> 4) == 4 && ip[9] == 1 &&
	       __builtin_memcmp(ip + 12, netf_gateway_ip, 4) == 0 && __builtin_memcmp(ip + 16, netf_guest_ip, 4) == 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

uint32_t netf_tcp_segment(uint8_t *f, const uint8_t src[6], const uint8_t gateway[6], uint16_t sport, uint16_t dport,
			  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t mss, uint32_t payload_len)
{
	static uint8_t pseudo[12 + NETF_FRAME_MAX];   /* pseudo header, then the segment: one checksum pass */
	uint32_t thl = mss ? 24 : 20, l4 = thl + payload_len;
	if (14 + 20 + l4 > NETF_FRAME_MAX)
		return 0;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	__builtin_memcpy(f, gateway, 6);
	__builtin_memcpy(f + 6, src, 6);
	f[12] = 0x08, f[13] = 0x00;
	__builtin_memset(ip, 0, 20 + thl);
	ip[0] = 0x45;
	put16(ip + 2, 20 + l4);
	put16(ip + 4, sport);
	ip[8] = 64, ip[9] = 6;
	__builtin_memcpy(ip + 12, netf_guest_ip, 4);
	__builtin_memcpy(ip + 16, netf_gateway_ip, 4);
	put16(ip + 10, inet_checksum(ip, 20));
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (mss) {
		tcp[20] = 2, tcp[21] = 4;
		put16(tcp + 22, mss);
	}
	for (uint32_t i = 0; i < payload_len; i++)
		tcp[thl + i] = netf_echo_pattern(sport, i);
	__builtin_memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0, pseudo[9] = 6;
	put16(pseudo + 10, l4);
	__builtin_memcpy(pseudo + 12, tcp, l4);
	put16(tcp + 16, inet_checksum(pseudo, 12 + l4));
	return 14 + 20 + l4;
}

bool netf_is_tcp_from_gateway(const struct netf_rx *r, uint16_t dport, uint8_t flags, uint32_t *seq)
{
	const uint8_t *f = r->frame, *ip = f + 14, *tcp = ip + 20;
	if (r->len < 14 + 40 || f[12] != 0x08 || f[13] != 0x00 || ip[0] != 0x45 || ip[9] != 6 ||
	    __builtin_memcmp(ip + 12, netf_gateway_ip, 4) != 0 || (tcp[2] << 8 | tcp[3]) != dport || tcp[13] != flags)
		return false;
	*seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	return true;
}
