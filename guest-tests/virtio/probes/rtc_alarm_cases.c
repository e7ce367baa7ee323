/* RTC device alarm statements (VIRTIO 1.4 Device Types / RTC Device / Alarm Operation): alarm requests, expirations, alarmq notifications, reset. */
#include "probe.h"
#include "rtc_session.h"

#include <string.h>

#define ALARM_IN_NS 30000000ull      /* an alarm 30 ms ahead */
#define NOTIF_WAIT_US 500000         /* a notification due now arrives well within this */
#define QUIET_US 60000               /* no further notification within this */
#define FAR_FUTURE 0xfffffffffffffff0ull

static uint8_t notif[4][16] __attribute__((aligned(16)));
static unsigned notif_next, notif_taken;   /* buffers posted / used since the alarmq was set up (used in order) */

/* Resets and opens the device again with VIRTIO_RTC_F_ALARM: a fresh alarmq, no buffer posted yet. */
static bool reopen_alarm(struct rtc *r)
{
	notif_next = notif_taken = 0;
	return rtc_open(r, true);
}

/* Opens with VIRTIO_RTC_F_ALARM (SKIP when not offered); the first clock with FLAG_ALARM_CAP, or -1. */
static int open_alarm(struct rtc *r)
{
	struct vdev *d = rtc_present();
	if (!d)
		return -1;
	if (!(d->t.offered & VIRTIO_BIT(RTC_F_ALARM))) {
		probe_skip("%s: VIRTIO_RTC_F_ALARM not offered", vdev_name(d));
		return -1;
	}
	if (!reopen_alarm(r))
		return -1;
	for (uint16_t id = 0; id < r->clocks && id < RTC_MAX_CLOCKS; id++)
		if (r->cap_flags[id] & RTC_FLAG_ALARM_CAP)
			return id;
	probe_check(false, "%s: VIRTIO_RTC_F_ALARM negotiated but no clock of %u has FLAG_ALARM_CAP", r->n, r->clocks);
	return -1;
}

/* Disables every alarm (time 0) the way a driver cleans up, then resets. */
static void close_alarm(struct rtc *r)
{
	if (r->s.t && rtc_alarm_negotiated(r))
		for (uint16_t id = 0; id < r->clocks && id < RTC_MAX_CLOCKS; id++)
			if (r->cap_flags[id] & RTC_FLAG_ALARM_CAP)
				rtc_set_alarm(r, id, 0, 0);
	rtc_close(r);
}

static bool post_notif_buffer(struct rtc *r)
{
	uint16_t id;
	uint8_t *buf = notif[notif_next++ % 4];
	memset(buf, 0xcc, 16);
	struct vbuf e = { buf, 16, true };
	enum virtq_result res = vmmio_post(r->s.t, &r->s.q[RTC_ALARMQ], &e, 1, VIRTQ_CHAIN_DIRECT, &id);
	return probe_check(res == VIRTQ_OK, "%s: alarmq buffer not posted: %s", r->n, virtq_result_name(res));
}

/* A notification within timeout_us: 1 (its clock_id in *clock), 0 none, -1 a failed check. */
static int take_notif(struct rtc *r, uint32_t timeout_us, uint16_t *clock)
{
	struct virtq_used u;
	enum virtq_result res = vmmio_wait_used(r->s.t, &r->s.q[RTC_ALARMQ], timeout_us, &u);
	if (res == VIRTQ_EMPTY && !(vmmio_status(r->s.t) & VIRTIO_STATUS_NEEDS_RESET))
		return 0;
	if (!vdev_used_ok(r->d, res, &u, "rtc alarmq buffer"))
		return -1;
	const uint8_t *buf = notif[notif_taken++ % 4];
	uint16_t type;
	memcpy(&type, buf, 2);
	memcpy(clock, buf + 8, 2);
	if (!probe_check(u.len >= 10 && type == RTC_NOTIF_ALARM, "%s: alarmq buffer used with length %u, msg_type 0x%04x; "
			 "expected NOTIF_ALARM (0x2000)", r->n, u.len, type))
		return -1;
	return 1;
}

static bool ok_status(struct rtc *r, unsigned st, const char *what)
{
	return st != RTC_NO_ANSWER && probe_check(st == RTC_S_OK, "%s: %s answered %s, expected S_OK", r->n, what,
						  rtc_status_name(st));
}

/* READ_ALARM of clock id: true with its time and enabled flag. */
static bool read_alarm(struct rtc *r, uint16_t id, uint64_t *time, bool *enabled)
{
	if (!ok_status(r, rtc_simple(r, RTC_REQ_READ_ALARM, id, 0), "READ_ALARM"))
		return false;
	*time = rtc_u64(r, 8);
	*enabled = r->resp[16] & RTC_FLAG_ALARM_ENABLED;
	return true;
}

