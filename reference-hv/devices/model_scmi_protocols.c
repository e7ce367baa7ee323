/* SCMI model: the platform behind the device — power domain, clock, sensor and reset protocols (Arm SCMI, the message layouts Linux 6.1 uses). */
#include "model_scmi.h"

#include <string.h>

#define SENSOR_TYPE_DEGREES_C 2
#define SENSOR_TYPE_VOLTS 5
#define SENSOR_SCALE_MILLI 0x1du   /* -3 in the 5-bit two's complement field */

static const char *const power_names[SCMI_POWER_DOMAINS] = { "avps-pd0", "avps-pd1" };
const uint32_t scmi_power_boot_state[SCMI_POWER_DOMAINS] = { SCMI_POWER_ON, SCMI_POWER_OFF };

/* Clock 0 has three discrete rates; clock 1 a range (min, max, step). */
static const char *const clock_names[SCMI_CLOCKS] = { "avps-clk0", "avps-clk1" };
const uint64_t scmi_clock_boot_rate[SCMI_CLOCKS] = { 48000000, 100000000 };
static const uint64_t clock0_rates[] = { 24000000, 48000000, 100000000 };
static const uint64_t clock1_range[3] = { 1000000, 200000000, 1000000 };

static const char *const sensor_names[SCMI_SENSORS] = { "avps-temp", "avps-volt" };
static const uint8_t sensor_types[SCMI_SENSORS] = { SENSOR_TYPE_DEGREES_C, SENSOR_TYPE_VOLTS };
static const bool sensor_async[SCMI_SENSORS] = { false, true };   /* sensor 1 can answer as a delayed response */

/* Reset domain 0 resets the block of clock 0 (back to its boot rate, enabled); domain 1 never completes. */
static const char *const reset_names[SCMI_RESET_DOMAINS] = { "avps-rst-clk0", "avps-rst-stuck" };

/* Queues a delayed response for this command; a full queue makes the command answer BUSY. */
static void delayed_response(struct scmi_call *call, int32_t status, const void *payload, uint32_t len)
{
	if (!scmi_p2a(call->dev))
		return;   /* async-without-p2a: accepted, and nothing ever comes */
	if (!scmi_send_p2a(call->dev, call->hdr, &status, payload, len, true))
		call->status = SCMI_BUSY;
}

static void notify(struct scmi_call *call, uint32_t message, const uint32_t *payload, unsigned words)
{
	uint32_t hdr = message | (SCMI_HDR_PROTOCOL(call->hdr) << 10);
	if (scmi_p2a(call->dev))
		scmi_send_p2a(call->dev, hdr, NULL, payload, words * 4, false);
}

/* ---- power domain ---- */
static unsigned power_domains(const struct scmi_call *call)
{
	return SCMI_POWER_DOMAINS - (vdev_fault(call->dev, SCMI_FAULT_POWER_DOMAIN_COUNT_SHORT) ? 1 : 0);
}

