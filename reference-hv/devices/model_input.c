/* Input device model (VIRTIO 1.2 Device Types / Input Device): a keyboard, mouse or tablet answering config queries, with events the platform's host side injects. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_UNSET 0x00
#define CFG_ID_NAME 0x01
#define CFG_ID_SERIAL 0x02
#define CFG_ID_DEVIDS 0x03
#define CFG_PROP_BITS 0x10
#define CFG_EV_BITS 0x11
#define CFG_ABS_INFO 0x12

/* struct virtio_input_config: u8 select, u8 subsel, u8 size, u8 reserved[5], union u[128] */
#define CFG_SELECT 0
#define CFG_SUBSEL 1
#define CFG_SIZE 2
#define CFG_U 8
#define CFG_U_BYTES 128

/* Linux input event codes the models use (linux/input-event-codes.h). */
#define EV_SYN 0x00
#define EV_KEY 0x01
#define EV_REL 0x02
#define EV_ABS 0x03
#define EV_LED 0x11
#define KEY_ESC 1
#define KEY_A 30
#define KEY_F12 88
#define BTN_LEFT 0x110
#define BTN_MIDDLE 0x112
#define REL_X 0
#define REL_Y 1
#define REL_WHEEL 8
#define ABS_X 0
#define ABS_Y 1
#define ABS_MAX_VALUE 32767
#define BUS_VIRTUAL 0x06

#define EVENTQ 0
#define STATUSQ 1
#define PENDING_EVENTS 64

enum input_fault { INPUT_FAULT_UNSUPPORTED_SIZE_NONZERO, INPUT_FAULT_EVENTS_NOT_DELIVERED, INPUT_FAULT_COUNT };

static const struct vdev_fault input_faults[INPUT_FAULT_COUNT] = {
	[INPUT_FAULT_UNSUPPORTED_SIZE_NONZERO] = { "unsupported-size-nonzero",
		"VIRTIO-1.2: Device Types / Input Device / Device Initialization #1" },
	/* This one breaks the area: the host's input never reaches the guest. */
	[INPUT_FAULT_EVENTS_NOT_DELIVERED] = { "events-not-delivered",
		"AVPS.INPUT.1 (injected input events reach the guest through eventq)" },
};

enum input_kind { KIND_KEYBOARD, KIND_MOUSE, KIND_TABLET };
static const char *const kind_names[] = { "keyboard", "mouse", "tablet" };
/* The AVPS-INPUT request kind each device serves. */
static const char *const kind_requests[] = { "key", "rel", "abs" };

struct input_event {
	uint16_t type, code;
	uint32_t value;
};

struct input_state {
	enum input_kind kind;
	struct input_event pending[PENDING_EVENTS];
	unsigned head, count;
};

static void set_bit(uint8_t *bitmap, unsigned bit)
{
	bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* The codes a device of this kind reports for one event type, as the bitmap EV_BITS answers. */
static unsigned event_bits(enum input_kind kind, unsigned type, uint8_t *bitmap)
{
	memset(bitmap, 0, CFG_U_BYTES);
	if (kind == KIND_KEYBOARD && type == EV_KEY)
		for (unsigned code = KEY_ESC; code <= KEY_F12; code++)
			set_bit(bitmap, code);
	else if (kind == KIND_KEYBOARD && type == EV_LED)
		set_bit(bitmap, 0), set_bit(bitmap, 1), set_bit(bitmap, 2);   /* NUM, CAPS, SCROLL lock */
	else if (kind != KIND_KEYBOARD && type == EV_KEY)
		for (unsigned code = BTN_LEFT; code <= BTN_MIDDLE; code++)
			set_bit(bitmap, code);
	else if (kind == KIND_MOUSE && type == EV_REL)
		set_bit(bitmap, REL_X), set_bit(bitmap, REL_Y), set_bit(bitmap, REL_WHEEL);
	else if (kind == KIND_TABLET && type == EV_ABS)
		set_bit(bitmap, ABS_X), set_bit(bitmap, ABS_Y);
	unsigned size = CFG_U_BYTES;
	while (size && !bitmap[size - 1])
		size--;
	return size;
}

/* Fills the union for (select, subsel); returns its size, 0 for a combination the device does not support. */
static unsigned answer_query(const struct input_state *st, uint8_t select, uint8_t subsel, uint8_t *u)
{
	memset(u, 0, CFG_U_BYTES);
	switch (select) {
	case CFG_ID_NAME:
		if (subsel)
			return 0;
		return (unsigned)snprintf((char *)u, CFG_U_BYTES, "AVPS virtio %s", kind_names[st->kind]);
	case CFG_ID_SERIAL:
		if (subsel)
			return 0;
		return (unsigned)snprintf((char *)u, CFG_U_BYTES, "avps-%s0", kind_names[st->kind]);
	case CFG_ID_DEVIDS: {
		if (subsel)
			return 0;
		uint16_t ids[4] = { BUS_VIRTUAL, 0x0627, (uint16_t)(1 + st->kind), 1 };   /* bustype, vendor, product, version */
		memcpy(u, ids, sizeof(ids));
		return sizeof(ids);
	}
	case CFG_EV_BITS:
		return event_bits(st->kind, subsel, u);
	case CFG_ABS_INFO: {
		if (st->kind != KIND_TABLET || (subsel != ABS_X && subsel != ABS_Y))
			return 0;
		uint32_t info[5] = { 0, ABS_MAX_VALUE, 0, 0, 0 };   /* min, max, fuzz, flat, res */
		memcpy(u, info, sizeof(info));
		return sizeof(info);
	}
	default:
		return 0;   /* PROP_BITS (no properties), UNSET and undefined selects */
	}
}

static void config_written(struct vdev *dev, uint32_t offset, uint32_t len)
{
	if (offset > CFG_SUBSEL)
		return;
	(void)len;
	uint8_t select = dev->config[CFG_SELECT], subsel = dev->config[CFG_SUBSEL];
	unsigned size = answer_query(dev->state, select, subsel, dev->config + CFG_U);
	/* Device Initialization #1: size 0 for what the device does not support; the fault says 1. */
	if (!size && select != CFG_UNSET && vdev_fault(dev, INPUT_FAULT_UNSUPPORTED_SIZE_NONZERO))
		size = 1;
	dev->config[CFG_SIZE] = (uint8_t)size;
}

static bool input_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[16] = "keyboard";
	vdev_option(options, "kind", text, sizeof(text));
	int kind = -1;
	for (int k = KIND_KEYBOARD; k <= KIND_TABLET; k++)
		if (!strcmp(text, kind_names[k]))
			kind = k;
	if (kind < 0) {
		snprintf(err, err_size, "input: kind=%s is not keyboard, mouse or tablet", text);
		return false;
	}
	struct input_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->kind = (enum input_kind)kind;
	dev->state = st;
	dev->num_queues = 2;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	dev->config_size = CFG_U + CFG_U_BYTES;
	return true;
}

