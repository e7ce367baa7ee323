/* CAN device model (VIRTIO 1.4 Device Types / CAN Device): classic and FD frames on a loopback bus, start/stop, bus-off in config status. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_ID_CAN 36
#define CAN_F_CAN_CLASSIC 0
#define CAN_F_CAN_FD 1
#define CAN_F_RTR_FRAMES 2
#define CAN_F_LATE_TX_ACK 3

#define TXQ 0
#define RXQ 1
#define CONTROLQ 2

#define MSG_TX 0x0001
#define MSG_RX 0x0101
#define CTRL_MODE_START 0x0201
#define CTRL_MODE_STOP 0x0202
#define RESULT_OK 0
#define RESULT_NOT_OK 1
#define FLAG_RTR 0x2000u
#define FLAG_FD 0x4000u
#define FLAG_EXTENDED 0x8000u
#define FLAGS_DEFINED (FLAG_RTR | FLAG_FD | FLAG_EXTENDED)
#define STATUS_BUSOFF 1u
#define STANDARD_ID_MAX 0x7ffu
#define EXTENDED_ID_MAX 0x1fffffffu
#define CLASSIC_MAX 8
#define FD_MAX 64
#define HEADER_BYTES 16      /* msg_type, length, reserved_classic_dlc, padding, reserved_xl_priority, flags, can_id */
#define BACKLOG 32           /* frames the bus holds while the driver has no receive buffer */
#define DEFAULT_BUSOFF_ID 0x1ffffff0u

enum can_fault {
	CAN_FAULT_RESERVED_FLAG_ACCEPTED,
	CAN_FAULT_FD_WITHOUT_NEGOTIATION,
	CAN_FAULT_OUT_OF_RANGE_ACCEPTED,
	CAN_FAULT_STOPPED_TX_TRANSMITTED,
	CAN_FAULT_BUSOFF_NOT_REPORTED,
	CAN_FAULT_LATE_TX_ACK_EARLY,
	CAN_FAULT_COUNT,
};

static const struct vdev_fault can_faults[CAN_FAULT_COUNT] = {
	[CAN_FAULT_RESERVED_FLAG_ACCEPTED] = { "reserved-flag-accepted",
		"VIRTIO-1.4: Device Types / CAN Device / Device Operation / CAN Message Transmission #1" },
	[CAN_FAULT_FD_WITHOUT_NEGOTIATION] = { "fd-without-negotiation",
		"VIRTIO-1.4: Device Types / CAN Device / Device Operation / CAN Message Transmission #2" },
	[CAN_FAULT_OUT_OF_RANGE_ACCEPTED] = { "out-of-range-accepted",
		"VIRTIO-1.4: Device Types / CAN Device / Device Operation / CAN Message Transmission #3" },
	[CAN_FAULT_STOPPED_TX_TRANSMITTED] = { "stopped-tx-transmitted",
		"VIRTIO-1.4: Device Types / CAN Device / Device Operation / CAN Message Transmission #4" },
	/* BusOff Indication has no normative sentence: this breaks the area (AVPS.CAN.1). */
	[CAN_FAULT_BUSOFF_NOT_REPORTED] = { "busoff-not-reported",
		"AVPS.CAN.1 (BusOff Indication: VIRTIO_CAN_S_CTRL_BUSOFF in config status)" },
	[CAN_FAULT_LATE_TX_ACK_EARLY] = { "late-tx-ack-early",
		"VIRTIO-1.4: Device Types / CAN Device / Device Operation / CAN Message Transmission #5" },
};

struct can_frame {
	uint16_t length;
	uint32_t flags;
	uint32_t can_id;
	uint8_t sdu[FD_MAX];
};

struct can_state {
	bool started;
	uint32_t busoff_id;
	struct can_frame backlog[BACKLOG]; /* on the bus, waiting for a receive buffer */
	unsigned backlog_head, backlog_count;
	struct can_frame scheduled;        /* late-tx-ack-early: acknowledged, not yet on the bus */
	bool has_scheduled;
	struct virtq_chain rx_chain;       /* a receive buffer being filled (dev->scratch holds the request) */
	struct virtq_segment rx_segments[VIRTQ_MAX_SEGMENTS];
};

static uint16_t status_of(const struct vdev *dev)
{
	return (uint16_t)(dev->config[0] | dev->config[1] << 8);
}

static void set_status(struct vdev *dev, uint16_t status)
{
	if (status == status_of(dev))
		return;
	dev->config[0] = (uint8_t)status;
	dev->config[1] = (uint8_t)(status >> 8);
	vdev_config_changed(dev);
}

