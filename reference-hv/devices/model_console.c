/* Console device model (VIRTIO 1.2 Device Types / Console Device): multiport, with the platform's host side in-process (echo responder, port hot-plug, a loopback port). */
#include "model_console_host.h"
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

#define CTRL_DEVICE_READY 0
#define CTRL_DEVICE_ADD 1
#define CTRL_DEVICE_REMOVE 2
#define CTRL_PORT_READY 3
#define CTRL_CONSOLE_PORT 4
#define CTRL_PORT_OPEN 6
#define CTRL_PORT_NAME 7

#define CTRL_RX 2
#define CTRL_TX 3
#define CTRL_PENDING 16
#define CTRL_MESSAGE_MAX 40

/* struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr */
#define CONFIG_MAX_NR_PORTS 4
#define CONFIG_EMERG_WR 8
#define CONFIG_BYTES 12

enum console_fault {
	CONSOLE_FAULT_DEVICE_ADD_TWICE,
	CONSOLE_FAULT_REMOVE_UNANNOUNCED,
	CONSOLE_FAULT_EMERG_WR_NEEDS_DRIVER_OK,
	CONSOLE_FAULT_COUNT,
};

static const struct vdev_fault console_faults[CONSOLE_FAULT_COUNT] = {
	[CONSOLE_FAULT_DEVICE_ADD_TWICE] = { "device-add-twice",
		"VIRTIO-1.2: Device Types / Console Device / Device Operation / Multiport Device Operation #1" },
	[CONSOLE_FAULT_REMOVE_UNANNOUNCED] = { "remove-unannounced",
		"VIRTIO-1.2: Device Types / Console Device / Device Operation / Multiport Device Operation #2" },
	[CONSOLE_FAULT_EMERG_WR_NEEDS_DRIVER_OK] = { "emerg-wr-needs-driver-ok",
		"VIRTIO-1.2: Device Types / Console Device / Device Initialization #1" },
};

struct control_message {
	uint32_t id;
	uint16_t event, value;
};

struct console_state {
	struct console_ports ports;
	bool ready;                                  /* the driver sent DEVICE_READY (multiport) */
	bool added[CONSOLE_MAX_PORTS];               /* DEVICE_ADD sent in this session */
	uint8_t ctrl[CTRL_PENDING][CTRL_MESSAGE_MAX];/* control messages waiting for control receiveq buffers */
	uint8_t ctrl_len[CTRL_PENDING];
	unsigned ctrl_head, ctrl_count;
};

static bool multiport(const struct vdev *dev)
{
	return vdev_has_feature(dev, VIRTIO_CONSOLE_F_MULTIPORT);
}

static unsigned rx_queue(unsigned port)
{
	return port == 0 ? 0 : 2 * port + 2;
}

