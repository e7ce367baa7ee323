/* GPIO device model (VIRTIO 1.2 Device Types / GPIO Device): a line bank whose pairs (0-1, 2-3, ...) are wired together, with edge/level interrupts. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_GPIO_F_IRQ 0
#define GPIO_MSG_GET_NAMES 1
#define GPIO_MSG_GET_DIRECTION 2
#define GPIO_MSG_SET_DIRECTION 3
#define GPIO_MSG_GET_VALUE 4
#define GPIO_MSG_SET_VALUE 5
#define GPIO_MSG_SET_IRQ_TYPE 6
#define GPIO_STATUS_OK 0
#define GPIO_STATUS_ERR 1
#define GPIO_DIRECTION_NONE 0
#define GPIO_DIRECTION_OUT 1
#define GPIO_DIRECTION_IN 2
#define GPIO_IRQ_NONE 0
#define GPIO_IRQ_EDGE_RISING 1
#define GPIO_IRQ_EDGE_FALLING 2
#define GPIO_IRQ_EDGE_BOTH 3
#define GPIO_IRQ_LEVEL_HIGH 4
#define GPIO_IRQ_LEVEL_LOW 8
#define GPIO_IRQ_STATUS_INVALID 0
#define GPIO_IRQ_STATUS_VALID 1

#define REQUESTQ 0
#define EVENTQ 1
#define MAX_LINES 64
#define NAME_BYTES 16
#define HELD_SEGMENTS 4

enum gpio_fault {
	GPIO_FAULT_EDGE_NOT_LATCHED,
	GPIO_FAULT_LEVEL_LATCHED,
	GPIO_FAULT_DUPLICATE_NAMES,
	GPIO_FAULT_VALUE_UNFILLED,
	GPIO_FAULT_IRQ_WHILE_DISABLED,
	GPIO_FAULT_VALUE_NOT_SENSED,
	GPIO_FAULT_NAMES_SIZE_WRONG,
	GPIO_FAULT_LATCH_KEPT_ON_DISABLE,
	GPIO_FAULT_DISABLE_KEEPS_BUFFER,
	GPIO_FAULT_DIRECTION_NONE_KEEPS_STATE,
	GPIO_FAULT_ANSWERS_REVERSED,
	GPIO_FAULT_FALLING_EDGE_LOST,
	GPIO_FAULT_COUNT,
};

static const struct vdev_fault gpio_faults[GPIO_FAULT_COUNT] = {
	[GPIO_FAULT_EDGE_NOT_LATCHED] = { "edge-not-latched",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #10" },
	[GPIO_FAULT_LEVEL_LATCHED] = { "level-latched",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #11" },
	[GPIO_FAULT_DUPLICATE_NAMES] = { "duplicate-names",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #5" },
	[GPIO_FAULT_VALUE_UNFILLED] = { "value-unfilled",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #1" },
	[GPIO_FAULT_IRQ_WHILE_DISABLED] = { "irq-while-disabled",
		"VIRTIO-1.2: Device Types / GPIO Device / eventq Operation #1" },
	/* This one breaks the area, not a normative sentence: Get Value only describes it. */
	[GPIO_FAULT_VALUE_NOT_SENSED] = { "value-not-sensed",
		"AVPS.GPIO.1 (requestq Operation / Get Value: the value sensed on the line)" },
	[GPIO_FAULT_NAMES_SIZE_WRONG] = { "names-size-wrong",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #4" },
	[GPIO_FAULT_LATCH_KEPT_ON_DISABLE] = { "latch-kept-on-disable",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #12" },
	[GPIO_FAULT_DISABLE_KEEPS_BUFFER] = { "disable-keeps-buffer",
		"VIRTIO-1.2: Device Types / GPIO Device / eventq Operation #2" },
	[GPIO_FAULT_DIRECTION_NONE_KEEPS_STATE] = { "direction-none-keeps-state",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #9" },
	[GPIO_FAULT_ANSWERS_REVERSED] = { "answers-reversed",
		"VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #6" },
	/* Breaks the area, not a normative sentence: the IRQ type table only describes EDGE_BOTH. */
	[GPIO_FAULT_FALLING_EDGE_LOST] = { "falling-edge-lost",
		"AVPS.GPIO.1 (requestq Operation / Set IRQ Type: EDGE_FALLING and EDGE_BOTH fire on falling edges)" },
};

/* An eventq buffer the device holds until its line's interrupt fires (the line is then unmasked). */
struct held_buffer {
	bool present;
	struct virtq_chain chain;
	struct virtq_segment segments[HELD_SEGMENTS];
};

struct gpio_line {
	uint8_t direction;
	uint8_t output;
	uint8_t irq_type;
	bool latched;
	uint8_t last_level;
	struct held_buffer held;
};

struct gpio_state {
	unsigned lines;
	uint32_t names_size;
	char names[MAX_LINES * NAME_BYTES];
	struct gpio_line line[MAX_LINES];
};

struct gpio_request {
	uint16_t type;
	uint16_t gpio;
	uint32_t value;
};

static bool gpio_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t lines = 8;
	if (vdev_option(options, "lines", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &lines) || lines < 2 || lines > MAX_LINES || lines % 2)) {
		snprintf(err, err_size, "gpio: lines=%s is not an even number 2..%d", text, MAX_LINES);
		return false;
	}
	struct gpio_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->lines = (unsigned)lines;
	/* requestq Operation #4/#5: unique NUL-terminated names, their block size in the config. */
	for (unsigned i = 0; i < st->lines; i++) {
		unsigned shown = vdev_fault(dev, GPIO_FAULT_DUPLICATE_NAMES) ? 0 : i;
		st->names_size += (uint32_t)snprintf(st->names + st->names_size, NAME_BYTES, "avps-loop%u", shown) + 1;
	}
	dev->state = st;
	dev->num_queues = 2;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) | VIRTIO_BIT(VIRTIO_GPIO_F_IRQ);
	/* config: le16 ngpio, u8 padding[2], le32 gpio_names_size */
	dev->config_size = 8;
	uint16_t ngpio = (uint16_t)st->lines;
	/* #4: the config names the block's exact size; the fault claims one byte more. */
	uint32_t names_size = st->names_size + (vdev_fault(dev, GPIO_FAULT_NAMES_SIZE_WRONG) ? 1 : 0);
	memcpy(dev->config, &ngpio, 2);
	memcpy(dev->config + 4, &names_size, 4);
	return true;
}

