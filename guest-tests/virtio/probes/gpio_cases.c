/* GPIO device statements (VIRTIO 1.2 §5.18): config and line names, response fields, request order, and the interrupt rules seen through two lines wired together. */
#include <string.h>

#include "probe.h"
#include "session.h"

#define VIRTIO_ID_GPIO 41
#define VIRTIO_GPIO_F_IRQ 0
#define GPIO_OP(n) "VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #" #n
#define GPIO_EVENTQ(n) "VIRTIO-1.2: Device Types / GPIO Device / eventq Operation #" #n

enum { MSG_GET_NAMES = 1, MSG_GET_DIRECTION, MSG_SET_DIRECTION, MSG_GET_VALUE, MSG_SET_VALUE, MSG_SET_IRQ_TYPE };
enum { DIR_NONE, DIR_OUT, DIR_IN };
enum { IRQ_NONE = 0, IRQ_EDGE_RISING = 1, IRQ_LEVEL_HIGH = 4 };
enum { STATUS_OK, STATUS_ERR };
enum { IRQ_STATUS_INVALID, IRQ_STATUS_VALID };

#define MAX_LINES 64
#define NAMES_MAX 2048
#define BATCH 7
#define FILL 0xcc
#define QUIET_US 20000       /* a buffer that must stay unused: 20 ms */
#define EVENT_WAIT_US 200000 /* an event the device owes: 200 ms */

struct gpio_request {
	uint16_t type, gpio;
	uint32_t value;
};

struct gpio {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint16_t ngpio;
	bool irq;                /* VIRTIO_GPIO_F_IRQ negotiated: queue 1 is the eventq */
};

static struct gpio_request req[BATCH] __attribute__((aligned(16)));
static uint8_t resp[BATCH][2] __attribute__((aligned(16)));
static uint8_t names[1 + NAMES_MAX + 8] __attribute__((aligned(16)));
static uint16_t event_line __attribute__((aligned(16)));
static uint8_t event_status __attribute__((aligned(16)));
static int out_line = -1, in_line = -1;   /* a wired pair, once found */
static bool pair_searched;

/* Opens the first GPIO device (requestq, plus the eventq when asked and offered), or SKIPs: absent. */
static bool gpio_open(struct gpio *g, bool want_irq)
{
	g->d = vdev_find(VIRTIO_ID_GPIO);
	if (!g->d) {
		probe_skip("device absent: no GPIO device (DeviceID 41) on a version-2 virtio-mmio transport");
		return false;
	}
	g->n = vdev_name(g->d);
	g->irq = want_irq && (g->d->t.offered & VIRTIO_BIT(VIRTIO_GPIO_F_IRQ));
	if (want_irq && !g->irq) {
		probe_skip("%s does not offer VIRTIO_GPIO_F_IRQ", g->n);
		return false;
	}
	if (!vs_open(&g->s, g->d, g->irq ? VIRTIO_BIT(VIRTIO_GPIO_F_IRQ) : 0, g->irq ? 2 : 1, VIRTQ_SPLIT, 16,
		     VS_DRIVER_OK))
		return false;
	g->ngpio = (uint16_t)vmmio_config(g->s.t, 0, 2);
	return probe_check(g->ngpio >= 1, "%s: ngpio is 0", g->n);
}

/* One requestq message; the response (pre-filled with FILL) in r, its used length in *len. */
static bool gpio_msg(struct gpio *g, uint16_t type, uint16_t line, uint32_t value, uint8_t r[2], uint32_t *len)
{
	struct virtq_used u;
	req[0] = (struct gpio_request){ type, line, value };
	resp[0][0] = resp[0][1] = FILL;
	struct vbuf e[2] = { { &req[0], sizeof(req[0]), false }, { resp[0], 2, true } };
	if (!vs_call(&g->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "gpio request"))
		return false;
	r[0] = resp[0][0];
	r[1] = resp[0][1];
	if (len)
		*len = u.len;
	return true;
}

/* A message that must succeed (a setup step of a case). */
static bool gpio_do(struct gpio *g, uint16_t type, uint16_t line, uint32_t value)
{
	uint8_t r[2];
	return gpio_msg(g, type, line, value, r, NULL) &&
	       probe_check(r[0] == STATUS_OK, "%s: message %u (line %u, value %u) answered status %u", g->n, type, line,
			   value, r[0]);
}

