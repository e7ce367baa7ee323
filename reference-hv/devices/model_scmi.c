/* SCMI device model (VIRTIO 1.2 Device Types / SCMI Device): the virtio side — cmdq commands and responses, eventq delayed responses and notifications, fault switches. */
#include "model_scmi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMDQ 0
#define EVENTQ 1
#define BURST_STALL_LIMIT 4   /* burst-stalls: commands taken per notification */

#define SCMI_CMDQ(n) "VIRTIO-1.2: Device Types / SCMI Device / Device Operation / cmdq Operation #" #n
#define SCMI_EVENTQ(n) "VIRTIO-1.2: Device Types / SCMI Device / Device Operation / eventq Operation #" #n

static const struct vdev_fault scmi_faults[SCMI_FAULT_COUNT] = {
	[SCMI_FAULT_P2A_NOT_OFFERED] = { "p2a-not-offered",
		"VIRTIO-1.2: Device Types / SCMI Device / Feature bits #1" },
	[SCMI_FAULT_ERROR_RESPONSE_PADDED] = { "error-response-padded", SCMI_CMDQ(3) },
	[SCMI_FAULT_ASYNC_WITHOUT_P2A] = { "async-without-p2a", SCMI_CMDQ(5) },
	[SCMI_FAULT_NOTIFY_ADVERTISED_WITHOUT_P2A] = { "notify-advertised-without-p2a", SCMI_CMDQ(6) },
	[SCMI_FAULT_BURST_STALLS] = { "burst-stalls", SCMI_CMDQ(2) },
	[SCMI_FAULT_DELAYED_RESPONSE_DROPPED] = { "delayed-response-dropped", SCMI_EVENTQ(5) },
	[SCMI_FAULT_DELAYED_ERROR_PADDED] = { "delayed-error-padded", SCMI_EVENTQ(6) },
	/* These break what the platform declares (AVPS.POWER.2 over the SCMI protocols), not a virtio sentence. */
	[SCMI_FAULT_SENSOR_VALUE_NOT_DECLARED] = { "sensor-value-not-declared",
		"AVPS.POWER.2 (SENSOR_READING_GET answers 25 C / 1000 mV, not the declared temp_mc=/voltage_mv=)" },
	[SCMI_FAULT_SENSOR_PROTOCOL_UNLISTED] = { "sensor-protocol-unlisted",
		"AVPS.POWER.2 (BASE_DISCOVER_LIST_PROTOCOLS leaves out the sensor protocol 0x15 the DT names)" },
	[SCMI_FAULT_CLOCK_RATE_NOT_APPLIED] = { "clock-rate-not-applied",
		"AVPS.POWER.2 (CLOCK_RATE_SET answers SUCCESS and keeps the old rate)" },
	[SCMI_FAULT_CLOCK_RATE_GET_KHZ] = { "clock-rate-get-khz",
		"AVPS.POWER.2 (CLOCK_RATE_GET answers the rate in kHz, not Hz)" },
	[SCMI_FAULT_POWER_STATE_NOT_APPLIED] = { "power-state-not-applied",
		"AVPS.POWER.2 (POWER_STATE_SET answers SUCCESS and keeps the old state)" },
	[SCMI_FAULT_POWER_DOMAIN_COUNT_SHORT] = { "power-domain-count-short",
		"AVPS.POWER.2 (power PROTOCOL_ATTRIBUTES counts one domain less than the platform has)" },
};

bool scmi_p2a(const struct vdev *dev)
{
	return vdev_has_feature(dev, VIRTIO_SCMI_F_P2A_CHANNELS);
}