static bool alarm_is(struct rtc *r, uint16_t id, uint64_t time, bool enabled, const char *after)
{
	uint64_t t;
	bool e;
	return read_alarm(r, id, &t, &e) &&
	       probe_check(t == time && e == enabled, "%s: after %s, READ_ALARM of clock %u gives time %llu %s, expected "
			   "%llu %s", r->n, after, id, (unsigned long long)t, e ? "enabled" : "disabled",
			   (unsigned long long)time, enabled ? "enabled" : "disabled");
}

PROBE_CASE_STANDALONE(rtc_alarm_not_negotiated, "virtio.rtc.alarm_requests_need_feature",
	   AVPS_CHECKS("without VIRTIO_RTC_F_ALARM negotiated, READ_ALARM, SET_ALARM and SET_ALARM_ENABLED of every clock "
		       "are answered S_ENODEV"),
	   RTC_ACR(1), RTC_AO(5))
static void rtc_alarm_not_negotiated(void)
{
	struct rtc r = { 0 };
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		unsigned a = rtc_simple(&r, RTC_REQ_READ_ALARM, id, 0), b = rtc_set_alarm(&r, id, FAR_FUTURE, 0),
			 c = rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, id, 0);
		if (!probe_check(a == RTC_S_ENODEV && b == RTC_S_ENODEV && c == RTC_S_ENODEV, "%s: clock %u without "
				 "VIRTIO_RTC_F_ALARM: READ_ALARM %s, SET_ALARM %s, SET_ALARM_ENABLED %s; expected S_ENODEV", r.n,
				 id, rtc_status_name(a), rtc_status_name(b), rtc_status_name(c)))
			break;
	}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_alarm_cap, "virtio.rtc.alarm_cap_matches_support",
	   AVPS_CHECKS("with VIRTIO_RTC_F_ALARM, some clock has FLAG_ALARM_CAP; READ_ALARM answers S_OK exactly for those "
		       "clocks, and the others answer S_ENODEV to READ_ALARM, SET_ALARM and SET_ALARM_ENABLED"),
	   RTC_AO(6), RTC_ACR(2))
static void rtc_alarm_cap(void)
{
	struct rtc r = { 0 };
	if (open_alarm(&r) < 0)
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		bool cap = r.cap_flags[id] & RTC_FLAG_ALARM_CAP;
		unsigned a = rtc_simple(&r, RTC_REQ_READ_ALARM, id, 0);
		if (!probe_check((a == RTC_S_OK) == cap, "%s: clock %u: FLAG_ALARM_CAP %s but READ_ALARM answered %s", r.n,
				 id, cap ? "set" : "clear", rtc_status_name(a)))
			break;
		if (cap)
			continue;
		unsigned b = rtc_set_alarm(&r, id, FAR_FUTURE, 0), c = rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, id, 0);
		if (!probe_check(a == RTC_S_ENODEV && b == RTC_S_ENODEV && c == RTC_S_ENODEV, "%s: clock %u without alarm: "
				 "READ_ALARM %s, SET_ALARM %s, SET_ALARM_ENABLED %s; expected S_ENODEV", r.n, id,
				 rtc_status_name(a), rtc_status_name(b), rtc_status_name(c)))
			break;
	}
out:
	close_alarm(&r);
}

PROBE_CASE_STANDALONE(rtc_alarm_set_read, "virtio.rtc.alarm_set_and_read_back",
	   AVPS_CHECKS("on an alarm clock, SET_ALARM of a far time (enabled, then another disabled) and SET_ALARM_ENABLED "
		       "on and off each answer S_OK and READ_ALARM gives back the time set and the enabled state; an "
		       "undefined flag bit is answered S_EINVAL"),
	   RTC_AO(4), RTC_ACR(3), RTC_ACR(4), RTC_ACR(6), RTC_ACR(7), RTC_ACR(8), RTC_ACR(9),
	   RTC_ACR(10), RTC_ACR(11), RTC_ACR(12), RTC_DO(7))
