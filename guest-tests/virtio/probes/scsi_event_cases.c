/* SCSI host eventq statement cases (VIRTIO 1.2 §5.6.6.3): events lost for want of buffers are reported (bit 31); no hot-plug events without VIRTIO_SCSI_F_HOTPLUG. */
#include "cpu.h"
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "statements.h"
#include "text_format.h"

#define SCSI_F_HOTPLUG 1
#define SCSI_F_CHANGE 2
#define SCSI_T_TRANSPORT_RESET 1
#define SCSI_EVT_RESET_RESCAN 1
#define SCSI_EVT_RESET_REMOVED 2
#define SCSI_EVENTQ 1
#define SCSI_T_PARAM_CHANGE 3
#define SCSI_T_EVENTS_MISSED 0x80000000u
#define EVENT_SLOTS 4

struct scsi_event {
	uint32_t event;
	uint8_t lun[8];
	uint32_t reason;
} __attribute__((packed));

static struct scsi_event events[EVENT_SLOTS] __attribute__((aligned(16)));
static int slot_of[VIRTQ_MAX_SIZE];

/* The host grows the SCSI disk by 1 MiB: a capacity change the device reports as PARAM_CHANGE. */
static bool host_resizes_disk(uint32_t nonce, char *reply, size_t size)
{
	char request[48], prefix[48];
	text_format(request, sizeof(request), "AVPS-SCSIRESIZE %x 1", nonce);
	text_format(prefix, sizeof(prefix), "AVPS-SCSIRESIZE-REPLY %x 1 ", nonce);
	return host_link_request(request, prefix, reply, size, 5000) && __builtin_strcmp(reply + __builtin_strlen(prefix), "ok") == 0;
}

/* The host hot-plugs, removes or changes the medium of a SCSI disk or CD ('plug', 'unplug',
 * 'plugcd', 'changecd', 'unplugcd');
 * *target (if not NULL) gets the plugged device's SCSI target. */
static bool host_hotplug(uint32_t nonce, const char *action, uint32_t *target, char *reply, size_t size)
{
	char request[48], prefix[48];
	text_format(request, sizeof(request), "AVPS-SCSIHOTPLUG %x %s", nonce, action);
	text_format(prefix, sizeof(prefix), "AVPS-SCSIHOTPLUG-REPLY %x %s ", nonce, action);
	if (!host_link_request(request, prefix, reply, size, 5000))
		return false;
	const char *outcome = reply + __builtin_strlen(prefix);
	if (__builtin_strncmp(outcome, "ok", 2) != 0)
		return false;
	if (target) {
		const char *t = __builtin_strchr(outcome, '=');
		*target = 0;
		for (t = t ? t + 1 : ""; *t >= '0' && *t <= '9'; t++)
			*target = *target * 10 + (uint32_t)(*t - '0');
	}
	return true;
}

