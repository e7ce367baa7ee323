/* SCMI device statements (VIRTIO 1.2 §5.17): command bursts, status-only failures, requests refused and not advertised without the eventq, delayed responses, and rate/state changes the platform applies. */
#include <string.h>

#include "probe.h"
#include "session.h"

#define VIRTIO_ID_SCMI 32
#define VIRTIO_SCMI_F_P2A_CHANNELS 0
#define SCMI_CMDQ(n) "VIRTIO-1.2: Device Types / SCMI Device / Device Operation / cmdq Operation #" #n
#define SCMI_EVENTQ(n) "VIRTIO-1.2: Device Types / SCMI Device / Device Operation / eventq Operation #" #n

/* SCMI (Arm DEN0056): message header fields, status codes, protocols, messages the cases use. */
#define HDR(protocol, message, token) ((uint32_t)(message) | ((uint32_t)(protocol) << 10) | ((uint32_t)(token) << 18))
#define HDR_TYPE(h) (((h) >> 8) & 3u)
#define TYPE_DELAYED_RESPONSE 2u
enum { SUCCESS = 0, NOT_SUPPORTED = -1, BUSY = -6 };
enum { BASE = 0x10, POWER = 0x11, PERF = 0x13, CLOCK = 0x14, SENSOR = 0x15, RESET = 0x16 };
enum { PROTOCOL_ATTRIBUTES = 0x1, PROTOCOL_MESSAGE_ATTRIBUTES = 0x2 };
enum { BASE_DISCOVER_LIST_PROTOCOLS = 0x6 };
enum { POWER_DOMAIN_ATTRIBUTES = 0x3, POWER_STATE_SET = 0x4, POWER_STATE_GET = 0x5 };
enum { CLOCK_DESCRIBE_RATES = 0x4, CLOCK_RATE_SET = 0x5, CLOCK_RATE_GET = 0x6 };
enum { RESET_DOMAIN_ATTRIBUTES = 0x3, RESET_RESET = 0x4 };
#define RESET_AUTONOMOUS 1u
#define RESET_ASYNC 4u
#define POWER_ON 0u
#define POWER_OFF 0x40000000u
#define UNIMPLEMENTED_BASE_MESSAGE 0x3f

#define BURST 8
#define RESP_BYTES 128
#define EVENT_BYTES 64
#define MAX_DOMAINS 16
#define QUIET_US 20000        /* the eventq stays empty this long before the buffer comes */
#define DELAYED_WAIT_US 1000000

struct scmi {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint32_t token;
	uint8_t protocols[32];
	unsigned protocol_count;
};

static uint32_t req[BURST][8] __attribute__((aligned(16)));
static uint8_t resp[BURST][RESP_BYTES] __attribute__((aligned(16)));
static uint8_t event[EVENT_BYTES] __attribute__((aligned(16)));

/* One answer: status, ret_values (after the status) and the used length. */
struct answer {
	int32_t status;
	uint32_t ret[8];
	uint32_t used;
};

static bool scmi_call(struct scmi *c, unsigned protocol, unsigned message, const uint32_t *params, unsigned n,
		      struct answer *a)
{
	struct virtq_used u;
	uint32_t hdr = HDR(protocol, message, ++c->token & 0x3ff), got_hdr;
	req[0][0] = hdr;
	for (unsigned i = 0; i < n && i < 7; i++)
		req[0][1 + i] = params[i];
	memset(resp[0], 0xcc, RESP_BYTES);
	struct vbuf e[2] = { { req[0], 4 + 4 * n, false }, { resp[0], RESP_BYTES, true } };
	if (!vs_call(&c->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "scmi command"))
		return false;
	memcpy(&got_hdr, resp[0], 4);
	memcpy(&a->status, resp[0] + 4, 4);
	memcpy(a->ret, resp[0] + 8, sizeof(a->ret));
	a->used = u.len;
	return probe_check(u.len >= 8, "%s: response to protocol 0x%x message 0x%x is %u bytes, less than header and "
			   "status", c->n, protocol, message, u.len) &&
	       probe_check(got_hdr == hdr, "%s: response header 0x%x to command header 0x%x", c->n, got_hdr, hdr);
}

