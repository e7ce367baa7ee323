/* Host unit tests of the virtqueue core and device status handling, split and packed, with hostile rings. */
#include "host_driver.h"
#include "unit_check.h"

#include <stdio.h>

#define ALL_FEATURES (~0ULL)

static void name(char *buf, size_t size, const char *what, bool packed)
{
	snprintf(buf, size, "%s_%s", packed ? "packed" : "split", what);
}

static void basic_round_trips(bool packed)
{
	char n[96];
	struct test_driver td;
	/* Without EVENT_IDX and with flags 0 every used buffer is notified (Used Buffer Notification Suppression #3). */
	CHECK(td_start(&td, "entropy", "", ALL_FEATURES & ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX), packed), "start");
	uint64_t buf = td_alloc(&td, 256);
	uint16_t id, got_id;
	uint32_t len;
	for (int round = 0; round < 3 * TD_QUEUE_SIZE; round++) {
		struct td_buffer b = { buf, 64, true };
		id = td_submit(&td, 0, &b, 1);
		if (!td_used(&td, 0, &got_id, &len) || got_id != id || len != 64) {
			name(n, sizeof(n), "wraps_around_the_ring", packed);
			CHECK(false, n);
			td_stop(&td);
			return;
		}
	}
	name(n, sizeof(n), "wraps_around_the_ring", packed);
	CHECK(true, n);
	/* Scatter list: two writable segments, and one through an indirect table. */
	struct td_buffer two[2] = { { buf, 10, true }, { buf + 100, 20, true } };
	id = td_submit(&td, 0, two, 2);
	name(n, sizeof(n), "chain_of_two_filled", packed);
	CHECK(td_used(&td, 0, &got_id, &len) && got_id == id && len == 30, n);
	id = td_submit_indirect(&td, 0, two, 2);
	name(n, sizeof(n), "indirect_chain_filled", packed);
	CHECK(td_used(&td, 0, &got_id, &len) && got_id == id && len == 30, n);
	name(n, sizeof(n), "notified_per_buffer", packed);
	CHECK(td.used_notifications[0] == 3 * TD_QUEUE_SIZE + 2, n);
	name(n, sizeof(n), "device_healthy", packed);
	CHECK(!(td.dev.status & VIRTIO_STATUS_NEEDS_RESET), n);
	td_stop(&td);
	/* A notification stands for a used buffer (MMIO Device Register Layout #4): kicks with nothing
	 * available, before the first buffer and after the last one, raise none (the vhost-user back end
	 * processes every ring it starts; QEMU set InterruptStatus bit 0 for that call, guest saw it in some runs). */
	CHECK(td_start(&td, "entropy", "", ALL_FEATURES, packed), "start");
	td_kick(&td, 0);
	unsigned before_any = td.used_notifications[0];
	struct td_buffer b = { td_alloc(&td, 8), 8, true };
	td_submit(&td, 0, &b, 1);
	unsigned after_one = td.used_notifications[0];
	td_kick(&td, 0);
	td_kick(&td, 0);
	name(n, sizeof(n), "no_notification_without_used_buffer", packed);
	CHECK(before_any == 0 && after_one == 1 && td.used_notifications[0] == 1 && td_used(&td, 0, &got_id, &len), n);
	td_stop(&td);
}

/* A hostile chain must set NEEDS_RESET, raise one config notification, and write nothing. */
static void expect_needs_reset(struct test_driver *td, const char *what)
{
	char n[128];
	snprintf(n, sizeof(n), "%s_sets_needs_reset", what);
	CHECK((td->dev.status & VIRTIO_STATUS_NEEDS_RESET) && td->config_notifications == 1, n);
	uint16_t id;
	uint32_t len;
	snprintf(n, sizeof(n), "%s_returns_no_buffer", what);
	CHECK(!td_used(td, 0, &id, &len), n);
	if (!(td->dev.status & VIRTIO_STATUS_NEEDS_RESET))
		printf("# device status 0x%x, error '%s'\n", td->dev.status, td->dev.error);
}

