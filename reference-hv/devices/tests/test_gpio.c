/* Host unit tests of the GPIO model: names, directions, loopback wiring, edge and level interrupts, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

struct gpio_req {
	uint16_t type, gpio;
	uint32_t value;
};

/* One requestq message; returns status, the value byte in *value, the used length in *used. */
static uint8_t gpio_msg(struct test_driver *td, uint16_t type, uint16_t gpio, uint32_t value, uint8_t *out,
		       uint32_t out_len, uint32_t *used)
{
	uint64_t req = td_alloc(td, 8), resp = td_alloc(td, out_len);
	struct gpio_req r = { type, gpio, value };
	memcpy(td_host(td, req), &r, 8);
	memset(td_host(td, resp), 0xcc, out_len);
	struct td_buffer b[2] = { { req, 8, false }, { resp, out_len, true } };
	td_submit(td, 0, b, 2);
	uint16_t id;
	uint32_t len = 0;
	if (!td_used(td, 0, &id, &len))
		return 0xee;
	memcpy(out, td_host(td, resp), out_len);
	if (used)
		*used = len;
	return out[0];
}

static uint8_t msg(struct test_driver *td, uint16_t type, uint16_t gpio, uint32_t value, uint8_t *v)
{
	uint8_t r[2];
	uint8_t status = gpio_msg(td, type, gpio, value, r, 2, NULL);
	if (v)
		*v = r[1];
	return status;
}

/* Queues an eventq buffer for a line; returns the guest address of its status byte. */
static uint64_t arm_event(struct test_driver *td, uint16_t gpio)
{
	uint64_t req = td_alloc(td, 2), status = td_alloc(td, 1);
	memcpy(td_host(td, req), &gpio, 2);
	*(uint8_t *)td_host(td, status) = 0xcc;
	struct td_buffer b[2] = { { req, 2, false }, { status, 1, true } };
	td_submit(td, 1, b, 2);
	return status;
}

static int events(struct test_driver *td)
{
	int n = 0;
	uint16_t id;
	uint32_t len;
	while (td_used(td, 1, &id, &len))
		n++;
	return n;
}

enum { NAMES = 1, GET_DIR, SET_DIR, GET_VAL, SET_VAL, SET_IRQ };

