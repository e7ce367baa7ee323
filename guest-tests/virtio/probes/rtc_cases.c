/* RTC device statements (VIRTIO 1.4 Device Types / RTC Device): status rules, control requests, clock readings, cross-timestamps. */
#include "probe.h"
#include "cpu.h"
#include "rtc_session.h"

#include <string.h>

#define NS_PER_S 1000000000ull
#define UTC_2024_NS (1704067200ull * NS_PER_S)   /* 2024-01-01T00:00:00Z */
#define UTC_2100_NS (4102444800ull * NS_PER_S)   /* 2100-01-01T00:00:00Z */
#define TAI_MINUS_UTC_NS (37ull * NS_PER_S)      /* since 2017-01-01, no leap second announced since */
#define GAP_NS 50000000ull                       /* 50 ms: back-to-back reads of two clocks are well within */
#define READS 4                                  /* READs of 2 descriptors in one 8-entry ring */
#define UNDEFINED_MSG_TYPE 0x0777
#define UNDEFINED_COUNTER 0x80                   /* neither defined nor implementation-specific (0xf0..0xfe) */

static bool utc_like(uint8_t type)
{
	return type == RTC_CLOCK_UTC || type == RTC_CLOCK_UTC_SMEARED || type == RTC_CLOCK_UTC_MAYBE_SMEARED;
}

static bool expect_status(struct rtc *r, unsigned got, unsigned want, const char *what)
{
	return got != RTC_NO_ANSWER && probe_check(got == want, "%s: %s answered %s, expected %s", r->n, what,
						   rtc_status_name(got), rtc_status_name(want));
}

/* Opens the device and SKIPs when it has no clock of `type` (-1: none needed); the clock or -1. */
static int open_with(struct rtc *r, bool alarm, int type, bool *ok)
{
	*ok = rtc_open(r, alarm);
	if (!*ok || type < 0)
		return -1;
	int id = rtc_clock_of_type(r, (uint8_t)type);
	if (id < 0) {
		probe_skip("%s: no clock of type %d among its %u", r->n, type, r->clocks);
		*ok = false;
	}
	return id;
}

PROBE_CASE_STANDALONE(rtc_clock_ids, "virtio.rtc.clock_ids_dense",
	   AVPS_CHECKS("CFG answers S_OK; every clock_id below num_clocks answers CLOCK_CAP and READ with S_OK, while "
		       "num_clocks and 0xffff answer S_ENODEV"),
	   RTC_DO(1), RTC_DO(2), RTC_DO(6), RTC_DO(18), RTC_RR(1), RTC_RR(6))
static void rtc_clock_ids(void)
{
	struct rtc r = { 0 };
	uint64_t ns;
	if (!rtc_open(&r, false))
		goto out;
	probe_diag("%s: %u clocks", r.n, r.clocks);
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++)
		if (!rtc_read(&r, id, &ns))
			goto out;
	uint16_t bad[2] = { r.clocks, 0xffff };
	for (int i = 0; i < 2; i++) {
		if (!expect_status(&r, rtc_simple(&r, RTC_REQ_CLOCK_CAP, bad[i], 0), RTC_S_ENODEV, "CLOCK_CAP of a clock_id past num_clocks") ||
		    !expect_status(&r, rtc_simple(&r, RTC_REQ_READ, bad[i], 0), RTC_S_ENODEV, "READ of a clock_id past num_clocks"))
			goto out;
	}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_unknown_values, "virtio.rtc.unknown_values_eopnotsupp",
	   AVPS_CHECKS("a request with an undefined msg_type (0x0777) and a CROSS_CAP with an undefined hw_counter "
		       "(0x80) are each answered S_EOPNOTSUPP"),
	   RTC_DO(4), RTC_DO(5))