static void rtc_alarm_set_read(void)
{
	struct rtc r = { 0 };
	int id = open_alarm(&r);
	if (id < 0)
		goto out;
	uint16_t c = (uint16_t)id;
	if (!ok_status(&r, rtc_set_alarm(&r, c, FAR_FUTURE, RTC_FLAG_ALARM_ENABLED), "SET_ALARM of 2^64-16 ns, enabled") ||
	    !alarm_is(&r, c, FAR_FUTURE, true, "SET_ALARM enabled") ||
	    !ok_status(&r, rtc_set_alarm(&r, c, FAR_FUTURE - 12345, 0), "SET_ALARM, disabled") ||
	    !alarm_is(&r, c, FAR_FUTURE - 12345, false, "SET_ALARM disabled") ||
	    !ok_status(&r, rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, c, RTC_FLAG_ALARM_ENABLED), "SET_ALARM_ENABLED on") ||
	    !alarm_is(&r, c, FAR_FUTURE - 12345, true, "SET_ALARM_ENABLED on") ||
	    !ok_status(&r, rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, c, 0), "SET_ALARM_ENABLED off") ||
	    !alarm_is(&r, c, FAR_FUTURE - 12345, false, "SET_ALARM_ENABLED off"))
		goto out;
	unsigned st = rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, c, 0x02);
	if (st != RTC_NO_ANSWER)
		probe_check(st == RTC_S_EINVAL, "%s: SET_ALARM_ENABLED with undefined flag bit 1 answered %s, expected S_EINVAL",
			    r.n, rtc_status_name(st));
out:
	close_alarm(&r);
}

PROBE_CASE_STANDALONE(rtc_alarm_expiry, "virtio.rtc.alarm_fires_once_on_time",
	   AVPS_CHECKS("an alarm set 30 ms ahead (in ns) on an alarm clock is notified on the alarmq with NOTIF_ALARM for "
		       "that clock, once, not before the clock reads the alarm time and within 500 ms"),
	   RTC_AO(4), RTC_AO(7), RTC_AO(11), RTC_AO(12), RTC_ACR(5), RTC_RR(14), RTC_AN(1))
static void rtc_alarm_expiry(void)
{
	struct rtc r = { 0 };
	uint64_t now, after;
	uint16_t clock;
	int id = open_alarm(&r);
	if (id < 0 || !post_notif_buffer(&r) || !post_notif_buffer(&r) || !rtc_read(&r, (uint16_t)id, &now))
		goto out;
	uint64_t due = now + ALARM_IN_NS, g0 = rtc_guest_ns();
	if (!ok_status(&r, rtc_set_alarm(&r, (uint16_t)id, due, RTC_FLAG_ALARM_ENABLED), "SET_ALARM 30 ms ahead"))
		goto out;
	int got = take_notif(&r, NOTIF_WAIT_US, &clock);
	uint64_t waited = rtc_guest_ns() - g0;
	if (got < 0 || !probe_check(got == 1, "%s: no NOTIF_ALARM within 500 ms of an alarm set 30 ms ahead on clock %d",
				    r.n, id))
		goto out;
	if (!probe_check(clock == id && (r.cap_flags[clock < RTC_MAX_CLOCKS ? clock : 0] & RTC_FLAG_ALARM_CAP), "%s: "
			 "NOTIF_ALARM names clock %u, the alarm was set on clock %d", r.n, clock, id) ||
	    !rtc_read(&r, (uint16_t)id, &after) ||
	    !probe_check(after >= due, "%s: after NOTIF_ALARM (%llu us after SET_ALARM) clock %d reads %lld us before the "
			 "alarm time", r.n, (unsigned long long)(waited / 1000), id, (long long)((int64_t)(due - after) / 1000)))
		goto out;
	got = take_notif(&r, QUIET_US, &clock);
	if (got >= 0)
		probe_check(got == 0, "%s: a second NOTIF_ALARM (clock %u) for one expiration", r.n, clock);
out:
	close_alarm(&r);
}

PROBE_CASE_STANDALONE(rtc_alarm_past, "virtio.rtc.alarm_in_past_expires",
	   AVPS_CHECKS("SET_ALARM of a time already passed with FLAG_ALARM_ENABLED is notified at once; set disabled it is "
		       "not, and SET_ALARM_ENABLED on then is"),
	   RTC_AO(8), RTC_AO(9))
static void rtc_alarm_past(void)
{
	struct rtc r = { 0 };
	uint64_t now;
	uint16_t clock;
	int id = open_alarm(&r);
	if (id < 0 || !post_notif_buffer(&r) || !rtc_read(&r, (uint16_t)id, &now))
		goto out;
	uint64_t past = now > 1000000000ull ? now - 1000000000ull : 0;
	if (!ok_status(&r, rtc_set_alarm(&r, (uint16_t)id, past, RTC_FLAG_ALARM_ENABLED), "SET_ALARM 1 s back, enabled"))
		goto out;
	int got = take_notif(&r, NOTIF_WAIT_US, &clock);
	if (got < 0 || !probe_check(got == 1, "%s: SET_ALARM of a passed time with FLAG_ALARM_ENABLED: no NOTIF_ALARM", r.n) ||
	    !post_notif_buffer(&r) ||
	    !ok_status(&r, rtc_set_alarm(&r, (uint16_t)id, past, 0), "SET_ALARM 1 s back, disabled"))
		goto out;
	got = take_notif(&r, QUIET_US, &clock);
	if (got < 0 || !probe_check(got == 0, "%s: SET_ALARM of a passed time, disabled, was notified", r.n) ||
	    !ok_status(&r, rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, (uint16_t)id, RTC_FLAG_ALARM_ENABLED),
		       "SET_ALARM_ENABLED on"))
		goto out;
	got = take_notif(&r, NOTIF_WAIT_US, &clock);
	if (got >= 0)
		probe_check(got == 1, "%s: SET_ALARM_ENABLED of an alarm whose time has passed: no NOTIF_ALARM", r.n);
