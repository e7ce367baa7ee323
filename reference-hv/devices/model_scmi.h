/* Internal interface of the SCMI model: the platform it describes, its fault switches, and the protocol handlers' view of one command. */
#ifndef AVPS_DEVICES_MODEL_SCMI_H
#define AVPS_DEVICES_MODEL_SCMI_H

#include "virtio_device.h"

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_ID_SCMI 32
#define VIRTIO_SCMI_F_P2A_CHANNELS 0
#define VIRTIO_SCMI_F_SHARED_MEMORY 1

/* SCMI message header fields and types. */
#define SCMI_HDR_ID(h) ((h) & 0xffu)
#define SCMI_HDR_TYPE(h) (((h) >> 8) & 0x3u)
#define SCMI_HDR_PROTOCOL(h) (((h) >> 10) & 0xffu)
#define SCMI_HDR_TOKEN(h) (((h) >> 18) & 0x3ffu)
#define SCMI_MSG_COMMAND 0
#define SCMI_MSG_DELAYED_RESPONSE 2
#define SCMI_MSG_NOTIFICATION 3

/* SCMI status codes. */
#define SCMI_SUCCESS 0
#define SCMI_NOT_SUPPORTED (-1)
#define SCMI_INVALID_PARAMETERS (-2)
#define SCMI_DENIED (-3)
#define SCMI_NOT_FOUND (-4)
#define SCMI_OUT_OF_RANGE (-5)
#define SCMI_BUSY (-6)
#define SCMI_PROTOCOL_ERROR (-10)
#define SCMI_HARDWARE_ERROR (-9)

/* Protocols and their common messages. */
#define SCMI_PROTOCOL_BASE 0x10
#define SCMI_PROTOCOL_POWER 0x11
#define SCMI_PROTOCOL_CLOCK 0x14
#define SCMI_PROTOCOL_SENSOR 0x15
#define SCMI_PROTOCOL_RESET 0x16
#define SCMI_PROTOCOL_VERSION 0x0
#define SCMI_PROTOCOL_ATTRIBUTES 0x1
#define SCMI_PROTOCOL_MESSAGE_ATTRIBUTES 0x2

#define SCMI_NAME_BYTES 16
#define SCMI_AGENT_ID_GUEST 1   /* the agent this device serves (agent 0 is the platform) */
#define SCMI_MAX_PAYLOAD 120   /* ret_values a response may carry (Linux posts 128-byte messages) */
#define SCMI_POWER_ON 0u
#define SCMI_POWER_OFF 0x40000000u
#define SCMI_CLOCKS 2
#define SCMI_POWER_DOMAINS 2
#define SCMI_SENSORS 2
#define SCMI_RESET_DOMAINS 2
#define SCMI_P2A_PENDING 16

enum scmi_fault {
	SCMI_FAULT_P2A_NOT_OFFERED,
	SCMI_FAULT_ERROR_RESPONSE_PADDED,
	SCMI_FAULT_ASYNC_WITHOUT_P2A,
	SCMI_FAULT_NOTIFY_ADVERTISED_WITHOUT_P2A,
	SCMI_FAULT_BURST_STALLS,
	SCMI_FAULT_DELAYED_RESPONSE_DROPPED,
	SCMI_FAULT_DELAYED_ERROR_PADDED,
	SCMI_FAULT_SENSOR_VALUE_NOT_DECLARED,
	SCMI_FAULT_SENSOR_PROTOCOL_UNLISTED,
	SCMI_FAULT_CLOCK_RATE_NOT_APPLIED,
	SCMI_FAULT_CLOCK_RATE_GET_KHZ,
	SCMI_FAULT_POWER_STATE_NOT_APPLIED,
	SCMI_FAULT_POWER_DOMAIN_COUNT_SHORT,
	SCMI_FAULT_COUNT,
};

/* A message the platform sends to the agent over the eventq (a delayed response or a notification). */
struct scmi_p2a {
	bool delayed;
	uint32_t len;
	uint8_t bytes[32];
};