static void rtc_unknown_values(void)
{
	struct rtc r = { 0 };
	if (rtc_open(&r, false) &&
	    expect_status(&r, rtc_simple(&r, UNDEFINED_MSG_TYPE, 0, 0), RTC_S_EOPNOTSUPP, "msg_type 0x0777") && r.clocks)
		expect_status(&r, rtc_simple(&r, RTC_REQ_CROSS_CAP, 0, UNDEFINED_COUNTER), RTC_S_EOPNOTSUPP,
			      "CROSS_CAP with hw_counter 0x80");
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_buffer_sizes, "virtio.rtc.buffer_sizes",
	   AVPS_CHECKS("a READ whose readable part holds only the 8-byte header, or whose writable part holds only the "
		       "8-byte status header, is answered S_EINVAL; one with 32-byte readable and writable parts (garbage "
		       "past the request) is answered S_OK, nothing written past its 16-byte response"),
	   RTC_DO(8), RTC_DO(9), RTC_DO(12), RTC_DO(13))
static void rtc_buffer_sizes(void)
{
	struct rtc r = { 0 };
	uint8_t req[32];
	memset(req, 0x5a, sizeof(req));
	memset(req, 0, 16);
	req[0] = RTC_REQ_READ;
	if (!rtc_open(&r, false) || !r.clocks)
		goto out;
	if (!expect_status(&r, rtc_call(&r, req, 8, 24), RTC_S_EINVAL, "a READ of 8 readable bytes (request is 16)") ||
	    !expect_status(&r, rtc_call(&r, req, 16, 8), RTC_S_EINVAL, "a READ with 8 writable bytes (response is 16)") ||
	    !expect_status(&r, rtc_call(&r, req, 32, 32), RTC_S_OK, "a READ with 32-byte readable and writable parts"))
		goto out;
	bool untouched = true;
	for (unsigned i = 16; i < 32; i++)
		untouched &= r.resp[i] == 0xcc;
	probe_check(untouched && r.used_len >= 16 && r.used_len <= 32, "%s: oversized READ: used length %u, bytes past "
		    "the 16-byte response %s", r.n, r.used_len, untouched ? "untouched" : "written");
out:
	rtc_close(&r);
}

/* Reserved bytes [from, to) of the last response are zero. */
static bool reserved_zero(struct rtc *r, unsigned from, unsigned to, const char *what, unsigned clock)
{
	for (unsigned i = from; i < to; i++)
		if (!probe_check(r->resp[i] == 0, "%s: %s (clock %u): reserved byte %u is 0x%02x", r->n, what, clock, i, r->resp[i]))
			return false;
	return true;
}

PROBE_CASE_STANDALONE(rtc_reserved_and_flags, "virtio.rtc.reserved_zero_flags_allowed",
	   AVPS_CHECKS("the reserved bytes of CFG, CLOCK_CAP, CROSS_CAP (and READ_ALARM) responses are zero, flags carry "
		       "only defined bits, and without VIRTIO_RTC_F_ALARM no clock shows FLAG_ALARM_CAP"),
	   RTC_DO(14), RTC_DO(15))
