/* Host unit tests of the SCMI model: base discovery, power, clock, sensor and reset protocols, the eventq's delayed responses, and every fault. */
#include "host_driver.h"
#include "unit_check.h"

#define P2A 1ULL
#define HDR(protocol, message, token) ((uint32_t)(message) | ((uint32_t)(protocol) << 10) | ((uint32_t)(token) << 18))
enum { BASE = 0x10, POWER = 0x11, CLOCK = 0x14, SENSOR = 0x15, RESET = 0x16 };

struct answer {
	uint32_t used;
	uint32_t hdr;
	int32_t status;
	uint32_t ret[30];
};

/* Queues one command (params as 32-bit words) without notifying; returns the response's guest address. */
static uint64_t post(struct test_driver *td, uint32_t hdr, const uint32_t *params, unsigned n, uint32_t resp_len)
{
	uint64_t req = td_alloc(td, 4 + 4 * n), resp = td_alloc(td, resp_len);
	memcpy(td_host(td, req), &hdr, 4);
	if (n)
		memcpy((uint8_t *)td_host(td, req) + 4, params, 4 * n);
	memset(td_host(td, resp), 0xcc, resp_len);
	struct td_buffer b[2] = { { req, 4 + 4 * n, false }, { resp, resp_len, true } };
	td_add(td, 0, b, 2, false);
	return resp;
}

static struct answer call(struct test_driver *td, uint32_t hdr, const uint32_t *params, unsigned n)
{
	struct answer a;
	memset(&a, 0, sizeof(a));
	uint64_t resp = post(td, hdr, params, n, 128);
	td_kick(td, 0);
	uint16_t id;
	if (!td_used(td, 0, &id, &a.used))
		a.used = 0xffffffffu;
	memcpy(&a.hdr, td_host(td, resp), 4);
	memcpy(&a.status, (uint8_t *)td_host(td, resp) + 4, 4);
	memcpy(a.ret, (uint8_t *)td_host(td, resp) + 8, sizeof(a.ret));
	return a;
}

static struct answer call1(struct test_driver *td, unsigned protocol, unsigned message, uint32_t p0)
{
	return call(td, HDR(protocol, message, 7), &p0, 1);
}

/* Makes one eventq buffer available; returns its guest address. */
static uint64_t event_buffer(struct test_driver *td)
{
	uint64_t buf = td_alloc(td, 64);
	memset(td_host(td, buf), 0xcc, 64);
	struct td_buffer b = { buf, 64, true };
	td_submit(td, 1, &b, 1);
	return buf;
}

static uint64_t clock_rate(struct test_driver *td, uint32_t clock)
{
	struct answer a = call1(td, CLOCK, 0x6, clock);
	return a.ret[0] | (uint64_t)a.ret[1] << 32;
}

static struct answer rate_set(struct test_driver *td, uint32_t flags, uint32_t clock, uint64_t rate)
{
	uint32_t p[4] = { flags, clock, (uint32_t)rate, (uint32_t)(rate >> 32) };
	return call(td, HDR(CLOCK, 0x5, 9), p, 4);
}

static struct answer reset(struct test_driver *td, uint32_t domain, uint32_t flags)
{
	uint32_t p[3] = { domain, flags, 0 };
	return call(td, HDR(RESET, 0x4, 5), p, 3);
}