/* The platform: what it declares, and its current state. */
struct scmi_state {
	int32_t sensor_value[SCMI_SENSORS];   /* declared readings (options temp_mc=, voltage_mv=) */
	uint64_t clock_rate[SCMI_CLOCKS];
	bool clock_enabled[SCMI_CLOCKS];
	uint32_t power_state[SCMI_POWER_DOMAINS];
	bool power_notify[SCMI_POWER_DOMAINS];
	bool reset_asserted[SCMI_RESET_DOMAINS];
	bool reset_notify[SCMI_RESET_DOMAINS];
	bool base_error_notify;
	struct scmi_p2a pending[SCMI_P2A_PENDING];
	unsigned pending_head, pending_count;
};

/* One command being answered: its header, parameters and the response being built. */
struct scmi_call {
	struct vdev *dev;
	struct scmi_state *st;
	uint32_t hdr;
	const uint8_t *params;
	uint32_t params_len;
	int32_t status;
	uint8_t ret[SCMI_MAX_PAYLOAD];   /* ret_values after the status field */
	uint32_t ret_len;
};

/* Fixed platform description (model_scmi_base.c, model_scmi_protocols.c). */
extern const uint8_t scmi_protocols[];
extern const unsigned scmi_protocol_count;
extern const uint64_t scmi_clock_boot_rate[SCMI_CLOCKS];
extern const uint32_t scmi_power_boot_state[SCMI_POWER_DOMAINS];

/* Was VIRTIO_SCMI_F_P2A_CHANNELS negotiated? (model_scmi.c) */
bool scmi_p2a(const struct vdev *dev);
/* Queues a delayed response (false: no room, the command must answer BUSY) or a notification (dropped when full). */
bool scmi_send_p2a(struct vdev *dev, uint32_t hdr, int32_t *status, const void *payload, uint32_t len, bool delayed);

/* Answers one command into call->status / call->ret (model_scmi_base.c). */
void scmi_dispatch(struct scmi_call *call);

/* Messages of the power, clock, sensor and reset protocols the model implements. */
/* Power domain messages */
#define POWER_DOMAIN_ATTRIBUTES 0x3
#define POWER_STATE_SET 0x4
#define POWER_STATE_GET 0x5
#define POWER_STATE_NOTIFY 0x6
/* Clock messages */
#define CLOCK_ATTRIBUTES 0x3
#define CLOCK_DESCRIBE_RATES 0x4
#define CLOCK_RATE_SET 0x5
#define CLOCK_RATE_GET 0x6
#define CLOCK_CONFIG_SET 0x7
/* Sensor messages */
#define SENSOR_DESCRIPTION_GET 0x3
#define SENSOR_READING_GET 0x6
/* Reset messages */
#define RESET_DOMAIN_ATTRIBUTES 0x3
#define RESET_RESET 0x4
#define RESET_NOTIFY 0x5

/* Helpers the protocol handlers share (model_scmi_base.c). */
uint32_t scmi_param(const struct scmi_call *call, unsigned index, bool *ok);
void scmi_put32(struct scmi_call *call, uint32_t value);
void scmi_put64(struct scmi_call *call, uint64_t value);
void scmi_put_name(struct scmi_call *call, const char *name);
/* Does the agent see notifications and delayed responses (cmdq Operation #6), may it ask for them (#5)? */
bool scmi_notifications_visible(const struct scmi_call *call);
bool scmi_async_accepted(const struct scmi_call *call);
/* Is the protocol in BASE_DISCOVER_LIST_PROTOCOLS (the sensor-protocol-unlisted fault drops 0x15)? */
bool scmi_protocol_listed(const struct scmi_call *call, uint8_t protocol);

/* One protocol's messages (model_scmi_protocols.c). */
void scmi_power_message(struct scmi_call *call, unsigned message);
void scmi_clock_message(struct scmi_call *call, unsigned message);
void scmi_sensor_message(struct scmi_call *call, unsigned message);
void scmi_reset_message(struct scmi_call *call, unsigned message);

#endif