static void rtc_reserved_and_flags(void)
{
	struct rtc r = { 0 };
	for (int pass = 0; pass < 2; pass++) {
		bool alarm = pass == 1;
		if (!rtc_open(&r, alarm))
			goto out;
		if (alarm && !rtc_alarm_negotiated(&r))
			break;
		if (rtc_simple(&r, RTC_REQ_CFG, 0, 0) != RTC_S_OK || !reserved_zero(&r, 1, 8, "CFG", 0) ||
		    !reserved_zero(&r, 10, 16, "CFG", 0))
			goto out;
		for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
			if (rtc_simple(&r, RTC_REQ_CLOCK_CAP, id, 0) != RTC_S_OK || !reserved_zero(&r, 1, 8, "CLOCK_CAP", id) ||
			    !reserved_zero(&r, 11, 16, "CLOCK_CAP", id) ||
			    !probe_check(!(r.resp[10] & ~(alarm ? RTC_FLAG_ALARM_CAP : 0u)), "%s: CLOCK_CAP of clock %u has "
					 "flags 0x%02x with VIRTIO_RTC_F_ALARM %s", r.n, id, r.resp[10],
					 alarm ? "negotiated" : "not negotiated"))
				goto out;
			if (rtc_simple(&r, RTC_REQ_CROSS_CAP, id, RTC_COUNTER_ARM_VCT) != RTC_S_OK ||
			    !reserved_zero(&r, 1, 8, "CROSS_CAP", id) || !reserved_zero(&r, 9, 16, "CROSS_CAP", id) ||
			    !probe_check(!(r.resp[8] & ~RTC_FLAG_CROSS_CAP), "%s: CROSS_CAP of clock %u has flags 0x%02x", r.n,
					 id, r.resp[8]))
				goto out;
			if (alarm && (r.cap_flags[id] & RTC_FLAG_ALARM_CAP) &&
			    (rtc_simple(&r, RTC_REQ_READ_ALARM, id, 0) != RTC_S_OK || !reserved_zero(&r, 1, 8, "READ_ALARM", id) ||
			     !reserved_zero(&r, 17, 24, "READ_ALARM", id) ||
			     !probe_check(!(r.resp[16] & ~RTC_FLAG_ALARM_ENABLED), "%s: READ_ALARM of clock %u has flags 0x%02x",
					  r.n, id, r.resp[16])))
				goto out;
		}
		rtc_close(&r);
	}
out:
	rtc_close(&r);
}

/* CFG, then CLOCK_CAP and CROSS_CAP (ARM_VCT, X86_TSC) of every clock: the answers one after the other in out. */
static bool capabilities(struct rtc *r, uint8_t *out, unsigned *len)
{
	*len = 0;
	if (rtc_simple(r, RTC_REQ_CFG, 0, 0) == RTC_NO_ANSWER)
		return false;
	memcpy(out, r->resp, 16);
	*len = 16;
	for (uint16_t id = 0; id < r->clocks && id < RTC_MAX_CLOCKS; id++) {
		unsigned a = rtc_simple(r, RTC_REQ_CLOCK_CAP, id, 0);
		memcpy(out + *len, r->resp, 16);
		unsigned b = rtc_simple(r, RTC_REQ_CROSS_CAP, id, RTC_COUNTER_ARM_VCT);
		memcpy(out + *len + 16, r->resp, 16);
		unsigned c = rtc_simple(r, RTC_REQ_CROSS_CAP, id, RTC_COUNTER_X86_TSC);
		memcpy(out + *len + 32, r->resp, 16);
		*len += 48;
		if (a == RTC_NO_ANSWER || b == RTC_NO_ANSWER || c == RTC_NO_ANSWER)
			return false;
	}
	return true;
}

PROBE_CASE_STANDALONE(rtc_caps_stable, "virtio.rtc.capabilities_repeat_identically",
	   AVPS_CHECKS("CFG, CLOCK_CAP and CROSS_CAP (ARM_VCT, X86_TSC) of every clock, asked three times while DRIVER_OK "
		       "stays set and once more after a device reset with the same features, answer byte for byte the same"),
	   RTC_DO(16), RTC_DO(17))
static void rtc_caps_stable(void)
{
	static uint8_t first[16 + 48 * RTC_MAX_CLOCKS], again[sizeof(first)];
	struct rtc r = { 0 };
	unsigned len, len2;
	if (!rtc_open(&r, true) || !capabilities(&r, first, &len))
		goto out;
	for (int round = 1; round <= 3; round++) {
		if (round == 3 && !rtc_open(&r, true))
			goto out;
		if (!capabilities(&r, again, &len2))
			goto out;
		for (unsigned i = 0; i < len; i++)
			if (!probe_check(len2 == len && again[i] == first[i], "%s: %s answer %u differs at byte %u: 0x%02x, "
					 "first 0x%02x", r.n, round == 3 ? "after a device reset, capability" : "capability",
					 i / 16, i % 16, again[i], first[i]))
				goto out;
	}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_smearing_field, "virtio.rtc.clock_cap_smearing",
	   AVPS_CHECKS("CLOCK_CAP reports leap_second_smearing UNSPECIFIED for every clock that is not UTC_SMEARED, and "
		       "UNSPECIFIED, NOON_LINEAR, UTC_SLS or >= 0xF0 for UTC_SMEARED clocks"),
	   RTC_CR(21), RTC_CR(22))