static void run(bool packed, const char *prefix)
{
	char n[96];
	struct test_driver td;
	uint8_t v, names[256];
	uint32_t used, names_size;
#define NAME(x) (snprintf(n, sizeof(n), "%s_%s", prefix, x), n)
	CHECK(td_start(&td, "gpio", "lines=8", ~0ULL, packed), NAME("start"));
	vdev_read_config(&td.dev, 4, &names_size, 4);
	CHECK(gpio_msg(&td, NAMES, 0, 0, names, 1 + names_size, &used) == 0 && used == 1 + names_size &&
	      !strcmp((char *)names + 1, "avps-loop0") && names[names_size] == 0, NAME("names_block_matches_config"));
	CHECK(msg(&td, SET_DIR, 0, 1, NULL) == 0 && msg(&td, SET_DIR, 1, 2, NULL) == 0, NAME("set_directions"));
	CHECK(msg(&td, GET_DIR, 1, 0, &v) == 0 && v == 2, NAME("direction_reads_back"));
	CHECK(msg(&td, SET_VAL, 0, 1, NULL) == 0 && msg(&td, GET_VAL, 1, 0, &v) == 0 && v == 1, NAME("loopback_high"));
	CHECK(msg(&td, SET_VAL, 0, 0, NULL) == 0 && msg(&td, GET_VAL, 1, 0, &v) == 0 && v == 0, NAME("loopback_low"));
	/* Set Value on a line that is not an output is kept and used once it becomes one. */
	CHECK(msg(&td, SET_VAL, 1, 1, NULL) == 0 && msg(&td, GET_VAL, 0, 0, &v) == 0 && v == 0,
	      NAME("set_value_on_input_kept_not_driven"));
	CHECK(msg(&td, SET_VAL, 1, 0, NULL) == 0, NAME("set_value_on_input_restored"));
	CHECK(msg(&td, SET_VAL, 1, 2, NULL) == 1, NAME("set_value_out_of_range_refused"));
	CHECK(msg(&td, GET_VAL, 8, 0, NULL) == 1, NAME("line_outside_bank_refused"));
	uint8_t r[2];
	CHECK(gpio_msg(&td, GET_VAL, 1, 0, r, 2, &used) == 0 && used == 2 && r[1] == 0, NAME("response_fully_filled"));

	/* Edge while masked is latched and delivered when a buffer arrives (requestq #10). */
	CHECK(msg(&td, SET_IRQ, 1, 1, NULL) == 0, NAME("set_irq_edge_rising"));
	msg(&td, SET_VAL, 0, 1, NULL);
	CHECK(events(&td) == 0, NAME("masked_edge_not_delivered"));
	uint64_t st = arm_event(&td, 1);
	CHECK(events(&td) == 1 && *(uint8_t *)td_host(&td, st) == 1, NAME("latched_edge_delivered_on_unmask"));
	st = arm_event(&td, 1);
	CHECK(events(&td) == 0, NAME("no_second_event_without_edge"));
	msg(&td, SET_VAL, 0, 0, NULL);
	CHECK(events(&td) == 0, NAME("falling_edge_ignored_for_rising"));
	msg(&td, SET_VAL, 0, 1, NULL);
	CHECK(events(&td) == 1 && *(uint8_t *)td_host(&td, st) == 1, NAME("unmasked_edge_delivered"));
	/* Disabling returns a held buffer INVALID (eventq #2). */
	st = arm_event(&td, 1);
	CHECK(msg(&td, SET_IRQ, 1, 0, NULL) == 0 && events(&td) == 1 && *(uint8_t *)td_host(&td, st) == 0,
	      NAME("disable_returns_buffer_invalid"));

	/* A level that comes and goes while masked is not latched (requestq #11). */
	msg(&td, SET_VAL, 0, 0, NULL);
	msg(&td, SET_IRQ, 1, 4, NULL);
	msg(&td, SET_VAL, 0, 1, NULL);
	msg(&td, SET_VAL, 0, 0, NULL);
	arm_event(&td, 1);
	CHECK(events(&td) == 0, NAME("masked_level_not_latched"));
	msg(&td, SET_VAL, 0, 1, NULL);
	CHECK(events(&td) == 1, NAME("level_high_delivered"));
	arm_event(&td, 1);
	CHECK(events(&td) == 1, NAME("level_still_high_fires_again"));
	/* SET_DIRECTION NONE drops the line's state (#9). */
	CHECK(msg(&td, SET_DIR, 1, 0, NULL) == 0 && msg(&td, GET_DIR, 1, 0, &v) == 0 && v == 0, NAME("direction_none_clears"));
	td_stop(&td);
#undef NAME
}