static void gpio_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void gpio_reset(struct vdev *dev)
{
	struct gpio_state *st = dev->state;
	memset(st->line, 0, sizeof(st->line));
}

/* The level a line reads: driven by its partner when the partner is an output, else its own output, else low. */
static uint8_t line_level(const struct gpio_state *st, unsigned n)
{
	const struct gpio_line *partner = &st->line[n ^ 1u];
	if (partner->direction == GPIO_DIRECTION_OUT)
		return partner->output;
	if (st->line[n].direction == GPIO_DIRECTION_OUT)
		return st->line[n].output;
	return 0;
}

static void return_held(struct vdev *dev, struct gpio_line *line, uint8_t status)
{
	if (!line->held.present)
		return;
	line->held.present = false;
	virtq_chain_write(&line->held.chain, &dev->mem, 0, &status, 1);
	vdev_complete(dev, EVENTQ, &line->held.chain, 1);
	vdev_notify_used(dev, EVENTQ);
}

static bool level_active(const struct gpio_line *line, uint8_t level)
{
	return (line->irq_type == GPIO_IRQ_LEVEL_HIGH && level) || (line->irq_type == GPIO_IRQ_LEVEL_LOW && !level);
}

/* Delivers a latched edge or an active level once the line is unmasked (holds a buffer). */
static void deliver_pending(struct vdev *dev, unsigned n)
{
	struct gpio_state *st = dev->state;
	struct gpio_line *line = &st->line[n];
	if (!line->held.present || line->irq_type == GPIO_IRQ_NONE)
		return;
	if (line->latched || level_active(line, line_level(st, n))) {
		line->latched = false;
		return_held(dev, line, GPIO_IRQ_STATUS_VALID);
	}
}

