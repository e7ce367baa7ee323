/* Host unit tests of the RTC model: control and read requests, status rules, cross-timestamps, alarms, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

#define REQUESTQ 0
#define ALARMQ 1
#define F_ALARM (1ull << 0)
#define ALL_FEATURES (~0ull)

struct answer {
	uint8_t status;
	uint32_t len;
	uint8_t resp[32];
};

/* Sends one request of `req_len` bytes (header msg_type, clock_id at clock_at, more bytes from extra) with a
 * writable buffer of `resp_len` bytes; the answer (status 0xee when the request was not used). */
static struct answer call(struct test_driver *td, const uint8_t *req, uint32_t req_len, uint32_t resp_len)
{
	struct answer a = { 0xee, 0, { 0 } };
	uint64_t r = td_alloc(td, 32), w = td_alloc(td, 32);
	memcpy(td_host(td, r), req, req_len);
	memset(td_host(td, w), 0xcc, 32);
	struct td_buffer b[2] = { { r, req_len, false }, { w, resp_len, true } };
	td_submit(td, REQUESTQ, b, resp_len ? 2 : 1);
	uint16_t id;
	if (!td_used(td, REQUESTQ, &id, &a.len))
		return a;
	memcpy(a.resp, td_host(td, w), 32);
	a.status = a.resp[0];
	return a;
}

static struct answer simple(struct test_driver *td, uint16_t type, uint16_t clock, uint8_t byte10)
{
	uint8_t req[16] = { 0 };
	memcpy(req, &type, 2);
	memcpy(req + 8, &clock, 2);
	req[10] = byte10;
	return call(td, req, type == 0x1000 ? 8 : 16, 24);
}

static uint64_t u64_at(const struct answer *a, unsigned off)
{
	uint64_t v;
	memcpy(&v, a->resp + off, 8);
	return v;
}

static uint8_t set_alarm(struct test_driver *td, uint16_t clock, uint64_t time, uint8_t flags)
{
	uint8_t req[24] = { 0 };
	uint16_t type = 0x1004;
	memcpy(req, &type, 2);
	memcpy(req + 8, &time, 8);
	memcpy(req + 16, &clock, 2);
	req[18] = flags;
	return call(td, req, 24, 8).status;
}

static uint64_t post_alarmq(struct test_driver *td)
{
	uint64_t buf = td_alloc(td, 16);
	memset(td_host(td, buf), 0xcc, 16);
	struct td_buffer b = { buf, 16, true };
	td_submit(td, ALARMQ, &b, 1);
	return buf;
}

/* Device reset, then both queues again from index 0 (fresh ring memory) and DRIVER_OK. */
static void reset_and_restart(struct test_driver *td)
{
	struct vdev *dev = &td->dev;
	vdev_set_status(dev, 0);
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdev_set_driver_features(dev, dev->offered & ~VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned i = 0; i < dev->num_queues; i++) {
		struct td_queue *q = &td->q[i];
		struct virtq *vq = &dev->queues[i];
		*q = (struct td_queue){ .size = TD_QUEUE_SIZE, .avail_wrap = true, .used_wrap = true };
		q->desc = td_alloc(td, 16u * q->size);
		q->driver = td_alloc(td, 6 + 2u * q->size);
		q->device = td_alloc(td, 6 + 8u * q->size);
		vq->size = q->size;
		vq->desc_addr = q->desc;
		vq->driver_addr = q->driver;
		vq->device_addr = q->device;
		vq->ready = true;
	}
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			     VIRTIO_STATUS_DRIVER_OK);
}