void scmi_power_message(struct scmi_call *call, unsigned message)
{
	struct scmi_state *st = call->st;
	bool ok = true;
	uint32_t p0 = scmi_param(call, 0, &ok);
	switch (message) {
	case SCMI_PROTOCOL_ATTRIBUTES:
		scmi_put32(call, power_domains(call));
		scmi_put32(call, 0);   /* no statistics shared memory */
		scmi_put32(call, 0);
		scmi_put32(call, 0);
		return;
	case POWER_DOMAIN_ATTRIBUTES:
		if (!ok || p0 >= power_domains(call))
			break;
		/* bit 31 state change notifications, bit 29 synchronous set */
		scmi_put32(call, (scmi_notifications_visible(call) ? 1u << 31 : 0) | (1u << 29));
		scmi_put_name(call, power_names[p0]);
		return;
	case POWER_STATE_SET: {
		uint32_t domain = scmi_param(call, 1, &ok), state = scmi_param(call, 2, &ok);
		if (!ok) {
			call->status = SCMI_PROTOCOL_ERROR;
			return;
		}
		if (domain >= power_domains(call))
			call->status = SCMI_NOT_FOUND;
		else if (p0 & 1)
			call->status = SCMI_NOT_SUPPORTED;   /* asynchronous set is not offered */
		else if (state != SCMI_POWER_ON && state != SCMI_POWER_OFF)
			call->status = SCMI_INVALID_PARAMETERS;
		else if (!vdev_fault(call->dev, SCMI_FAULT_POWER_STATE_NOT_APPLIED) && st->power_state[domain] != state) {
			st->power_state[domain] = state;
			if (st->power_notify[domain]) {
				uint32_t payload[3] = { SCMI_AGENT_ID_GUEST, domain, state };
				notify(call, 0x0, payload, 3);
			}
		}
		return;
	}
	case POWER_STATE_GET:
		if (!ok || p0 >= power_domains(call))
			break;
		scmi_put32(call, st->power_state[p0]);
		return;
	case POWER_STATE_NOTIFY: {
		uint32_t enable = scmi_param(call, 1, &ok);
		if (!ok || p0 >= power_domains(call))
			break;
		if (!scmi_async_accepted(call))
			call->status = SCMI_NOT_SUPPORTED;
		else
			st->power_notify[p0] = enable & 1;
		return;
	}
	default:
		call->status = SCMI_NOT_FOUND;
		return;
	}
	call->status = ok ? SCMI_NOT_FOUND : SCMI_PROTOCOL_ERROR;
}

/* ---- clock ---- */
static void clock_describe_rates(struct scmi_call *call, uint32_t clock, uint32_t index)
{
	if (clock == 0) {
		uint32_t total = sizeof(clock0_rates) / sizeof(clock0_rates[0]);
		if (index > total) {
			call->status = SCMI_OUT_OF_RANGE;
			return;
		}
		scmi_put32(call, total - index);   /* discrete list, all returned, none remaining */
		for (uint32_t i = index; i < total; i++)
			scmi_put64(call, clock0_rates[i]);
		return;
	}
	scmi_put32(call, 3u | (1u << 12));   /* a range: min, max, step */
	for (unsigned i = 0; i < 3; i++)
		scmi_put64(call, clock1_range[i]);
}

/* The rate a clock settles at for a request, with the rounding the flags ask for; false when out of range. */
static bool clock_round(uint32_t clock, uint64_t want, uint32_t flags, uint64_t *rate)
{
	bool up = flags & (1u << 2), nearest = flags & (1u << 3);
	if (clock == 0) {
		uint64_t below = 0, above = 0;
		for (unsigned i = 0; i < sizeof(clock0_rates) / sizeof(clock0_rates[0]); i++) {
			if (clock0_rates[i] <= want)
				below = clock0_rates[i];
			if (clock0_rates[i] >= want && !above)
				above = clock0_rates[i];
		}
		if (nearest && below && above)
			*rate = want - below <= above - want ? below : above;
		else
			*rate = up ? above : below;
		return *rate != 0;
	}
	if (want < clock1_range[0] || want > clock1_range[1])
		return false;
	uint64_t step = clock1_range[2], down = want - (want - clock1_range[0]) % step;
	*rate = down;
	if (down != want && (up || (nearest && want - down >= step / 2)) && down + step <= clock1_range[1])
		*rate = down + step;
	return true;
}

static void clock_rate_set(struct scmi_call *call)
{
	bool ok = true;
	uint32_t flags = scmi_param(call, 0, &ok), clock = scmi_param(call, 1, &ok);
	uint64_t want = scmi_param(call, 2, &ok) | (uint64_t)scmi_param(call, 3, &ok) << 32, rate;
	if (!ok) {
		call->status = SCMI_PROTOCOL_ERROR;
		return;
	}
	if (clock >= SCMI_CLOCKS) {
		call->status = SCMI_NOT_FOUND;
		return;
	}
	bool async = flags & 1, ignore_delayed = flags & 2;
	if (async && !scmi_async_accepted(call)) {
		call->status = SCMI_NOT_SUPPORTED;
		return;
	}
	if (!clock_round(clock, want, flags, &rate)) {
		call->status = SCMI_OUT_OF_RANGE;
		return;
	}
	if (!vdev_fault(call->dev, SCMI_FAULT_CLOCK_RATE_NOT_APPLIED))
		call->st->clock_rate[clock] = rate;
	if (async && !ignore_delayed) {
		uint32_t payload[3] = { clock, (uint32_t)call->st->clock_rate[clock], (uint32_t)(call->st->clock_rate[clock] >> 32) };
		delayed_response(call, SCMI_SUCCESS, payload, sizeof(payload));
	}
}