/* Re-evaluates one line's input after a wiring change: edges latch or fire, levels fire only unmasked. */
static void line_changed(struct vdev *dev, unsigned n)
{
	struct gpio_state *st = dev->state;
	struct gpio_line *line = &st->line[n];
	uint8_t level = line_level(st, n), before = line->last_level;
	line->last_level = level;
	if (line->irq_type == GPIO_IRQ_NONE) {
		if (vdev_fault(dev, GPIO_FAULT_IRQ_WHILE_DISABLED) && level != before)
			return_held(dev, line, GPIO_IRQ_STATUS_VALID);
		return;
	}
	bool edge = level != before && (((line->irq_type & GPIO_IRQ_EDGE_RISING) && level) ||
					 ((line->irq_type & GPIO_IRQ_EDGE_FALLING) && !level));
	/* The fault detects rising edges only. */
	if (edge && !level && vdev_fault(dev, GPIO_FAULT_FALLING_EDGE_LOST))
		edge = false;
	if (edge && (line->irq_type & GPIO_IRQ_EDGE_BOTH)) {
		/* requestq Operation #10: an edge while masked is latched. */
		if (!line->held.present && vdev_fault(dev, GPIO_FAULT_EDGE_NOT_LATCHED))
			return;
		line->latched = true;
	}
	/* #11: a level while masked is not latched; the fault latches it. */
	if (!line->held.present && level_active(line, level) && vdev_fault(dev, GPIO_FAULT_LEVEL_LATCHED))
		line->latched = true;
	deliver_pending(dev, n);
}

static uint8_t set_direction(struct vdev *dev, unsigned n, uint32_t value)
{
	struct gpio_state *st = dev->state;
	struct gpio_line *line = &st->line[n];
	if (value > GPIO_DIRECTION_IN)
		return GPIO_STATUS_ERR;
	if (value == GPIO_DIRECTION_NONE && !vdev_fault(dev, GPIO_FAULT_DIRECTION_NONE_KEEPS_STATE)) {
		/* requestq Operation #9: NONE drops all of the line's state. */
		return_held(dev, line, GPIO_IRQ_STATUS_INVALID);
		memset(line, 0, sizeof(*line));
	}
	line->direction = (uint8_t)value;
	line_changed(dev, n);
	line_changed(dev, n ^ 1u);
	return GPIO_STATUS_OK;
}

static uint8_t set_irq_type(struct vdev *dev, unsigned n, uint32_t value)
{
	struct gpio_state *st = dev->state;
	struct gpio_line *line = &st->line[n];
	bool known = value == GPIO_IRQ_NONE || value == GPIO_IRQ_EDGE_RISING || value == GPIO_IRQ_EDGE_FALLING ||
		     value == GPIO_IRQ_EDGE_BOTH || value == GPIO_IRQ_LEVEL_HIGH || value == GPIO_IRQ_LEVEL_LOW;
	if (!known || !vdev_has_feature(dev, VIRTIO_GPIO_F_IRQ))
		return GPIO_STATUS_ERR;
	line->irq_type = (uint8_t)value;
	if (!vdev_fault(dev, GPIO_FAULT_LATCH_KEPT_ON_DISABLE))
		line->latched = false;
	line->last_level = line_level(st, n);
	if (value == GPIO_IRQ_NONE && !vdev_fault(dev, GPIO_FAULT_DISABLE_KEEPS_BUFFER))
		/* #12 and eventq Operation #2: disabling drops the latch and returns the buffer INVALID. */
		return_held(dev, line, GPIO_IRQ_STATUS_INVALID);
	else
		deliver_pending(dev, n);
	return GPIO_STATUS_OK;
}

static void handle_request(struct vdev *dev, struct virtq_chain *chain)
{
	struct gpio_state *st = dev->state;
	struct gpio_request req;
	if (virtq_chain_read(chain, &dev->mem, 0, &req, sizeof(req)) != sizeof(req) || chain->writable_bytes < 1) {
		vdev_needs_reset(dev, "gpio request shorter than its header or without a response buffer");
		return;
	}
	uint8_t response[2] = { GPIO_STATUS_ERR, 0 };
	uint32_t written;
	if (req.type == GPIO_MSG_GET_NAMES) {
		/* The response is status followed by the names block. */
		if (chain->writable_bytes >= 1 + (uint64_t)st->names_size && req.gpio == 0) {
			response[0] = GPIO_STATUS_OK;
			virtq_chain_write(chain, &dev->mem, 1, st->names, st->names_size);
		}
		virtq_chain_write(chain, &dev->mem, 0, response, 1);
		vdev_complete(dev, REQUESTQ, chain, response[0] == GPIO_STATUS_OK ? 1 + st->names_size : 1);
		return;
	}
	if (req.gpio < st->lines) {
		struct gpio_line *line = &st->line[req.gpio];
		response[0] = GPIO_STATUS_OK;
		switch (req.type) {
		case GPIO_MSG_GET_DIRECTION:
			response[1] = line->direction;
			break;
		case GPIO_MSG_SET_DIRECTION:
			response[0] = set_direction(dev, req.gpio, req.value);
			break;
		case GPIO_MSG_GET_VALUE:
			/* fault: answer the line's own output (0 for an input), not what its partner drives */
			if (vdev_fault(dev, GPIO_FAULT_VALUE_NOT_SENSED))
				response[1] = line->direction == GPIO_DIRECTION_OUT ? line->output : 0;
			else
				response[1] = line_level(st, req.gpio);
			break;
		case GPIO_MSG_SET_VALUE:
			/* Set Value: a line not yet an output keeps the value for when it becomes one
			 * (Linux sets the value before the direction, as the spec advises). */
			if (req.value > 1) {
				response[0] = GPIO_STATUS_ERR;
				break;
			}
			line->output = (uint8_t)req.value;
			line_changed(dev, req.gpio ^ 1u);
			break;
		case GPIO_MSG_SET_IRQ_TYPE:
			response[0] = set_irq_type(dev, req.gpio, req.value);
			break;
		default:
			response[0] = GPIO_STATUS_ERR;
			break;
		}
	}
	/* requestq Operation #1: both response fields are written. */
	written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, response,
					       vdev_fault(dev, GPIO_FAULT_VALUE_UNFILLED) ? 1 : 2);
	vdev_complete(dev, REQUESTQ, chain, written);
}