static void control_and_read(void)
{
	struct test_driver td;
	CHECK(td_start(&td, "rtc", "", ALL_FEATURES, false), "rtc_starts");
	struct answer a = simple(&td, 0x1000, 0, 0);
	CHECK(a.status == 0 && a.len == 16 && a.resp[8] == 4 && a.resp[9] == 0 && a.resp[1] == 0, "cfg_four_clocks");
	a = simple(&td, 0x1001, 0, 0);
	CHECK(a.status == 0 && a.resp[8] == 0 && a.resp[9] == 0 && a.resp[10] == 1, "clock_cap_utc_alarm");
	a = simple(&td, 0x1001, 3, 0);
	CHECK(a.status == 0 && a.resp[8] == 3 && a.resp[9] == 1 && a.resp[10] == 0, "clock_cap_smeared_noon_linear");
	CHECK(simple(&td, 0x1001, 4, 0).status == 3, "unknown_clock_enodev");
	CHECK(simple(&td, 0x7777, 0, 0).status == 2, "unknown_msg_type_eopnotsupp");
	CHECK(simple(&td, 0x1002, 0, 0x80).status == 2, "unknown_counter_eopnotsupp");
	a = simple(&td, 0x1002, 0, 0);
	CHECK(a.status == 0 && a.resp[8] == 0, "no_host_counter_no_cross_cap");
	CHECK(simple(&td, 0x0002, 0, 0).status == 2, "no_host_counter_read_cross_refused");
	struct answer utc = simple(&td, 0x0001, 0, 0), tai = simple(&td, 0x0001, 1, 0);
	CHECK(utc.status == 0 && u64_at(&utc, 8) / 1000000000ull >= 1796083200ull, "utc_from_default_base");
	CHECK(tai.status == 0 && u64_at(&tai, 8) - u64_at(&utc, 8) >= 37000000000ull &&
		      u64_at(&tai, 8) - u64_at(&utc, 8) < 37001000000ull, "tai_is_utc_plus_37s");
	struct answer m1 = simple(&td, 0x0001, 2, 0), m2 = simple(&td, 0x0001, 2, 0);
	CHECK(u64_at(&m2, 8) > u64_at(&m1, 8), "monotonic_advances");
	uint8_t req[16] = { 1, 0 };
	CHECK(call(&td, req, 8, 24).status == 4, "short_request_einval");
	CHECK(call(&td, req, 16, 8).status == 4 && call(&td, req, 16, 8).len == 8, "short_response_einval");
	a = call(&td, req, 16, 0);
	CHECK(a.status == 0xcc && a.len == 0, "no_writable_no_status");
	td_stop(&td);
}

static uint64_t fake_cycles;
static uint64_t fake_counter(void *ctx, uint64_t *freq)
{
	(void)ctx;
	*freq = 62500000;
	return fake_cycles += 625;   /* 10 us per look */
}

static void cross(void)
{
	struct test_driver td;
	fake_cycles = 62500000ull * 100;
	td_start(&td, "rtc", "", ALL_FEATURES, false);
	td.dev.host.counter = fake_counter;
	CHECK(simple(&td, 0x1002, 2, 0).resp[8] == 1 && simple(&td, 0x1002, 2, 1).resp[8] == 0, "cross_cap_vct_only");
	struct answer a = simple(&td, 0x0002, 2, 0), b = simple(&td, 0x0002, 2, 0);
	CHECK(a.status == 0 && b.status == 0 && u64_at(&b, 16) > u64_at(&a, 16), "cross_counter_advances");
	CHECK((u64_at(&b, 8) - u64_at(&a, 8)) == (u64_at(&b, 16) - u64_at(&a, 16)) * 16, "cross_clock_matches_counter");
	CHECK(simple(&td, 0x0002, 2, 1).status == 2, "tsc_cross_refused");
	td_stop(&td);
}

