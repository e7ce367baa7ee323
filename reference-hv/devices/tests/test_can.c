/* Host unit tests of the CAN model: start/stop, classic/FD/RTR frames on the loopback bus, rejected frames, bus-off, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

#define TXQ 0
#define RXQ 1
#define CTRLQ 2
#define F_CLASSIC (1ull << 0)
#define F_FD (1ull << 1)
#define F_RTR (1ull << 2)
#define F_LATE_TX_ACK (1ull << 3)
#define FLAG_RTR 0x2000u
#define FLAG_FD 0x4000u
#define FLAG_EXT 0x8000u
#define BUSOFF_ID 0x1ffffff0u

struct can_hdr {
	uint16_t msg_type, length;
	uint8_t dlc, padding;
	uint16_t xl_priority;
	uint32_t flags, can_id;
};

static uint8_t control(struct test_driver *td, uint16_t type)
{
	uint64_t req = td_alloc(td, 2), res = td_alloc(td, 1);
	memcpy(td_host(td, req), &type, 2);
	*(uint8_t *)td_host(td, res) = 0xcc;
	struct td_buffer b[2] = { { req, 2, false }, { res, 1, true } };
	td_submit(td, CTRLQ, b, 2);
	uint16_t id;
	uint32_t len;
	return td_used(td, CTRLQ, &id, &len) && len == 1 ? *(uint8_t *)td_host(td, res) : 0xee;
}

/* Sends one frame; the result byte (0xee when the request was not used). */
static uint8_t send(struct test_driver *td, uint16_t msg_type, uint32_t flags, uint32_t can_id, uint16_t length)
{
	uint64_t req = td_alloc(td, 16 + 64), res = td_alloc(td, 1);
	struct can_hdr h = { msg_type, length, 0, 0, 0, flags, can_id };
	memcpy(td_host(td, req), &h, 16);
	for (unsigned i = 0; i < 64; i++)
		((uint8_t *)td_host(td, req))[16 + i] = (uint8_t)(i + 1);
	*(uint8_t *)td_host(td, res) = 0xcc;
	uint32_t out = 16 + ((flags & FLAG_RTR) || length > 64 ? 0 : length);
	struct td_buffer b[2] = { { req, out, false }, { res, 1, true } };
	td_submit(td, TXQ, b, 2);
	uint16_t id;
	uint32_t len;
	return td_used(td, TXQ, &id, &len) && len == 1 ? *(uint8_t *)td_host(td, res) : 0xee;
}

static uint64_t post_rx(struct test_driver *td)
{
	uint64_t buf = td_alloc(td, 16 + 64);
	memset(td_host(td, buf), 0xcc, 16 + 64);
	struct td_buffer b = { buf, 16 + 64, true };
	td_submit(td, RXQ, &b, 1);
	return buf;
}

/* Takes one received frame; false when none came. */
static bool received(struct test_driver *td, uint64_t buf, struct can_hdr *h, uint32_t *used)
{
	uint16_t id;
	if (!td_used(td, RXQ, &id, used))
		return false;
	memcpy(h, td_host(td, buf), 16);
	return true;
}

static uint16_t status(struct test_driver *td)
{
	uint16_t s;
	vdev_read_config(&td->dev, 0, &s, 2);
	return s;
}

static void loopback(void)
{
	struct test_driver td;
	struct can_hdr h;
	uint32_t used;
	CHECK(td_start(&td, "can", "", ~0ULL, false), "start");
	CHECK((td.dev.offered & 0xf) == 0xf, "classic_fd_rtr_late_ack_offered");
	uint64_t rx = post_rx(&td);
	CHECK(send(&td, 1, 0, 0x123, 8) == 1 && !received(&td, rx, &h, &used), "stopped_controller_rejects_and_sends_nothing");
	CHECK(control(&td, 0x0201) == 0, "start_ok");
	CHECK(send(&td, 1, 0, 0x123, 8) == 0 && received(&td, rx, &h, &used) && used == 24 && h.msg_type == 0x0101 &&
	      h.can_id == 0x123 && h.length == 8 && h.flags == 0 && ((uint8_t *)td_host(&td, rx))[16 + 7] == 8,
	      "classic_frame_loops_back");
	rx = post_rx(&td);
	CHECK(send(&td, 1, FLAG_FD | FLAG_EXT, 0x1abcdef, 64) == 0 && received(&td, rx, &h, &used) && used == 80 &&
	      h.flags == (FLAG_FD | FLAG_EXT) && h.length == 64 && ((uint8_t *)td_host(&td, rx))[16 + 63] == 64,
	      "fd_frame_loops_back");
	rx = post_rx(&td);
	CHECK(send(&td, 1, FLAG_RTR, 0x10, 4) == 0 && received(&td, rx, &h, &used) && used == 16 && h.flags == FLAG_RTR &&
	      h.length == 4, "rtr_frame_loops_back_without_sdu");
	CHECK(send(&td, 1, 0x1, 0x10, 1) == 1, "undefined_flag_rejected");
	CHECK(send(&td, 1, FLAG_RTR | FLAG_FD, 0x10, 1) == 1, "fd_rtr_rejected");
	CHECK(send(&td, 1, 0, 0x800, 1) == 1 && send(&td, 1, FLAG_EXT, 0x20000000, 1) == 1, "can_id_out_of_range_rejected");
	CHECK(send(&td, 1, 0, 0x10, 9) == 1 && send(&td, 1, FLAG_FD, 0x10, 65) == 1, "length_out_of_range_rejected");
	CHECK(send(&td, 2, 0, 0x10, 1) == 1, "unknown_msg_type_rejected");
	CHECK(!received(&td, rx, &h, &used), "rejected_frames_never_on_the_bus");
	send(&td, 1, 0, 0x11, 1);
	send(&td, 1, 0, 0x12, 1);
	uint64_t a = post_rx(&td), b = post_rx(&td);
	struct can_hdr h2;
	CHECK(received(&td, a, &h, &used) && received(&td, b, &h2, &used) && h.can_id == 0x11 && h2.can_id == 0x12,
	      "frames_held_for_late_receive_buffers_in_order");
	CHECK(control(&td, 0x0202) == 0 && send(&td, 1, 0, 0x10, 1) == 1, "stop_then_tx_rejected");
	CHECK(control(&td, 0x0299) == 1, "unknown_control_not_ok");
	td_stop(&td);

	CHECK(td_start(&td, "can", "", F_CLASSIC, true), "start_classic_only_packed");
	control(&td, 0x0201);
	CHECK(send(&td, 1, FLAG_FD, 0x10, 12) == 1 && send(&td, 1, 0, 0x10, 2) == 0, "fd_rejected_without_fd_feature");
	CHECK(send(&td, 1, FLAG_RTR, 0x10, 0) == 1, "rtr_rejected_without_rtr_feature");
	td_stop(&td);
	td_start(&td, "can", "", F_RTR | F_FD, false);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "rtr_without_classic_refused");
	td_stop(&td);
	td_start(&td, "can", "", F_LATE_TX_ACK, false);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "neither_classic_nor_fd_refused");
	td_stop(&td);
}

