/* SCMI model: the base protocol (discovery), the helpers every protocol shares, and the dispatch of one command to its protocol. */
#include "model_scmi.h"

#include <string.h>

/* Protocol versions kept at the revisions whose layouts need no extended names or extra fields. */
#define BASE_VERSION 0x20000u
#define POWER_VERSION 0x20000u
#define CLOCK_VERSION 0x10000u
#define SENSOR_VERSION 0x10000u
#define RESET_VERSION 0x10000u

#define VENDOR "AVPS-CTS"
#define SUB_VENDOR "refhv-model"
#define IMPLEMENTATION_VERSION 0x00010002u
#define AGENT_NAME_PLATFORM "platform"
#define AGENT_NAME_GUEST "avps-guest"

/* Base messages */
#define BASE_DISCOVER_VENDOR 0x3
#define BASE_DISCOVER_SUB_VENDOR 0x4
#define BASE_DISCOVER_IMPLEMENTATION_VERSION 0x5
#define BASE_DISCOVER_LIST_PROTOCOLS 0x6
#define BASE_DISCOVER_AGENT 0x7
#define BASE_NOTIFY_ERRORS 0x8

const uint8_t scmi_protocols[] = { SCMI_PROTOCOL_POWER, SCMI_PROTOCOL_CLOCK, SCMI_PROTOCOL_SENSOR, SCMI_PROTOCOL_RESET };
const unsigned scmi_protocol_count = sizeof(scmi_protocols);

uint32_t scmi_param(const struct scmi_call *call, unsigned index, bool *ok)
{
	uint32_t value = 0;
	if ((index + 1) * 4 > call->params_len) {
		*ok = false;
		return 0;
	}
	memcpy(&value, call->params + index * 4, 4);
	return value;
}

void scmi_put32(struct scmi_call *call, uint32_t value)
{
	if (call->ret_len + 4 <= sizeof(call->ret)) {
		memcpy(call->ret + call->ret_len, &value, 4);
		call->ret_len += 4;
	}
}

void scmi_put64(struct scmi_call *call, uint64_t value)
{
	scmi_put32(call, (uint32_t)value);
	scmi_put32(call, (uint32_t)(value >> 32));
}

void scmi_put_name(struct scmi_call *call, const char *name)
{
	char field[SCMI_NAME_BYTES] = { 0 };
	for (unsigned i = 0; i + 1 < SCMI_NAME_BYTES && name[i]; i++)
		field[i] = name[i];
	if (call->ret_len + SCMI_NAME_BYTES <= sizeof(call->ret)) {
		memcpy(call->ret + call->ret_len, field, SCMI_NAME_BYTES);
		call->ret_len += SCMI_NAME_BYTES;
	}
}

bool scmi_notifications_visible(const struct scmi_call *call)
{
	/* cmdq Operation #6: without the eventq no notification or delayed response is advertised. */
	return scmi_p2a(call->dev) || vdev_fault(call->dev, SCMI_FAULT_NOTIFY_ADVERTISED_WITHOUT_P2A);
}

bool scmi_async_accepted(const struct scmi_call *call)
{
	/* cmdq Operation #5: without the eventq, requests for one are NOT_SUPPORTED. */
	return scmi_p2a(call->dev) || vdev_fault(call->dev, SCMI_FAULT_ASYNC_WITHOUT_P2A);
}

bool scmi_protocol_listed(const struct scmi_call *call, uint8_t protocol)
{
	return !(protocol == SCMI_PROTOCOL_SENSOR && vdev_fault(call->dev, SCMI_FAULT_SENSOR_PROTOCOL_UNLISTED));
}