static void input_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void input_reset(struct vdev *dev)
{
	struct input_state *st = dev->state;
	st->head = st->count = 0;
}

/* Pending events into eventq buffers, one event per buffer, as far as the driver gave buffers. */
static void deliver(struct vdev *dev)
{
	struct input_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	struct virtq *vq = &dev->queues[EVENTQ];
	if (!vq->ready || !(dev->status & VIRTIO_STATUS_DRIVER_OK) || (dev->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	bool used = false;
	while (st->count && vdev_take(dev, EVENTQ, chain) == VIRTQ_TAKEN) {
		struct input_event *ev = &st->pending[st->head];
		size_t n = virtq_chain_write(chain, &dev->mem, 0, ev, sizeof(*ev));
		vdev_complete(dev, EVENTQ, chain, (uint32_t)n);
		st->head = (st->head + 1) % PENDING_EVENTS;
		st->count--;
		used = true;
	}
	if (used)
		vdev_notify_used(dev, EVENTQ);
}

static void input_process(struct vdev *dev, unsigned queue)
{
	struct virtq_chain *chain = &dev->scratch;
	if (queue == STATUSQ) {
		/* LED and other status updates from the driver: taken, nothing to show them on. */
		while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, STATUSQ, chain) == VIRTQ_TAKEN)
			vdev_complete(dev, STATUSQ, chain, 0);
		vdev_notify_used(dev, STATUSQ);
		return;
	}
	deliver(dev);
}

/* One input update (events then SYN_REPORT): queued whole or dropped whole (Device Operation #2/#3). */
static bool queue_update(struct input_state *st, const struct input_event *events, unsigned count)
{
	if (count > PENDING_EVENTS - st->count)
		return false;
	for (unsigned i = 0; i < count; i++)
		st->pending[(st->head + st->count++) % PENDING_EVENTS] = events[i];
	return true;
}

static bool input_host_request(struct vdev *dev, const char *request, char *reply, size_t size)
{
	struct input_state *st = dev->state;
	if (strcmp(request, kind_requests[st->kind]))
		return false;
	static const struct input_event key[] = { { EV_KEY, KEY_A, 1 }, { EV_SYN, 0, 0 },
						   { EV_KEY, KEY_A, 0 }, { EV_SYN, 0, 0 } };
	static const struct input_event rel[] = { { EV_REL, REL_X, 7 }, { EV_REL, REL_Y, (uint32_t)-3 }, { EV_SYN, 0, 0 } };
	static const struct input_event abs[] = { { EV_ABS, ABS_X, 16384 }, { EV_ABS, ABS_Y, 8192 }, { EV_SYN, 0, 0 } };
	bool queued = true;
	if (!vdev_fault(dev, INPUT_FAULT_EVENTS_NOT_DELIVERED)) {
		if (st->kind == KIND_KEYBOARD)
			queued = queue_update(st, key, 2) && queue_update(st, key + 2, 2);
		else
			queued = queue_update(st, st->kind == KIND_MOUSE ? rel : abs, 3);
	}
	/* The reply counts the events that are not SYN_REPORT, as the QEMU host's does. */
	snprintf(reply, size, queued ? "2" : "error:event-buffer-full");
	deliver(dev);
	return true;
}

const struct vdev_model model_input = {
	.name = "input",
	.device_id = VIRTIO_ID_INPUT,
	.faults = input_faults,
	.fault_count = INPUT_FAULT_COUNT,
	.create = input_create,
	.destroy = input_destroy,
	.reset = input_reset,
	.process_queue = input_process,
	.config_written = config_written,
	.host_request = input_host_request,
};