/* A command that must succeed (a setup step). */
static bool scmi_do(struct scmi *c, unsigned protocol, unsigned message, const uint32_t *params, unsigned n,
		    struct answer *a)
{
	return scmi_call(c, protocol, message, params, n, a) &&
	       probe_check(a->status == SUCCESS, "%s: protocol 0x%x message 0x%x answered status %d", c->n, protocol,
			   message, (int)a->status);
}

static bool listed(const struct scmi *c, uint8_t protocol)
{
	for (unsigned i = 0; i < c->protocol_count; i++)
		if (c->protocols[i] == protocol)
			return true;
	return protocol == BASE;
}

/* Opens the SCMI device (the eventq too when asked and offered) and reads its protocol list; or SKIPs. */
static bool scmi_open(struct scmi *c, bool want_p2a)
{
	memset(c, 0, sizeof(*c));
	c->d = vdev_find(VIRTIO_ID_SCMI);
	if (!c->d) {
		probe_skip("device absent: no SCMI device (DeviceID 32) on a version-2 virtio-mmio transport");
		return false;
	}
	c->n = vdev_name(c->d);
	bool offered = c->d->t.offered & VIRTIO_BIT(VIRTIO_SCMI_F_P2A_CHANNELS);
	if (want_p2a && !offered) {
		probe_skip("%s does not offer VIRTIO_SCMI_F_P2A_CHANNELS: no eventq", c->n);
		return false;
	}
	if (!vs_open(&c->s, c->d, want_p2a ? VIRTIO_BIT(VIRTIO_SCMI_F_P2A_CHANNELS) : 0, want_p2a ? 2 : 1, VIRTQ_SPLIT,
		     16, VS_DRIVER_OK))
		return false;
	struct answer a;
	uint32_t skip = 0;
	while (c->protocol_count < sizeof(c->protocols)) {
		if (!scmi_do(c, BASE, BASE_DISCOVER_LIST_PROTOCOLS, &skip, 1, &a)) {
			vs_close(&c->s);
			return false;
		}
		uint32_t n = a.ret[0];
		if (n == 0 || n > 28)
			break;
		for (uint32_t i = 0; i < n && c->protocol_count < sizeof(c->protocols); i++)
			c->protocols[c->protocol_count++] = (uint8_t)(a.ret[1 + i / 4] >> (8 * (i % 4)));
		skip += n;
	}
	return true;
}

/* Opens and needs one protocol listed, or SKIPs. */
static bool scmi_open_with(struct scmi *c, bool want_p2a, uint8_t protocol, const char *what)
{
	if (!scmi_open(c, want_p2a))
		return false;
	if (listed(c, protocol))
		return true;
	probe_skip("%s lists no %s protocol (0x%x)", c->n, what, protocol);
	vs_close(&c->s);
	return false;
}

PROBE_CASE(scmi_burst, "virtio.scmi.cmdq_burst_answered",
	   AVPS_CHECKS("eight commands made available together with one notification all come back used, each with "
		       "SUCCESS and its own token"),
	   "AVPS.POWER.2", SCMI_CMDQ(2))
