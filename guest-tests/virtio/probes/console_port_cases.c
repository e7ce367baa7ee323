/* Console multiport hot-unplug statement case (VIRTIO 1.2 §5.3.6.2): the device's DEVICE_REMOVE names only ports it added before, seen while the host plugs and removes a port. */
#include "cpu.h"
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "statements.h"
#include "text_format.h"

#define CONSOLE_F_MULTIPORT 1
#define CONSOLE_DEVICE_READY 0
#define CONSOLE_DEVICE_ADD 1
#define CONSOLE_DEVICE_REMOVE 2
#define C_IVQ 2   /* control receiveq: after port 0's receiveq and transmitq */
#define C_OVQ 3
#define CTRL_SLOTS 8
#define COLLECT_US 1000000
#define QUIET_US 3000

struct console_control {
	uint32_t id;
	uint16_t event, value;
};

static struct console_control in_msgs[CTRL_SLOTS] __attribute__((aligned(16)));
static struct console_control out_msg __attribute__((aligned(16)));
static char line[48] __attribute__((aligned(16)));
static int slot_of[VIRTQ_MAX_SIZE];

static void post_control_buffer(struct vsession *s, int slot)
{
	uint16_t id;
	struct vbuf b = { &in_msgs[slot], sizeof(in_msgs[slot]), true };
	if (virtq_add(&s->q[C_IVQ], &b, 1, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK)
		slot_of[id] = slot;
}

/* What the control receiveq brought: DEVICE_ADDs (ports in *added) and DEVICE_REMOVEs, each
 * checked against the ports added before it. Collects until QUIET_US pass without a message
 * (after at least one REMOVE when want_remove), at most COLLECT_US. False on a broken entry. */
static bool collect(struct vsession *s, uint64_t *added, int *adds, int *removes, bool want_remove)
{
	struct virtq_used u;
	uint64_t start = vmmio_now_us(s->t), quiet_from = start;
	while (vmmio_now_us(s->t) < start + COLLECT_US) {
		if (vmmio_now_us(s->t) > quiet_from + QUIET_US && (!want_remove || *removes))
			return true;
		enum virtq_result r = vmmio_wait_used(s->t, &s->q[C_IVQ], 5000, &u);
		if (r == VIRTQ_EMPTY)
			continue;
		if (!vdev_used_ok(s->d, r, &u, "control receiveq"))
			return false;
		quiet_from = vmmio_now_us(s->t);
		int slot = slot_of[u.id];
		struct console_control m = in_msgs[slot];
		if (m.event == CONSOLE_DEVICE_ADD && m.id < 64) {
			*added |= 1ULL << m.id;
			(*adds)++;
		}
		if (m.event == CONSOLE_DEVICE_REMOVE) {
			(*removes)++;
			probe_check(m.id < 64 && ((*added >> m.id) & 1), "%s: DEVICE_REMOVE for port %u, which no DEVICE_ADD "
				    "announced (ports added: 0x%llx)", vdev_name(s->d), m.id, (unsigned long long)*added);
		}
		post_control_buffer(s, slot);
		vmmio_notify(s->t, &s->q[C_IVQ]);
	}
	return true;
}

PROBE_CASE(console_device_remove, "virtio.console.device_remove_names_added_port", AVPS_CHECKS("with MULTIPORT negotiated and DEVICE_READY sent, the host plugs one more port before and removes it during the session (QMP); every DEVICE_REMOVE names a port a DEVICE_ADD announced"),
	   DT "Console Device / Device Operation / Multiport Device Operation #2")
static void console_device_remove(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_CONSOLE, "console device");
	struct vsession s;
	struct virtq_used u;
	char request[48], prefix[48], reply[120];
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(CONSOLE_F_MULTIPORT))) {
		probe_skip("%s does not offer VIRTIO_CONSOLE_F_MULTIPORT", vdev_name(d));
		return;
	}
	uint32_t nonce = (uint32_t)timer_count() & 0xffffffu;
	text_format(request, sizeof(request), "AVPS-PORTHOTPLUG %x plug", nonce);
	text_format(prefix, sizeof(prefix), "AVPS-PORTHOTPLUG-REPLY %x plug ", nonce);
	if (!(host_link_request(request, prefix, reply, sizeof(reply), 5000) &&
	      __builtin_strcmp(reply + __builtin_strlen(prefix), "ok") == 0)) {
		probe_skip("host cannot hot-plug a console port: %s", reply);   /* no such host service here */
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(CONSOLE_F_MULTIPORT), 4, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	for (int i = 0; i < CTRL_SLOTS; i++)
		post_control_buffer(&s, i);
	vmmio_notify(s.t, &s.q[C_IVQ]);
	out_msg = (struct console_control){ 0, CONSOLE_DEVICE_READY, 1 };
	struct vbuf b = { &out_msg, sizeof(out_msg), false };
	uint64_t added = 0;
	int adds = 0, removes = 0;
	if (!vs_call(&s, C_OVQ, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "DEVICE_READY") ||
	    !collect(&s, &added, &adds, &removes, false))
		goto out;
	/* The removal request goes to the host on port 0's transmitq of this session (the host's
	 * reply stays unread: port 0 is not opened). */
	int n = text_format(line, sizeof(line), "AVPS-PORTHOTPLUG %x unplug\n", nonce);
	struct vbuf t = { line, (uint32_t)n, false };
	if (!vs_call(&s, 1, &t, 1, VIRTQ_CHAIN_DIRECT, &u, "unplug request on port 0") ||
	    !collect(&s, &added, &adds, &removes, true))
		goto out;
	probe_diag("%s: %d DEVICE_ADD, %d DEVICE_REMOVE", vdev_name(d), adds, removes);
	probe_check(removes > 0, "%s: no DEVICE_REMOVE within %u ms of asking the host to remove the port it "
		    "plugged: nothing to check", vdev_name(d), COLLECT_US / 1000);
out:
	vs_close(&s);
}