/* Reads a line's level: 0/1, or -1 after a failed check. */
static int gpio_level(struct gpio *g, uint16_t line)
{
	uint8_t r[2];
	if (!gpio_msg(g, MSG_GET_VALUE, line, 0, r, NULL) ||
	    !probe_check(r[0] == STATUS_OK && r[1] <= 1, "%s: GET_VALUE of line %u: status %u value %u", g->n, line,
			 r[0], r[1]))
		return -1;
	return r[1];
}

/* Finds two lines wired together (driving one as output moves the other's input), once per boot. */
static bool find_wired_pair(struct gpio *g)
{
	unsigned lines = g->ngpio < MAX_LINES ? g->ngpio : MAX_LINES;
	if (!pair_searched) {
		pair_searched = true;
		for (unsigned i = 0; i < lines; i++)
			if (!gpio_do(g, MSG_SET_DIRECTION, (uint16_t)i, DIR_IN))
				return false;
		for (unsigned a = 0; a < lines && out_line < 0; a++) {
			if (!gpio_do(g, MSG_SET_VALUE, (uint16_t)a, 0) || !gpio_do(g, MSG_SET_DIRECTION, (uint16_t)a, DIR_OUT))
				return false;
			uint64_t high = 0, low = 0;
			if (!gpio_do(g, MSG_SET_VALUE, (uint16_t)a, 1))
				return false;
			for (unsigned b = 0; b < lines; b++)
				if (b != a && gpio_level(g, (uint16_t)b) == 1)
					high |= 1ULL << b;
			if (!gpio_do(g, MSG_SET_VALUE, (uint16_t)a, 0))
				return false;
			for (unsigned b = 0; b < lines; b++)
				if (b != a && gpio_level(g, (uint16_t)b) == 0)
					low |= 1ULL << b;
			uint64_t follows = high & low;
			for (unsigned b = 0; b < lines && out_line < 0; b++)
				if (follows & (1ULL << b)) {
					out_line = (int)a;
					in_line = (int)b;
				}
			if (!gpio_do(g, MSG_SET_DIRECTION, (uint16_t)a, DIR_IN))
				return false;
		}
	}
	if (out_line < 0) {
		probe_skip("%s: no two of its %u lines are wired together: the interrupt cases need one line to drive "
			   "another", g->n, g->ngpio);
		return false;
	}
	return true;
}

/* An interrupt case's start: a fresh device with the eventq, the pair found, input line IN, output line OUT low. */
static bool irq_setup(struct gpio *g)
{
	if (!gpio_open(g, true))
		return false;
	bool found = find_wired_pair(g);
	vs_close(&g->s);   /* a fresh device: the search leaves lines configured */
	if (!found || !vs_open(&g->s, g->d, VIRTIO_BIT(VIRTIO_GPIO_F_IRQ), 2, VIRTQ_SPLIT, 16, VS_DRIVER_OK))
		return false;
	probe_diag("%s: line %d drives line %d", g->n, out_line, in_line);
	return gpio_do(g, MSG_SET_DIRECTION, (uint16_t)in_line, DIR_IN) &&
	       gpio_do(g, MSG_SET_VALUE, (uint16_t)out_line, 0) &&
	       gpio_do(g, MSG_SET_DIRECTION, (uint16_t)out_line, DIR_OUT);
}

/* Unmasks the input line's interrupt: one request/response pair on the eventq. */
static bool arm_event(struct gpio *g)
{
	uint16_t id;
	event_line = (uint16_t)in_line;
	event_status = FILL;
	struct vbuf e[2] = { { &event_line, 2, false }, { &event_status, 1, true } };
	enum virtq_result r = vmmio_post(g->s.t, &g->s.q[1], e, 2, VIRTQ_CHAIN_DIRECT, &id);
	return probe_check(r == VIRTQ_OK, "%s: eventq buffer not posted: %s", g->n, virtq_result_name(r));
}

/* Waits for the eventq buffer: 1 when it came back (its status in event_status), 0 if not, -1 on a bad entry. */
static int event_returned(struct gpio *g, uint32_t timeout_us)
{
	struct virtq_used u;
	enum virtq_result r = vmmio_wait_used(g->s.t, &g->s.q[1], timeout_us, &u);
	if (r == VIRTQ_EMPTY)
		return 0;
	return vdev_used_ok(g->d, r, &u, "eventq buffer") ? 1 : -1;
}