static void rtc_smearing_field(void)
{
	struct rtc r = { 0 };
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		if (rtc_simple(&r, RTC_REQ_CLOCK_CAP, id, 0) != RTC_S_OK)
			goto out;
		uint8_t smear = r.resp[9];
		if (r.type[id] == RTC_CLOCK_UTC_SMEARED)
			probe_check(smear <= 2 || smear >= 0xf0, "%s: UTC_SMEARED clock %u reports smearing variant %u", r.n, id, smear);
		else
			probe_check(smear == 0, "%s: clock %u of type %u reports smearing variant %u, expected UNSPECIFIED", r.n,
				    id, r.type[id], smear);
	}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_utc_epoch, "virtio.rtc.utc_clocks_unix_epoch",
	   AVPS_CHECKS("every UTC-like clock reads, in ns since 1970-01-01 UTC, a time after 2024-01-01 and before 2100; "
		       "smeared UTC clocks read within 1 s of a UTC clock (no leap second is near)"),
	   RTC_CR(2), RTC_CR(3), RTC_CR(4))
static void rtc_utc_epoch(void)
{
	struct rtc r = { 0 };
	uint64_t ns, utc = 0;
	if (!rtc_open(&r, false))
		goto out;
	int utc_id = rtc_clock_of_type(&r, RTC_CLOCK_UTC);
	bool any = false;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		if (!utc_like(r.type[id]))
			continue;
		any = true;
		if ((utc_id >= 0 && !rtc_read(&r, (uint16_t)utc_id, &utc)) || !rtc_read(&r, id, &ns))
			goto out;
		if (!probe_check(ns >= UTC_2024_NS && ns < UTC_2100_NS, "%s: UTC-like clock %u reads %llu ns: not between "
				 "2024-01-01 and 2100-01-01 since the Unix epoch", r.n, id, (unsigned long long)ns))
			goto out;
		if (utc_id >= 0 && r.type[id] != RTC_CLOCK_UTC)
			probe_check(ns - utc < NS_PER_S || utc - ns < NS_PER_S, "%s: smeared clock %u reads %llu ns, UTC clock "
				    "%llu ns: more than 1 s apart", r.n, id, (unsigned long long)ns, (unsigned long long)utc);
	}
	if (!any)
		probe_skip("%s: no UTC-like clock among its %u", r.n, r.clocks);
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_tai_offset, "virtio.rtc.tai_is_utc_plus_37s",
	   AVPS_CHECKS("a TAI clock read right after a UTC clock is 37 s (TAI - UTC since 2017) ahead of it, within 50 ms"),
	   RTC_CR(17), RTC_CR(18))
static void rtc_tai_offset(void)
{
	struct rtc r = { 0 };
	bool ok;
	uint64_t utc, tai;
	int tai_id = open_with(&r, false, RTC_CLOCK_TAI, &ok);
	if (!ok)
		goto out;
	int utc_id = rtc_clock_of_type(&r, RTC_CLOCK_UTC);
	if (utc_id < 0) {
		probe_skip("%s: a TAI clock but no UTC clock to compare it with", r.n);
		goto out;
	}
	if (rtc_read(&r, (uint16_t)utc_id, &utc) && rtc_read(&r, (uint16_t)tai_id, &tai))
		probe_check(tai >= utc + TAI_MINUS_UTC_NS && tai < utc + TAI_MINUS_UTC_NS + GAP_NS, "%s: TAI clock %u reads "
			    "%lld ms ahead of UTC clock %u, expected 37000 ms", r.n, tai_id,
			    (long long)((int64_t)(tai - utc) / 1000000), utc_id);
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_rate, "virtio.rtc.readings_in_si_nanoseconds",
	   AVPS_CHECKS("over 50 ms of the Arm virtual counter, every clock's READ advances by the same time in ns, "
		       "within 2 %% (SI seconds, nanosecond unit)"),
	   RTC_CR(19), RTC_RR(7))