static void hostile_split_rings(void)
{
	struct test_driver td;
	uint64_t buf;

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	td_write_split_desc(&td, 0, 0, TD_RAM_BASE + 4096 * 200, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	td_write_split_desc(&td, 0, 1, TD_RAM_BASE + 4096 * 201, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	td_publish_split_head(&td, 0, 0);
	td_kick(&td, 0);
	expect_needs_reset(&td, "split_descriptor_loop");
	/* Once broken, more kicks do nothing (and do not hang). */
	td_kick(&td, 0);
	CHECK(td.config_notifications == 1, "split_broken_device_stays_quiet");
	/* A reset brings the device back. */
	vdev_set_status(&td.dev, 0);
	CHECK(td.dev.status == 0 && td.dev.queues[0].last_avail == 0, "reset_clears_status_and_queue_state");
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	td_write_split_desc(&td, 0, 0, 0x1000, 8, VIRTQ_DESC_F_WRITE, 0);
	td_publish_split_head(&td, 0, 0);
	td_kick(&td, 0);
	expect_needs_reset(&td, "split_buffer_outside_ram");
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	buf = td_alloc(&td, 16);
	td_write_split_desc(&td, 0, 0, buf, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	td_publish_split_head(&td, 0, 0);
	td_kick(&td, 0);
	expect_needs_reset(&td, "split_huge_length");
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	td_write_split_desc(&td, 0, 0, TD_RAM_BASE, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 5000);
	td_publish_split_head(&td, 0, 0);
	td_kick(&td, 0);
	expect_needs_reset(&td, "split_next_outside_table");
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	td_publish_split_head(&td, 0, 999);
	td_kick(&td, 0);
	expect_needs_reset(&td, "split_head_outside_table");
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	{
		/* An indirect table whose entry is itself INDIRECT. */
		uint64_t inner = td_alloc(&td, 16), outer = td_alloc(&td, 16);
		uint64_t d[2] = { inner, 16 | ((uint64_t)VIRTQ_DESC_F_INDIRECT << 32) };
		memcpy(td_host(&td, outer), d, 16);
		td_write_split_desc(&td, 0, 0, outer, 16, VIRTQ_DESC_F_INDIRECT, 0);
		td_publish_split_head(&td, 0, 0);
		td_kick(&td, 0);
		expect_needs_reset(&td, "split_nested_indirect");
	}
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	{
		uint16_t jump = TD_QUEUE_SIZE + 1;
		memcpy(td_host(&td, td.q[0].driver + 2), &jump, 2);
		td_kick(&td, 0);
		expect_needs_reset(&td, "split_avail_index_jump");
	}
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, false);
	buf = td_alloc(&td, 64);
	td_write_split_desc(&td, 0, 0, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	td_write_split_desc(&td, 0, 1, buf + 8, 8, 0, 0);
	td_publish_split_head(&td, 0, 0);
	td_kick(&td, 0);
	expect_needs_reset(&td, "split_readable_after_writable");
	td_stop(&td);

	/* Indirect without the feature negotiated. */
	td_start(&td, "entropy", "", ALL_FEATURES & ~VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), false);
	{
		struct td_buffer b = { td_alloc(&td, 8), 8, true };
		td_submit_indirect(&td, 0, &b, 1);
		expect_needs_reset(&td, "split_indirect_not_negotiated");
	}
	td_stop(&td);
}

static void hostile_packed_rings(void)
{
	struct test_driver td;
	td_start(&td, "entropy", "", ALL_FEATURES, true);
	{
		/* Every slot available and chained with NEXT: longer than the queue. */
		for (uint16_t i = 0; i < TD_QUEUE_SIZE; i++) {
			uint64_t d[2] = { TD_RAM_BASE + 8ULL * i,
					  8 | ((uint64_t)(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_PACKED_DESC_F_AVAIL) << 48) };
			memcpy(td_host(&td, td.q[0].desc + 16ULL * i), d, 16);
		}
		td_kick(&td, 0);
		expect_needs_reset(&td, "packed_endless_chain");
	}
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, true);
	{
		struct td_buffer b = { 0x10, 8, true };
		td_submit(&td, 0, &b, 1);
		expect_needs_reset(&td, "packed_buffer_outside_ram");
	}
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES, true);
	{
		uint64_t inner = td_alloc(&td, 16), outer = td_alloc(&td, 16);
		uint64_t d[2] = { inner, 16 | ((uint64_t)VIRTQ_DESC_F_INDIRECT << 48) };
		memcpy(td_host(&td, outer), d, 16);
		uint64_t head[2] = { outer, 16 | ((uint64_t)(VIRTQ_DESC_F_INDIRECT | VIRTQ_PACKED_DESC_F_AVAIL) << 48) };
		memcpy(td_host(&td, td.q[0].desc), head, 16);
		td_kick(&td, 0);
		expect_needs_reset(&td, "packed_nested_indirect");
	}
	td_stop(&td);
}

