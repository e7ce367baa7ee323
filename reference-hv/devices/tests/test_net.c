/* Host unit tests of the network model: ARP and ICMP with the gateway, checksums, MTU, mergeable buffers, control commands, filtering, TCP echo, faults. */
#include "../model_net_responder.h"
#include "host_driver.h"
#include "unit_check.h"

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
static uint64_t rx_at[TD_QUEUE_SIZE];
static uint32_t rx_size;

static void post_rx(struct test_driver *td, unsigned count, uint32_t size)
{
	rx_size = size;
	for (unsigned i = 0; i < count; i++) {
		uint64_t a = td_alloc(td, size);
		memset(td_host(td, a), 0xa5, size);
		struct td_buffer b = { a, size, true };
		rx_at[td_add(td, 0, &b, 1, false) % TD_QUEUE_SIZE] = a;
	}
	td_kick(td, 0);
}

/* Next received packet: header and frame (frame length returned, 0 when none). */
static uint32_t receive(struct test_driver *td, uint8_t hdr[HDR], uint8_t *frame)
{
	uint16_t id;
	uint32_t len;
	if (!td_used(td, 0, &id, &len) || len < HDR)
		return 0;
	const uint8_t *b = td_host(td, rx_at[id % TD_QUEUE_SIZE]);
	memcpy(hdr, b, HDR);
	memcpy(frame, b + HDR, len - HDR);
	return len - HDR;
}

static void send(struct test_driver *td, const uint8_t hdr[HDR], const uint8_t *frame, uint32_t len)
{
	uint64_t h = td_alloc(td, HDR), f = td_alloc(td, len);
	memcpy(td_host(td, h), hdr, HDR);
	memcpy(td_host(td, f), frame, len);
	struct td_buffer b[2] = { { h, HDR, false }, { f, len, false } };
	td_submit(td, 1, b, 2);
}

static uint32_t arp_request(uint8_t *f, const uint8_t src[6])
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

static bool is_arp_reply_to(const uint8_t *f, uint32_t len, const uint8_t dst[6])
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 && !memcmp(f, dst, 6) &&
	       !memcmp(f + 28, gateway_ip, 4);
}

/* An IPv4 datagram (ICMP or TCP payload) from the guest to the gateway, one frame, right checksums. */
static uint32_t ip_frame(uint8_t *f, const uint8_t gw[6], uint8_t proto, const uint8_t *payload, uint32_t len)
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

static uint32_t icmp_echo(uint8_t *f, const uint8_t gw[6], uint32_t payload, bool break_checksum)
{
	uint8_t msg[1600] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 };
	for (uint32_t i = 0; i < payload; i++)
		msg[8 + i] = (uint8_t)i;
	uint16_t sum = net_checksum_finish(net_checksum_add(0, msg, 8 + payload));
	msg[2] = (uint8_t)(sum >> 8), msg[3] = (uint8_t)(sum ^ (break_checksum ? 0x5a : 0));
	return ip_frame(f, gw, 1, msg, 8 + payload);
}

