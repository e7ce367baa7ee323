/* Host unit tests of the network model: ARP and ICMP with the gateway, checksums, MTU, mergeable buffers, control commands, filtering, TCP echo, faults. */
#include "net_driver.h"
#include "unit_check.h"

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