/* A queue the device may use now: set up by the driver, the device running and not broken. */
static bool queue_live(const struct vdev *dev, unsigned queue)
{
	return queue < dev->num_queues && dev->queues[queue].ready && (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(dev->status & VIRTIO_STATUS_NEEDS_RESET) && (queue < 2 || multiport(dev));
}

static void queue_control(struct console_state *st, uint32_t id, uint16_t event, uint16_t value, const char *text)
{
	if (st->ctrl_count == CTRL_PENDING)
		return;   /* the driver posts no control buffers: later messages are lost, as on a full host queue */
	unsigned slot = (st->ctrl_head + st->ctrl_count++) % CTRL_PENDING;
	struct control_message m = { id, event, value };
	size_t text_len = text ? strlen(text) : 0;
	if (text_len > CTRL_MESSAGE_MAX - sizeof(m))
		text_len = CTRL_MESSAGE_MAX - sizeof(m);
	memcpy(st->ctrl[slot], &m, sizeof(m));
	memcpy(st->ctrl[slot] + sizeof(m), text ? text : "", text_len);
	st->ctrl_len[slot] = (uint8_t)(sizeof(m) + text_len);
}

static void flush_control(struct vdev *dev)
{
	struct console_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	if (!queue_live(dev, CTRL_RX))
		return;
	bool used = false;
	while (st->ctrl_count && vdev_take(dev, CTRL_RX, chain) == VIRTQ_TAKEN) {
		unsigned slot = st->ctrl_head;
		size_t n = virtq_chain_write(chain, &dev->mem, 0, st->ctrl[slot], st->ctrl_len[slot]);
		vdev_complete(dev, CTRL_RX, chain, (uint32_t)n);
		st->ctrl_head = (st->ctrl_head + 1) % CTRL_PENDING;
		st->ctrl_count--;
		used = true;
	}
	if (used)
		vdev_notify_used(dev, CTRL_RX);
}

/* Host output of one port into its receiveq, as far as the driver gave buffers. */
static void flush_port(struct vdev *dev, unsigned port)
{
	struct console_state *st = dev->state;
	struct console_port *p = &st->ports.port[port];
	struct virtq_chain *chain = &dev->scratch;
	unsigned queue = rx_queue(port);
	if (!queue_live(dev, queue) || (port && !st->added[port]))
		return;
	bool used = false;
	while (p->out_len && vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		size_t n = virtq_chain_write(chain, &dev->mem, 0, p->out, p->out_len);
		vdev_complete(dev, queue, chain, (uint32_t)n);
		memmove(p->out, p->out + n, p->out_len - n);
		p->out_len -= n;
		used = true;
	}
	if (used)
		vdev_notify_used(dev, queue);
}

static void flush_everything(struct vdev *dev)
{
	struct console_state *st = dev->state;
	for (unsigned port = 0; port < st->ports.max_ports; port++)
		flush_port(dev, port);
	flush_control(dev);
}

/* The host plugged (present) or removed a port: announce it to a driver that sent DEVICE_READY. */
static void port_plugged(void *ctx, unsigned port, bool present)
{
	struct vdev *dev = ctx;
	struct console_state *st = dev->state;
	if (!st->ready)
		return;
	if (present && !st->added[port]) {
		st->added[port] = true;
		queue_control(st, port, CTRL_DEVICE_ADD, 0, NULL);
	} else if (!present) {
		/* Multiport #2: DEVICE_REMOVE only for a port added before; the fault names one that never was. */
		if (vdev_fault(dev, CONSOLE_FAULT_REMOVE_UNANNOUNCED))
			queue_control(st, st->ports.max_ports, CTRL_DEVICE_REMOVE, 0, NULL);
		else if (st->added[port])
			queue_control(st, port, CTRL_DEVICE_REMOVE, 0, NULL);
		st->added[port] = false;
	}
}

static unsigned ask_peers(void *ctx, const char *model, const char *request, char *reply, size_t size)
{
	struct vdev *dev = ctx;
	return dev->host.peer_request ? dev->host.peer_request(dev->host.ctx, model, request, reply, size) : 0;
}

static bool console_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	struct console_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	dev->state = st;
	if (!console_ports_init(&st->ports, options, err, err_size))
		return false;
	st->ports.ctx = dev;
	st->ports.plugged = port_plugged;
	st->ports.ask_peers = ask_peers;
	dev->num_queues = 2 * (st->ports.max_ports + 1);
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) |
		       VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE) | VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT) |
		       VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);
	dev->config_size = CONFIG_BYTES;
	uint16_t cols = 80, rows = 25;
	uint32_t max_nr_ports = st->ports.max_ports;
	memcpy(dev->config, &cols, 2);
	memcpy(dev->config + 2, &rows, 2);
	memcpy(dev->config + CONFIG_MAX_NR_PORTS, &max_nr_ports, 4);
	return true;
}

static void console_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

/* Device reset: the session's announcements go; the host side (port wiring, output not yet read) stays. */
static void console_reset(struct vdev *dev)
{
	struct console_state *st = dev->state;
	st->ready = false;
	memset(st->added, 0, sizeof(st->added));
	st->ctrl_head = st->ctrl_count = 0;
}