static void rtc_rate(void)
{
	struct rtc r = { 0 };
	uint64_t a, b;
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		uint64_t g0 = rtc_guest_ns();
		if (!rtc_read(&r, id, &a))
			goto out;
		rtc_wait_us(50000);
		if (!rtc_read(&r, id, &b))
			goto out;
		uint64_t guest = rtc_guest_ns() - g0, clock = b - a;
		if (!probe_check(clock * 100 >= guest * 98 - 2000000ull * 100 && clock * 100 <= guest * 102, "%s: clock %u "
				 "(type %u) advanced %llu ns while %llu ns of the virtual counter passed", r.n, id, r.type[id],
				 (unsigned long long)clock, (unsigned long long)guest))
			goto out;
	}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_monotonic_epoch, "virtio.rtc.monotonic_epoch_before_reset",
	   AVPS_CHECKS("a monotonic clock read 20 ms after the device reset reads at least the time passed since the reset"),
	   RTC_CR(20))
static void rtc_monotonic_epoch(void)
{
	struct rtc r = { 0 };
	bool ok;
	uint64_t ns;
	struct vdev *d = rtc_present();
	if (!d)
		return;
	vmmio_write(&d->t, VIRTIO_MMIO_STATUS, 0);
	uint64_t reset_at = rtc_guest_ns();
	int id = open_with(&r, false, RTC_CLOCK_MONOTONIC, &ok);
	if (!ok)
		goto out;
	rtc_wait_us(20000);
	uint64_t since = rtc_guest_ns() - reset_at;
	if (rtc_read(&r, (uint16_t)id, &ns))
		probe_check(ns >= since, "%s: monotonic clock %u reads %llu ns %llu ns after the device reset: its epoch is "
			    "after the reset", r.n, id, (unsigned long long)ns, (unsigned long long)since);
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_reads_in_order, "virtio.rtc.reads_used_in_order",
	   AVPS_CHECKS("four READs (a full 8-entry ring) of one clock made available together are used in the order made available, with "
		       "readings that never decrease (every clock)"),
	   RTC_RR(2), RTC_RR(3), RTC_RR(4))