static void alarms(void)
{
	struct test_driver td;
	td_start(&td, "rtc", "", ALL_FEATURES, false);
	struct answer a = simple(&td, 0x1003, 0, 0);
	CHECK(a.status == 0 && u64_at(&a, 8) == 0 && a.resp[16] == 0, "alarm_initially_zero_disabled");
	CHECK(simple(&td, 0x1003, 1, 0).status == 3, "tai_has_no_alarm");
	CHECK(set_alarm(&td, 0, ~0ull, 1) == 0, "set_alarm_any_time");
	a = simple(&td, 0x1003, 0, 0);
	CHECK(u64_at(&a, 8) == ~0ull && a.resp[16] == 1, "read_alarm_back");
	CHECK(simple(&td, 0x1005, 0, 0).status == 0 && simple(&td, 0x1003, 0, 0).resp[16] == 0, "set_alarm_enabled_off");
	CHECK(simple(&td, 0x1005, 0, 2).status == 4, "undefined_flag_einval");
	uint64_t n = post_alarmq(&td);
	uint64_t now = u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8);
	CHECK(set_alarm(&td, 2, now + 20000, 1) == 0, "set_monotonic_alarm");
	uint16_t id;
	uint32_t len;
	CHECK(!td_used(&td, ALARMQ, &id, &len), "alarm_not_before_time");
	for (int i = 0; i < 40; i++)
		vdev_tick(&td.dev);
	CHECK(td_used(&td, ALARMQ, &id, &len) && len == 16 && *(uint16_t *)td_host(&td, n) == 0x2000 &&
		      *(uint16_t *)td_host(&td, n + 8) == 2, "alarm_notified");
	post_alarmq(&td);
	for (int i = 0; i < 40; i++)
		vdev_tick(&td.dev);
	CHECK(!td_used(&td, ALARMQ, &id, &len), "alarm_notified_once");
	CHECK(set_alarm(&td, 2, 1, 1) == 0 && td_used(&td, ALARMQ, &id, &len), "past_alarm_expires_at_once");
	CHECK(set_alarm(&td, 2, 1, 0) == 0 && simple(&td, 0x1005, 2, 1).status == 0, "enable_passed_alarm");
	CHECK(simple(&td, 0x1005, 2, 0).status == 0, "disable_before_buffer");
	post_alarmq(&td);
	CHECK(!td_used(&td, ALARMQ, &id, &len), "disabled_alarm_not_served");
	set_alarm(&td, 0, ~0ull, 1);
	reset_and_restart(&td);
	a = simple(&td, 0x1003, 0, 0);
	CHECK(a.status == 0 && u64_at(&a, 8) == 0 && a.resp[16] == 0, "reset_forgets_alarm");
	td_stop(&td);
	td_start(&td, "rtc", "", ALL_FEATURES & ~F_ALARM, false);
	CHECK(simple(&td, 0x1003, 0, 0).status == 3 && simple(&td, 0x1001, 0, 0).resp[10] == 0, "alarm_needs_negotiation");
	td_stop(&td);
}