static bool can_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t busoff_id = DEFAULT_BUSOFF_ID;
	if (vdev_option(options, "busoff_id", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &busoff_id) || busoff_id > EXTENDED_ID_MAX)) {
		snprintf(err, err_size, "can: busoff_id=%s is not an extended CAN ID (0..0x1fffffff)", text);
		return false;
	}
	struct can_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->busoff_id = (uint32_t)busoff_id;
	dev->state = st;
	dev->num_queues = 3;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) | VIRTIO_BIT(CAN_F_CAN_CLASSIC) |
		       VIRTIO_BIT(CAN_F_CAN_FD) | VIRTIO_BIT(CAN_F_RTR_FRAMES) | VIRTIO_BIT(CAN_F_LATE_TX_ACK);
	dev->config_size = 2; /* le16 status */
	return true;
}

static void can_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

/* Controller Mode: initially STOPPED; the bus forgets frames nobody took; bus-off is cleared by a reset. */
static void can_reset(struct vdev *dev)
{
	struct can_state *st = dev->state;
	uint32_t busoff_id = st->busoff_id;
	memset(st, 0, sizeof(*st));
	st->busoff_id = busoff_id;
	dev->config[0] = dev->config[1] = 0;
}

/* Feature bit requirements: CLASSIC or FD, and RTR only with CLASSIC. */
static bool can_accept_features(struct vdev *dev, uint64_t features)
{
	(void)dev;
	bool classic = features & VIRTIO_BIT(CAN_F_CAN_CLASSIC), fd = features & VIRTIO_BIT(CAN_F_CAN_FD);
	return (classic || fd) && (classic || !(features & VIRTIO_BIT(CAN_F_RTR_FRAMES)));
}

/* Writes one frame into the next receive buffer; false when the driver has none (or broke the ring). */
static bool deliver(struct vdev *dev, const struct can_frame *f)
{
	struct can_state *st = dev->state;
	struct virtq_chain *chain = &st->rx_chain;
	chain->segments = st->rx_segments;
	chain->capacity = VIRTQ_MAX_SEGMENTS;
	if (dev->status & VIRTIO_STATUS_NEEDS_RESET || vdev_take(dev, RXQ, chain) != VIRTQ_TAKEN)
		return false;
	uint16_t sdu_len = f->flags & FLAG_RTR ? 0 : f->length;
	if (chain->writable_bytes < HEADER_BYTES + (uint64_t)sdu_len) {
		vdev_needs_reset(dev, "can receive buffer smaller than struct virtio_can_rx with its sdu");
		return false;
	}
	uint8_t rx[HEADER_BYTES + FD_MAX] = { 0 };
	uint16_t type = MSG_RX;
	memcpy(rx, &type, 2);
	memcpy(rx + 2, &f->length, 2);
	memcpy(rx + 8, &f->flags, 4);
	memcpy(rx + 12, &f->can_id, 4);
	memcpy(rx + HEADER_BYTES, f->sdu, sdu_len);
	size_t written = virtq_chain_write(chain, &dev->mem, 0, rx, HEADER_BYTES + (size_t)sdu_len);
	vdev_complete(dev, RXQ, chain, (uint32_t)written);
	return true;
}

/* Frames waiting on the bus go to receive buffers in bus order. */
static void drain_backlog(struct vdev *dev)
{
	struct can_state *st = dev->state;
	bool any = false;
	while (st->backlog_count && deliver(dev, &st->backlog[st->backlog_head])) {
		st->backlog_head = (st->backlog_head + 1) % BACKLOG;
		st->backlog_count--;
		any = true;
	}
	if (any)
		vdev_notify_used(dev, RXQ);
}

/* The loopback bus: every frame sent comes back to this controller's receive queue (oldest lost beyond BACKLOG). */
static void put_on_bus(struct vdev *dev, const struct can_frame *f)
{
	struct can_state *st = dev->state;
	if (st->backlog_count == BACKLOG) {
		st->backlog_head = (st->backlog_head + 1) % BACKLOG;
		st->backlog_count--;
	}
	st->backlog[(st->backlog_head + st->backlog_count) % BACKLOG] = *f;
	st->backlog_count++;
	drain_backlog(dev);
}

/* A frame whose extended ID is busoff_id meets a bit error at every try: the controller goes bus-off (STOPPED). */
static void go_bus_off(struct vdev *dev)
{
	struct can_state *st = dev->state;
	st->started = false;
	st->has_scheduled = false; /* pending transmissions are cancelled */
	if (!vdev_fault(dev, CAN_FAULT_BUSOFF_NOT_REPORTED))
		set_status(dev, status_of(dev) | STATUS_BUSOFF);
}