/* Sends pending eventq messages in order while the driver has buffers there. */
static void deliver_p2a(struct vdev *dev)
{
	struct scmi_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	bool delivered = false;
	if (!scmi_p2a(dev) || !dev->queues[EVENTQ].ready)
		return;
	while (st->pending_count && !(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       vdev_take(dev, EVENTQ, chain) == VIRTQ_TAKEN) {
		struct scmi_p2a *msg = &st->pending[st->pending_head];
		delivered = true;
		/* A readable or too small buffer carries nothing; the message waits for the next one. */
		if (chain->readable_bytes || chain->writable_bytes < msg->len) {
			vdev_complete(dev, EVENTQ, chain, 0);
			continue;
		}
		size_t written = virtq_chain_write(chain, &dev->mem, 0, msg->bytes, msg->len);
		vdev_complete(dev, EVENTQ, chain, (uint32_t)written);
		st->pending_head = (st->pending_head + 1) % SCMI_P2A_PENDING;
		st->pending_count--;
	}
	if (delivered)
		vdev_notify_used(dev, EVENTQ);
}

bool scmi_send_p2a(struct vdev *dev, uint32_t hdr, int32_t *status, const void *payload, uint32_t len, bool delayed)
{
	struct scmi_state *st = dev->state;
	if (st->pending_count == SCMI_P2A_PENDING)
		return false;
	struct scmi_p2a *msg = &st->pending[(st->pending_head + st->pending_count) % SCMI_P2A_PENDING];
	uint32_t type = delayed ? SCMI_MSG_DELAYED_RESPONSE : SCMI_MSG_NOTIFICATION;
	uint32_t out_hdr = (hdr & ~(0x3u << 8)) | (type << 8);
	msg->delayed = delayed;
	memcpy(msg->bytes, &out_hdr, 4);
	msg->len = 4;
	if (status) {
		memcpy(msg->bytes + 4, status, 4);
		msg->len = 8;
	}
	/* eventq Operation #6: a failed delayed response carries only its status. */
	if (!status || *status == SCMI_SUCCESS || vdev_fault(dev, SCMI_FAULT_DELAYED_ERROR_PADDED)) {
		if (len > sizeof(msg->bytes) - msg->len)
			len = (uint32_t)(sizeof(msg->bytes) - msg->len);
		memcpy(msg->bytes + msg->len, payload, len);
		msg->len += len;
	}
	st->pending_count++;
	return true;
}

static bool eventq_has_buffer(struct vdev *dev)
{
	struct virtq *vq = &dev->queues[EVENTQ];
	uint16_t avail_idx;
	if (!vq->ready)
		return false;
	if (vq->packed) {
		uint16_t flags;
		uint64_t at = vq->desc_addr + (uint64_t)vq->last_avail * 16 + 14;
		if (!guest_read(&dev->mem, at, &flags, 2))
			return false;
		return !!(flags & VIRTQ_PACKED_DESC_F_AVAIL) == vq->avail_wrap &&
		       !!(flags & VIRTQ_PACKED_DESC_F_USED) != vq->avail_wrap;
	}
	if (!guest_read(&dev->mem, vq->driver_addr + 2, &avail_idx, 2))
		return false;
	return avail_idx != vq->last_avail;
}

/* Answers one cmdq buffer: header and parameters in, header, status and ret_values out. */
static void handle_command(struct vdev *dev, struct virtq_chain *chain)
{
	struct scmi_state *st = dev->state;
	uint8_t request[4 + 128];
	size_t got = virtq_chain_read(chain, &dev->mem, 0, request, sizeof(request));
	if (got < 4 || chain->writable_bytes < 4) {
		vdev_needs_reset(dev, "scmi command without a message header or without room for the response header");
		return;
	}
	struct scmi_call call = { .dev = dev, .st = st, .params = request + 4, .params_len = (uint32_t)got - 4 };
	memcpy(&call.hdr, request, 4);
	unsigned pending_before = st->pending_count;
	if (SCMI_HDR_TYPE(call.hdr) != SCMI_MSG_COMMAND)
		call.status = SCMI_PROTOCOL_ERROR;
	else
		scmi_dispatch(&call);
	uint8_t response[8 + SCMI_MAX_PAYLOAD] = { 0 };
	uint32_t len = 8;
	memcpy(response, &call.hdr, 4);
	memcpy(response + 4, &call.status, 4);
	if (call.status == SCMI_SUCCESS) {
		memcpy(response + 8, call.ret, call.ret_len);
		len += call.ret_len;
	} else if (vdev_fault(dev, SCMI_FAULT_ERROR_RESPONSE_PADDED)) {
		/* cmdq Operation #3 broken: the failed response fills the whole buffer the driver gave. */
		len = chain->writable_bytes < sizeof(response) ? (uint32_t)chain->writable_bytes : sizeof(response);
	}
	size_t written = virtq_chain_write(chain, &dev->mem, 0, response, len);
	vdev_complete(dev, CMDQ, chain, (uint32_t)written);
	vdev_notify_used(dev, CMDQ);
	/* eventq Operation #5: a delayed response waits for an eventq buffer; the fault drops it when none is there. */
	if (st->pending_count > pending_before && vdev_fault(dev, SCMI_FAULT_DELAYED_RESPONSE_DROPPED) &&
	    !eventq_has_buffer(dev))
		st->pending_count = pending_before;
	deliver_p2a(dev);
}

static void scmi_process(struct vdev *dev, unsigned queue)
{
	struct virtq_chain *chain = &dev->scratch;
	if (queue == EVENTQ) {
		deliver_p2a(dev);
		return;
	}
	/* cmdq Operation #2: every available command is answered, however many came at once. */
	unsigned taken = 0;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       !(vdev_fault(dev, SCMI_FAULT_BURST_STALLS) && taken == BURST_STALL_LIMIT) &&
	       vdev_take(dev, CMDQ, chain) == VIRTQ_TAKEN) {
		taken++;
		handle_command(dev, chain);
	}
	vdev_notify_used(dev, CMDQ);
}