static void handle_event_buffer(struct vdev *dev, struct virtq_chain *chain)
{
	struct gpio_state *st = dev->state;
	uint16_t gpio;
	if (virtq_chain_read(chain, &dev->mem, 0, &gpio, sizeof(gpio)) != sizeof(gpio) || chain->writable_bytes < 1) {
		vdev_needs_reset(dev, "gpio eventq buffer without line number or status byte");
		return;
	}
	uint8_t invalid = GPIO_IRQ_STATUS_INVALID;
	bool accepted = gpio < st->lines && !st->line[gpio].held.present && chain->count <= HELD_SEGMENTS &&
			(st->line[gpio].irq_type != GPIO_IRQ_NONE || vdev_fault(dev, GPIO_FAULT_IRQ_WHILE_DISABLED));
	if (!accepted) {
		virtq_chain_write(chain, &dev->mem, 0, &invalid, 1);
		vdev_complete(dev, EVENTQ, chain, 1);
		return;
	}
	struct held_buffer *held = &st->line[gpio].held;
	held->present = true;
	held->chain.segments = held->segments;
	held->chain.capacity = HELD_SEGMENTS;
	held->chain.id = chain->id;
	held->chain.ring_slots = chain->ring_slots;
	held->chain.count = chain->count;
	held->chain.readable_bytes = chain->readable_bytes;
	held->chain.writable_bytes = chain->writable_bytes;
	memcpy(held->chain.segments, chain->segments, chain->count * sizeof(chain->segments[0]));
	deliver_pending(dev, gpio);
}

#define REVERSED_BATCH 8

/* The answers-reversed fault: takes up to 8 requests and carries them out last first (breaks #6). */
static void process_reversed(struct vdev *dev)
{
	struct virtq_chain chains[REVERSED_BATCH];
	struct virtq_segment segments[REVERSED_BATCH][HELD_SEGMENTS];
	unsigned n = 0;
	for (; n < REVERSED_BATCH && !(dev->status & VIRTIO_STATUS_NEEDS_RESET); n++) {
		chains[n] = (struct virtq_chain){ .segments = segments[n], .capacity = HELD_SEGMENTS };
		if (vdev_take(dev, REQUESTQ, &chains[n]) != VIRTQ_TAKEN)
			break;
	}
	while (n--)
		handle_request(dev, &chains[n]);
}

static void gpio_process(struct vdev *dev, unsigned queue)
{
	struct virtq_chain *chain = &dev->scratch;
	if (queue == REQUESTQ && vdev_fault(dev, GPIO_FAULT_ANSWERS_REVERSED))
		process_reversed(dev);
	/* requestq Operation #6: one request at a time, answered in arrival order. */
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		if (queue == REQUESTQ)
			handle_request(dev, chain);
		else
			handle_event_buffer(dev, chain);
	}
	vdev_notify_used(dev, queue);
}

const struct vdev_model model_gpio = {
	.name = "gpio",
	.device_id = VIRTIO_ID_GPIO,
	.faults = gpio_faults,
	.fault_count = GPIO_FAULT_COUNT,
	.create = gpio_create,
	.destroy = gpio_destroy,
	.reset = gpio_reset,
	.process_queue = gpio_process,
};