static void scmi_burst(void)
{
	struct scmi c;
	uint16_t ids[BURST];
	if (!scmi_open(&c, false))
		return;
	struct virtq *q = &c.s.q[0];
	for (int i = 0; i < BURST; i++) {
		req[i][0] = HDR(BASE, 0x0, 0x100 + i);   /* PROTOCOL_VERSION */
		memset(resp[i], 0xcc, RESP_BYTES);
		struct vbuf e[2] = { { req[i], 4, false }, { resp[i], RESP_BYTES, true } };
		enum virtq_result r = virtq_add(q, e, 2, VIRTQ_CHAIN_DIRECT, &ids[i]);
		if (!probe_check(r == VIRTQ_OK, "%s: command %d not added: %s", c.n, i, virtq_result_name(r))) {
			vs_close(&c.s);
			return;
		}
	}
	virtq_kick_prepare(q);
	vmmio_notify(c.s.t, q);
	int answered = 0;
	for (; answered < BURST; answered++) {
		struct virtq_used u;
		enum virtq_result r = vmmio_wait_used(c.s.t, q, VS_WAIT_US, &u);
		if (r == VIRTQ_EMPTY)
			break;
		if (!vdev_used_ok(c.d, r, &u, "scmi command"))
			break;
	}
	probe_check(answered == BURST, "%s: %d of %d commands made available together came back used within 1 s of "
		    "each other", c.n, answered, BURST);
	for (int i = 0; i < answered; i++) {
		uint32_t hdr;
		int32_t status;
		memcpy(&hdr, resp[i], 4);
		memcpy(&status, resp[i] + 4, 4);
		probe_check(hdr == req[i][0] && status == SUCCESS, "%s: command %d answered header 0x%x status %d", c.n, i,
			    hdr, (int)status);
	}
	vs_close(&c.s);
}

PROBE_CASE(scmi_error_status_only, "virtio.scmi.failed_response_status_only",
	   AVPS_CHECKS("a command the platform refuses (a message the base protocol does not have, a protocol list "
		       "skip beyond its end) comes back as header and status only: used length 8"),
	   "AVPS.POWER.2", SCMI_CMDQ(3))
static void scmi_error_status_only(void)
{
	struct scmi c;
	struct answer a;
	if (!scmi_open(&c, false))
		return;
	if (scmi_call(&c, BASE, UNIMPLEMENTED_BASE_MESSAGE, NULL, 0, &a) &&
	    probe_check(a.status != SUCCESS, "%s: base message 0x%x, which SCMI does not define, answered SUCCESS", c.n,
			UNIMPLEMENTED_BASE_MESSAGE))
		probe_check(a.used == 8, "%s: base message 0x%x failed with status %d, but the response is %u bytes, not 8 "
			    "(header and status)", c.n, UNIMPLEMENTED_BASE_MESSAGE, (int)a.status, a.used);
	uint32_t skip = 255;
	if (scmi_call(&c, BASE, BASE_DISCOVER_LIST_PROTOCOLS, &skip, 1, &a) && a.status != SUCCESS)
		probe_check(a.used == 8, "%s: DISCOVER_LIST_PROTOCOLS skipping 255 failed with status %d, but the response "
			    "is %u bytes, not 8", c.n, (int)a.status, a.used);
	vs_close(&c.s);
}

PROBE_CASE(scmi_no_p2a_async_refused, "virtio.scmi.async_refused_without_eventq",
	   AVPS_CHECKS("without VIRTIO_SCMI_F_P2A_CHANNELS negotiated, an asynchronous RESET (which asks for a delayed "
		       "response) answers NOT_SUPPORTED"),
	   "AVPS.POWER.2", SCMI_CMDQ(5))
static void scmi_no_p2a_async_refused(void)
{
	struct scmi c;
	struct answer a;
	if (!scmi_open_with(&c, false, RESET, "reset"))
		return;
	if (scmi_do(&c, RESET, PROTOCOL_ATTRIBUTES, NULL, 0, &a)) {
		if ((a.ret[0] & 0xffff) == 0) {
			probe_skip("%s: the reset protocol has no domain", c.n);
		} else {
			uint32_t p[3] = { 0, RESET_AUTONOMOUS | RESET_ASYNC, 0 };
			if (scmi_call(&c, RESET, RESET_RESET, p, 3, &a))
				probe_check(a.status == NOT_SUPPORTED, "%s: asynchronous RESET of domain 0 without the eventq "
					    "answered status %d, not NOT_SUPPORTED (-1)", c.n, (int)a.status);
		}
	}
	vs_close(&c.s);
}

PROBE_CASE(scmi_no_p2a_not_advertised, "virtio.scmi.notifications_not_advertised_without_eventq",
	   AVPS_CHECKS("without VIRTIO_SCMI_F_P2A_CHANNELS negotiated, PROTOCOL_MESSAGE_ATTRIBUTES reports none of the "
		       "listed protocols' notification messages as implemented"),
	   "AVPS.POWER.2", SCMI_CMDQ(6))