static void rtc_reads_in_order(void)
{
	static uint8_t req[READS][16] __attribute__((aligned(16)));
	static uint8_t resp[READS][16] __attribute__((aligned(16)));
	struct rtc r = { 0 };
	uint16_t ids[READS];
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t clock = 0; clock < r.clocks && clock < RTC_MAX_CLOCKS; clock++) {
		struct virtq *q = &r.s.q[RTC_REQUESTQ];
		for (int i = 0; i < READS; i++) {
			memset(req[i], 0, 16);
			req[i][0] = RTC_REQ_READ;
			memcpy(req[i] + 8, &clock, 2);
			memset(resp[i], 0xcc, 16);
			struct vbuf e[2] = { { req[i], 16, false }, { resp[i], 16, true } };
			enum virtq_result res = virtq_add(q, e, 2, VIRTQ_CHAIN_DIRECT, &ids[i]);
			if (!probe_check(res == VIRTQ_OK, "%s: READ %d not made available: %s", r.n, i, virtq_result_name(res)))
				goto out;
		}
		vmmio_notify(r.s.t, q);
		uint64_t last = 0;
		for (int i = 0; i < READS; i++) {
			struct virtq_used u;
			enum virtq_result res = vmmio_wait_used(r.s.t, q, VS_WAIT_US, &u);
			if (!vdev_used_ok(r.d, res, &u, "rtc READ") ||
			    !probe_check(u.id == ids[i], "%s: clock %u: used buffer %d is the READ made available as %u, expected "
					 "%u (the order made available)", r.n, clock, i, u.id, ids[i]))
				goto out;
		}
		for (int i = 0; i < READS; i++) {
			uint64_t ns;
			memcpy(&ns, resp[i] + 8, 8);
			if (!probe_check(resp[i][0] == RTC_S_OK, "%s: READ %d of clock %u answered %s", r.n, i, clock,
					 rtc_status_name(resp[i][0])) ||
			    !probe_check(ns >= last, "%s: clock %u: READ %d made available after READ %d reads %llu ns, earlier %llu",
					 r.n, clock, i, i - 1, (unsigned long long)ns, (unsigned long long)last))
				goto out;
			last = ns;
		}
	}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_monotonic, "virtio.rtc.monotonic_never_decreases",
	   AVPS_CHECKS("64 READs one after the other of every monotonic clock never read less than the one before"),
	   RTC_RR(5))
static void rtc_monotonic(void)
{
	struct rtc r = { 0 };
	bool ok;
	uint64_t last = 0, ns;
	open_with(&r, false, RTC_CLOCK_MONOTONIC, &ok);
	if (!ok)
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++)
		for (int i = 0; r.type[id] == RTC_CLOCK_MONOTONIC && i < 64; i++) {
			if (!rtc_read(&r, id, &ns) ||
			    !probe_check(i == 0 || ns >= last, "%s: monotonic clock %u: READ %d reads %llu ns, the one before %llu",
					 r.n, id, i, (unsigned long long)ns, (unsigned long long)last))
				goto out;
			last = ns;
		}
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_fresh_reading, "virtio.rtc.reading_taken_after_available",
	   AVPS_CHECKS("a READ made available 20 ms after the previous one was used reads at least 19 ms later (every "
		       "clock): the device samples after the request is available"),
	   RTC_RR(8))
static void rtc_fresh_reading(void)
{
	struct rtc r = { 0 };
	uint64_t a, b;
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		if (!rtc_read(&r, id, &a))
			goto out;
		rtc_wait_us(20000);
		if (!rtc_read(&r, id, &b) ||
		    !probe_check(b >= a + 19000000ull, "%s: clock %u: READ 20 ms after the previous one reads %lld us later",
				 r.n, id, (long long)((int64_t)(b - a) / 1000)))
			goto out;
	}
out:
	rtc_close(&r);
}

/* One READ_CROSS with the guest's virtual counter read just before and after; false after a failed check. */
static bool read_cross(struct rtc *r, uint16_t id, uint64_t *clock, uint64_t *cycles, uint64_t *before, uint64_t *after)
{
	*before = timer_count();
	unsigned st = rtc_simple(r, RTC_REQ_READ_CROSS, id, RTC_COUNTER_ARM_VCT);
	*after = timer_count();
	if (!expect_status(r, st, RTC_S_OK, "READ_CROSS (ARM_VCT) of a clock with FLAG_CROSS_CAP"))
		return false;
	*clock = rtc_u64(r, 8);
	*cycles = rtc_u64(r, 16);
	return true;
}

PROBE_CASE_STANDALONE(rtc_cross, "virtio.rtc.cross_timestamp_arm_vct",
	   AVPS_CHECKS("for each clock with FLAG_CROSS_CAP for ARM_VCT, READ_CROSS's counter_cycles lies between CNTVCT_EL0 "
		       "read just before and after the request, a second one 20 ms later shows a later counter, and the "
		       "clock advanced by the counter's time in ns within 1 ms"),
	   RTC_RR(9), RTC_RR(10), RTC_RR(12), RTC_RR(13))
