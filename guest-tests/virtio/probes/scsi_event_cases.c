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

/* The host runs hot-plug steps ('plug', 'unplug', 'plugcd', 'changecd', 'unplugcd', 'mark': grow
 * the disk, joined by '+') in one round trip;
 * *target (if not NULL) gets the plugged device's SCSI target. */
static bool host_hotplug(uint32_t nonce, const char *action, uint32_t *target, char *reply, size_t size)
{
	char request[96], prefix[96];
	if (text_format(request, sizeof(request), "AVPS-SCSIHOTPLUG %x %s", nonce, action) >= (int)sizeof(request) ||
	    text_format(prefix, sizeof(prefix), "AVPS-SCSIHOTPLUG-REPLY %x %s ", nonce, action) >= (int)sizeof(prefix)) {
		text_format(reply, size, "probe: request for '%s' too long", action);
		return false;
	}
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

/* Reads events until `marks` PARAM_CHANGEs for targets other than `skip_target` came (the
 * host's markers), checking each event before them with `bad`; false when the case failed. */
static bool events_until_markers(struct vsession *s, int marks, uint32_t skip_target,
				 bool (*bad)(const struct scsi_event *ev, uint32_t target), const char *what)
{
	struct scsi_event ev;
	for (int seen = 0; seen < 2 * EVENT_SLOTS; seen++) {
		int got = next_event(s, 1000000, &ev);
		if (got < 0)
			return false;
		if (!probe_check(got > 0, "%s: %d marker PARAM_CHANGE(s) missing 1 s after %s", vdev_name(s->d), marks, what))
			return false;
		if (bad(&ev, skip_target))
			return false;
		if ((ev.event & ~SCSI_T_EVENTS_MISSED) == SCSI_T_PARAM_CHANGE && ev.lun[1] != skip_target && --marks == 0)
			return true;
	}
	return probe_check(false, "%s: %d events after %s without the host's marker PARAM_CHANGE", vdev_name(s->d),
			   2 * EVENT_SLOTS, what);
}

static bool hotplug_event(const struct scsi_event *ev, uint32_t target)
{
	(void)target;
	uint32_t type = ev->event & ~SCSI_T_EVENTS_MISSED;
	return !probe_check(!(type == SCSI_T_TRANSPORT_RESET &&
			      (ev->reason == SCSI_EVT_RESET_RESCAN || ev->reason == SCSI_EVT_RESET_REMOVED)),
			    "TRANSPORT_RESET with reason %u (RESCAN 1 / REMOVED 2) for target %u after the host's hot-plug, "
			    "although VIRTIO_SCSI_F_HOTPLUG was not negotiated", ev->reason, ev->lun[1]);
}

static bool mmc_param_change(const struct scsi_event *ev, uint32_t cd)
{
	return !probe_check(!((ev->event & ~SCSI_T_EVENTS_MISSED) == SCSI_T_PARAM_CHANGE && ev->lun[1] == cd),
			    "PARAM_CHANGE (reason 0x%x) for target %u, the SCSI CD (an MMC device), after the host changed "
			    "its medium", ev->reason, cd);
}

/* Opens the SCSI device with CHANGE (not HOTPLUG) negotiated and eventq supplied. */
static struct vdev *events_open(struct vsession *s)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	if (!d)
		return NULL;
	if (!(d->t.offered & VIRTIO_BIT(SCSI_F_CHANGE))) {
		probe_skip("%s does not offer VIRTIO_SCSI_F_CHANGE (its PARAM_CHANGE marks the end of the check)", vdev_name(d));
		return NULL;
	}
	if (!vs_open(s, d, VIRTIO_BIT(SCSI_F_CHANGE), 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return NULL;
	for (int i = 0; i < EVENT_SLOTS; i++)
		post_event_buffer(s, i);
	vmmio_notify(s->t, &s->q[SCSI_EVENTQ]);
	return d;
}

PROBE_CASE(scsi_no_hotplug_events, "virtio.scsi.no_hotplug_events_without_feature", AVPS_CHECKS("with VIRTIO_SCSI_F_CHANGE but not HOTPLUG negotiated, the host hot-plugging and then removing a SCSI disk brings no TRANSPORT_RESET with reason RESCAN or REMOVED before the PARAM_CHANGE of a resize the host makes right after each"),
	   DT "SCSI Host Device / Device Operation / Device Operation: eventq #3")
static void scsi_no_hotplug_events(void)
{
	struct vsession s;
	char reply[120];
	if (!events_open(&s))
		return;
	uint32_t nonce = ((uint32_t)timer_count() & 0xffffu) << 8;
	if (!host_hotplug(nonce, "plug+mark+unplug+mark", NULL, reply, sizeof(reply)))
		probe_skip("host cannot hot-plug a SCSI disk: %s", reply);   /* no such host service here */
	else
		events_until_markers(&s, 2, 0xffffffffu, hotplug_event, "the host's hot-plug and removal");
	vs_close(&s);
}

PROBE_CASE(scsi_no_mmc_param_change, "virtio.scsi.no_param_change_for_mmc", AVPS_CHECKS("with VIRTIO_SCSI_F_CHANGE negotiated, the host changing the medium of a hot-plugged SCSI CD for a larger one brings no PARAM_CHANGE for the CD's target before the PARAM_CHANGE of the disk the host grows right after"),
	   DT "SCSI Host Device / Device Operation / Device Operation: eventq #4")
static void scsi_no_mmc_param_change(void)
{
	struct vsession s;
	char reply[120];
	uint32_t cd = 0;
	if (!events_open(&s))
		return;
	uint32_t nonce = (((uint32_t)timer_count() & 0xffffu) << 8) | 0x80;
	if (!host_hotplug(nonce, "plugcd+changecd+mark+unplugcd", &cd, reply, sizeof(reply)))
		probe_skip("host cannot hot-plug a SCSI CD and change its medium: %s", reply);   /* no such host service here */
	else if (events_until_markers(&s, 1, cd, mmc_param_change, "the host's CD medium change"))
		probe_diag("%s: CD at target %u: medium changed, no PARAM_CHANGE for it before the disk's", vdev_name(s.d), cd);
	vs_close(&s);
}