static void scmi_no_p2a_not_advertised(void)
{
	/* The notify messages of the standard protocols (SCMI 3.x message IDs). */
	static const struct { uint8_t protocol, message; const char *name; } notify[] = {
		{ BASE, 0x8, "BASE_NOTIFY_ERRORS" }, { POWER, 0x6, "POWER_STATE_NOTIFY" },
		{ PERF, 0xa, "PERFORMANCE_NOTIFY_LIMITS" }, { PERF, 0xb, "PERFORMANCE_NOTIFY_LEVEL" },
		{ CLOCK, 0x9, "CLOCK_RATE_NOTIFY" }, { CLOCK, 0xa, "CLOCK_RATE_CHANGE_REQUESTED_NOTIFY" },
		{ SENSOR, 0x4, "SENSOR_TRIP_POINT_NOTIFY" }, { SENSOR, 0xb, "SENSOR_CONTINUOUS_UPDATE_NOTIFY" },
		{ RESET, 0x5, "RESET_NOTIFY" },
	};
	struct scmi c;
	struct answer a;
	unsigned asked = 0;
	if (!scmi_open(&c, false))
		return;
	for (unsigned i = 0; i < sizeof(notify) / sizeof(notify[0]); i++) {
		if (!listed(&c, notify[i].protocol))
			continue;
		uint32_t message = notify[i].message;
		if (!scmi_call(&c, notify[i].protocol, PROTOCOL_MESSAGE_ATTRIBUTES, &message, 1, &a))
			break;
		asked++;
		probe_check(a.status != SUCCESS, "%s: without the eventq, PROTOCOL_MESSAGE_ATTRIBUTES reports %s (protocol "
			    "0x%x message 0x%x) implemented", c.n, notify[i].name, notify[i].protocol, message);
	}
	probe_diag("%s: asked about %u notification messages", c.n, asked);
	vs_close(&c.s);
}

/* The reset domains that support asynchronous reset (with the eventq negotiated); returns how many. */
static unsigned async_reset_domains(struct scmi *c, uint32_t *out)
{
	struct answer a;
	unsigned found = 0;
	if (!scmi_do(c, RESET, PROTOCOL_ATTRIBUTES, NULL, 0, &a))
		return 0;
	uint32_t domains = a.ret[0] & 0xffff;
	for (uint32_t d = 0; d < domains && d < MAX_DOMAINS; d++)
		if (scmi_do(c, RESET, RESET_DOMAIN_ATTRIBUTES, &d, 1, &a) && (a.ret[0] & (1u << 31)))
			out[found++] = d;
	return found;
}

/* Asks for an asynchronous reset of one domain: true when the command answered SUCCESS (its token in *hdr). */
static bool async_reset(struct scmi *c, uint32_t domain, uint32_t *hdr)
{
	struct answer a;
	uint32_t p[3] = { domain, RESET_AUTONOMOUS | RESET_ASYNC, 0 };
	if (!scmi_call(c, RESET, RESET_RESET, p, 3, &a))
		return false;
	*hdr = req[0][0];
	return probe_check(a.status == SUCCESS, "%s: reset domain %u advertises asynchronous reset, but the asynchronous "
			   "RESET answered status %d", c->n, domain, (int)a.status);
}

