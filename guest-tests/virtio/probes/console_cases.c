/* Console device statement cases (VIRTIO 1.2 §5.3): multiport control messages. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define CONSOLE_F_MULTIPORT 1
#define CONSOLE_DEVICE_READY 0
#define CONSOLE_DEVICE_ADD 1
#define CONSOLE_DEVICE_REMOVE 2
#define C_IVQ 2   /* control receiveq: after port 0's receiveq and transmitq */
#define C_OVQ 3
#define CTRL_SLOTS 8

struct console_control {
	uint32_t id;
	uint16_t event, value;
};

static struct console_control in_msgs[CTRL_SLOTS] __attribute__((aligned(16)));
static struct console_control out_msg __attribute__((aligned(16)));
static int slot_of[VIRTQ_MAX_SIZE];

static void post_control_buffer(struct vsession *s, int slot)
{
	uint16_t id;
	struct vbuf b = { &in_msgs[slot], sizeof(in_msgs[slot]), true };
	if (virtq_add(&s->q[C_IVQ], &b, 1, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK)
		slot_of[id] = slot;
}

PROBE_CASE(console_device_add, "virtio.console.device_add_ports_valid", AVPS_CHECKS("after DEVICE_READY, every DEVICE_ADD the multiport console sends names a port below max_nr_ports that was not added before"),
	   DT "Console Device / Device Operation / Multiport Device Operation #1")
static void console_device_add(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_CONSOLE, "console device");
	struct vsession s;
	struct virtq_used u;
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(CONSOLE_F_MULTIPORT))) {
		probe_skip("%s does not offer VIRTIO_CONSOLE_F_MULTIPORT", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(CONSOLE_F_MULTIPORT), 4, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint32_t max_ports = (uint32_t)vmmio_config(&d->t, 4, 4);
	for (int i = 0; i < CTRL_SLOTS; i++)
		post_control_buffer(&s, i);
	vmmio_notify(s.t, &s.q[C_IVQ]);
	out_msg = (struct console_control){ 0, CONSOLE_DEVICE_READY, 1 };
	struct vbuf b = { &out_msg, sizeof(out_msg), false };
	if (!vs_call(&s, C_OVQ, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "DEVICE_READY"))
		goto out;
	uint64_t added = 0;
	int adds = 0;
	/* Collect the device's control messages: up to 200 ms, or 30 ms after the last one. */
	uint64_t end = vmmio_now_us(s.t) + 200000;
	while (vmmio_now_us(s.t) < end) {
		enum virtq_result r = vmmio_wait_used(s.t, &s.q[C_IVQ], 10000, &u);
		if (r == VIRTQ_EMPTY)
			continue;
		if (!vdev_used_ok(d, r, &u, "control receiveq"))
			goto out;
		int slot = slot_of[u.id];
		struct console_control m = in_msgs[slot];
		if (m.event == CONSOLE_DEVICE_ADD) {
			adds++;
			bool fresh = m.id < 64 && !((added >> m.id) & 1);
			probe_check(m.id < max_ports && fresh, "%s: DEVICE_ADD for port %u (max_nr_ports %u)%s", vdev_name(d),
				    m.id, max_ports, fresh ? "" : ", already added");
			if (m.id < 64)
				added |= 1ULL << m.id;
		}
		post_control_buffer(&s, slot);
		vmmio_notify(s.t, &s.q[C_IVQ]);
		uint64_t quiet = vmmio_now_us(s.t) + 30000;
		if (quiet < end)
			end = quiet;
	}
	probe_diag("%s: %d DEVICE_ADD messages, max_nr_ports %u", vdev_name(d), adds, max_ports);
	probe_check(adds > 0, "%s: no DEVICE_ADD within 200 ms of DEVICE_READY: nothing to check", vdev_name(d));
out:
	vs_close(&s);
}