static void bus_off(void)
{
	struct test_driver td;
	td_start(&td, "can", "", ~0ULL, false);
	control(&td, 0x0201);
	unsigned before = td.config_notifications;
	uint32_t generation = td.dev.config_generation;
	CHECK(send(&td, 1, FLAG_EXT, BUSOFF_ID, 1) == 1 && (status(&td) & 1) && td.config_notifications == before + 1 &&
	      td.dev.config_generation != generation, "busoff_sets_status_and_notifies");
	CHECK(send(&td, 1, 0, 0x10, 1) == 1, "busoff_leaves_controller_stopped");
	CHECK(control(&td, 0x0201) == 0 && status(&td) == 0 && send(&td, 1, 0, 0x10, 1) == 0, "start_clears_busoff");
	td_stop(&td);
}

static void faults(void)
{
	struct test_driver td;
	struct can_hdr h;
	uint32_t used;
	td_start(&td, "can", "fault=reserved-flag-accepted", ~0ULL, false);
	control(&td, 0x0201);
	CHECK(send(&td, 1, 0x1, 0x10, 1) == 0, "fault_reserved_flag_accepted");
	td_stop(&td);
	td_start(&td, "can", "fault=fd-without-negotiation", F_CLASSIC, false);
	control(&td, 0x0201);
	uint64_t rx = post_rx(&td);
	CHECK(send(&td, 1, FLAG_FD, 0x10, 12) == 0 && received(&td, rx, &h, &used) && h.flags == FLAG_FD,
	      "fault_fd_without_negotiation");
	td_stop(&td);
	td_start(&td, "can", "fault=out-of-range-accepted", ~0ULL, false);
	control(&td, 0x0201);
	CHECK(send(&td, 1, 0, 0x800, 1) == 0, "fault_out_of_range_accepted");
	td_stop(&td);
	td_start(&td, "can", "fault=stopped-tx-transmitted", ~0ULL, false);
	CHECK(send(&td, 1, 0, 0x10, 1) == 0, "fault_stopped_tx_transmitted");
	td_stop(&td);
	td_start(&td, "can", "fault=busoff-not-reported", ~0ULL, false);
	control(&td, 0x0201);
	CHECK(send(&td, 1, FLAG_EXT, BUSOFF_ID, 1) == 1 && status(&td) == 0 && send(&td, 1, 0, 0x10, 1) == 1,
	      "fault_busoff_not_reported");
	td_stop(&td);
	td_start(&td, "can", "fault=late-tx-ack-early", ~0ULL, false);
	control(&td, 0x0201);
	rx = post_rx(&td);
	CHECK(send(&td, 1, 0, 0x10, 1) == 0 && !received(&td, rx, &h, &used), "fault_late_tx_ack_early_acks_first");
	td_kick(&td, RXQ);
	CHECK(received(&td, rx, &h, &used) && h.can_id == 0x10, "fault_late_tx_ack_early_frame_follows");
	td_stop(&td);
}

static void malformed(void)
{
	struct test_driver td;
	td_start(&td, "can", "", ~0ULL, false);
	uint64_t req = td_alloc(&td, 4);
	struct td_buffer b = { req, 4, false };
	td_submit(&td, TXQ, &b, 1);
	CHECK((td.dev.status & VIRTIO_STATUS_NEEDS_RESET) && td.config_notifications == 1, "short_tx_needs_reset");
	td_stop(&td);
	td_start(&td, "can", "", ~0ULL, false);
	control(&td, 0x0201);
	uint64_t small = td_alloc(&td, 8);
	struct td_buffer r = { small, 8, true };
	td_submit(&td, RXQ, &r, 1);
	send(&td, 1, 0, 0x10, 1);
	CHECK(td.dev.status & VIRTIO_STATUS_NEEDS_RESET, "small_rx_buffer_needs_reset");
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	loopback();
	bus_off();
	faults();
	malformed();
	return UNIT_DONE();
}