static void scmi_reset_state(struct scmi_state *st)
{
	for (unsigned i = 0; i < SCMI_CLOCKS; i++) {
		st->clock_rate[i] = scmi_clock_boot_rate[i];
		st->clock_enabled[i] = true;
	}
	for (unsigned i = 0; i < SCMI_POWER_DOMAINS; i++) {
		st->power_state[i] = scmi_power_boot_state[i];
		st->power_notify[i] = false;
	}
	memset(st->reset_asserted, 0, sizeof(st->reset_asserted));
	memset(st->reset_notify, 0, sizeof(st->reset_notify));
	st->base_error_notify = false;
	st->pending_head = st->pending_count = 0;
}

static bool parse_reading(const char *options, const char *key, int32_t *value, char *err, size_t err_size)
{
	char text[32];
	if (!vdev_option(options, key, text, sizeof(text)))
		return true;
	char *end;
	bool negative = text[0] == '-';
	unsigned long long magnitude = strtoull(text + negative, &end, 0);
	long long v = negative ? -(long long)(magnitude & 0x7fffffffffffULL) : (long long)(magnitude & 0x7fffffffffffULL);
	if (!text[negative] || *end || magnitude > 1000000000ULL) {
		snprintf(err, err_size, "scmi: %s=%s is not an integer within +-1e9", key, text);
		return false;
	}
	*value = (int32_t)v;
	return true;
}

static bool scmi_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	struct scmi_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->sensor_value[0] = 42000;   /* temp_mc: sensor 0, millidegrees Celsius */
	st->sensor_value[1] = 1200;    /* voltage_mv: sensor 1, millivolts */
	if (!parse_reading(options, "temp_mc", &st->sensor_value[0], err, err_size) ||
	    !parse_reading(options, "voltage_mv", &st->sensor_value[1], err, err_size)) {
		free(st);
		return false;
	}
	scmi_reset_state(st);
	dev->state = st;
	dev->num_queues = 2;
	dev->config_size = 0;   /* Device configuration layout: none */
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* Feature bits #1: the platform has delayed responses and notifications, so it offers the eventq.
	 * No statistics shared memory region: VIRTIO_SCMI_F_SHARED_MEMORY stays off (#2). */
	if (!vdev_fault(dev, SCMI_FAULT_P2A_NOT_OFFERED))
		dev->offered |= VIRTIO_BIT(VIRTIO_SCMI_F_P2A_CHANNELS);
	return true;
}

static void scmi_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void scmi_reset(struct vdev *dev)
{
	scmi_reset_state(dev->state);
}

const struct vdev_model model_scmi = {
	.name = "scmi",
	.device_id = VIRTIO_ID_SCMI,
	.faults = scmi_faults,
	.fault_count = SCMI_FAULT_COUNT,
	.create = scmi_create,
	.destroy = scmi_destroy,
	.reset = scmi_reset,
	.process_queue = scmi_process,
};