static void base_and_protocols(void)
{
	struct test_driver td;
	CHECK(td_start(&td, "scmi", "temp_mc=37500", ~0ULL, false), "start");
	CHECK(td.dev.offered & P2A, "p2a_channels_offered");
	CHECK(!(td.dev.offered & 2), "shared_memory_not_offered");
	struct answer a = call(&td, HDR(BASE, 0x0, 3), NULL, 0);
	CHECK(a.used == 12 && a.status == 0 && a.ret[0] == 0x20000 && a.hdr == HDR(BASE, 0, 3), "base_version");
	a = call(&td, HDR(BASE, 0x1, 1), NULL, 0);
	CHECK(a.status == 0 && (a.ret[0] & 0xff) == 4 && ((a.ret[0] >> 8) & 0xff) == 1, "base_attributes");
	a = call(&td, HDR(BASE, 0x3, 1), NULL, 0);
	CHECK(a.used == 24 && !strcmp((char *)a.ret, "AVPS-CTS"), "vendor");
	a = call1(&td, BASE, 0x6, 0);
	CHECK(a.used == 16 && a.ret[0] == 4 && a.ret[1] == 0x16151411, "list_protocols");
	a = call1(&td, BASE, 0x6, 3);
	CHECK(a.used == 16 && a.ret[0] == 1 && a.ret[1] == 0x16, "list_protocols_skip");
	a = call1(&td, BASE, 0x7, 0);
	CHECK(a.status == 0 && a.ret[0] == 0 && !strcmp((char *)&a.ret[1], "platform"), "discover_agent");
	a = call(&td, HDR(BASE, 0x42, 1), NULL, 0);
	CHECK(a.status == -4 && a.used == 8, "unknown_message_not_found_status_only");
	a = call(&td, HDR(0x19, 0x0, 1), NULL, 0);
	CHECK(a.status == -1 && a.used == 8, "unknown_protocol_not_supported");
	a = call1(&td, RESET, 0x2, 0x5);
	CHECK(a.status == 0, "reset_notify_implemented_with_p2a");

	/* power */
	a = call1(&td, POWER, 0x3, 1);
	CHECK(a.status == 0 && !strcmp((char *)&a.ret[1], "avps-pd1") && (a.ret[0] & (1u << 29)), "power_domain_attributes");
	CHECK(call1(&td, POWER, 0x5, 1).ret[0] == 0x40000000, "power_domain1_boots_off");
	uint32_t set[3] = { 0, 1, 0 };
	CHECK(call(&td, HDR(POWER, 0x4, 1), set, 3).status == 0 && call1(&td, POWER, 0x5, 1).ret[0] == 0, "power_state_set_applied");
	set[2] = 5;
	CHECK(call(&td, HDR(POWER, 0x4, 1), set, 3).status == -2, "power_state_invalid_refused");

	/* clock */
	a = call(&td, HDR(CLOCK, 0x4, 1), (uint32_t[]){ 0, 0 }, 2);
	CHECK(a.status == 0 && a.ret[0] == 3 && a.ret[1] == 24000000 && a.ret[5] == 100000000, "clock0_discrete_rates");
	a = call(&td, HDR(CLOCK, 0x4, 1), (uint32_t[]){ 1, 0 }, 2);
	CHECK(a.status == 0 && a.ret[0] == (3u | 1u << 12) && a.ret[3] == 200000000, "clock1_range");
	CHECK(clock_rate(&td, 0) == 48000000, "clock0_boot_rate");
	CHECK(rate_set(&td, 0, 0, 24000000).status == 0 && clock_rate(&td, 0) == 24000000, "clock_rate_set_applied");
	CHECK(rate_set(&td, 0, 0, 30000000).status == 0 && clock_rate(&td, 0) == 24000000, "clock_rate_rounds_down");
	CHECK(rate_set(&td, 4, 0, 30000000).status == 0 && clock_rate(&td, 0) == 48000000, "clock_rate_rounds_up");
	CHECK(rate_set(&td, 0, 1, 7500000).status == 0 && clock_rate(&td, 1) == 7000000, "clock1_rate_in_steps");
	CHECK(rate_set(&td, 0, 1, 300000000).status == -5, "clock1_out_of_range");

	/* sensor */
	a = call1(&td, SENSOR, 0x3, 0);
	CHECK(a.status == 0 && a.ret[0] == 2 && (a.ret[3] & 0xff) == 2 && !strcmp((char *)&a.ret[4], "avps-temp"),
	      "sensor_descriptions");
	a = call(&td, HDR(SENSOR, 0x6, 1), (uint32_t[]){ 0, 0 }, 2);
	CHECK(a.status == 0 && a.ret[0] == 37500 && a.ret[1] == 0, "sensor_reading_declared");

	/* reset: domain 0 returns clock 0 to its boot rate */
	rate_set(&td, 0, 0, 100000000);
	CHECK(reset(&td, 0, 1).status == 0 && clock_rate(&td, 0) == 48000000, "reset_restores_clock0");
	CHECK(reset(&td, 1, 1).status == -9, "stuck_domain_hardware_error");
	td_stop(&td);
}

static void delayed_responses(void)
{
	struct test_driver td;
	uint16_t id;
	uint32_t len;
	td_start(&td, "scmi", "", ~0ULL, false);
	/* eventq Operation #5: the response waits for the buffer. */
	struct answer a = reset(&td, 0, 1 | 4);
	CHECK(a.status == 0 && a.used == 8, "async_reset_accepted");
	uint64_t ev = event_buffer(&td);
	uint32_t msg[3];
	CHECK(td_used(&td, 1, &id, &len) && len == 12, "delayed_response_sent_when_buffer_came");
	memcpy(msg, td_host(&td, ev), 12);
	CHECK(msg[0] == (HDR(RESET, 0x4, 5) | 2u << 8) && msg[1] == 0 && msg[2] == 0, "delayed_response_content");
	/* eventq Operation #6: a failed delayed response is status only. */
	ev = event_buffer(&td);
	reset(&td, 1, 1 | 4);
	CHECK(td_used(&td, 1, &id, &len) && len == 8, "failed_delayed_response_status_only");
	/* Async sensor read of sensor 1 */
	ev = event_buffer(&td);
	a = call(&td, HDR(SENSOR, 0x6, 1), (uint32_t[]){ 1, 1 }, 2);
	memcpy(msg, (uint8_t *)td_host(&td, ev) + 8, 8);
	CHECK(a.status == 0 && td_used(&td, 1, &id, &len) && len == 20 && msg[0] == 1 && msg[1] == 1200, "async_sensor_read");
	td_stop(&td);

	/* Without P2A: cmdq Operation #5 and #6. */
	td_start(&td, "scmi", "", ~P2A, false);
	CHECK(reset(&td, 0, 1 | 4).status == -1, "async_refused_without_p2a");
	CHECK(call(&td, HDR(RESET, 0x5, 1), (uint32_t[]){ 0, 1 }, 2).status == -1, "notify_refused_without_p2a");
	CHECK(call1(&td, RESET, 0x2, 0x5).status == -4 && call1(&td, POWER, 0x2, 0x6).status == -4 &&
	      call1(&td, BASE, 0x2, 0x8).status == -4, "notify_messages_not_advertised_without_p2a");
	CHECK(call1(&td, RESET, 0x3, 0).ret[0] == 0, "reset_domain_no_async_without_p2a");
	td_stop(&td);
}