static void status_rules(void)
{
	struct test_driver td;
	td_start(&td, "entropy", "", ALL_FEATURES, false);
	/* Device Status #1: before DRIVER_OK nothing is used. */
	vdev_set_status(&td.dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	struct td_buffer b = { td_alloc(&td, 8), 8, true };
	td_submit(&td, 0, &b, 1);
	uint16_t id;
	uint32_t len;
	CHECK(!td_used(&td, 0, &id, &len) && td.used_notifications[0] == 0, "no_buffer_used_before_driver_ok");
	td_stop(&td);

	/* Feature Bits #3: a feature that was not offered keeps FEATURES_OK clear. */
	td_start(&td, "entropy", "", ALL_FEATURES, false);
	vdev_set_status(&td.dev, 0);
	vdev_set_driver_features(&td.dev, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(50));
	vdev_set_status(&td.dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "unoffered_feature_refused");
	td_stop(&td);

	/* Event index: with used_event far ahead, no notification; the driver's NO_INTERRUPT flag is ignored. */
	td_start(&td, "entropy", "", ALL_FEATURES, false);
	uint16_t used_event = 5, no_interrupt = VIRTQ_AVAIL_F_NO_INTERRUPT;
	memcpy(td_host(&td, td.q[0].driver + 4 + 2 * TD_QUEUE_SIZE), &used_event, 2);
	memcpy(td_host(&td, td.q[0].driver), &no_interrupt, 2);
	unsigned notified[8];
	for (int i = 0; i < 8; i++) {
		td_submit(&td, 0, &b, 1);
		notified[i] = td.used_notifications[0];
	}
	/* First completion always notifies; then only when used idx passes used_event (5 -> idx 6). */
	CHECK(notified[0] == 1 && notified[4] == 1 && notified[5] == 2 && notified[7] == 2,
	      "event_idx_notifies_exactly_at_used_event");
	td_stop(&td);

	td_start(&td, "entropy", "", ALL_FEATURES & ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX), false);
	memcpy(td_host(&td, td.q[0].driver), &no_interrupt, 2);
	td_submit(&td, 0, &b, 1);
	CHECK(td.used_notifications[0] == 0, "no_interrupt_flag_honoured_without_event_idx");
	td_stop(&td);

	/* Generic faults. */
	td_start(&td, "entropy", "fault=no-used-notification", ALL_FEATURES, false);
	td_submit(&td, 0, &b, 1);
	CHECK(td.used_notifications[0] == 0 && td_used(&td, 0, &id, &len), "fault_no_used_notification");
	td_stop(&td);
	td_start(&td, "entropy", "fault=notify-without-used-buffer", ALL_FEATURES & ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX), false);
	td_kick(&td, 0);
	unsigned spurious = td.used_notifications[0];
	b.addr = td_alloc(&td, 8);
	td_submit(&td, 0, &b, 1);
	CHECK(spurious == 1 && td.used_notifications[0] == 2 && td_used(&td, 0, &id, &len),
	      "fault_notify_without_used_buffer");
	td_stop(&td);
	td_start(&td, "entropy", "fault=used-length-wrong", ALL_FEATURES, false);
	td_submit(&td, 0, &b, 1);
	CHECK(td_used(&td, 0, &id, &len) && len == 9, "fault_used_length_wrong");
	td_stop(&td);
	td_start(&td, "entropy", "fault=needs-reset-silent", ALL_FEATURES, false);
	td_publish_split_head(&td, 0, 999);
	td_kick(&td, 0);
	CHECK((td.dev.status & VIRTIO_STATUS_NEEDS_RESET) && td.config_notifications == 0, "fault_needs_reset_silent");
	td_stop(&td);
	CHECK(!td_start(&td, "entropy", "fault=no-such-fault", ALL_FEATURES, false), "unknown_fault_refused");

	/* Ring-level faults. */
	td_start(&td, "entropy", "fault=event-idx-late", ALL_FEATURES, false);
	used_event = 5;
	memcpy(td_host(&td, td.q[0].driver + 4 + 2 * TD_QUEUE_SIZE), &used_event, 2);
	for (int i = 0; i < 7; i++) {
		td_submit(&td, 0, &b, 1);
		notified[i] = td.used_notifications[0];
	}
	CHECK(notified[5] == 1 && notified[6] == 2, "fault_event_idx_late");
	td_stop(&td);
	td_start(&td, "entropy", "fault=no-interrupt-honoured", ALL_FEATURES, false);
	memcpy(td_host(&td, td.q[0].driver), &no_interrupt, 2);
	td_submit(&td, 0, &b, 1);
	CHECK(td.used_notifications[0] == 0, "fault_no_interrupt_honoured");
	td_stop(&td);
	td_start(&td, "entropy", "fault=used-flags-garbage", ALL_FEATURES & ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX), false);
	td_submit(&td, 0, &b, 1);
	uint16_t used_flags;
	memcpy(&used_flags, td_host(&td, td.q[0].device), 2);
	CHECK(used_flags == 2, "fault_used_flags_garbage");
	td_stop(&td);
	for (int fault = 0; fault < 2; fault++) {
		td_start(&td, "entropy", fault ? "fault=chain-then-indirect-refused" : "", ALL_FEATURES, false);
		uint64_t table = td_alloc(&td, 16), buf = td_alloc(&td, 16);
		uint64_t entry[2] = { buf + 8, 8 | ((uint64_t)VIRTQ_DESC_F_WRITE << 32) };
		memcpy(td_host(&td, table), entry, 16);
		td_write_split_desc(&td, 0, 0, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
		td_write_split_desc(&td, 0, 1, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
		td_publish_split_head(&td, 0, 0);
		td_kick(&td, 0);
		bool used = td_used(&td, 0, &id, &len) && len == 16;
		CHECK(fault ? !used : used, fault ? "fault_chain_then_indirect_refused" : "chain_ending_in_indirect_served");
		td_stop(&td);
	}
	for (int fault = 0; fault < 2; fault++) {
		td_start(&td, "entropy", fault ? "fault=indirect-write-flag-honoured" : "", ALL_FEATURES, false);
		uint64_t table = td_alloc(&td, 16), buf = td_alloc(&td, 8);
		uint64_t entry[2] = { buf, 8 | ((uint64_t)VIRTQ_DESC_F_WRITE << 32) };
		memcpy(td_host(&td, table), entry, 16);
		td_write_split_desc(&td, 0, 0, table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
		td_publish_split_head(&td, 0, 0);
		td_kick(&td, 0);
		bool used = td_used(&td, 0, &id, &len) && len == 8;
		CHECK(fault ? !used : used, fault ? "fault_indirect_write_flag_honoured" : "indirect_write_flag_ignored");
		td_stop(&td);
	}
}

int main(void)
{
	printf("KTAP version 1\n");
	basic_round_trips(false);
	basic_round_trips(true);
	hostile_split_rings();
	hostile_packed_rings();
	status_rules();
	return UNIT_DONE();
}