static void faults(void)
{
	struct test_driver td;
	uint8_t names[256];
	uint32_t names_size;
	td_start(&td, "gpio", "fault=edge-not-latched", ~0ULL, false);
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_IRQ, 1, 3, NULL);
	msg(&td, SET_VAL, 0, 1, NULL);
	arm_event(&td, 1);
	CHECK(events(&td) == 0, "fault_edge_not_latched");
	td_stop(&td);
	td_start(&td, "gpio", "fault=level-latched", ~0ULL, false);
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_IRQ, 1, 4, NULL);
	msg(&td, SET_VAL, 0, 1, NULL);
	msg(&td, SET_VAL, 0, 0, NULL);
	arm_event(&td, 1);
	CHECK(events(&td) == 1, "fault_level_latched");
	td_stop(&td);
	td_start(&td, "gpio", "fault=duplicate-names", ~0ULL, false);
	vdev_read_config(&td.dev, 4, &names_size, 4);
	gpio_msg(&td, NAMES, 0, 0, names, 1 + names_size, NULL);
	CHECK(!strcmp((char *)names + 1, (char *)names + 1 + strlen((char *)names + 1) + 1), "fault_duplicate_names");
	td_stop(&td);
	td_start(&td, "gpio", "fault=value-unfilled", ~0ULL, false);
	uint8_t r[2];
	uint32_t used;
	gpio_msg(&td, GET_VAL, 1, 0, r, 2, &used);
	CHECK(used == 1 && r[1] == 0xcc, "fault_value_unfilled");
	td_stop(&td);
	td_start(&td, "gpio", "fault=irq-while-disabled", ~0ULL, false);
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	arm_event(&td, 1);
	msg(&td, SET_VAL, 0, 1, NULL);
	CHECK(events(&td) == 1, "fault_irq_while_disabled");
	td_stop(&td);
	td_start(&td, "gpio", "fault=falling-edge-lost", ~0ULL, false);
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_IRQ, 1, 3, NULL);
	arm_event(&td, 1);
	msg(&td, SET_VAL, 0, 1, NULL);
	int rising = events(&td);
	arm_event(&td, 1);
	msg(&td, SET_VAL, 0, 0, NULL);
	CHECK(rising == 1 && events(&td) == 0, "fault_falling_edge_lost");
	td_stop(&td);
	td_start(&td, "gpio", "fault=value-not-sensed", ~0ULL, false);
	uint8_t v = 0xcc;
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_VAL, 0, 1, NULL);
	CHECK(msg(&td, GET_VAL, 1, 0, &v) == 0 && v == 0, "fault_value_not_sensed");
	td_stop(&td);
	td_start(&td, "gpio", "fault=names-size-wrong", ~0ULL, false);
	vdev_read_config(&td.dev, 4, &names_size, 4);
	CHECK(names_size == 8 * 11 + 1, "fault_names_size_wrong");
	td_stop(&td);
	td_start(&td, "gpio", "fault=latch-kept-on-disable", ~0ULL, false);
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_IRQ, 1, 1, NULL);
	msg(&td, SET_VAL, 0, 1, NULL);
	msg(&td, SET_IRQ, 1, 0, NULL);
	msg(&td, SET_VAL, 0, 0, NULL);
	msg(&td, SET_IRQ, 1, 1, NULL);
	arm_event(&td, 1);
	CHECK(events(&td) == 1, "fault_latch_kept_on_disable");
	td_stop(&td);
	td_start(&td, "gpio", "fault=disable-keeps-buffer", ~0ULL, false);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_IRQ, 1, 1, NULL);
	arm_event(&td, 1);
	msg(&td, SET_IRQ, 1, 0, NULL);
	CHECK(events(&td) == 0, "fault_disable_keeps_buffer");
	td_stop(&td);
	td_start(&td, "gpio", "fault=direction-none-keeps-state", ~0ULL, false);
	msg(&td, SET_DIR, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	msg(&td, SET_IRQ, 1, 1, NULL);
	msg(&td, SET_VAL, 0, 1, NULL);
	msg(&td, SET_DIR, 1, 0, NULL);
	msg(&td, SET_DIR, 1, 2, NULL);
	uint64_t st = arm_event(&td, 1);
	CHECK(events(&td) == 1 && *(uint8_t *)td_host(&td, st) == 1, "fault_direction_none_keeps_state");
	td_stop(&td);
	td_start(&td, "gpio", "fault=answers-reversed", ~0ULL, false);
	uint64_t q1 = td_alloc(&td, 8), r1 = td_alloc(&td, 2), q2 = td_alloc(&td, 8), r2 = td_alloc(&td, 2);
	struct gpio_req set_in = { SET_DIR, 0, 2 }, get_dir = { GET_DIR, 0, 0 };
	memcpy(td_host(&td, q1), &set_in, 8);
	memcpy(td_host(&td, q2), &get_dir, 8);
	struct td_buffer m1[2] = { { q1, 8, false }, { r1, 2, true } }, m2[2] = { { q2, 8, false }, { r2, 2, true } };
	td_add(&td, 0, m1, 2, false);
	td_add(&td, 0, m2, 2, false);
	td_kick(&td, 0);
	uint16_t id;
	CHECK(td_used(&td, 0, &id, &used) && td_used(&td, 0, &id, &used) && ((uint8_t *)td_host(&td, r2))[1] == 0,
	      "fault_answers_reversed");
	td_stop(&td);
	/* Without VIRTIO_GPIO_F_IRQ, SET_IRQ_TYPE fails. */
	td_start(&td, "gpio", "", ~1ULL, false);
	CHECK(msg(&td, SET_IRQ, 1, 1, NULL) == 1, "irq_type_needs_feature");
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	run(false, "split");
	run(true, "packed");
	faults();
	return UNIT_DONE();
}
