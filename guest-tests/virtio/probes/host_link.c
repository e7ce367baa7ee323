/* The probe's host link: a console device session (port 0, no MULTIPORT) that writes one request line and reads reply lines. */
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "text_format.h"

#define RX_SLOTS 4
#define RX_BYTES 128

static struct vsession link;
static bool link_open;
static char rx[RX_SLOTS][RX_BYTES] __attribute__((aligned(16)));
static char tx[RX_BYTES] __attribute__((aligned(16)));
static char line[RX_BYTES];
static size_t line_len;

static int slot_of[VIRTQ_MAX_SIZE];   /* receive buffer id -> rx slot */

static bool post_rx(int slot)
{
	uint16_t id;
	struct vbuf b = { rx[slot], RX_BYTES, true };
	if (virtq_add(&link.q[0], &b, 1, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK)
		return false;
	slot_of[id] = slot;
	return true;
}

static bool open_link(char *why, size_t size)
{
	uint32_t running = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			   VIRTIO_STATUS_DRIVER_OK;
	if (link_open && vmmio_status(link.t) == running)
		return true;   /* still ours: no other case reset the console since */
	link_open = false;
	line_len = 0;
	struct vdev *d = vdev_find(VIRTIO_ID_CONSOLE);
	if (!d) {
		text_format(why, size, "no console device (DeviceID 3) for the host link");
		return false;
	}
	/* Quiet open: a failure here is the host link's, reported by the caller. */
	vmmio_negotiate(&d->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	const char *err = "";
	link.d = d;
	link.t = &d->t;
	link.queues = 2;
	static struct virtq_storage mem[2];
	for (int i = 0; i < 2; i++) {
		virtq_init(&link.q[i], &mem[i], VIRTQ_SPLIT, 8, (uint16_t)i, false);
		if (!vmmio_queue_enable(link.t, &link.q[i], &err)) {
			text_format(why, size, "%s: console queue %d: %s", vdev_name(d), i, err);
			return false;
		}
	}
	vmmio_set_status(link.t, running);
	for (int i = 0; i < RX_SLOTS; i++)
		post_rx(i);
	vmmio_notify(link.t, &link.q[0]);
	link_open = true;
	return true;
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

bool host_link_request(const char *request, const char *reply_prefix, char *reply, size_t size,
		       int timeout_ms)
{
	if (!open_link(reply, size))
		return false;
	size_t n = 0;
	while (request[n] && n + 1 < sizeof(tx))
		tx[n] = request[n], n++;
	tx[n++] = '\n';
	struct virtq_used u;
	uint16_t id;
	struct vbuf b = { tx, (uint32_t)n, false };
	if (virtq_add(&link.q[1], &b, 1, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK) {
		text_format(reply, size, "console transmit queue full");
		return false;
	}
	vmmio_notify(link.t, &link.q[1]);
	if (vmmio_wait_used(link.t, &link.q[1], 1000000, &u) != VIRTQ_OK) {
		text_format(reply, size, "console did not take the request line");
		return false;
	}
	return host_link_await(reply_prefix, reply, size, timeout_ms);
}

bool host_link_await(const char *reply_prefix, char *reply, size_t size, int timeout_ms)
{
	struct virtq_used u;
	if (!open_link(reply, size))
		return false;
	uint64_t end = vmmio_now_us(link.t) + (uint64_t)timeout_ms * 1000;
	while (vmmio_now_us(link.t) < end) {
		enum virtq_result r = vmmio_wait_used(link.t, &link.q[0], 10000, &u);
		if (r == VIRTQ_EMPTY)
			continue;
		if (r != VIRTQ_OK) {
			text_format(reply, size, "console receive queue: %s", virtq_result_name(r));
			return false;
		}
		int slot = slot_of[u.id];
		for (uint32_t i = 0; i < u.len; i++) {
			char c = rx[slot][i];
			if (c == '\r')
				continue;
			if (c != '\n') {
				if (line_len + 1 < sizeof(line))
					line[line_len++] = c;
				continue;
			}
			line[line_len] = '\0';
			line_len = 0;
			if (starts_with(line, reply_prefix)) {
				text_format(reply, size, "%s", line);
				post_rx(slot);
				vmmio_notify(link.t, &link.q[0]);
				return true;
			}
		}
		post_rx(slot);
		vmmio_notify(link.t, &link.q[0]);
	}
	text_format(reply, size, "no '%s' line from the host within %d ms", reply_prefix, timeout_ms);
	return false;
}