static void rtc_cross(void)
{
	struct rtc r = { 0 };
	uint64_t c1, k1, b1, a1, c2, k2, b2, a2, f = timer_freq();
	bool any = false;
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++) {
		if (rtc_simple(&r, RTC_REQ_CROSS_CAP, id, RTC_COUNTER_ARM_VCT) != RTC_S_OK || !(r.resp[8] & RTC_FLAG_CROSS_CAP))
			continue;
		any = true;
		if (!read_cross(&r, id, &c1, &k1, &b1, &a1))
			goto out;
		rtc_wait_us(20000);
		if (!read_cross(&r, id, &c2, &k2, &b2, &a2))
			goto out;
		if (!probe_check(k1 >= b1 && k1 <= a1 && k2 >= b2 && k2 <= a2, "%s: clock %u: counter_cycles %llu / %llu "
				 "outside the counter read around the requests [%llu, %llu] / [%llu, %llu]", r.n, id,
				 (unsigned long long)k1, (unsigned long long)k2, (unsigned long long)b1, (unsigned long long)a1,
				 (unsigned long long)b2, (unsigned long long)a2) ||
		    !probe_check(k2 > k1, "%s: clock %u: the later READ_CROSS shows counter %llu, the earlier %llu", r.n, id,
				 (unsigned long long)k2, (unsigned long long)k1))
			goto out;
		uint64_t counter_ns = (k2 - k1) / f * NS_PER_S + (k2 - k1) % f * NS_PER_S / f, clock_ns = c2 - c1;
		probe_check(clock_ns + 1000000 >= counter_ns && clock_ns <= counter_ns + 1000000, "%s: clock %u advanced %llu "
			    "ns between two READ_CROSS whose counters are %llu ns apart", r.n, id, (unsigned long long)clock_ns,
			    (unsigned long long)counter_ns);
	}
	if (!any)
		probe_skip("%s: no clock offers cross-timestamps with ARM_VCT", r.n);
out:
	rtc_close(&r);
}

PROBE_CASE_STANDALONE(rtc_cross_cap, "virtio.rtc.cross_cap_matches_read_cross",
	   AVPS_CHECKS("for every clock and hw_counter ARM_VCT and X86_TSC, FLAG_CROSS_CAP is set exactly when READ_CROSS "
		       "answers S_OK; READ_CROSS of the x86 TSC, which an Arm driver cannot read, is never S_OK"),
	   RTC_CR(23), RTC_RR(11))
static void rtc_cross_cap(void)
{
	struct rtc r = { 0 };
	if (!rtc_open(&r, false))
		goto out;
	for (uint16_t id = 0; id < r.clocks && id < RTC_MAX_CLOCKS; id++)
		for (uint8_t counter = RTC_COUNTER_ARM_VCT; counter <= RTC_COUNTER_X86_TSC; counter++) {
			if (rtc_simple(&r, RTC_REQ_CROSS_CAP, id, counter) != RTC_S_OK)
				goto out;
			bool cap = r.resp[8] & RTC_FLAG_CROSS_CAP;
			unsigned st = rtc_simple(&r, RTC_REQ_READ_CROSS, id, counter);
			if (st == RTC_NO_ANSWER)
				goto out;
			const char *name = counter == RTC_COUNTER_X86_TSC ? "X86_TSC" : "ARM_VCT";
			if (counter == RTC_COUNTER_X86_TSC &&
			    !probe_check(st != RTC_S_OK, "%s: READ_CROSS of clock %u with X86_TSC answered S_OK on an Arm guest",
					 r.n, id))
				goto out;
			if (!probe_check(cap == (st == RTC_S_OK), "%s: clock %u, %s: FLAG_CROSS_CAP %s but READ_CROSS answered %s",
					 r.n, id, name, cap ? "set" : "clear", rtc_status_name(st)))
				goto out;
		}
out:
	rtc_close(&r);
}