static void post_event_buffer(struct vsession *s, int slot)
{
	uint16_t id;
	events[slot] = (struct scsi_event){ 0xa5a5a5a5u, { 0 }, 0 };
	struct vbuf b = { &events[slot], sizeof(events[slot]), true };
	if (virtq_add(&s->q[SCSI_EVENTQ], &b, 1, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK)
		slot_of[id] = slot;
}

/* The next event within timeout_us into *ev: 1, 0 (none) or -1 (a broken used entry). */
static int next_event(struct vsession *s, uint32_t timeout_us, struct scsi_event *ev)
{
	struct virtq_used u;
	enum virtq_result r = vmmio_wait_used(s->t, &s->q[SCSI_EVENTQ], timeout_us, &u);
	if (r == VIRTQ_EMPTY)
		return 0;
	if (!vdev_used_ok(s->d, r, &u, "eventq"))
		return -1;
	*ev = events[slot_of[u.id]];
	post_event_buffer(s, slot_of[u.id]);   /* keep eventq supplied */
	vmmio_notify(s->t, &s->q[SCSI_EVENTQ]);
	return 1;
}

PROBE_CASE(scsi_events_missed, "virtio.scsi.events_missed_reported", AVPS_CHECKS("with VIRTIO_SCSI_F_CHANGE negotiated, a capacity change the host makes while eventq holds no buffer is either delivered once buffers come or reported lost: the next event carries bit 31 (VIRTIO_SCSI_T_EVENTS_MISSED)"),
	   DT "SCSI Host Device / Device Operation / Device Operation: eventq #1")
static void scsi_events_missed(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	struct vsession s;
	char reply[120];
	struct scsi_event ev = { 0 };
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(SCSI_F_CHANGE))) {
		probe_skip("%s does not offer VIRTIO_SCSI_F_CHANGE", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(SCSI_F_CHANGE), 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint32_t nonce = (uint32_t)timer_count() & 0xffffffu;
	if (!host_resizes_disk(nonce, reply, sizeof(reply))) {   /* eventq is empty: the event has nowhere to go */
		probe_skip("host cannot resize the SCSI disk: %s", reply);   /* no such host service here */
		goto out;
	}
	for (int i = 0; i < 2; i++)
		post_event_buffer(&s, i);
	vmmio_notify(s.t, &s.q[SCSI_EVENTQ]);
	int got = next_event(&s, 200000, &ev);
	bool second = false;
	if (got == 0) {
		/* Nothing yet: bit 31 may ride on the next real event. */
		if (!host_resizes_disk(nonce + 1, reply, sizeof(reply))) {
			probe_check(false, "%s: the host's second resize failed: %s", vdev_name(d), reply);
			goto out;
		}
		got = next_event(&s, 1000000, &ev);
		second = true;
	}
	if (got < 0)
		goto out;
	if (!probe_check(got > 0, "%s: no event within 1.2 s: the PARAM_CHANGE raised while eventq was empty was "
			 "lost and never reported (bit 31)", vdev_name(d)))
		goto out;
	const char *when = second ? "with the next capacity change" : "once eventq had buffers";
	bool kept = !second && ev.event == SCSI_T_PARAM_CHANGE;   /* queued, not lost */
	probe_diag("%s: first event %s: 0x%08x reason 0x%x", vdev_name(d), when, ev.event, ev.reason);
	probe_check((ev.event & SCSI_T_EVENTS_MISSED) || kept, "%s: a PARAM_CHANGE was raised while eventq had no "
		    "buffer; the first event %s is 0x%08x, without bit 31 (EVENTS_MISSED)", vdev_name(d), when, ev.event);
out:
	vs_close(&s);
}

/* The host hot-plugs (or unplugs) a SCSI disk, then grows the first disk as a marker; every
 * event up to the marker's PARAM_CHANGE is checked. False when the case cannot go on. */
static bool hotplug_then_marker(struct vsession *s, uint32_t nonce, const char *action)
{
	char reply[120];
	if (!host_hotplug(nonce, action, NULL, reply, sizeof(reply))) {
		probe_skip("host cannot hot-plug a SCSI disk (%s): %s", action, reply);   /* no such host service here */
		return false;
	}
	if (!host_resizes_disk(nonce, reply, sizeof(reply)))
		return probe_check(false, "%s: the host's marker resize failed: %s", vdev_name(s->d), reply);
	struct scsi_event ev;
	for (int seen = 0; seen < 8; seen++) {
		int got = next_event(s, 1000000, &ev);
		if (got < 0)
			return false;
		if (!probe_check(got > 0, "%s: no PARAM_CHANGE within 1 s of the host's resize after the %s", vdev_name(s->d),
				 action))
			return false;
		uint32_t type = ev.event & ~SCSI_T_EVENTS_MISSED;
		if (!probe_check(!(type == SCSI_T_TRANSPORT_RESET &&
				   (ev.reason == SCSI_EVT_RESET_RESCAN || ev.reason == SCSI_EVT_RESET_REMOVED)),
				 "%s: TRANSPORT_RESET with reason %u (RESCAN 1 / REMOVED 2) after a hot-%s, although "
				 "VIRTIO_SCSI_F_HOTPLUG was not negotiated", vdev_name(s->d), ev.reason, action))
			return false;
		if (type == SCSI_T_PARAM_CHANGE)
			return true;
	}
	return probe_check(false, "%s: 8 events after the %s, none the marker's PARAM_CHANGE", vdev_name(s->d), action);
}

PROBE_CASE(scsi_no_hotplug_events, "virtio.scsi.no_hotplug_events_without_feature", AVPS_CHECKS("with VIRTIO_SCSI_F_CHANGE but not HOTPLUG negotiated, the host hot-plugging and then removing a SCSI disk brings no TRANSPORT_RESET with reason RESCAN or REMOVED before the PARAM_CHANGE of a resize the host makes right after"),
	   DT "SCSI Host Device / Device Operation / Device Operation: eventq #3")
static void scsi_no_hotplug_events(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	struct vsession s;
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(SCSI_F_CHANGE))) {
		probe_skip("%s does not offer VIRTIO_SCSI_F_CHANGE (its PARAM_CHANGE marks the end of the check)", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(SCSI_F_CHANGE), 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	for (int i = 0; i < EVENT_SLOTS; i++)
		post_event_buffer(&s, i);
	vmmio_notify(s.t, &s.q[SCSI_EVENTQ]);
	uint32_t nonce = ((uint32_t)timer_count() & 0xffffu) << 8;
	if (hotplug_then_marker(&s, nonce, "plug"))
		hotplug_then_marker(&s, nonce + 1, "unplug");
	vs_close(&s);
}

PROBE_CASE(scsi_no_mmc_param_change, "virtio.scsi.no_param_change_for_mmc", AVPS_CHECKS("with VIRTIO_SCSI_F_CHANGE negotiated, the host changing the medium of a hot-plugged SCSI CD for a larger one brings no PARAM_CHANGE for the CD's target before the PARAM_CHANGE of the disk the host grows right after"),
	   DT "SCSI Host Device / Device Operation / Device Operation: eventq #4")
static void scsi_no_mmc_param_change(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	struct vsession s;
	struct scsi_event ev;
	char reply[120];
	uint32_t cd = 0;
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(SCSI_F_CHANGE))) {
		probe_skip("%s does not offer VIRTIO_SCSI_F_CHANGE", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(SCSI_F_CHANGE), 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	for (int i = 0; i < EVENT_SLOTS; i++)
		post_event_buffer(&s, i);
	vmmio_notify(s.t, &s.q[SCSI_EVENTQ]);
	uint32_t nonce = (((uint32_t)timer_count() & 0xffffu) << 8) | 0x80;
	if (!host_hotplug(nonce, "plugcd", &cd, reply, sizeof(reply))) {
		probe_skip("host cannot hot-plug a SCSI CD: %s", reply);   /* no such host service here */
		goto out;
	}
	if (!probe_check(host_hotplug(nonce + 1, "changecd", NULL, reply, sizeof(reply)), "%s: the host could not "
			 "change the CD's medium: %s", vdev_name(d), reply) ||
	    !probe_check(host_resizes_disk(nonce + 2, reply, sizeof(reply)), "%s: the host's marker resize failed: %s",
			 vdev_name(d), reply))
		goto unplug;
	for (int seen = 0; seen < 8; seen++) {
		int got = next_event(&s, 1000000, &ev);
		if (got < 0 || !probe_check(got > 0, "%s: no PARAM_CHANGE within 1 s of the host growing the disk",
					     vdev_name(d)))
			break;
		if ((ev.event & ~SCSI_T_EVENTS_MISSED) != SCSI_T_PARAM_CHANGE)
			continue;
		if (!probe_check(ev.lun[1] != cd, "%s: PARAM_CHANGE (reason 0x%x) for target %u, the SCSI CD (an MMC "
				 "device), after the host changed its medium", vdev_name(d), ev.reason, cd))
			break;
		probe_diag("%s: CD at target %u: medium changed, no PARAM_CHANGE for it; the disk's came (target %u)",
			   vdev_name(d), cd, ev.lun[1]);
		break;
	}
unplug:
	host_hotplug(nonce + 3, "unplugcd", NULL, reply, sizeof(reply));
out:
	vs_close(&s);
}