/* Posts one eventq buffer and waits for it: 1 used (length in *len), 0 not within the wait, -1 a bad entry. */
static int event_message(struct scmi *c, uint32_t *len)
{
	uint16_t id;
	struct virtq_used u;
	memset(event, 0xcc, sizeof(event));
	struct vbuf e = { event, EVENT_BYTES, true };
	enum virtq_result r = vmmio_post(c->s.t, &c->s.q[1], &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	if (!probe_check(r == VIRTQ_OK, "%s: eventq buffer not posted: %s", c->n, virtq_result_name(r)))
		return -1;
	r = vmmio_wait_used(c->s.t, &c->s.q[1], DELAYED_WAIT_US, &u);
	if (r == VIRTQ_EMPTY)
		return 0;
	if (!vdev_used_ok(c->d, r, &u, "eventq buffer"))
		return -1;
	*len = u.len;
	return 1;
}

PROBE_CASE(scmi_delayed_after_buffer, "virtio.scmi.delayed_response_waits_for_buffer",
	   AVPS_CHECKS("an asynchronous RESET made while the eventq holds no buffer answers SUCCESS, and its delayed "
		       "response (type 2, same protocol, message and token) arrives once a buffer is made available"),
	   "AVPS.POWER.2", SCMI_EVENTQ(5))
static void scmi_delayed_after_buffer(void)
{
	struct scmi c;
	uint32_t domains[MAX_DOMAINS], hdr, len = 0, got;
	struct virtq_used u;
	if (!scmi_open_with(&c, true, RESET, "reset"))
		return;
	if (!async_reset_domains(&c, domains)) {
		probe_skip("%s: no reset domain supports asynchronous reset: no delayed response to wait for", c.n);
		vs_close(&c.s);
		return;
	}
	if (async_reset(&c, domains[0], &hdr)) {
		/* No eventq buffer yet: whatever the device does now, nothing can come back. */
		probe_check(vmmio_wait_used(c.s.t, &c.s.q[1], QUIET_US, &u) == VIRTQ_EMPTY,
			    "%s: an eventq entry came back though no buffer was made available", c.n);
		int r = event_message(&c, &len);
		if (probe_check(r != 0, "%s: the delayed response to the asynchronous RESET of domain %u never came "
				"within 1 s of the eventq buffer", c.n, domains[0]) && r > 0) {
			memcpy(&got, event, 4);
			probe_check(len >= 8 && HDR_TYPE(got) == TYPE_DELAYED_RESPONSE && (got & ~(3u << 8)) == hdr,
				    "%s: eventq message %u bytes, header 0x%x: expected a delayed response to header 0x%x",
				    c.n, len, got, hdr);
		}
	}
	vs_close(&c.s);
}

PROBE_CASE(scmi_delayed_error_status_only, "virtio.scmi.failed_delayed_response_status_only",
	   AVPS_CHECKS("a delayed response whose status is not SUCCESS (an asynchronous RESET the platform cannot "
		       "complete) carries header and status only: used length 8"),
	   "AVPS.POWER.2", SCMI_EVENTQ(6))
static void scmi_delayed_error_status_only(void)
{
	struct scmi c;
	uint32_t domains[MAX_DOMAINS], hdr, len = 0;
	unsigned failed = 0;
	if (!scmi_open_with(&c, true, RESET, "reset"))
		return;
	unsigned n = async_reset_domains(&c, domains);
	for (unsigned i = 0; i < n; i++) {
		if (!async_reset(&c, domains[i], &hdr))
			break;
		int r = event_message(&c, &len);
		if (!probe_check(r > 0, "%s: no delayed response to the asynchronous RESET of domain %u", c.n, domains[i]))
			break;
		int32_t status;
		memcpy(&status, event + 4, 4);
		if (status == SUCCESS)
			continue;
		failed++;
		probe_check(len == 8, "%s: delayed response to the RESET of domain %u failed with status %d but is %u "
			    "bytes, not 8 (header and status)", c.n, domains[i], (int)status, len);
	}
	if (!failed)
		probe_skip("%s: none of its %u asynchronous reset domains answered a failed delayed response", c.n, n);
	vs_close(&c.s);
}

PROBE_CASE(scmi_clock_rate_applied, "virtio.scmi.clock_rate_set_applied",
	   AVPS_CHECKS("CLOCK_RATE_SET to another of a clock's discrete rates answers SUCCESS and CLOCK_RATE_GET then "
		       "reads exactly that rate (the old rate is restored after)"),
	   "AVPS.POWER.2")
static void scmi_clock_rate_applied(void)
{
	struct scmi c;
	struct answer a;
	if (!scmi_open_with(&c, false, CLOCK, "clock"))
		return;
	if (!scmi_do(&c, CLOCK, PROTOCOL_ATTRIBUTES, NULL, 0, &a)) {
		vs_close(&c.s);
		return;
	}
	uint32_t clocks = a.ret[0] & 0xffff;
	bool tried = false;
	for (uint32_t id = 0; id < clocks && id < MAX_DOMAINS && !tried; id++) {
		uint32_t p[4] = { id, 0 };
		if (!scmi_do(&c, CLOCK, CLOCK_DESCRIBE_RATES, p, 2, &a))
			break;
		uint32_t returned = a.ret[0] & 0xfff;
		if ((a.ret[0] & (1u << 12)) || returned < 2)
			continue;   /* a range, or a single rate */
		uint64_t rates[2] = { a.ret[1] | (uint64_t)a.ret[2] << 32, a.ret[3] | (uint64_t)a.ret[4] << 32 };
		if (!scmi_do(&c, CLOCK, CLOCK_RATE_GET, &id, 1, &a))
			break;
		uint64_t old = a.ret[0] | (uint64_t)a.ret[1] << 32, want = rates[0] == old ? rates[1] : rates[0];
		tried = true;
		uint32_t set[4] = { 0, id, (uint32_t)want, (uint32_t)(want >> 32) };
		if (!scmi_do(&c, CLOCK, CLOCK_RATE_SET, set, 4, &a) || !scmi_do(&c, CLOCK, CLOCK_RATE_GET, &id, 1, &a))
			break;
		uint64_t now = a.ret[0] | (uint64_t)a.ret[1] << 32;
		probe_check(now == want, "%s: clock %u set from %llu Hz to its listed rate %llu Hz (SUCCESS), but "
			    "CLOCK_RATE_GET reads %llu Hz", c.n, id, (unsigned long long)old, (unsigned long long)want,
			    (unsigned long long)now);
		set[2] = (uint32_t)old;
		set[3] = (uint32_t)(old >> 32);
		scmi_call(&c, CLOCK, CLOCK_RATE_SET, set, 4, &a);
	}
	if (!tried)
		probe_skip("%s: no clock lists two discrete rates", c.n);
	vs_close(&c.s);
}

PROBE_CASE(scmi_power_state_applied, "virtio.scmi.power_state_set_applied",
	   AVPS_CHECKS("a synchronous POWER_STATE_SET of a domain to the other of on/off answers SUCCESS and "
		       "POWER_STATE_GET then reads that state (the old state is restored after)"),
	   "AVPS.POWER.2")
static void scmi_power_state_applied(void)
{
	struct scmi c;
	struct answer a;
	if (!scmi_open_with(&c, false, POWER, "power domain"))
		return;
	if (!scmi_do(&c, POWER, PROTOCOL_ATTRIBUTES, NULL, 0, &a)) {
		vs_close(&c.s);
		return;
	}
	uint32_t domains = a.ret[0] & 0xffff;
	bool tried = false;
	for (uint32_t d = 0; d < domains && d < MAX_DOMAINS && !tried; d++) {
		if (!scmi_do(&c, POWER, POWER_DOMAIN_ATTRIBUTES, &d, 1, &a))
			break;
		if (!(a.ret[0] & (1u << 29)))
			continue;   /* no synchronous set */
		if (!scmi_do(&c, POWER, POWER_STATE_GET, &d, 1, &a))
			break;
		uint32_t old = a.ret[0];
		if (old != POWER_ON && old != POWER_OFF)
			continue;
		uint32_t want = old == POWER_ON ? POWER_OFF : POWER_ON, set[3] = { 0, d, want };
		tried = true;
		if (!scmi_do(&c, POWER, POWER_STATE_SET, set, 3, &a) || !scmi_do(&c, POWER, POWER_STATE_GET, &d, 1, &a))
			break;
		probe_check(a.ret[0] == want, "%s: power domain %u set from 0x%x to 0x%x (SUCCESS), but POWER_STATE_GET "
			    "reads 0x%x", c.n, d, old, want, a.ret[0]);
		set[2] = old;
		scmi_call(&c, POWER, POWER_STATE_SET, set, 3, &a);
	}
	if (!tried)
		probe_skip("%s: no power domain with a synchronous on/off set", c.n);
	vs_close(&c.s);
}