/* Each fault switch breaks its own statement. */
static void faults(void)
{
	struct test_driver td;
	td_start(&td, "rtc", "fault=unknown-msg-type-einval", ALL_FEATURES, false);
	CHECK(simple(&td, 0x7777, 0, 0).status == 4, "fault_unknown_msg_type_einval");
	td_stop(&td);
	td_start(&td, "rtc", "fault=unknown-clock-einval", ALL_FEATURES, false);
	CHECK(simple(&td, 0x0001, 9, 0).status == 4, "fault_unknown_clock_einval");
	td_stop(&td);
	td_start(&td, "rtc", "fault=tai-equals-utc", ALL_FEATURES, false);
	struct answer utc = simple(&td, 0x0001, 0, 0), tai = simple(&td, 0x0001, 1, 0);
	CHECK(u64_at(&tai, 8) - u64_at(&utc, 8) < 1000000000ull, "fault_tai_equals_utc");
	td_stop(&td);
	td_start(&td, "rtc", "fault=smearing-on-utc", ALL_FEATURES, false);
	CHECK(simple(&td, 0x1001, 0, 0).resp[9] == 1, "fault_smearing_on_utc");
	td_stop(&td);
	td_start(&td, "rtc", "fault=reserved-not-zeroed", ALL_FEATURES, false);
	CHECK(simple(&td, 0x1000, 0, 0).resp[1] != 0, "fault_reserved_not_zeroed");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-cap-without-negotiation", ALL_FEATURES & ~F_ALARM, false);
	CHECK(simple(&td, 0x1001, 0, 0).resp[10] == 1, "fault_alarm_cap_without_negotiation");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-without-negotiation", ALL_FEATURES & ~F_ALARM, false);
	CHECK(simple(&td, 0x1003, 0, 0).status == 0, "fault_alarm_without_negotiation");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-enabled-flag-dropped", ALL_FEATURES, false);
	set_alarm(&td, 0, ~0ull, 1);
	CHECK(simple(&td, 0x1003, 0, 0).resp[16] == 0, "fault_alarm_enabled_flag_dropped");
	td_stop(&td);
	td_start(&td, "rtc", "fault=set-alarm-enabled-clears-time", ALL_FEATURES, false);
	set_alarm(&td, 0, ~0ull, 0);
	simple(&td, 0x1005, 0, 1);
	CHECK(u64_at((struct answer[]){ simple(&td, 0x1003, 0, 0) }, 8) == 0, "fault_set_alarm_enabled_clears_time");
	td_stop(&td);
	uint16_t id;
	uint32_t len;
	td_start(&td, "rtc", "fault=past-set-ignored", ALL_FEATURES, false);
	post_alarmq(&td);
	CHECK(set_alarm(&td, 2, 1, 1) == 0 && !td_used(&td, ALARMQ, &id, &len), "fault_past_set_ignored");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-notified-twice", ALL_FEATURES, false);
	post_alarmq(&td);
	post_alarmq(&td);
	set_alarm(&td, 2, 1, 1);
	CHECK(td_used(&td, ALARMQ, &id, &len) && td_used(&td, ALARMQ, &id, &len), "fault_alarm_notified_twice");
	td_stop(&td);
	td_start(&td, "rtc", "fault=disable-keeps-pending", ALL_FEATURES, false);
	set_alarm(&td, 2, 1, 1);
	simple(&td, 0x1005, 2, 0);
	post_alarmq(&td);
	CHECK(td_used(&td, ALARMQ, &id, &len), "fault_disable_keeps_pending");
	td_stop(&td);
	td_start(&td, "rtc", "fault=reset-half-retained", ALL_FEATURES, false);
	set_alarm(&td, 0, ~0ull, 1);
	reset_and_restart(&td);
	struct answer a = simple(&td, 0x1003, 0, 0);
	CHECK(u64_at(&a, 8) == ~0ull && a.resp[16] == 0, "fault_reset_half_retained");
	td_stop(&td);
	td_start(&td, "rtc", "fault=retained-reset-no-expiry", ALL_FEATURES, false);
	set_alarm(&td, 2, 1, 1);
	reset_and_restart(&td);
	post_alarmq(&td);
	a = simple(&td, 0x1003, 2, 0);
	CHECK(a.resp[16] == 1 && !td_used(&td, ALARMQ, &id, &len), "fault_retained_reset_no_expiry");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarmq-missing", ALL_FEATURES, false);
	CHECK(td.dev.num_queues == 1 && (td.dev.offered & F_ALARM), "fault_alarmq_missing");
	td_stop(&td);
	td_start(&td, "rtc", "fault=notif-wrong-clock", ALL_FEATURES, false);
	uint64_t n = post_alarmq(&td);
	set_alarm(&td, 2, 1, 1);
	CHECK(td_used(&td, ALARMQ, &id, &len) && *(uint16_t *)td_host(&td, n + 8) == 3, "fault_notif_wrong_clock");
	td_stop(&td);
	td_start(&td, "rtc", "fault=read-in-microseconds", ALL_FEATURES, false);
	a = simple(&td, 0x0001, 0, 0);
	CHECK(u64_at(&a, 8) < 1796083200ull * 1000000ull + 1000000000ull, "fault_read_in_microseconds");
	td_stop(&td);
	td_start(&td, "rtc", "fault=bad-flags-accepted", ALL_FEATURES, false);
	CHECK(simple(&td, 0x1005, 0, 2).status == 0, "fault_bad_flags_accepted");
	td_stop(&td);
	td_start(&td, "rtc", "fault=clock-cap-unstable", ALL_FEATURES, false);
	CHECK(simple(&td, 0x1001, 3, 0).resp[9] != simple(&td, 0x1001, 3, 0).resp[9], "fault_clock_cap_unstable");
	td_stop(&td);
	td_start(&td, "rtc", "fault=utc-epoch-2000", ALL_FEATURES, false);
	CHECK(u64_at((struct answer[]){ simple(&td, 0x0001, 0, 0) }, 8) < 1796083200ull * 1000000000ull, "fault_utc_epoch_2000");
	td_stop(&td);
	td_start(&td, "rtc", "fault=monotonic-epoch-after-reset", ALL_FEATURES, false);
	for (int i = 0; i < 50; i++)
		vdev_tick(&td.dev);
	CHECK(u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8) < 10000, "fault_monotonic_epoch_after_reset");
	td_stop(&td);
	td_start(&td, "rtc", "fault=time-backwards", ALL_FEATURES, false);
	for (int i = 0; i < 2000; i++)
		vdev_tick(&td.dev);
	uint64_t m1 = u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8);
	CHECK(u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8) < m1, "fault_time_backwards");
	td_stop(&td);
	td_start(&td, "rtc", "fault=stale-reading", ALL_FEATURES, false);
	m1 = u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8);
	CHECK(u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8) == m1, "fault_stale_reading");
	td_stop(&td);
	td_start(&td, "rtc", "fault=cross-counter-offset", ALL_FEATURES, false);
	td.dev.host.counter = fake_counter;
	a = simple(&td, 0x0002, 2, 0);
	CHECK(u64_at(&a, 16) >= fake_cycles + 625000 - 625, "fault_cross_counter_offset");
	td_stop(&td);
	td_start(&td, "rtc", "fault=tsc-cross-ok", ALL_FEATURES, false);
	td.dev.host.counter = fake_counter;
	CHECK(simple(&td, 0x0002, 2, 1).status == 0, "fault_tsc_cross_ok");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-cap-missing", ALL_FEATURES, false);
	CHECK(simple(&td, 0x1001, 0, 0).resp[10] == 0 && simple(&td, 0x1003, 0, 0).status == 0, "fault_alarm_cap_missing");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-never-fires", ALL_FEATURES, false);
	post_alarmq(&td);
	set_alarm(&td, 2, 1, 1);
	set_alarm(&td, 2, 20000, 1);
	for (int i = 0; i < 60; i++)
		vdev_tick(&td.dev);
	CHECK(!td_used(&td, ALARMQ, &id, &len), "fault_alarm_never_fires");
	td_stop(&td);
	td_start(&td, "rtc", "fault=alarm-early", ALL_FEATURES, false);
	post_alarmq(&td);
	m1 = u64_at((struct answer[]){ simple(&td, 0x0001, 2, 0) }, 8);
	set_alarm(&td, 2, m1 + 5000000, 1);
	vdev_tick(&td.dev);
	CHECK(td_used(&td, ALARMQ, &id, &len), "fault_alarm_early");
	td_stop(&td);
	td_start(&td, "rtc", "fault=reads-used-reversed", ALL_FEATURES, false);
	uint8_t rd[16] = { 1, 0 };
	uint64_t r = td_alloc(&td, 16);
	memcpy(td_host(&td, r), rd, 16);
	struct td_buffer b1[2] = { { r, 16, false }, { td_alloc(&td, 16), 16, true } };
	struct td_buffer b2[2] = { { r, 16, false }, { td_alloc(&td, 16), 16, true } };
	uint16_t first = td_add(&td, REQUESTQ, b1, 2, false);
	td_add(&td, REQUESTQ, b2, 2, false);
	td_kick(&td, REQUESTQ);
	CHECK(td_used(&td, REQUESTQ, &id, &len) && id != first, "fault_reads_used_reversed");
	td_stop(&td);
	td_start(&td, "rtc", "fault=short-request-accepted", ALL_FEATURES, false);
	uint8_t req[16] = { 1, 0 };
	CHECK(call(&td, req, 8, 24).status == 0, "fault_short_request_accepted");
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	control_and_read();
	cross();
	alarms();
	faults();
	return UNIT_DONE();
}