static uint32_t tcp_segment(uint8_t *f, const uint8_t gw[6], uint32_t seq, uint32_t ack, uint8_t flags,
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

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Learns the gateway's MAC through one ARP exchange. */
static bool learn_gateway(struct test_driver *td, uint8_t gw[6])
{
	uint8_t f[1600], hdr[HDR] = { 0 };
	send(td, hdr, f, arp_request(f, own));
	uint32_t n = receive(td, hdr, f);
	if (!is_arp_reply_to(f, n, own))
		return false;
	memcpy(gw, f + 22, 6);
	return true;
}

static int ctrl(struct test_driver *td, uint8_t class_, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	uint64_t h = td_alloc(td, 2 + len), ack = td_alloc(td, 1);
	uint8_t *p = td_host(td, h);
	p[0] = class_, p[1] = cmd;
	if (len)
		memcpy(p + 2, data, len);
	*(uint8_t *)td_host(td, ack) = 0xee;
	struct td_buffer b[2] = { { h, 2 + len, false }, { ack, 1, true } };
	td_submit(td, 2, b, 2);
	uint16_t id;
	uint32_t used;
	return td_used(td, 2, &id, &used) ? *(uint8_t *)td_host(td, ack) : -1;
}

static void foreign_of(uint8_t out[6])
{
	memcpy(out, own, 6);
	out[0] |= 2, out[5] ^= 0x3c;
}

/* Does the gateway's answer to an ARP request from `src` arrive? */
static bool answer_arrives(struct test_driver *td, const uint8_t src[6])
{
	uint8_t f[1600], hdr[HDR] = { 0 };
	send(td, hdr, f, arp_request(f, src));
	uint32_t n;
	bool seen = false;
	while ((n = receive(td, hdr, f)))
		seen |= is_arp_reply_to(f, n, src);
	return seen;
}

int main(void)
{
	printf("KTAP version 1\n");
	struct test_driver td;
	uint8_t f[4096], hdr[HDR], gw[6], zero[HDR] = { 0 };
	uint32_t n;

	CHECK(td_start(&td, "net", "", ALL_BUT_MRG, false), "start");
	vdev_read_config(&td.dev, 0, own, 6);
	uint16_t mtu, status;
	vdev_read_config(&td.dev, 10, &mtu, 2);
	vdev_read_config(&td.dev, 6, &status, 2);
	CHECK(own[0] == 0x52 && mtu == 1500 && (status & 1), "config_mac_mtu_link_up");
	post_rx(&td, 32, 1600);
	CHECK(learn_gateway(&td, gw), "arp_answered");
	memcpy(hdr, zero, HDR);
	send(&td, zero, f, icmp_echo(f, gw, 56, false));
	n = receive(&td, hdr, f);
	uint16_t num_buffers;
	memcpy(&num_buffers, hdr + 10, 2);
	CHECK(n == 14 + 20 + 64 && f[34] == 0 && f[14 + 20 + 8 + 55] == 55 && hdr[0] == 0 && hdr[1] == 0 && num_buffers == 1,
	      "icmp_echo_answered_header_clean");
	send(&td, zero, f, icmp_echo(f, gw, 56, true));
	CHECK(receive(&td, hdr, f) == 0, "wrong_icmp_checksum_not_answered");
	/* NEEDS_CSUM with CSUM: the device fills the checksum the driver left as zero. */
	n = icmp_echo(f, gw, 56, false);
	f[36] = f[37] = 0;
	uint8_t needs[HDR] = { 1, 0, 0, 0, 0, 0, 34, 0, 2, 0, 0, 0 };
	send(&td, needs, f, n);
	CHECK(receive(&td, hdr, f) == 98, "needs_csum_filled");
	/* Without NEEDS_CSUM the hints are ignored: csum_start/offset into the ARP target address. */
	uint8_t hints[HDR] = { 0x80, 0, 7, 0, 0, 0, 14, 0, 24, 0, 0, 0 };
	send(&td, hints, f, arp_request(f, own));
	n = receive(&td, hdr, f);
	CHECK(is_arp_reply_to(f, n, own), "tx_hints_ignored");
	/* A 2 x mtu echo comes back in fragments of at most mtu bytes. */
	uint8_t big[3200] = { 8, 0, 0, 0, 0, 7, 0, 1 };
	uint32_t payload = 3000 - 8;
	for (uint32_t i = 0; i < payload; i++)
		big[8 + i] = (uint8_t)(i * 7);
	uint16_t sum = net_checksum_finish(net_checksum_add(0, big, 8 + payload));
	big[2] = (uint8_t)(sum >> 8), big[3] = (uint8_t)sum;
	for (uint32_t off = 0; off < 3000; off += 1480) {
		uint32_t len = 3000 - off < 1480 ? 3000 - off : 1480;
		n = ip_frame(f, gw, 1, big + off, len);
		uint16_t frag = (uint16_t)((off / 8) | (off + len < 3000 ? 0x2000 : 0));
		f[14 + 4] = 0x77, f[14 + 6] = (uint8_t)(frag >> 8), f[14 + 7] = (uint8_t)frag;
		f[14 + 10] = f[14 + 11] = 0;
		sum = net_checksum_finish(net_checksum_add(0, f + 14, 20));
		f[14 + 10] = (uint8_t)(sum >> 8), f[14 + 11] = (uint8_t)sum;
		send(&td, zero, f, n);
	}
	uint32_t fragments = 0, largest = 0, bytes = 0;
	while ((n = receive(&td, hdr, f))) {
		fragments++;
		largest = n > largest ? n : largest;
		bytes += n - 34;
	}
	CHECK(fragments == 3 && largest <= 1514 && bytes == 3000, "fragmented_echo_within_mtu");
	/* TCP echo: handshake, data back, FIN. */
	send(&td, zero, f, tcp_segment(f, gw, 1000, 0, 0x02, NULL));
	n = receive(&td, hdr, f);
	uint32_t iss = be32(f + 34 + 4);
	CHECK(n && f[34 + 13] == 0x12 && be32(f + 34 + 8) == 1001, "tcp_syn_ack");
	send(&td, zero, f, tcp_segment(f, gw, 1001, iss + 1, 0x18, "hello echo"));
	n = receive(&td, hdr, f);
	CHECK(n == 34 + 20 + 10 && !memcmp(f + 54, "hello echo", 10) && be32(f + 34 + 8) == 1011, "tcp_data_echoed");
	send(&td, zero, f, tcp_segment(f, gw, 1001, iss + 11, 0x18, "hello echo"));
	n = receive(&td, hdr, f);
	CHECK(n == 60 && be32(f + 34 + 8) == 1011, "tcp_duplicate_acked_not_echoed");
	send(&td, zero, f, tcp_segment(f, gw, 1011, iss + 11, 0x11, NULL));
	n = receive(&td, hdr, f);
	CHECK(n && (f[34 + 13] & 0x01) && be32(f + 34 + 8) == 1012, "tcp_fin_answered");
	/* Control queue and filtering. */
	uint8_t on = 1, off = 0;
	CHECK(ctrl(&td, 0, 0, &off, 1) == 0 && ctrl(&td, 0, 5, &on, 1) == 0 && ctrl(&td, 0, 5, &off, 1) == 0,
	      "rx_modes_ok");
	CHECK(ctrl(&td, 0, 9, &on, 1) == 1, "unknown_rx_command_err");
	uint8_t foreign[6];
	foreign_of(foreign);
	CHECK(!answer_arrives(&td, foreign) && answer_arrives(&td, own), "non_promisc_filters_foreign");
	CHECK(ctrl(&td, 0, 2, &on, 1) == 0 && ctrl(&td, 0, 4, &on, 1) == 0 && !answer_arrives(&td, own) &&
	      !answer_arrives(&td, foreign), "nouni_drops_unicast_even_with_alluni");
	ctrl(&td, 0, 2, &off, 1);
	ctrl(&td, 0, 4, &off, 1);
	uint8_t table[4 + 6 + 4] = { 1, 0, 0, 0 };
	memcpy(table + 4, foreign, 6);
	CHECK(ctrl(&td, 1, 0, table, sizeof(table)) == 0 && answer_arrives(&td, foreign), "mac_table_applied");
	uint8_t mac[6];
	memcpy(mac, own, 6);
	mac[5] ^= 0x5a;
	uint8_t seen[6];
	CHECK(ctrl(&td, 1, 1, mac, 6) == 0 && (vdev_read_config(&td.dev, 0, seen, 6), !memcmp(seen, mac, 6)),
	      "mac_addr_set_updates_config");
	char reply[16];
	CHECK(td.dev.model->host_request(&td.dev, "announce", reply, sizeof(reply)) &&
	      (vdev_read_config(&td.dev, 6, &status, 2), status & 2) && td.config_notifications == 1, "announce_sets_status");
	CHECK(ctrl(&td, 3, 0, NULL, 0) == 0 && (vdev_read_config(&td.dev, 6, &status, 2), !(status & 2)),
	      "announce_ack_clears");
	vdev_set_status(&td.dev, 0);
	vdev_read_config(&td.dev, 0, seen, 6);
	CHECK(!memcmp(seen, own, 6), "reset_restores_mac");
	td_stop(&td);

	/* Mergeable receive buffers: 32-byte buffers, all but the last full, used together. */
	CHECK(td_start(&td, "net", "", ~0ULL, true), "start_mergeable_packed");
	post_rx(&td, 8, 32);
	send(&td, zero, f, arp_request(f, own));
	uint16_t id;
	uint32_t lens[8], count = 0;
	while (count < 8 && td_used(&td, 0, &id, &lens[count]))
		count++;
	uint16_t first_count = 0;
	CHECK(count == 3 && lens[0] == 32 && lens[1] == 32 && lens[2] == 72 - 64, "mergeable_buffers_full");
	(void)first_count;
	td_stop(&td);

	/* Feature refusal: CTRL_RX without the control queue. */
	td_start(&td, "net", "", VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_CTRL_RX, false);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "ctrl_rx_without_ctrl_vq_refused");
	td_stop(&td);

	/* Faults. */
	td_start(&td, "net", "fault=tx-csum-trusted", ALL_BUT_MRG, false);
	post_rx(&td, 8, 1600);
	learn_gateway(&td, gw);
	send(&td, zero, f, icmp_echo(f, gw, 56, true));
	CHECK(receive(&td, hdr, f) > 0, "fault_tx_csum_trusted");
	td_stop(&td);
	td_start(&td, "net", "fault=num-buffers-unwritten", ALL_BUT_MRG, false);
	post_rx(&td, 8, 1600);
	send(&td, zero, f, arp_request(f, own));
	receive(&td, hdr, f);
	CHECK(hdr[10] == 0xa5 && hdr[11] == 0xa5, "fault_num_buffers_unwritten");
	td_stop(&td);
	td_start(&td, "net", "fault=mac-table-ignored", ALL_BUT_MRG, false);
	post_rx(&td, 32, 1600);
	ctrl(&td, 0, 0, &off, 1);
	CHECK(ctrl(&td, 1, 0, table, sizeof(table)) == 0 && !answer_arrives(&td, foreign), "fault_mac_table_ignored");
	td_stop(&td);
	td_start(&td, "net", "fault=mtu-changes", ALL_BUT_MRG, false);
	vdev_read_config(&td.dev, 10, &mtu, 2);
	CHECK(mtu == 1492, "fault_mtu_changes");
	td_stop(&td);
	CHECK(!td_start(&td, "net", "mtu=9000", ~0ULL, false), "mtu_above_1500_refused");
	CHECK(!td_start(&td, "net", "mac=01:00:00:00:00:01", ~0ULL, false), "multicast_mac_refused");
	return UNIT_DONE();
}