static void burst(const char *options, unsigned *answered)
{
	struct test_driver td;
	td_start(&td, "scmi", options, ~0ULL, false);
	for (int i = 0; i < 8; i++)
		post(&td, HDR(BASE, 0x0, i), NULL, 0, 16);
	td_kick(&td, 0);
	uint16_t id;
	uint32_t len;
	*answered = 0;
	while (td_used(&td, 0, &id, &len))
		(*answered)++;
	td_stop(&td);
}

static void faults(void)
{
	struct test_driver td;
	uint16_t id;
	uint32_t len;
	unsigned answered;
	burst("", &answered);
	CHECK(answered == 8, "burst_all_answered");
	burst("fault=burst-stalls", &answered);
	CHECK(answered == 4, "fault_burst_stalls");

	td_start(&td, "scmi", "fault=p2a-not-offered", ~0ULL, false);
	CHECK(!(td.dev.offered & P2A), "fault_p2a_not_offered");
	td_stop(&td);
	td_start(&td, "scmi", "fault=error-response-padded", ~0ULL, false);
	CHECK(call(&td, HDR(BASE, 0x42, 1), NULL, 0).used == 128, "fault_error_response_padded");
	td_stop(&td);
	td_start(&td, "scmi", "fault=async-without-p2a", ~P2A, false);
	CHECK(reset(&td, 0, 1 | 4).status == 0, "fault_async_without_p2a");
	td_stop(&td);
	td_start(&td, "scmi", "fault=notify-advertised-without-p2a", ~P2A, false);
	CHECK(call1(&td, RESET, 0x2, 0x5).status == 0, "fault_notify_advertised_without_p2a");
	td_stop(&td);
	td_start(&td, "scmi", "fault=delayed-response-dropped", ~0ULL, false);
	reset(&td, 0, 1 | 4);
	event_buffer(&td);
	CHECK(!td_used(&td, 1, &id, &len), "fault_delayed_response_dropped");
	td_stop(&td);
	td_start(&td, "scmi", "fault=delayed-error-padded", ~0ULL, false);
	event_buffer(&td);
	reset(&td, 1, 1 | 4);
	CHECK(td_used(&td, 1, &id, &len) && len == 12, "fault_delayed_error_padded");
	td_stop(&td);
	td_start(&td, "scmi", "fault=sensor-value-not-declared", ~0ULL, false);
	CHECK(call(&td, HDR(SENSOR, 0x6, 1), (uint32_t[]){ 0, 0 }, 2).ret[0] == 25000, "fault_sensor_value_not_declared");
	td_stop(&td);
	td_start(&td, "scmi", "fault=sensor-protocol-unlisted", ~0ULL, false);
	struct answer a = call1(&td, BASE, 0x6, 0);
	CHECK(a.ret[0] == 3 && a.ret[1] == 0x161411 && call(&td, HDR(SENSOR, 0, 1), NULL, 0).status == -1,
	      "fault_sensor_protocol_unlisted");
	td_stop(&td);
	td_start(&td, "scmi", "fault=clock-rate-not-applied", ~0ULL, false);
	CHECK(rate_set(&td, 0, 0, 24000000).status == 0 && clock_rate(&td, 0) == 48000000, "fault_clock_rate_not_applied");
	td_stop(&td);
	td_start(&td, "scmi", "fault=clock-rate-get-khz", ~0ULL, false);
	CHECK(clock_rate(&td, 0) == 48000, "fault_clock_rate_get_khz");
	td_stop(&td);
	td_start(&td, "scmi", "fault=power-state-not-applied", ~0ULL, false);
	call(&td, HDR(POWER, 0x4, 1), (uint32_t[]){ 0, 1, 0 }, 3);
	CHECK(call1(&td, POWER, 0x5, 1).ret[0] == 0x40000000, "fault_power_state_not_applied");
	td_stop(&td);
	td_start(&td, "scmi", "fault=power-domain-count-short", ~0ULL, false);
	CHECK(call(&td, HDR(POWER, 0x1, 1), NULL, 0).ret[0] == 1, "fault_power_domain_count_short");
	td_stop(&td);
	CHECK(!td_start(&td, "scmi", "temp_mc=hot", ~0ULL, false), "bad_reading_refused");
}

int main(void)
{
	printf("KTAP version 1\n");
	base_and_protocols();
	delayed_responses();
	faults();
	return UNIT_DONE();
}