out:
	close_alarm(&r);
}

PROBE_CASE_STANDALONE(rtc_alarm_disable, "virtio.rtc.alarm_disable_stops_notification",
	   AVPS_CHECKS("an expiration with no alarmq buffer is notified as soon as a buffer is posted; one disabled "
		       "(SET_ALARM_ENABLED off) before a buffer is posted is never notified"),
	   RTC_AO(12), RTC_AO(16))
static void rtc_alarm_disable(void)
{
	struct rtc r = { 0 };
	uint64_t now;
	uint16_t clock;
	int id = open_alarm(&r);
	if (id < 0 || !rtc_read(&r, (uint16_t)id, &now))
		goto out;
	uint64_t past = now > 1000000000ull ? now - 1000000000ull : 0;
	if (!ok_status(&r, rtc_set_alarm(&r, (uint16_t)id, past, RTC_FLAG_ALARM_ENABLED), "SET_ALARM 1 s back, enabled"))
		goto out;
	rtc_wait_us(20000);
	if (!post_notif_buffer(&r))
		goto out;
	int got = take_notif(&r, NOTIF_WAIT_US, &clock);
	if (got < 0 || !probe_check(got == 1, "%s: an expiration waiting for an alarmq buffer: no NOTIF_ALARM once one "
				    "was posted", r.n) ||
	    !ok_status(&r, rtc_set_alarm(&r, (uint16_t)id, past, RTC_FLAG_ALARM_ENABLED), "SET_ALARM 1 s back, enabled") ||
	    !ok_status(&r, rtc_simple(&r, RTC_REQ_SET_ALARM_ENABLED, (uint16_t)id, 0), "SET_ALARM_ENABLED off") ||
	    !post_notif_buffer(&r))
		goto out;
	got = take_notif(&r, QUIET_US, &clock);
	if (got >= 0)
		probe_check(got == 0, "%s: NOTIF_ALARM for an expiration the driver disabled before posting a buffer", r.n);
out:
	close_alarm(&r);
}

PROBE_CASE_STANDALONE(rtc_alarm_reset, "virtio.rtc.alarm_across_reset",
	   AVPS_CHECKS("after a device reset an alarm clock either kept time and enabled state of an alarm that fired "
		       "(and then notifies again, the reset being an expiration) or reads time 0, disabled"),
	   RTC_AO(2), RTC_AO(3), RTC_AO(10))
static void rtc_alarm_reset(void)
{
	struct rtc r = { 0 };
	uint64_t now, time;
	uint16_t clock;
	bool enabled;
	int id = open_alarm(&r);
	if (id < 0 || !post_notif_buffer(&r) || !rtc_read(&r, (uint16_t)id, &now))
		goto out;
	uint64_t past = now > 1000000000ull ? now - 1000000000ull : 1;
	if (!ok_status(&r, rtc_set_alarm(&r, (uint16_t)id, past, RTC_FLAG_ALARM_ENABLED), "SET_ALARM 1 s back, enabled"))
		goto out;
	int got = take_notif(&r, NOTIF_WAIT_US, &clock);
	if (got < 0 || !probe_check(got == 1, "%s: SET_ALARM of a passed time with FLAG_ALARM_ENABLED: no NOTIF_ALARM", r.n) ||
	    !reopen_alarm(&r) || !post_notif_buffer(&r) || !read_alarm(&r, (uint16_t)id, &time, &enabled))
		goto out;
	if (time == past && enabled) {
		probe_diag("%s: the alarm of clock %d survived the reset", r.n, id);
		got = take_notif(&r, NOTIF_WAIT_US, &clock);
		if (got >= 0)
			probe_check(got == 1, "%s: an enabled alarm kept across the reset, its time passed: no NOTIF_ALARM after "
				    "the reset", r.n);
		goto out;
	}
	probe_check(time == 0 && !enabled, "%s: after a device reset clock %d's alarm reads time %llu %s: neither kept "
		    "(%llu enabled) nor reset (0 disabled)", r.n, id, (unsigned long long)time,
		    enabled ? "enabled" : "disabled", (unsigned long long)past);
out:
	close_alarm(&r);
}
