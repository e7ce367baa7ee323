/* Host unit tests of the input model: config queries (names, IDs, bitmaps, ABS_INFO, size 0 when unsupported), injected updates, faults. */
#include "host_driver.h"
#include "unit_check.h"

struct event {
	uint16_t type, code;
	uint32_t value;
};

static uint8_t query(struct test_driver *td, uint8_t select, uint8_t subsel, uint8_t *u)
{
	uint8_t size;
	vdev_write_config(&td->dev, 0, &select, 1);
	vdev_write_config(&td->dev, 1, &subsel, 1);
	vdev_read_config(&td->dev, 2, &size, 1);
	vdev_read_config(&td->dev, 8, u, 128);
	return size;
}

static uint64_t event_at[TD_QUEUE_SIZE];

static void post_events(struct test_driver *td, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t a = td_alloc(td, sizeof(struct event));
		struct td_buffer b = { a, sizeof(struct event), true };
		event_at[td_add(td, 0, &b, 1, false) % TD_QUEUE_SIZE] = a;
	}
	td_kick(td, 0);
}

static unsigned take_events(struct test_driver *td, struct event *out, unsigned max)
{
	uint16_t id;
	uint32_t len;
	unsigned n = 0;
	while (td_used(td, 0, &id, &len))
		if (n < max && len == sizeof(struct event))
			memcpy(&out[n++], td_host(td, event_at[id % TD_QUEUE_SIZE]), sizeof(struct event));
	return n;
}

static bool bit(const uint8_t *u, unsigned n)
{
	return (u[n / 8] >> (n % 8)) & 1;
}

int main(void)
{
	printf("KTAP version 1\n");
	struct test_driver td;
	uint8_t u[128];
	char reply[32];
	struct event ev[16];

	CHECK(td_start(&td, "input", "kind=keyboard", ~0ULL, false), "start_keyboard");
	uint8_t size = query(&td, 1, 0, u);
	CHECK(size == 20 && !memcmp(u, "AVPS virtio keyboard", 20), "id_name");
	CHECK(query(&td, 2, 0, u) > 0, "id_serial");
	size = query(&td, 3, 0, u);
	CHECK(size == 8 && u[0] == 6, "id_devids_bus_virtual");
	size = query(&td, 0x11, 1, u);
	CHECK(size > 0 && bit(u, 30) && bit(u, 1) && !bit(u, 0), "ev_bits_key_has_key_a");
	CHECK(query(&td, 0x11, 2, u) == 0, "keyboard_has_no_rel");
	CHECK(query(&td, 0x7e, 0, u) == 0 && u[0] == 0, "undefined_select_size_0");
	CHECK(query(&td, 1, 1, u) == 0, "id_name_with_subsel_size_0");
	CHECK(query(&td, 0x11, 0x0a, u) == 0, "ev_bits_undefined_type_size_0");
	CHECK(query(&td, 0x12, 0, u) == 0, "keyboard_has_no_abs_info");
	/* An injected key press arrives as one update: press, SYN, release, SYN. */
	post_events(&td, 8);
	CHECK(td.dev.model->host_request(&td.dev, "key", reply, sizeof(reply)) && !strcmp(reply, "2"), "key_request_taken");
	unsigned n = take_events(&td, ev, 16);
	CHECK(n == 4 && ev[0].type == 1 && ev[0].code == 30 && ev[0].value == 1 && ev[1].type == 0 && ev[2].value == 0 &&
	      ev[3].type == 0, "key_press_release_delivered");
	CHECK(!td.dev.model->host_request(&td.dev, "abs", reply, sizeof(reply)), "keyboard_refuses_abs");
	/* No buffers: the update waits, and arrives whole once buffers come. */
	td.dev.model->host_request(&td.dev, "key", reply, sizeof(reply));
	CHECK(take_events(&td, ev, 16) == 4, "update_completes_with_buffers_left");
	td.dev.model->host_request(&td.dev, "key", reply, sizeof(reply));
	CHECK(take_events(&td, ev, 16) == 0, "update_waits_for_buffers");
	post_events(&td, 4);
	CHECK(take_events(&td, ev, 16) == 4 && ev[0].value == 1, "waiting_update_delivered");
	td_stop(&td);

	CHECK(td_start(&td, "input", "kind=tablet", ~0ULL, true), "start_tablet_packed");
	size = query(&td, 0x11, 3, u);
	CHECK(size > 0 && bit(u, 0) && bit(u, 1), "tablet_abs_xy");
	size = query(&td, 0x12, 0, u);
	uint32_t info[5];
	memcpy(info, u, sizeof(info));
	CHECK(size == 20 && info[0] == 0 && info[1] == 32767, "abs_info_range");
	post_events(&td, 8);
	td.dev.model->host_request(&td.dev, "abs", reply, sizeof(reply));
	n = take_events(&td, ev, 16);
	CHECK(n == 3 && ev[0].type == 3 && ev[0].value == 16384 && ev[1].value == 8192, "abs_delivered");
	td_stop(&td);

	CHECK(td_start(&td, "input", "kind=mouse", ~0ULL, false), "start_mouse");
	size = query(&td, 0x11, 2, u);
	CHECK(size > 0 && bit(u, 0) && bit(u, 1), "mouse_rel_xy");
	size = query(&td, 0x11, 1, u);
	CHECK(size > 0 && bit(u, 0x110), "mouse_btn_left");
	post_events(&td, 8);
	td.dev.model->host_request(&td.dev, "rel", reply, sizeof(reply));
	n = take_events(&td, ev, 16);
	CHECK(n == 3 && ev[0].value == 7 && (int32_t)ev[1].value == -3, "rel_delivered");
	td_stop(&td);

	td_start(&td, "input", "fault=unsupported-size-nonzero", ~0ULL, false);
	CHECK(query(&td, 0x7e, 0, u) == 1, "fault_unsupported_size_nonzero");
	td_stop(&td);
	td_start(&td, "input", "fault=events-not-delivered", ~0ULL, false);
	post_events(&td, 8);
	CHECK(td.dev.model->host_request(&td.dev, "key", reply, sizeof(reply)) && take_events(&td, ev, 16) == 0,
	      "fault_events_not_delivered");
	td_stop(&td);
	CHECK(!td_start(&td, "input", "kind=joystick", ~0ULL, false), "unknown_kind_refused");
	return UNIT_DONE();
}
