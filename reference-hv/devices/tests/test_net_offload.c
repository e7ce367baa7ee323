/* Host unit tests of the network model's multiqueue steering and offloads: MQ_VQ_PAIRS_SET, receive checksum flags, coalesced TCP segments (GSO, RSC_EXT), HOST_TSO4 segmentation, their faults. */
#include "net_driver.h"
#include "unit_check.h"

#define F_GUEST_CSUM (1ULL << 1)
#define F_GUEST_TSO4 (1ULL << 7)
#define F_HOST_TSO4 (1ULL << 11)
#define F_MQ (1ULL << 22)
#define F_RSC_EXT (1ULL << 61)
#define OFFLOADS_NO_MRG (~F_MRG)
#define NO_RSC (~F_MRG & ~F_RSC_EXT)
#define SPORT 41000
#define ISN 5000

static uint16_t le16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A TCP segment 10.0.2.15:SPORT -> 10.0.2.2:7777 with n payload bytes (pattern i), full checksum;
 * mss_option adds an MSS option (a SYN). */
static uint32_t tcp_frame(uint8_t *f, const uint8_t gw[6], uint32_t seq, uint32_t ack, uint8_t flags, uint32_t n,
			  uint16_t mss_option)
{
	static uint8_t seg[70000];
	uint32_t thl = mss_option ? 24 : 20;
	memset(seg, 0, thl);
	seg[0] = SPORT >> 8, seg[1] = SPORT & 0xff, seg[2] = 0x1e, seg[3] = 0x61;
	put_be32(seg + 4, seq);
	put_be32(seg + 8, ack);
	seg[12] = (uint8_t)((thl / 4) << 4), seg[13] = flags, seg[14] = 0xff, seg[15] = 0xff;
	if (mss_option)
		seg[20] = 2, seg[21] = 4, seg[22] = (uint8_t)(mss_option >> 8), seg[23] = (uint8_t)mss_option;
	for (uint32_t i = 0; i < n; i++)
		seg[thl + i] = (uint8_t)(i * 13);
	uint32_t l4 = thl + n;
	uint8_t pseudo[12] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 6, (uint8_t)(l4 >> 8), (uint8_t)l4 };
	uint16_t sum = net_checksum_finish(net_checksum_add(net_checksum_add(0, pseudo, 12), seg, l4));
	seg[16] = (uint8_t)(sum >> 8), seg[17] = (uint8_t)sum;
	return ip_frame(f, gw, 6, seg, l4);
}

/* The pseudo-header sum (not inverted) of the TCP segment of a received frame. */
static uint16_t pseudo_of(const uint8_t *f)
{
	uint32_t l4 = be16_at(f + 16) - 20u;
	uint8_t p[4] = { 0, 6, (uint8_t)(l4 >> 8), (uint8_t)l4 };
	return (uint16_t)net_checksum_add(net_checksum_add(0, f + 26, 8), p, 4);
}

/* Does completing the partial checksum (from csum_start, stored at +offset) give a valid TCP segment? */
static bool completes(uint8_t *f, uint32_t n, uint16_t start, uint16_t offset)
{
	uint16_t sum = net_checksum_finish(net_checksum_add(0, f + start, n - start));
	f[start + offset] = (uint8_t)(sum >> 8), f[start + offset + 1] = (uint8_t)sum;
	uint32_t l4 = be16_at(f + 16) - 20u;
	uint8_t p[4] = { 0, 6, (uint8_t)(l4 >> 8), (uint8_t)l4 };
	return net_checksum_finish(net_checksum_add(net_checksum_add(net_checksum_add(0, f + 26, 8), p, 4), f + 34, l4)) == 0;
}

/* Opens a TCP connection to the echo service (SYN with MSS 536); returns the server's ISN + 1. */
static uint32_t tcp_open(struct test_driver *td, const uint8_t gw[6], uint8_t hdr[HDR], uint8_t *f)
{
	uint8_t zero[HDR] = { 0 };
	send(td, zero, f, tcp_frame(f, gw, ISN, 0, 0x02, 0, 536));
	uint32_t n = receive(td, hdr, f);
	return n ? ((uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41]) + 1 : 0;
}

/* Sends 1200 bytes on an open connection: the gateway echoes them as 536 + 536 + 128-byte segments. */
static uint32_t echo_1200(struct test_driver *td, const uint8_t gw[6], uint32_t ack, uint8_t hdr[HDR], uint8_t *f)
{
	uint8_t zero[HDR] = { 0 };
	send(td, zero, f, tcp_frame(f, gw, ISN + 1, ack, 0x18, 1200, 0));
	return receive(td, hdr, f);
}

