/* The network model's unit tests' driver side: receive and transmit queues, control commands, ARP, ICMP and TCP frames to the gateway. */
#ifndef AVPS_DEVICES_TESTS_NET_DRIVER_H
#define AVPS_DEVICES_TESTS_NET_DRIVER_H

#include "../model_net_responder.h"
#include "host_driver.h"

#include <string.h>

#define F_CSUM (1ULL << 0)
#define F_MRG (1ULL << 15)
#define F_CTRL_VQ (1ULL << 17)
#define F_CTRL_RX (1ULL << 18)
#define F_ANNOUNCE (1ULL << 21)
#define F_MAC_ADDR (1ULL << 23)
#define ALL_BUT_MRG (~F_MRG)
#define HDR 12

static const uint8_t guest_ip[4] = { 10, 0, 2, 15 }, gateway_ip[4] = { 10, 0, 2, 2 };
static uint8_t own[6];
static uint64_t rx_at[VDEV_MAX_QUEUES][TD_QUEUE_SIZE];

/* Posts count receive buffers of size bytes on receive queue q. */
static inline void post_rx_on(struct test_driver *td, unsigned q, unsigned count, uint32_t size)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t a = td_alloc(td, size);
		memset(td_host(td, a), 0xa5, size);
		struct td_buffer b = { a, size, true };
		rx_at[q][td_add(td, q, &b, 1, false) % TD_QUEUE_SIZE] = a;
	}
	td_kick(td, q);
}

static inline void post_rx(struct test_driver *td, unsigned count, uint32_t size)
{
	post_rx_on(td, 0, count, size);
}

/* Next received packet on receive queue q: header and frame (frame length returned, 0 when none). */
static inline uint32_t receive_on(struct test_driver *td, unsigned q, uint8_t hdr[HDR], uint8_t *frame)
{
	uint16_t id;
	uint32_t len;
	if (!td_used(td, q, &id, &len) || len < HDR)
		return 0;
	const uint8_t *b = td_host(td, rx_at[q][id % TD_QUEUE_SIZE]);
	memcpy(hdr, b, HDR);
	memcpy(frame, b + HDR, len - HDR);
	return len - HDR;
}

static inline uint32_t receive(struct test_driver *td, uint8_t hdr[HDR], uint8_t *frame)
{
	return receive_on(td, 0, hdr, frame);
}

/* Transmits one frame behind hdr on transmit queue q. */
static inline void send_on(struct test_driver *td, unsigned q, const uint8_t hdr[HDR], const uint8_t *frame, uint32_t len)
{
	uint64_t h = td_alloc(td, HDR), f = td_alloc(td, len);
	memcpy(td_host(td, h), hdr, HDR);
	memcpy(td_host(td, f), frame, len);
	struct td_buffer b[2] = { { h, HDR, false }, { f, len, false } };
	td_submit(td, q, b, 2);
}

static inline void send(struct test_driver *td, const uint8_t hdr[HDR], const uint8_t *frame, uint32_t len)
{
	send_on(td, 1, hdr, frame, len);
}

static inline uint32_t arp_request(uint8_t *f, const uint8_t src[6])
{
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08, f[13] = 0x06, f[14] = 0, f[15] = 1, f[16] = 8, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
	memcpy(f + 22, src, 6);
	memcpy(f + 28, guest_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, gateway_ip, 4);
	return 42;
}

static inline bool is_arp_reply_to(const uint8_t *f, uint32_t len, const uint8_t dst[6])
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 && !memcmp(f, dst, 6) &&
	       !memcmp(f + 28, gateway_ip, 4);
}

