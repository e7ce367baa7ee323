/* Host unit tests of the socket device model: connect, echo within credit, RST cases, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

enum { REQUEST = 1, RESPONSE, RST, SHUTDOWN, RW, CREDIT_UPDATE };

static void send_tx(struct test_driver *td, uint16_t type, uint16_t op, uint32_t port, const char *data,
		    uint32_t buf_alloc, uint32_t fwd_cnt)
{
	uint32_t len = data ? (uint32_t)strlen(data) : 0;
	uint64_t h = td_alloc(td, sizeof(struct hdr) + len);
	struct hdr v = { 3, 2, 5000, port, len, type, op, 0, buf_alloc, fwd_cnt };
	memcpy(td_host(td, h), &v, sizeof(v));
	memcpy((uint8_t *)td_host(td, h) + sizeof(v), data ? data : "", len);
	struct td_buffer b = { h, (uint32_t)sizeof(v) + len, false };
	td_submit(td, 1, &b, 1);
}

static uint64_t rx_buffers[8];

static void post_rx(struct test_driver *td, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		struct td_buffer b = { rx_buffers[i] = td_alloc(td, 4200), 4200, true };
		td_add(td, 0, &b, 1, false);
	}
	td_kick(td, 0);
}

/* Next packet the device delivered: its header, payload copied to data. */
static bool recv_rx(struct test_driver *td, struct hdr *h, char *data)
{
	uint16_t id;
	uint32_t len;
	if (!td_used(td, 0, &id, &len) || len < sizeof(*h))
		return false;
	memcpy(h, td_host(td, rx_buffers[id % 8]), sizeof(*h));
	if (data) {
		memcpy(data, (uint8_t *)td_host(td, rx_buffers[id % 8]) + sizeof(*h), h->len);
		data[h->len] = 0;
	}
	return true;
}

int main(void)
{
	printf("KTAP version 1\n");
	struct test_driver td;
	struct hdr h;
	char data[4200];
	CHECK(td_start(&td, "vsock", "cid=3,echo_port=1234", ~0ULL, false), "start");
	uint64_t cid;
	vdev_read_config(&td.dev, 0, &cid, 8);
	CHECK(cid == 3, "guest_cid_in_config");
	post_rx(&td, 8);
	send_tx(&td, 1, REQUEST, 1234, NULL, 65536, 0);
	CHECK(recv_rx(&td, &h, NULL) && h.op == RESPONSE && h.dst_port == 5000 && h.buf_alloc == 65536, "connect_gets_response");
	send_tx(&td, 1, RW, 1234, "hello", 65536, 0);
	CHECK(recv_rx(&td, &h, data) && h.op == RW && !strcmp(data, "hello") && h.fwd_cnt == 5, "echo_with_credit_fields");
	send_tx(&td, 1, REQUEST, 9, NULL, 65536, 0);
	CHECK(recv_rx(&td, &h, NULL) && h.op == RST && h.src_port == 9, "no_listener_rst");
	send_tx(&td, 7, REQUEST, 1234, NULL, 65536, 0);
	CHECK(recv_rx(&td, &h, NULL) && h.op == RST, "unknown_type_rst");
	/* Credit: 8 bytes of buffer, the 5 echoed not yet consumed: 3 bytes of room until it frees space. */
	send_tx(&td, 1, CREDIT_UPDATE, 1234, NULL, 8, 0);
	send_tx(&td, 1, RW, 1234, "abcdef", 8, 0);
	CHECK(recv_rx(&td, &h, data) && !strcmp(data, "abc"), "echo_stops_at_guest_credit");
	CHECK(!recv_rx(&td, &h, data), "nothing_beyond_credit");
	send_tx(&td, 1, CREDIT_UPDATE, 1234, NULL, 8, 8);
	CHECK(recv_rx(&td, &h, data) && !strcmp(data, "def"), "credit_update_releases_rest");
	send_tx(&td, 1, SHUTDOWN, 1234, NULL, 8, 11);
	CHECK(recv_rx(&td, &h, NULL) && h.op == RST, "shutdown_answered_with_rst");
	td_stop(&td);

	/* A packet larger than the rx buffers arrives in pieces, each with a header. */
	td_start(&td, "vsock", "", ~0ULL, false);
	for (int i = 0; i < 8; i++) {
		struct td_buffer small = { rx_buffers[i] = td_alloc(&td, 48), 48, true };
		td_add(&td, 0, &small, 1, false);
	}
	send_tx(&td, 1, REQUEST, 1234, NULL, 65536, 0);
	CHECK(recv_rx(&td, &h, NULL) && h.op == RESPONSE, "small_buffer_holds_response");
	send_tx(&td, 1, RW, 1234, "0123456789", 65536, 0);
	CHECK(recv_rx(&td, &h, data) && h.len == 4 && recv_rx(&td, &h, data) && h.len == 4 && recv_rx(&td, &h, data) &&
	      h.len == 2 && !strcmp(data, "89"), "large_packet_split_over_small_buffers");
	td_stop(&td);

	CHECK(!td_start(&td, "vsock", "cid=2", ~0ULL, false), "reserved_cid_refused");
	td_start(&td, "vsock", "fault=reserved-cid", ~0ULL, false);
	vdev_read_config(&td.dev, 0, &cid, 8);
	CHECK(cid == 2, "fault_reserved_cid");
	td_stop(&td);
	td_start(&td, "vsock", "fault=no-rst-for-unknown-type", ~0ULL, false);
	post_rx(&td, 8);
	send_tx(&td, 7, REQUEST, 1234, NULL, 65536, 0);
	CHECK(!recv_rx(&td, &h, NULL), "fault_no_rst_for_unknown_type");
	td_stop(&td);
	td_start(&td, "vsock", "fault=credit-ignored", ~0ULL, false);
	post_rx(&td, 8);
	send_tx(&td, 1, REQUEST, 1234, NULL, 2, 0);
	recv_rx(&td, &h, NULL);
	send_tx(&td, 1, RW, 1234, "abcdef", 2, 0);
	CHECK(recv_rx(&td, &h, data) && !strcmp(data, "abcdef"), "fault_credit_ignored");
	td_stop(&td);
	td_start(&td, "vsock", "fault=fwd-cnt-stale", ~0ULL, false);
	post_rx(&td, 8);
	send_tx(&td, 1, REQUEST, 1234, NULL, 65536, 0);
	recv_rx(&td, &h, NULL);
	send_tx(&td, 1, RW, 1234, "abcdef", 65536, 0);
	CHECK(recv_rx(&td, &h, data) && !strcmp(data, "abcdef") && h.fwd_cnt == 0, "fault_fwd_cnt_stale");
	td_stop(&td);
	return UNIT_DONE();
}