static void multiqueue(void)
{
	struct test_driver td;
	uint8_t f[2048], hdr[HDR], zero[HDR] = { 0 }, pairs2[2] = { 2, 0 }, pairs1[2] = { 1, 0 }, pairs3[2] = { 3, 0 };
	CHECK(td_start(&td, "net", "pairs=2", ~F_MRG, false) && td.dev.num_queues == 5 && (td.dev.negotiated & F_MQ),
	      "mq_two_pairs_five_queues");
	uint16_t max_pairs;
	vdev_read_config(&td.dev, 8, &max_pairs, 2);
	CHECK(max_pairs == 2, "mq_max_virtqueue_pairs");
	vdev_read_config(&td.dev, 0, own, 6);
	post_rx_on(&td, 0, 8, 1600);
	post_rx_on(&td, 2, 8, 1600);
	send_on(&td, 3, zero, f, arp_request(f, own));
	CHECK(is_arp_reply_to(f, receive_on(&td, 0, hdr, f), own) && !receive_on(&td, 2, hdr, f),
	      "mq_receiveq1_only_after_reset");
	CHECK(ctrl_on(&td, 4, 4, 0, pairs2, 2) == 0 && ctrl_on(&td, 4, 4, 0, pairs3, 2) == 1, "mq_pairs_set_checked");
	send_on(&td, 3, zero, f, arp_request(f, own));
	CHECK(is_arp_reply_to(f, receive_on(&td, 2, hdr, f), own) && !receive_on(&td, 0, hdr, f),
	      "mq_flow_steered_to_its_pair");
	CHECK(ctrl_on(&td, 4, 4, 0, pairs1, 2) == 0, "mq_pairs_set_one");
	send_on(&td, 3, zero, f, arp_request(f, own));
	CHECK(is_arp_reply_to(f, receive_on(&td, 0, hdr, f), own) && !receive_on(&td, 2, hdr, f),
	      "mq_no_queue_beyond_pairs");
	td_stop(&td);
	CHECK(td_start(&td, "net", "", ~0ULL, false) && td.dev.num_queues == 3 && !(td.dev.offered & F_MQ),
	      "mq_not_offered_by_default");
	td_stop(&td);
	CHECK(!td_start(&td, "net", "pairs=4", ~0ULL, false), "mq_pairs_above_three_refused");
	td_start(&td, "net", "pairs=2,fault=rx-beyond-pairs", ~F_MRG, false);
	post_rx_on(&td, 0, 8, 1600);
	post_rx_on(&td, 2, 8, 1600);
	send_on(&td, 1, zero, f, arp_request(f, own));
	CHECK(receive_on(&td, 2, hdr, f) && !receive_on(&td, 0, hdr, f), "fault_rx_beyond_pairs");
	td_stop(&td);
}

static void receive_offloads(void)
{
	struct test_driver td;
	static uint8_t f[20000];
	uint8_t hdr[HDR], gw[6], zero[HDR] = { 0 };
	CHECK(td_start(&td, "net", "offloads", OFFLOADS_NO_MRG, false) && (td.dev.negotiated & F_RSC_EXT) &&
	      (td.dev.negotiated & F_GUEST_TSO4), "offloads_negotiated");
	vdev_read_config(&td.dev, 0, own, 6);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	send(&td, zero, f, icmp_echo(f, gw, 56, false));
	uint32_t n = receive(&td, hdr, f);
	CHECK(n && hdr[0] == 2 && hdr[1] == 0, "icmp_reply_data_valid");
	uint32_t ack = tcp_open(&td, gw, hdr, f);
	n = 14 + 20 + 24;
	CHECK(ack && hdr[0] == 1 && le16_at(hdr + 6) == 34 && le16_at(hdr + 8) == 16 && be16_at(f + 50) == pseudo_of(f) &&
	      completes(f, n, 34, 16), "syn_ack_needs_csum_pseudo_header");
	n = echo_1200(&td, gw, ack, hdr, f);
	CHECK(n == 54 + 1200 && hdr[0] == (1 | 4) && hdr[1] == 1 && le16_at(hdr + 2) == 54 && le16_at(hdr + 4) == 536 &&
	      le16_at(hdr + 6) == 3 && le16_at(hdr + 8) == 0 && be16_at(f + 16) == 20 + 20 + 1200 && f[54 + 1199] == (uint8_t)(1199 * 13),
	      "echo_coalesced_gso_rsc_info");
	CHECK(be16_at(f + 50) == pseudo_of(f) && completes(f, n, 34, 16), "coalesced_checksum_partial");
	CHECK(receive(&td, hdr, f) == 0, "three_segments_one_packet");
	td_stop(&td);

	td_start(&td, "net", "offloads", NO_RSC, false);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	n = echo_1200(&td, gw, tcp_open(&td, gw, hdr, f), hdr, f);
	CHECK(n == 54 + 1200 && hdr[0] == 1 && hdr[1] == 1 && le16_at(hdr + 6) == 34 && le16_at(hdr + 8) == 16,
	      "coalesced_without_rsc_ext_csum_start");
	td_stop(&td);

	/* A receive buffer smaller than the whole echo: as many segments as fit. */
	td_start(&td, "net", "offloads", NO_RSC, false);
	post_rx(&td, 32, HDR + 54 + 536 + 300);
	learn_gateway(&td, gw);
	n = echo_1200(&td, gw, tcp_open(&td, gw, hdr, f), hdr, f);
	CHECK(n == 54 + 536 && hdr[1] == 0 && hdr[0] == 1, "coalescing_bounded_by_buffer");
	td_stop(&td);

	td_start(&td, "net", "offloads", ~F_MRG & ~F_GUEST_TSO4 & ~F_RSC_EXT, false);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	n = echo_1200(&td, gw, tcp_open(&td, gw, hdr, f), hdr, f);
	CHECK(n == 54 + 536 && hdr[0] == 1 && hdr[1] == 0, "no_gso_without_guest_tso4");
	td_stop(&td);

	/* Mergeable buffers carry a coalesced packet over several buffers. */
	td_start(&td, "net", "offloads", ~0ULL, false);
	post_rx(&td, 32, 512);
	learn_gateway(&td, gw);
	while (receive(&td, hdr, f))
		;
	tcp_open(&td, gw, hdr, f);
	send(&td, zero, f, tcp_frame(f, gw, ISN + 1, 0, 0x18, 1200, 0));
	uint16_t id;
	uint32_t lens[8], count = 0;
	while (count < 8 && td_used(&td, 0, &id, &lens[count]))
		count++;
	CHECK(count == 3 && lens[0] == 512 && lens[1] == 512 && lens[2] == HDR + 54 + 1200 - 1024, "coalesced_mergeable");
	td_stop(&td);
}