/* CAN Message Transmission #1..#4: the checks that decide whether a frame may be scheduled at all. */
static bool frame_valid(struct vdev *dev, uint16_t type, const struct can_frame *f, uint64_t readable)
{
	bool fd = f->flags & FLAG_FD, rtr = f->flags & FLAG_RTR, ext = f->flags & FLAG_EXTENDED;
	if (type != MSG_TX)
		return false;
	/* #1: an undefined flag bit, or a frame type not negotiated. */
	if ((f->flags & ~FLAGS_DEFINED) && !vdev_fault(dev, CAN_FAULT_RESERVED_FLAG_ACCEPTED))
		return false;
	if (fd && !vdev_has_feature(dev, CAN_F_CAN_FD) && !vdev_fault(dev, CAN_FAULT_FD_WITHOUT_NEGOTIATION))
		return false;
	if (!fd && !vdev_has_feature(dev, CAN_F_CAN_CLASSIC))
		return false;
	if (rtr && (fd || !vdev_has_feature(dev, CAN_F_RTR_FRAMES)))
		return false;
	/* #3: can_id and length in range, and the whole sdu present. */
	bool in_range = f->can_id <= (ext ? EXTENDED_ID_MAX : STANDARD_ID_MAX) && f->length <= (fd ? FD_MAX : CLASSIC_MAX);
	if (!in_range && !vdev_fault(dev, CAN_FAULT_OUT_OF_RANGE_ACCEPTED))
		return false;
	return f->length <= FD_MAX && (rtr || readable >= HEADER_BYTES + (uint64_t)f->length);
}

static uint8_t transmit(struct vdev *dev, struct virtq_chain *chain)
{
	struct can_state *st = dev->state;
	uint8_t hdr[HEADER_BYTES];
	struct can_frame f = { 0 };
	uint16_t type;
	virtq_chain_read(chain, &dev->mem, 0, hdr, sizeof(hdr));
	memcpy(&type, hdr, 2);
	memcpy(&f.length, hdr + 2, 2);
	memcpy(&f.flags, hdr + 8, 4);
	memcpy(&f.can_id, hdr + 12, 4);
	if (!frame_valid(dev, type, &f, chain->readable_bytes))
		return RESULT_NOT_OK;
	/* Controller Mode: in STOPPED nothing reaches the bus (#3/#4: an invalid controller state). */
	if (!st->started && !vdev_fault(dev, CAN_FAULT_STOPPED_TX_TRANSMITTED))
		return RESULT_NOT_OK;
	if (!(f.flags & FLAG_RTR))
		virtq_chain_read(chain, &dev->mem, HEADER_BYTES, f.sdu, f.length);
	if ((f.flags & FLAG_EXTENDED) && f.can_id == st->busoff_id) {
		go_bus_off(dev);
		return RESULT_NOT_OK;
	}
	/* #5: with LATE_TX_ACK the request is used only once the frame is on the bus (here: at once). The fault
	 * acknowledges first and puts the frame on the bus at the device's next notification. */
	if (vdev_fault(dev, CAN_FAULT_LATE_TX_ACK_EARLY) && !st->has_scheduled) {
		st->scheduled = f;
		st->has_scheduled = true;
		return RESULT_OK;
	}
	put_on_bus(dev, &f);
	return RESULT_OK;
}

static uint8_t control(struct vdev *dev, uint16_t type)
{
	struct can_state *st = dev->state;
	if (type == CTRL_MODE_START) {
		/* The status update comes before the request is used; a started controller is no longer bus-off. */
		set_status(dev, (uint16_t)(status_of(dev) & ~STATUS_BUSOFF));
		st->started = true;
		return RESULT_OK;
	}
	if (type == CTRL_MODE_STOP) {
		st->started = false;
		st->has_scheduled = false;
		return RESULT_OK;
	}
	return RESULT_NOT_OK;
}

static void can_process(struct vdev *dev, unsigned queue)
{
	struct can_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	if (st->has_scheduled) {
		st->has_scheduled = false;
		put_on_bus(dev, &st->scheduled);
	}
	if (queue == RXQ) {
		drain_backlog(dev);
		return;
	}
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		uint64_t need = queue == TXQ ? HEADER_BYTES : 2;
		if (chain->readable_bytes < need || chain->writable_bytes < 1) {
			vdev_needs_reset(dev, queue == TXQ ? "can tx request without header or result byte"
							   : "can control request without msg_type or result byte");
			break;
		}
		uint8_t result;
		if (queue == TXQ) {
			result = transmit(dev, chain);
		} else {
			uint16_t type;
			virtq_chain_read(chain, &dev->mem, 0, &type, 2);
			result = control(dev, type);
		}
		vdev_complete(dev, queue, chain, (uint32_t)virtq_chain_write(chain, &dev->mem, 0, &result, 1));
	}
	vdev_notify_used(dev, queue);
}

const struct vdev_model model_can = {
	.name = "can",
	.device_id = VIRTIO_ID_CAN,
	.faults = can_faults,
	.fault_count = CAN_FAULT_COUNT,
	.create = can_create,
	.destroy = can_destroy,
	.reset = can_reset,
	.accept_features = can_accept_features,
	.process_queue = can_process,
};