/* ---- base ---- */
static void base_list_protocols(struct scmi_call *call, uint32_t skip)
{
	uint8_t listed[8];
	uint32_t n = 0;
	for (unsigned i = 0; i < scmi_protocol_count; i++)
		if (scmi_protocol_listed(call, scmi_protocols[i]))
			listed[n++] = scmi_protocols[i];
	if (skip > n) {
		call->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	scmi_put32(call, n - skip);
	uint8_t words[8] = { 0 };
	memcpy(words, listed + skip, n - skip);
	for (uint32_t i = 0; i < (n - skip + 3) / 4; i++) {
		uint32_t w;
		memcpy(&w, words + 4 * i, 4);
		scmi_put32(call, w);
	}
}

static void base_message(struct scmi_call *call, unsigned message)
{
	bool ok = true;
	uint32_t p0 = scmi_param(call, 0, &ok);
	switch (message) {
	case SCMI_PROTOCOL_ATTRIBUTES: {
		uint32_t n = 0;
		for (unsigned i = 0; i < scmi_protocol_count; i++)
			n += scmi_protocol_listed(call, scmi_protocols[i]);
		scmi_put32(call, n | (1u << 8));   /* num_protocols, num_agents = 1 */
		return;
	}
	case BASE_DISCOVER_VENDOR:
		scmi_put_name(call, VENDOR);
		return;
	case BASE_DISCOVER_SUB_VENDOR:
		scmi_put_name(call, SUB_VENDOR);
		return;
	case BASE_DISCOVER_IMPLEMENTATION_VERSION:
		scmi_put32(call, IMPLEMENTATION_VERSION);
		return;
	case BASE_DISCOVER_LIST_PROTOCOLS:
		if (ok)
			base_list_protocols(call, p0);
		break;
	case BASE_DISCOVER_AGENT:
		if (ok && (p0 == 0 || p0 == SCMI_AGENT_ID_GUEST || p0 == 0xffffffffu)) {
			uint32_t id = p0 == 0 ? 0 : SCMI_AGENT_ID_GUEST;
			scmi_put32(call, id);
			scmi_put_name(call, id ? AGENT_NAME_GUEST : AGENT_NAME_PLATFORM);
			return;
		}
		call->status = ok ? SCMI_NOT_FOUND : SCMI_PROTOCOL_ERROR;
		return;
	case BASE_NOTIFY_ERRORS:
		if (!ok || p0 > 1)
			call->status = ok ? SCMI_INVALID_PARAMETERS : SCMI_PROTOCOL_ERROR;
		else if (!scmi_async_accepted(call))
			call->status = SCMI_NOT_SUPPORTED;
		else
			call->st->base_error_notify = p0;
		return;
	default:
		call->status = SCMI_NOT_FOUND;
		return;
	}
	if (!ok)
		call->status = SCMI_PROTOCOL_ERROR;
}

/* Which messages exist (PROTOCOL_MESSAGE_ATTRIBUTES answers SUCCESS for them, NOT_FOUND otherwise). */
static bool message_implemented(const struct scmi_call *call, unsigned protocol, uint32_t message)
{
	bool notifications = scmi_notifications_visible(call);
	switch (protocol) {
	case SCMI_PROTOCOL_BASE:
		return message <= BASE_DISCOVER_AGENT || (message == BASE_NOTIFY_ERRORS && notifications);
	case SCMI_PROTOCOL_POWER:
		return message <= POWER_STATE_GET || (message == POWER_STATE_NOTIFY && notifications);
	case SCMI_PROTOCOL_CLOCK:
		return message <= CLOCK_CONFIG_SET;
	case SCMI_PROTOCOL_SENSOR:
		return message <= SENSOR_DESCRIPTION_GET || message == SENSOR_READING_GET;
	case SCMI_PROTOCOL_RESET:
		return message <= RESET_RESET || (message == RESET_NOTIFY && notifications);
	}
	return false;
}

static uint32_t protocol_version(unsigned protocol)
{
	switch (protocol) {
	case SCMI_PROTOCOL_BASE: return BASE_VERSION;
	case SCMI_PROTOCOL_POWER: return POWER_VERSION;
	case SCMI_PROTOCOL_CLOCK: return CLOCK_VERSION;
	case SCMI_PROTOCOL_SENSOR: return SENSOR_VERSION;
	default: return RESET_VERSION;
	}
}

void scmi_dispatch(struct scmi_call *call)
{
	unsigned protocol = SCMI_HDR_PROTOCOL(call->hdr), message = SCMI_HDR_ID(call->hdr);
	bool known = protocol == SCMI_PROTOCOL_BASE;
	for (unsigned i = 0; i < scmi_protocol_count; i++)
		known |= protocol == scmi_protocols[i] && scmi_protocol_listed(call, scmi_protocols[i]);
	call->status = SCMI_SUCCESS;
	if (!known) {
		call->status = SCMI_NOT_SUPPORTED;   /* a protocol the platform does not implement */
		return;
	}
	if (message == SCMI_PROTOCOL_VERSION) {
		scmi_put32(call, protocol_version(protocol));
		return;
	}
	if (message == SCMI_PROTOCOL_MESSAGE_ATTRIBUTES) {
		bool ok = true;
		uint32_t asked = scmi_param(call, 0, &ok);
		if (!ok)
			call->status = SCMI_PROTOCOL_ERROR;
		else if (!message_implemented(call, protocol, asked))
			call->status = SCMI_NOT_FOUND;
		else
			scmi_put32(call, 0);
		return;
	}
	switch (protocol) {
	case SCMI_PROTOCOL_BASE: base_message(call, message); break;
	case SCMI_PROTOCOL_POWER: scmi_power_message(call, message); break;
	case SCMI_PROTOCOL_CLOCK: scmi_clock_message(call, message); break;
	case SCMI_PROTOCOL_SENSOR: scmi_sensor_message(call, message); break;
	default: scmi_reset_message(call, message); break;
	}
	if (call->status != SCMI_SUCCESS)
		call->ret_len = 0;
}