PROBE_CASE(gpio_config, "virtio.gpio.config_and_names_block",
	   AVPS_CHECKS("ngpio is at least 1 and padding 0, and a nonzero gpio_names_size is the exact size of the block "
		       "GET_LINE_NAMES returns (status OK, ngpio NUL-terminated strings, used length 1 + size)"),
	   "AVPS.GPIO.1", GPIO_OP(2), GPIO_OP(3), GPIO_OP(4))
static void gpio_config(void)
{
	struct gpio g;
	struct virtq_used u;
	if (!gpio_open(&g, false))
		return;
	uint32_t padding = (uint32_t)vmmio_config(g.s.t, 2, 2);
	uint32_t size = (uint32_t)vmmio_config(g.s.t, 4, 4);
	probe_check(padding == 0, "%s: config padding reads 0x%x", g.n, padding);
	probe_diag("%s: ngpio %u, gpio_names_size %u", g.n, g.ngpio, size);
	if (size == 0 || !probe_check(size <= NAMES_MAX, "%s: gpio_names_size %u beyond the probe's %u", g.n, size,
				      NAMES_MAX)) {
		vs_close(&g.s);
		return;
	}
	req[0] = (struct gpio_request){ MSG_GET_NAMES, 0, 0 };
	memset(names, FILL, sizeof(names));
	struct vbuf e[2] = { { &req[0], sizeof(req[0]), false }, { names, 1 + size, true } };
	if (vs_call(&g.s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "GET_LINE_NAMES") &&
	    probe_check(names[0] == STATUS_OK, "%s: GET_LINE_NAMES with gpio_names_size %u answered status %u (a device "
			"without names reports size 0)", g.n, size, names[0]) &&
	    probe_check(u.len == 1 + size, "%s: GET_LINE_NAMES used len %u, expected 1 + gpio_names_size = %u", g.n,
			u.len, 1 + size)) {
		unsigned nul = 0;
		for (uint32_t i = 1; i <= size; i++)
			nul += names[i] == 0;
		probe_check(names[size] == 0 && nul == g.ngpio, "%s: the %u-byte names block holds %u NUL-terminated "
			    "strings (last byte 0x%02x), expected ngpio = %u", g.n, size, nul, names[size], g.ngpio);
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_names_unique, "virtio.gpio.line_names_unique",
	   AVPS_CHECKS("the line names GET_LINE_NAMES returns are NUL-terminated and no non-empty name appears twice"),
	   "AVPS.GPIO.1", GPIO_OP(5))
static void gpio_names_unique(void)
{
	struct gpio g;
	struct virtq_used u;
	if (!gpio_open(&g, false))
		return;
	uint32_t size = (uint32_t)vmmio_config(g.s.t, 4, 4);
	if (size == 0 || size > NAMES_MAX) {
		probe_skip("%s: gpio_names_size %u: the device names no lines (or more than the probe reads)", g.n, size);
		vs_close(&g.s);
		return;
	}
	req[0] = (struct gpio_request){ MSG_GET_NAMES, 0, 0 };
	memset(names, FILL, sizeof(names));
	struct vbuf e[2] = { { &req[0], sizeof(req[0]), false }, { names, 1 + size, true } };
	if (vs_call(&g.s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "GET_LINE_NAMES") &&
	    probe_check(names[0] == STATUS_OK, "%s: GET_LINE_NAMES answered status %u", g.n, names[0]) &&
	    probe_check(names[size] == 0, "%s: the names block does not end with a NUL", g.n)) {
		const char *block = (const char *)names + 1;
		unsigned line = 0;
		for (uint32_t a = 0; a < size; a += (uint32_t)strlen(block + a) + 1, line++) {
			if (!block[a])
				continue;
			unsigned other = line + 1;
			for (uint32_t b = a + (uint32_t)strlen(block + a) + 1; b < size; b += (uint32_t)strlen(block + b) + 1, other++)
				if (!probe_check(strcmp(block + a, block + b) != 0, "%s: lines %u and %u are both named '%s'", g.n,
						 line, other, block + a)) {
					vs_close(&g.s);
					return;
				}
		}
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_response_filled, "virtio.gpio.response_fields_filled",
	   AVPS_CHECKS("GET_DIRECTION and GET_VALUE on every line come back with both response bytes written (used "
		       "length 2), status OK and a value in range (direction 0..2, level 0..1)"),
	   "AVPS.GPIO.1", GPIO_OP(1))
static void gpio_response_filled(void)
{
	struct gpio g;
	uint8_t r[2];
	uint32_t len;
	if (!gpio_open(&g, false))
		return;
	unsigned lines = g.ngpio < MAX_LINES ? g.ngpio : MAX_LINES;
	for (unsigned i = 0; i < lines; i++) {
		if (!gpio_msg(&g, MSG_GET_DIRECTION, (uint16_t)i, 0, r, &len) ||
		    !probe_check(len == 2 && r[0] == STATUS_OK && r[1] <= DIR_IN, "%s: GET_DIRECTION line %u: used len %u, "
				 "status 0x%02x, value 0x%02x (0x%02x = not written)", g.n, i, len, r[0], r[1], FILL))
			break;
		if (!gpio_msg(&g, MSG_GET_VALUE, (uint16_t)i, 0, r, &len) ||
		    !probe_check(len == 2 && r[0] == STATUS_OK && r[1] <= 1, "%s: GET_VALUE line %u: used len %u, status "
				 "0x%02x, value 0x%02x (0x%02x = not written)", g.n, i, len, r[0], r[1], FILL))
			break;
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_invalid_refused, "virtio.gpio.invalid_requests_refused",
	   AVPS_CHECKS("a request the device cannot carry out (a line at ngpio, message type 0x7f, SET_DIRECTION 3) "
		       "comes back with both response bytes written and status ERR"),
	   "AVPS.GPIO.1", GPIO_OP(1))
static void gpio_invalid_refused(void)
{
	struct gpio g;
	uint8_t r[2];
	uint32_t len;
	if (!gpio_open(&g, false))
		return;
	static const struct { uint16_t type; int line_offset; uint32_t value; const char *what; } bad[] = {
		{ MSG_GET_VALUE, -1, 0, "GET_VALUE of line ngpio" },
		{ MSG_GET_DIRECTION, -1, 0, "GET_DIRECTION of line ngpio" },
		{ 0x7f, 0, 0, "message type 0x7f" },
		{ MSG_SET_DIRECTION, 0, 3, "SET_DIRECTION 3 on line 0" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t line = bad[i].line_offset < 0 ? g.ngpio : 0;
		if (!gpio_msg(&g, bad[i].type, line, bad[i].value, r, &len))
			break;
		probe_check(len == 2 && r[0] == STATUS_ERR && r[1] != FILL, "%s: %s: used len %u, status 0x%02x, value "
			    "0x%02x (expected status ERR, both bytes written)", g.n, bad[i].what, len, r[0], r[1]);
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_in_order, "virtio.gpio.same_line_requests_in_order",
	   AVPS_CHECKS("seven messages for one line made available together are used in that order, and each "
		       "GET_DIRECTION reads the direction the SET_DIRECTION before it set (input, output, none)"),
	   "AVPS.GPIO.1", GPIO_OP(6))
static void gpio_in_order(void)
{
	static const struct { uint16_t type; uint32_t value; int expect; } seq[BATCH] = {
		{ MSG_SET_DIRECTION, DIR_IN, -1 }, { MSG_GET_DIRECTION, 0, DIR_IN }, { MSG_SET_VALUE, 0, -1 },
		{ MSG_SET_DIRECTION, DIR_OUT, -1 }, { MSG_GET_DIRECTION, 0, DIR_OUT }, { MSG_SET_DIRECTION, DIR_NONE, -1 },
		{ MSG_GET_DIRECTION, 0, DIR_NONE },
	};
	struct gpio g;
	uint16_t ids[BATCH];
	if (!gpio_open(&g, false))
		return;
	struct virtq *q = &g.s.q[0];
	uint8_t r[2];
	/* One message first: the device is past its start-up and waits for the batch's notification. */
	if (!gpio_msg(&g, MSG_GET_DIRECTION, 0, 0, r, NULL)) {
		vs_close(&g.s);
		return;
	}
	uint32_t base = q->made_available;   /* order number of the batch's first message */
	for (int i = 0; i < BATCH; i++) {
		req[i] = (struct gpio_request){ seq[i].type, 0, seq[i].value };
		resp[i][0] = resp[i][1] = FILL;
		struct vbuf e[2] = { { &req[i], sizeof(req[i]), false }, { resp[i], 2, true } };
		enum virtq_result r = virtq_add(q, e, 2, VIRTQ_CHAIN_DIRECT, &ids[i]);
		if (!probe_check(r == VIRTQ_OK, "%s: message %d not added: %s", g.n, i, virtq_result_name(r))) {
			vs_close(&g.s);
			return;
		}
	}
	virtq_kick_prepare(q);
	vmmio_notify(g.s.t, q);
	for (int i = 0; i < BATCH; i++) {
		struct virtq_used u;
		enum virtq_result r = vmmio_wait_used(g.s.t, q, VS_WAIT_US, &u);
		if (!vdev_used_ok(g.d, r, &u, "gpio message") ||
		    !probe_check(u.id == ids[i], "%s: used entry %d is message %u, expected message %d (id %u)", g.n, i,
				 (unsigned)(u.order - base), i, ids[i]))
			break;
	}
	for (int i = 0; i < BATCH; i++)
		if (seq[i].expect >= 0)
			probe_check(resp[i][0] == STATUS_OK && resp[i][1] == seq[i].expect, "%s: message %d (GET_DIRECTION "
				    "after message %d): status %u direction %u, expected %d", g.n, i, i - 1, resp[i][0],
				    resp[i][1], seq[i].expect);
	vs_close(&g.s);
}

PROBE_CASE(gpio_edge_latched, "virtio.gpio.masked_edge_latched",
	   AVPS_CHECKS("a rising edge on an input whose EDGE_RISING interrupt is enabled but masked (no eventq buffer) "
		       "is latched: the eventq buffer queued afterwards comes back with status VALID"),
	   "AVPS.GPIO.1", GPIO_OP(10))
static void gpio_edge_latched(void)
{
	struct gpio g;
	if (!irq_setup(&g))
		return;
	if (gpio_do(&g, MSG_SET_IRQ_TYPE, (uint16_t)in_line, IRQ_EDGE_RISING) && gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 1) &&
	    arm_event(&g)) {
		int got = event_returned(&g, EVENT_WAIT_US);
		probe_check(got == 1 && event_status == IRQ_STATUS_VALID, "%s: edge on line %d while masked: %s (status "
			    "0x%02x) after unmasking", g.n, in_line, got == 1 ? "buffer returned" : "no event", event_status);
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_level_not_latched, "virtio.gpio.masked_level_not_latched",
	   AVPS_CHECKS("a high level that comes and goes while the LEVEL_HIGH interrupt is masked is not latched: the "
		       "eventq buffer queued afterwards stays unused for 20 ms while the level is low"),
	   "AVPS.GPIO.1", GPIO_OP(11))
static void gpio_level_not_latched(void)
{
	struct gpio g;
	if (!irq_setup(&g))
		return;
	if (gpio_do(&g, MSG_SET_IRQ_TYPE, (uint16_t)in_line, IRQ_LEVEL_HIGH) && gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 1) &&
	    gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 0) && arm_event(&g)) {
		int got = event_returned(&g, QUIET_US);
		if (probe_check(got == 0, "%s: a level that ended while masked was delivered after unmasking (status "
				"0x%02x) while the level was low", g.n, event_status) &&
		    gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 1)) {
			/* Only a hint that the line works: the statement is about what is not latched. */
			got = event_returned(&g, EVENT_WAIT_US);
			if (got != 1 || event_status != IRQ_STATUS_VALID)
				probe_diag("%s: note: no VALID event when unmasked line %d went high either", g.n, in_line);
		}
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_disable_discards, "virtio.gpio.disable_discards_latched_edge",
	   AVPS_CHECKS("an edge latched while masked is discarded when the interrupt is disabled (type NONE): after "
		       "re-enabling and unmasking, the eventq buffer stays unused for 20 ms"),
	   "AVPS.GPIO.1", GPIO_OP(12))
static void gpio_disable_discards(void)
{
	struct gpio g;
	uint16_t in = 0;
	if (!irq_setup(&g))
		return;
	in = (uint16_t)in_line;
	if (gpio_do(&g, MSG_SET_IRQ_TYPE, in, IRQ_EDGE_RISING) && gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 1) &&
	    gpio_do(&g, MSG_SET_IRQ_TYPE, in, IRQ_NONE) && gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 0) &&
	    gpio_do(&g, MSG_SET_IRQ_TYPE, in, IRQ_EDGE_RISING) && arm_event(&g)) {
		int got = event_returned(&g, QUIET_US);
		if (probe_check(got == 0, "%s: the edge latched before the interrupt was disabled was delivered after "
				"re-enabling (status 0x%02x)", g.n, event_status) &&
		    gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 1)) {
			/* Only a hint that the line works: the statement is about the discarded latch. */
			got = event_returned(&g, EVENT_WAIT_US);
			if (got != 1 || event_status != IRQ_STATUS_VALID)
				probe_diag("%s: note: no VALID event for a new edge on unmasked line %d either", g.n, in);
		}
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_disable_returns, "virtio.gpio.disable_returns_buffer_invalid",
	   AVPS_CHECKS("SET_IRQ_TYPE NONE on a line whose interrupt is unmasked returns its queued eventq buffer with "
		       "status INVALID"),
	   "AVPS.GPIO.1", GPIO_EVENTQ(2))
static void gpio_disable_returns(void)
{
	struct gpio g;
	if (!irq_setup(&g))
		return;
	if (!gpio_do(&g, MSG_SET_IRQ_TYPE, (uint16_t)in_line, IRQ_EDGE_RISING) || !arm_event(&g)) {
		vs_close(&g.s);
		return;
	}
	int early = event_returned(&g, QUIET_US);
	if (early != 0) {
		if (early == 1)
			probe_skip("%s: the eventq buffer came back (status 0x%02x) with no edge: none left queued to return",
				   g.n, event_status);
	} else if (gpio_do(&g, MSG_SET_IRQ_TYPE, (uint16_t)in_line, IRQ_NONE)) {
		int got = event_returned(&g, EVENT_WAIT_US);
		probe_check(got == 1 && event_status == IRQ_STATUS_INVALID, "%s: after SET_IRQ_TYPE NONE on line %d: %s "
			    "(status 0x%02x), expected the buffer back INVALID", g.n, in_line,
			    got == 1 ? "buffer returned" : "the eventq buffer was not returned", event_status);
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_no_event_disabled, "virtio.gpio.no_event_while_disabled",
	   AVPS_CHECKS("an eventq buffer for a line whose interrupt was never enabled is never returned VALID while the "
		       "line toggles four times (unused, or returned INVALID)"),
	   "AVPS.GPIO.1", GPIO_EVENTQ(1))
static void gpio_no_event_disabled(void)
{
	struct gpio g;
	if (!irq_setup(&g))
		return;
	if (arm_event(&g)) {
		int got = 0;
		for (int i = 0; i < 4 && got == 0; i++) {
			if (!gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, (uint32_t)((i + 1) & 1)))
				break;
			got = event_returned(&g, QUIET_US);
		}
		probe_check(got != 1 || event_status == IRQ_STATUS_INVALID, "%s: line %d with interrupt type NONE: eventq "
			    "buffer returned with status 0x%02x (VALID = an event while disabled)", g.n, in_line, event_status);
	}
	vs_close(&g.s);
}

PROBE_CASE(gpio_none_drops_state, "virtio.gpio.direction_none_drops_state",
	   AVPS_CHECKS("SET_DIRECTION NONE drops a line's state: it reads direction 0, and an edge latched under its "
		       "EDGE_RISING interrupt before is not delivered when the line is used again (no VALID event)"),
	   "AVPS.GPIO.1", GPIO_OP(9))
static void gpio_none_drops_state(void)
{
	struct gpio g;
	uint8_t r[2];
	uint16_t in;
	if (!irq_setup(&g))
		return;
	in = (uint16_t)in_line;
	if (gpio_do(&g, MSG_SET_IRQ_TYPE, in, IRQ_EDGE_RISING) && gpio_do(&g, MSG_SET_VALUE, (uint16_t)out_line, 1) &&
	    gpio_do(&g, MSG_SET_DIRECTION, in, DIR_NONE) && gpio_msg(&g, MSG_GET_DIRECTION, in, 0, r, NULL) &&
	    probe_check(r[0] == STATUS_OK && r[1] == DIR_NONE, "%s: line %u after SET_DIRECTION NONE: status %u "
			"direction %u", g.n, in, r[0], r[1]) &&
	    gpio_do(&g, MSG_SET_DIRECTION, in, DIR_IN) && arm_event(&g)) {
		int got = event_returned(&g, QUIET_US);
		probe_check(got != 1 || event_status != IRQ_STATUS_VALID, "%s: the edge latched before SET_DIRECTION NONE "
			    "was delivered afterwards (status VALID): the line kept its interrupt state", g.n);
	}
	vs_close(&g.s);
}