/* An IPv4 datagram (ICMP or TCP payload) from the guest to the gateway, one frame, right checksums. */
static inline uint32_t ip_frame(uint8_t *f, const uint8_t gw[6], uint8_t proto, const uint8_t *payload, uint32_t len)
{
	memcpy(f, gw, 6);
	memcpy(f + 6, own, 6);
	f[12] = 0x08, f[13] = 0x00;
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45, ip[2] = (uint8_t)((20 + len) >> 8), ip[3] = (uint8_t)(20 + len), ip[8] = 64, ip[9] = proto;
	memcpy(ip + 12, guest_ip, 4);
	memcpy(ip + 16, gateway_ip, 4);
	uint16_t sum = net_checksum_finish(net_checksum_add(0, ip, 20));
	ip[10] = (uint8_t)(sum >> 8), ip[11] = (uint8_t)sum;
	memcpy(ip + 20, payload, len);
	return 14 + 20 + len;
}

static inline uint32_t icmp_echo(uint8_t *f, const uint8_t gw[6], uint32_t payload, bool break_checksum)
{
	uint8_t msg[1600] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 };
	for (uint32_t i = 0; i < payload; i++)
		msg[8 + i] = (uint8_t)i;
	uint16_t sum = net_checksum_finish(net_checksum_add(0, msg, 8 + payload));
	msg[2] = (uint8_t)(sum >> 8), msg[3] = (uint8_t)(sum ^ (break_checksum ? 0x5a : 0));
	return ip_frame(f, gw, 1, msg, 8 + payload);
}

static inline uint32_t tcp_segment(uint8_t *f, const uint8_t gw[6], uint32_t seq, uint32_t ack, uint8_t flags,
			    const char *data)
{
	uint32_t n = data ? (uint32_t)strlen(data) : 0;
	uint8_t seg[120] = { 0x9c, 0x40, 0x1e, 0x61 };   /* 40000 -> 7777 */
	seg[4] = (uint8_t)(seq >> 24), seg[5] = (uint8_t)(seq >> 16), seg[6] = (uint8_t)(seq >> 8), seg[7] = (uint8_t)seq;
	seg[8] = (uint8_t)(ack >> 24), seg[9] = (uint8_t)(ack >> 16), seg[10] = (uint8_t)(ack >> 8), seg[11] = (uint8_t)ack;
	seg[12] = 5 << 4, seg[13] = flags, seg[14] = 0xff, seg[15] = 0xff;
	memcpy(seg + 20, data ? data : "", n);
	uint8_t pseudo[12] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 6, 0, (uint8_t)(20 + n) };
	uint16_t sum = net_checksum_finish(net_checksum_add(net_checksum_add(0, pseudo, 12), seg, 20 + n));
	seg[16] = (uint8_t)(sum >> 8), seg[17] = (uint8_t)sum;
	return ip_frame(f, gw, 6, seg, 20 + n);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Learns the gateway's MAC through one ARP exchange. */
static inline bool learn_gateway(struct test_driver *td, uint8_t gw[6])
{
	uint8_t f[1600], hdr[HDR] = { 0 };
	send(td, hdr, f, arp_request(f, own));
	uint32_t n = receive(td, hdr, f);
	if (!is_arp_reply_to(f, n, own))
		return false;
	memcpy(gw, f + 22, 6);
	return true;
}

static inline int ctrl_on(struct test_driver *td, unsigned q, uint8_t class_, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	uint64_t h = td_alloc(td, 2 + len), ack = td_alloc(td, 1);
	uint8_t *p = td_host(td, h);
	p[0] = class_, p[1] = cmd;
	if (len)
		memcpy(p + 2, data, len);
	*(uint8_t *)td_host(td, ack) = 0xee;
	struct td_buffer b[2] = { { h, 2 + len, false }, { ack, 1, true } };
	td_submit(td, q, b, 2);
	uint16_t id;
	uint32_t used;
	return td_used(td, q, &id, &used) ? *(uint8_t *)td_host(td, ack) : -1;
}

static inline int ctrl(struct test_driver *td, uint8_t class_, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	return ctrl_on(td, 2, class_, cmd, data, len);
}

#endif