void scmi_clock_message(struct scmi_call *call, unsigned message)
{
	struct scmi_state *st = call->st;
	bool ok = true;
	uint32_t p0 = scmi_param(call, 0, &ok);
	switch (message) {
	case SCMI_PROTOCOL_ATTRIBUTES:
		/* num_clocks, max_async_req (delayed rate changes need the eventq) */
		scmi_put32(call, SCMI_CLOCKS | (scmi_notifications_visible(call) ? 1u << 16 : 0));
		return;
	case CLOCK_ATTRIBUTES:
		if (!ok || p0 >= SCMI_CLOCKS)
			break;
		scmi_put32(call, st->clock_enabled[p0] ? 1 : 0);
		scmi_put_name(call, clock_names[p0]);
		return;
	case CLOCK_DESCRIBE_RATES: {
		uint32_t index = scmi_param(call, 1, &ok);
		if (!ok || p0 >= SCMI_CLOCKS)
			break;
		clock_describe_rates(call, p0, index);
		return;
	}
	case CLOCK_RATE_SET:
		clock_rate_set(call);
		return;
	case CLOCK_RATE_GET:
		if (!ok || p0 >= SCMI_CLOCKS)
			break;
		scmi_put64(call, st->clock_rate[p0] / (vdev_fault(call->dev, SCMI_FAULT_CLOCK_RATE_GET_KHZ) ? 1000 : 1));
		return;
	case CLOCK_CONFIG_SET: {
		uint32_t attributes = scmi_param(call, 1, &ok);
		if (!ok || p0 >= SCMI_CLOCKS)
			break;
		if (attributes > 1)
			call->status = SCMI_INVALID_PARAMETERS;
		else
			st->clock_enabled[p0] = attributes;
		return;
	}
	default:
		call->status = SCMI_NOT_FOUND;
		return;
	}
	call->status = ok ? SCMI_NOT_FOUND : SCMI_PROTOCOL_ERROR;
}

/* ---- sensor ---- */
static int32_t sensor_reading(const struct scmi_call *call, uint32_t sensor)
{
	static const int32_t built_in[SCMI_SENSORS] = { 25000, 1000 };
	if (vdev_fault(call->dev, SCMI_FAULT_SENSOR_VALUE_NOT_DECLARED))
		return built_in[sensor];
	return call->st->sensor_value[sensor];
}

void scmi_sensor_message(struct scmi_call *call, unsigned message)
{
	bool ok = true;
	uint32_t p0 = scmi_param(call, 0, &ok);
	switch (message) {
	case SCMI_PROTOCOL_ATTRIBUTES:
		scmi_put32(call, SCMI_SENSORS | (1u << 16));   /* num_sensors, max pending async reads */
		scmi_put32(call, 0);                            /* no sensor event shared memory */
		scmi_put32(call, 0);
		scmi_put32(call, 0);
		return;
	case SENSOR_DESCRIPTION_GET:
		if (!ok)
			break;
		if (p0 > SCMI_SENSORS) {
			call->status = SCMI_INVALID_PARAMETERS;
			return;
		}
		scmi_put32(call, SCMI_SENSORS - p0);   /* returned, none remaining */
		for (uint32_t i = p0; i < SCMI_SENSORS; i++) {
			scmi_put32(call, i);
			scmi_put32(call, sensor_async[i] && scmi_notifications_visible(call) ? 1u << 31 : 0);
			scmi_put32(call, sensor_types[i] | (SENSOR_SCALE_MILLI << 11));
			scmi_put_name(call, sensor_names[i]);
		}
		return;
	case SENSOR_READING_GET: {
		uint32_t flags = scmi_param(call, 1, &ok);
		if (!ok || p0 >= SCMI_SENSORS)
			break;
		int64_t value = sensor_reading(call, p0);
		if (!(flags & 1)) {
			scmi_put64(call, (uint64_t)value);
			return;
		}
		if (!scmi_async_accepted(call) || !sensor_async[p0]) {
			call->status = SCMI_NOT_SUPPORTED;
			return;
		}
		uint32_t payload[3] = { p0, (uint32_t)(uint64_t)value, (uint32_t)((uint64_t)value >> 32) };
		delayed_response(call, SCMI_SUCCESS, payload, sizeof(payload));
		return;
	}
	default:
		call->status = SCMI_NOT_FOUND;
		return;
	}
	call->status = ok ? SCMI_NOT_FOUND : SCMI_PROTOCOL_ERROR;
}