static void handle_control(struct vdev *dev, const struct control_message *m)
{
	struct console_state *st = dev->state;
	switch (m->event) {
	case CTRL_DEVICE_READY:
		if (m->value != 1 || st->ready)
			break;
		st->ready = true;
		/* Multiport #1: each present port once, all below max_nr_ports; the fault adds port 0 twice. */
		for (unsigned port = 0; port < st->ports.max_ports; port++)
			if (st->ports.port[port].present) {
				st->added[port] = true;
				queue_control(st, port, CTRL_DEVICE_ADD, 0, NULL);
			}
		if (vdev_fault(dev, CONSOLE_FAULT_DEVICE_ADD_TWICE))
			queue_control(st, 0, CTRL_DEVICE_ADD, 0, NULL);
		break;
	case CTRL_PORT_READY:
		if (m->id >= st->ports.max_ports || !st->added[m->id] || m->value != 1)
			break;
		if (m->id == 0)
			queue_control(st, 0, CTRL_CONSOLE_PORT, 1, NULL);
		if (st->ports.port[m->id].name[0])
			queue_control(st, m->id, CTRL_PORT_NAME, 1, st->ports.port[m->id].name);
		queue_control(st, m->id, CTRL_PORT_OPEN, 1, NULL);   /* the host end is always connected */
		break;
	case CTRL_PORT_OPEN:
		if (m->id < st->ports.max_ports)
			st->ports.port[m->id].guest_open = m->value == 1;
		break;
	default:
		break;
	}
}

/* Bytes the driver transmitted on a port (or its control messages): read in pieces, handed to the host side. */
static void drain_transmit(struct vdev *dev, unsigned queue)
{
	struct console_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		if (queue == CTRL_TX) {
			struct control_message m;
			if (virtq_chain_read(chain, &dev->mem, 0, &m, sizeof(m)) == sizeof(m))
				handle_control(dev, &m);
		} else {
			unsigned port = queue == 1 ? 0 : (queue - 3) / 2;
			uint8_t piece[256];
			for (uint64_t offset = 0; offset < chain->readable_bytes; offset += sizeof(piece)) {
				size_t n = virtq_chain_read(chain, &dev->mem, offset, piece, sizeof(piece));
				if (!n)
					break;
				console_port_receive(&st->ports, port, piece, n);
			}
		}
		vdev_complete(dev, queue, chain, 0);
	}
	vdev_notify_used(dev, queue);
}

static void console_process(struct vdev *dev, unsigned queue)
{
	if (queue >= 2 && !multiport(dev))
		return;   /* only port 0's queues exist without MULTIPORT */
	if (queue == 1 || queue == CTRL_TX || (queue > CTRL_TX && queue % 2 == 1))
		drain_transmit(dev, queue);
	flush_everything(dev);
}

/* emerg_wr: accepted at any time (Device Initialization #1), its low byte goes to port 0's host end and the log (#2). */
static void console_config_written(struct vdev *dev, uint32_t offset, uint32_t len)
{
	struct console_state *st = dev->state;
	if (offset > CONFIG_EMERG_WR || offset + len <= CONFIG_EMERG_WR)
		return;
	uint8_t byte = dev->config[CONFIG_EMERG_WR];
	memset(dev->config + CONFIG_EMERG_WR, 0, 4);
	if (!vdev_has_feature(dev, VIRTIO_CONSOLE_F_EMERG_WRITE) && (dev->status & VIRTIO_STATUS_FEATURES_OK))
		return;   /* a driver that negotiated without the feature has no emerg_wr */
	if (vdev_fault(dev, CONSOLE_FAULT_EMERG_WR_NEEDS_DRIVER_OK) && !(dev->status & VIRTIO_STATUS_DRIVER_OK))
		return;   /* fault: dropped until the device is configured */
	char line[CONSOLE_LINE_MAX + 16];
	if (console_port_receive_emergency(&st->ports, byte, line + 9, sizeof(line) - 9) && dev->host.log) {
		memcpy(line, "emerg_wr ", 9);
		dev->host.log(dev->host.ctx, line);
	}
	flush_everything(dev);
}

const struct vdev_model model_console = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.faults = console_faults,
	.fault_count = CONSOLE_FAULT_COUNT,
	.create = console_create,
	.destroy = console_destroy,
	.reset = console_reset,
	.process_queue = console_process,
	.config_written = console_config_written,
};