static void receive_faults(void)
{
	struct test_driver td;
	static uint8_t f[20000];
	uint8_t hdr[HDR], gw[6];
	td_start(&td, "net", "offloads,fault=data-valid-on-partial", ~F_MRG & ~F_GUEST_TSO4 & ~F_RSC_EXT, false);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	CHECK(tcp_open(&td, gw, hdr, f) && hdr[0] == 2 && be16_at(f + 50) == pseudo_of(f), "fault_data_valid_on_partial");
	td_stop(&td);
	td_start(&td, "net", "offloads,fault=needs-csum-full-checksum", NO_RSC, false);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	CHECK(tcp_open(&td, gw, hdr, f) && hdr[0] == 1 && be16_at(f + 50) != pseudo_of(f), "fault_needs_csum_full_checksum");
	td_stop(&td);
	td_start(&td, "net", "offloads,fault=gso-without-needs-csum", OFFLOADS_NO_MRG, false);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	uint32_t n = echo_1200(&td, gw, tcp_open(&td, gw, hdr, f), hdr, f);
	CHECK(n == 54 + 1200 && hdr[1] == 1 && !(hdr[0] & 1), "fault_gso_without_needs_csum");
	td_stop(&td);
	td_start(&td, "net", "offloads,fault=rsc-info-missing", OFFLOADS_NO_MRG, false);
	post_rx(&td, 32, 4096);
	learn_gateway(&td, gw);
	n = echo_1200(&td, gw, tcp_open(&td, gw, hdr, f), hdr, f);
	CHECK(n == 54 + 1200 && hdr[1] == 1 && hdr[0] == 1, "fault_rsc_info_missing");
	td_stop(&td);
}

/* HOST_TSO4: a 3000-byte TCP payload in one GSO frame (gso_size 1000, partial checksum, a wrong hdr_len). */
static void transmit_segmentation(void)
{
	struct test_driver td;
	static uint8_t f[20000];
	uint8_t hdr[HDR], gw[6];
	td_start(&td, "net", "offloads", F_CSUM | F_HOST_TSO4 | VIRTIO_BIT(VIRTIO_F_VERSION_1) | (1ULL << 5), false);
	CHECK((td.dev.negotiated & F_HOST_TSO4) && !(td.dev.negotiated & F_GUEST_CSUM), "host_tso4_alone");
	vdev_read_config(&td.dev, 0, own, 6);
	post_rx(&td, 32, 1600);
	learn_gateway(&td, gw);
	uint32_t ack = tcp_open(&td, gw, hdr, f);
	uint32_t n = tcp_frame(f, gw, ISN + 1, ack, 0x18, 3000, 0);
	uint16_t pseudo = pseudo_of(f);
	f[50] = (uint8_t)(pseudo >> 8), f[51] = (uint8_t)pseudo;   /* NEEDS_CSUM: the pseudo-header sum only */
	uint8_t gso[HDR] = { 1, 1, 7, 0, 0xe8, 0x03, 34, 0, 16, 0, 0, 0 };
	send(&td, gso, f, n);
	uint32_t bytes = 0, segments = 0, got;
	while ((got = receive(&td, hdr, f)))
		if (got > 54)
			bytes += got - 54, segments++;
	CHECK(bytes == 3000 && segments == 6, "host_tso4_segmented_and_echoed");
	td_stop(&td);
	/* Feature bit requirements. */
	td_start(&td, "net", "offloads", VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_RSC_EXT | F_CSUM, false);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "rsc_ext_without_host_tso4_refused");
	td_stop(&td);
	td_start(&td, "net", "offloads", VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_GUEST_TSO4, false);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "guest_tso4_without_guest_csum_refused");
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	multiqueue();
	receive_offloads();
	receive_faults();
	transmit_segmentation();
	return UNIT_DONE();
}