/* ---- reset ---- */
static int32_t reset_domain(struct scmi_call *call, uint32_t domain)
{
	if (domain == 1)
		return SCMI_HARDWARE_ERROR;   /* the stuck block never leaves reset */
	call->st->clock_rate[0] = scmi_clock_boot_rate[0];
	call->st->clock_enabled[0] = true;
	return SCMI_SUCCESS;
}

static void reset_reset(struct scmi_call *call)
{
	struct scmi_state *st = call->st;
	bool ok = true;
	uint32_t domain = scmi_param(call, 0, &ok), flags = scmi_param(call, 1, &ok), state = scmi_param(call, 2, &ok);
	if (!ok) {
		call->status = SCMI_PROTOCOL_ERROR;
		return;
	}
	if (domain >= SCMI_RESET_DOMAINS) {
		call->status = SCMI_NOT_FOUND;
		return;
	}
	bool autonomous = flags & 1, assert_explicit = flags & 2, async = flags & 4;
	if ((state & 0x7fffffffu) != 0 || (state >> 31)) {
		call->status = SCMI_NOT_SUPPORTED;   /* only the architectural cold reset */
		return;
	}
	if (async && (!scmi_async_accepted(call) || !autonomous)) {
		call->status = SCMI_NOT_SUPPORTED;
		return;
	}
	int32_t result = SCMI_SUCCESS;
	if (autonomous)
		result = reset_domain(call, domain);
	else if (assert_explicit)
		st->reset_asserted[domain] = true;
	else if (st->reset_asserted[domain]) {
		st->reset_asserted[domain] = false;
		result = reset_domain(call, domain);
	}
	if (async) {
		delayed_response(call, result, &domain, sizeof(domain));
	} else {
		call->status = result;
	}
	if (result == SCMI_SUCCESS && (autonomous || !assert_explicit) && st->reset_notify[domain]) {
		uint32_t payload[3] = { SCMI_AGENT_ID_GUEST, domain, state };
		notify(call, 0x0, payload, 3);
	}
}

void scmi_reset_message(struct scmi_call *call, unsigned message)
{
	bool ok = true;
	uint32_t p0 = scmi_param(call, 0, &ok);
	switch (message) {
	case SCMI_PROTOCOL_ATTRIBUTES:
		scmi_put32(call, SCMI_RESET_DOMAINS);
		return;
	case RESET_DOMAIN_ATTRIBUTES:
		if (!ok || p0 >= SCMI_RESET_DOMAINS)
			break;
		/* bit 31 asynchronous reset, bit 30 reset notifications: both need the eventq */
		scmi_put32(call, scmi_notifications_visible(call) ? (1u << 31) | (1u << 30) : 0);
		scmi_put32(call, 10);   /* latency: 10 us */
		scmi_put_name(call, reset_names[p0]);
		return;
	case RESET_RESET:
		reset_reset(call);
		return;
	case RESET_NOTIFY: {
		uint32_t enable = scmi_param(call, 1, &ok);
		if (!ok || p0 >= SCMI_RESET_DOMAINS)
			break;
		if (!scmi_async_accepted(call))
			call->status = SCMI_NOT_SUPPORTED;
		else
			call->st->reset_notify[p0] = enable & 1;
		return;
	}
	default:
		call->status = SCMI_NOT_FOUND;
		return;
	}
	call->status = ok ? SCMI_NOT_FOUND : SCMI_PROTOCOL_ERROR;
}
