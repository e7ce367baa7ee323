/* RTC device model (VIRTIO 1.4 Device Types / RTC Device): UTC, TAI, monotonic and smeared-UTC clocks, ARM_VCT cross-timestamps, alarms. */
#include "rtc_proto.h"
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMEAR_UNSPECIFIED 0
#define SMEAR_NOON_LINEAR 1
#define SMEAR_UTC_SLS 2
#define COUNTER_INVALID 0xff

#define NUM_CLOCKS 4
#define NS_PER_S 1000000000ull
#define TAI_MINUS_UTC_S 37ull            /* since 2017-01-01 */
#define DEFAULT_UTC_S 1796083200ull      /* 2026-12-01T00:00:00Z: refhv has no time source of its own */
#define EPOCH_2000_S 946684800ull
#define EARLY_NS 10000000ull             /* alarm-early: 10 ms before the alarm time */
#define STALE_NS 100000000ull            /* stale-reading: a reading younger than 100 ms is given again */
#define BATCH 16                         /* reads-used-reversed: requests held back to be used in reverse */

enum rtc_fault {
	RTC_FAULT_UNKNOWN_MSG_TYPE_EINVAL,
	RTC_FAULT_UNKNOWN_CLOCK_EINVAL,
	RTC_FAULT_BAD_FLAGS_ACCEPTED,
	RTC_FAULT_SHORT_REQUEST_ACCEPTED,
	RTC_FAULT_RESERVED_NOT_ZEROED,
	RTC_FAULT_ALARM_CAP_WITHOUT_NEGOTIATION,
	RTC_FAULT_CLOCK_CAP_UNSTABLE,
	RTC_FAULT_UTC_EPOCH_2000,
	RTC_FAULT_TAI_EQUALS_UTC,
	RTC_FAULT_MONOTONIC_EPOCH_AFTER_RESET,
	RTC_FAULT_SMEARING_ON_UTC,
	RTC_FAULT_READS_USED_REVERSED,
	RTC_FAULT_TIME_BACKWARDS,
	RTC_FAULT_READ_IN_MICROSECONDS,
	RTC_FAULT_STALE_READING,
	RTC_FAULT_CROSS_COUNTER_OFFSET,
	RTC_FAULT_TSC_CROSS_OK,
	RTC_FAULT_ALARM_EARLY,
	RTC_FAULT_ALARM_WITHOUT_NEGOTIATION,
	RTC_FAULT_ALARM_CAP_MISSING,
	RTC_FAULT_ALARM_ENABLED_FLAG_DROPPED,
	RTC_FAULT_SET_ALARM_ENABLED_CLEARS_TIME,
	RTC_FAULT_ALARM_NEVER_FIRES,
	RTC_FAULT_PAST_SET_IGNORED,
	RTC_FAULT_ALARM_NOTIFIED_TWICE,
	RTC_FAULT_DISABLE_KEEPS_PENDING,
	RTC_FAULT_RESET_HALF_RETAINED,
	RTC_FAULT_RETAINED_RESET_NO_EXPIRY,
	RTC_FAULT_ALARMQ_MISSING,
	RTC_FAULT_NOTIF_WRONG_CLOCK,
	RTC_FAULT_COUNT,
};

static const struct vdev_fault rtc_faults[RTC_FAULT_COUNT] = {
	[RTC_FAULT_UNKNOWN_MSG_TYPE_EINVAL] = { "unknown-msg-type-einval", RTC_DO(4) },
	[RTC_FAULT_UNKNOWN_CLOCK_EINVAL] = { "unknown-clock-einval", RTC_DO(6) },
	[RTC_FAULT_BAD_FLAGS_ACCEPTED] = { "bad-flags-accepted", RTC_DO(7) },
	[RTC_FAULT_SHORT_REQUEST_ACCEPTED] = { "short-request-accepted", RTC_DO(8) },
	[RTC_FAULT_RESERVED_NOT_ZEROED] = { "reserved-not-zeroed", RTC_DO(14) },
	[RTC_FAULT_ALARM_CAP_WITHOUT_NEGOTIATION] = { "alarm-cap-without-negotiation", RTC_DO(15) },
	[RTC_FAULT_CLOCK_CAP_UNSTABLE] = { "clock-cap-unstable", RTC_DO(16) },
	[RTC_FAULT_UTC_EPOCH_2000] = { "utc-epoch-2000", RTC_CR(3) },
	[RTC_FAULT_TAI_EQUALS_UTC] = { "tai-equals-utc", RTC_CR(17) },
	[RTC_FAULT_MONOTONIC_EPOCH_AFTER_RESET] = { "monotonic-epoch-after-reset", RTC_CR(20) },
	[RTC_FAULT_SMEARING_ON_UTC] = { "smearing-on-utc", RTC_CR(21) },
	[RTC_FAULT_READS_USED_REVERSED] = { "reads-used-reversed", RTC_RR(4) },
	[RTC_FAULT_TIME_BACKWARDS] = { "time-backwards", RTC_RR(5) },
	[RTC_FAULT_READ_IN_MICROSECONDS] = { "read-in-microseconds", RTC_RR(7) },
	[RTC_FAULT_STALE_READING] = { "stale-reading", RTC_RR(8) },
	[RTC_FAULT_CROSS_COUNTER_OFFSET] = { "cross-counter-offset", RTC_RR(9) },
	[RTC_FAULT_TSC_CROSS_OK] = { "tsc-cross-ok", RTC_RR(11) },
	[RTC_FAULT_ALARM_EARLY] = { "alarm-early", RTC_RR(14) },
	[RTC_FAULT_ALARM_WITHOUT_NEGOTIATION] = { "alarm-without-negotiation", RTC_ACR(1) },
	[RTC_FAULT_ALARM_CAP_MISSING] = { "alarm-cap-missing", RTC_AO(6) },
	[RTC_FAULT_ALARM_ENABLED_FLAG_DROPPED] = { "alarm-enabled-flag-dropped", RTC_ACR(4) },
	[RTC_FAULT_SET_ALARM_ENABLED_CLEARS_TIME] = { "set-alarm-enabled-clears-time", RTC_ACR(12) },
	[RTC_FAULT_ALARM_NEVER_FIRES] = { "alarm-never-fires", RTC_AO(7) },
	[RTC_FAULT_PAST_SET_IGNORED] = { "past-set-ignored", RTC_AO(8) },
	[RTC_FAULT_ALARM_NOTIFIED_TWICE] = { "alarm-notified-twice", RTC_AO(12) },
	[RTC_FAULT_DISABLE_KEEPS_PENDING] = { "disable-keeps-pending", RTC_AO(16) },
	[RTC_FAULT_RESET_HALF_RETAINED] = { "reset-half-retained", RTC_AO(2) },
	[RTC_FAULT_RETAINED_RESET_NO_EXPIRY] = { "retained-reset-no-expiry", RTC_AO(10) },
	[RTC_FAULT_ALARMQ_MISSING] = { "alarmq-missing", RTC_AO(4) },
	[RTC_FAULT_NOTIF_WRONG_CLOCK] = { "notif-wrong-clock", RTC_AN(1) },
};

/* The clocks, by clock_id: type, smearing variant, alarm support. */
static const struct { uint8_t type, smearing; bool alarm; } clocks[NUM_CLOCKS] = {
	{ RTC_CLOCK_UTC, SMEAR_UNSPECIFIED, true },
	{ RTC_CLOCK_TAI, SMEAR_UNSPECIFIED, false },
	{ RTC_CLOCK_MONOTONIC, SMEAR_UNSPECIFIED, true },
	{ RTC_CLOCK_UTC_SMEARED, SMEAR_NOON_LINEAR, false },
};

struct rtc_alarm {
	uint64_t time;
	bool enabled;
	bool armed;      /* the clock was before the alarm time at the last look: progressing past it expires the alarm */
	unsigned pending; /* expiration notifications being served (more than 1 only under alarm-notified-twice) */
};

struct rtc_state {
	uint64_t utc_s;               /* UTC at device creation */
	uint64_t created_ns;          /* device time at creation: the monotonic clock's epoch */
	uint64_t reset_ns;            /* monotonic-epoch-after-reset: epoch of the first read after a reset */
	bool reset_epoch_set;
	uint64_t fake_ns;             /* device time when the host has no clock (unit tests, fuzzing) */
	uint64_t reads;               /* time-backwards: reads served */
	uint64_t last_reading[NUM_CLOCKS], last_sample[NUM_CLOCKS];
	bool have_last[NUM_CLOCKS];
	unsigned cap_requests;        /* clock-cap-unstable */
	struct rtc_alarm alarms[NUM_CLOCKS];
	struct virtq_chain batch[BATCH];
	uint32_t batch_written[BATCH];
	struct virtq_segment batch_segments[BATCH][4];
};

/* Device time in ns, and (when the host has one) the driver's virtual counter read at the same instant. */
static uint64_t sample(struct vdev *dev, uint64_t *cycles, bool *have_cycles)
{
	struct rtc_state *st = dev->state;
	*have_cycles = false;
	if (dev->host.counter) {
		uint64_t freq = 0, c = dev->host.counter(dev->host.ctx, &freq);
		if (freq) {
			*cycles = c;
			*have_cycles = true;
			return c / freq * NS_PER_S + c % freq * NS_PER_S / freq;
		}
	}
	if (dev->host.now_us)
		return dev->host.now_us(dev->host.ctx) * 1000;
	return st->fake_ns += 1000;
}

/* The value of clock `id` at device time now_ns (nanoseconds). */
static uint64_t clock_value(struct vdev *dev, unsigned id, uint64_t now_ns)
{
	struct rtc_state *st = dev->state;
	uint64_t since = now_ns - st->created_ns;
	uint64_t utc = (st->utc_s - (vdev_fault(dev, RTC_FAULT_UTC_EPOCH_2000) ? EPOCH_2000_S : 0)) * NS_PER_S + since;
	switch (clocks[id].type) {
	case RTC_CLOCK_TAI:
		return utc + (vdev_fault(dev, RTC_FAULT_TAI_EQUALS_UTC) ? 0 : TAI_MINUS_UTC_S * NS_PER_S);
	case RTC_CLOCK_MONOTONIC:
		if (vdev_fault(dev, RTC_FAULT_MONOTONIC_EPOCH_AFTER_RESET))
			return st->reset_epoch_set ? now_ns - st->reset_ns : 0;
		return since;
	default:
		return utc; /* UTC, and smeared UTC: no leap second is scheduled, so smearing never starts */
	}
}

/* Alarm Operation #7..#9: an enabled alarm whose clock reached its time expires (and is served: #11). */
static void expire(struct vdev *dev, unsigned id)
{
	struct rtc_state *st = dev->state;
	st->alarms[id].pending = vdev_fault(dev, RTC_FAULT_ALARM_NOTIFIED_TWICE) ? 2 : 1;
	st->alarms[id].armed = false;
}

/* Looks at every alarm: a clock that progressed from before the alarm time to it (or past it) expires it. */
static void watch_alarms(struct vdev *dev)
{
	struct rtc_state *st = dev->state;
	uint64_t cycles;
	bool have;
	uint64_t now = sample(dev, &cycles, &have);
	for (unsigned id = 0; id < NUM_CLOCKS; id++) {
		struct rtc_alarm *a = &st->alarms[id];
		if (!clocks[id].alarm)
			continue;
		uint64_t value = clock_value(dev, id, now) + (vdev_fault(dev, RTC_FAULT_ALARM_EARLY) ? EARLY_NS : 0);
		if (value < a->time)
			a->armed = true;
		else if (a->armed && a->enabled && !vdev_fault(dev, RTC_FAULT_ALARM_NEVER_FIRES))
			expire(dev, id);
	}
}

/* Alarm Operation #12: one VIRTIO_RTC_NOTIF_ALARM per expiration being served, as soon as an alarmq buffer is there. */
static void serve_alarms(struct vdev *dev)
{
	struct rtc_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	bool any = false;
	if (!vdev_has_feature(dev, RTC_F_ALARM) || dev->num_queues <= RTC_ALARMQ)
		return;
	for (unsigned id = 0; id < NUM_CLOCKS; id++) {
		while (st->alarms[id].pending && !(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
		       vdev_take(dev, RTC_ALARMQ, chain) == VIRTQ_TAKEN) {
			uint8_t notif[16] = { 0 };
			uint16_t type = RTC_NOTIF_ALARM, clock = (uint16_t)(id + (vdev_fault(dev, RTC_FAULT_NOTIF_WRONG_CLOCK) ? 1 : 0));
			memcpy(notif, &type, 2);
			memcpy(notif + 8, &clock, 2);
			vdev_complete(dev, RTC_ALARMQ, chain, (uint32_t)virtq_chain_write(chain, &dev->mem, 0, notif, sizeof(notif)));
			st->alarms[id].pending--;
			any = true;
		}
	}
	if (any)
		vdev_notify_used(dev, RTC_ALARMQ);
}

/* Bytes of each request and response by msg_type; false for a msg_type this specification does not describe. */
static bool sizes_of(uint16_t type, uint32_t *req, uint32_t *resp)
{
	static const struct { uint16_t type; uint8_t req, resp; } table[] = {
		{ RTC_REQ_READ, 16, 16 }, { RTC_REQ_READ_CROSS, 16, 24 }, { RTC_REQ_CFG, 8, 16 }, { RTC_REQ_CLOCK_CAP, 16, 16 },
		{ RTC_REQ_CROSS_CAP, 16, 16 }, { RTC_REQ_READ_ALARM, 16, 24 }, { RTC_REQ_SET_ALARM, 24, 8 },
		{ RTC_REQ_SET_ALARM_ENABLED, 16, 8 },
	};
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type) {
			*req = table[i].req;
			*resp = table[i].resp;
			return true;
		}
	return false;
}

static uint8_t read_clock(struct vdev *dev, uint16_t id, uint8_t counter, bool cross, uint8_t *resp)
{
	struct rtc_state *st = dev->state;
	uint64_t cycles = 0;
	bool have_cycles;
	if (cross && counter != RTC_COUNTER_ARM_VCT && counter != RTC_COUNTER_X86_TSC && counter != COUNTER_INVALID &&
	    !(counter >= 0xf0 && counter <= 0xfe))
		return RTC_S_EOPNOTSUPP;                          /* Device Operation #5: a counter nobody defined */
	uint64_t now = sample(dev, &cycles, &have_cycles);
	if (vdev_fault(dev, RTC_FAULT_MONOTONIC_EPOCH_AFTER_RESET) && !st->reset_epoch_set) {
		st->reset_ns = now;                           /* the epoch: the first read after the reset */
		st->reset_epoch_set = true;
	}
	uint64_t value = clock_value(dev, id, now);
	if (cross) {
		/* Read Requests #11: only the driver's Arm virtual counter can be told; x86 TSC never on this device. */
		bool tsc_lie = counter == RTC_COUNTER_X86_TSC && vdev_fault(dev, RTC_FAULT_TSC_CROSS_OK);
		if (!have_cycles || (counter != RTC_COUNTER_ARM_VCT && !tsc_lie))
			return RTC_S_EOPNOTSUPP;
		if (vdev_fault(dev, RTC_FAULT_CROSS_COUNTER_OFFSET)) {
			uint64_t freq = 0;
			dev->host.counter(dev->host.ctx, &freq);
			cycles += freq / 100;                     /* 10 ms ahead of the sample */
		}
		memcpy(resp + 16, &cycles, 8);
	}
	if (clocks[id].type == RTC_CLOCK_MONOTONIC && vdev_fault(dev, RTC_FAULT_TIME_BACKWARDS) && (st->reads++ & 1) &&
	    value > 1000000)
		value -= 1000000;                             /* every other reading 1 ms back */
	if (vdev_fault(dev, RTC_FAULT_STALE_READING) && st->have_last[id] && now - st->last_sample[id] < STALE_NS)
		value = st->last_reading[id];
	else {
		st->last_reading[id] = value;
		st->last_sample[id] = now;
		st->have_last[id] = true;
	}
	if (!cross && vdev_fault(dev, RTC_FAULT_READ_IN_MICROSECONDS))
		value /= 1000;
	memcpy(resp + 8, &value, 8);
	return RTC_S_OK;
}

/* Alarm control requests (READ_ALARM, SET_ALARM, SET_ALARM_ENABLED) of an existing clock. */
static uint8_t alarm_request(struct vdev *dev, uint16_t type, uint16_t id, const uint8_t *req, uint8_t *resp)
{
	struct rtc_state *st = dev->state;
	struct rtc_alarm *a = &st->alarms[id];
	bool negotiated = vdev_has_feature(dev, RTC_F_ALARM) || vdev_fault(dev, RTC_FAULT_ALARM_WITHOUT_NEGOTIATION);
	if (!negotiated || !clocks[id].alarm)
		return RTC_S_ENODEV;                              /* Alarm Control Requests #1, #2 */
	if (type == RTC_REQ_READ_ALARM) {
		uint8_t flags = a->enabled && !vdev_fault(dev, RTC_FAULT_ALARM_ENABLED_FLAG_DROPPED) ? RTC_FLAG_ALARM_ENABLED : 0;
		memcpy(resp + 8, &a->time, 8);
		resp[16] = flags;
		return RTC_S_OK;
	}
	uint8_t flags = type == RTC_REQ_SET_ALARM ? req[18] : req[10];
	if ((flags & ~RTC_FLAG_ALARM_ENABLED) && !vdev_fault(dev, RTC_FAULT_BAD_FLAGS_ACCEPTED))
		return RTC_S_EINVAL;                              /* Device Operation #7: a flag no feature allows */
	bool enable = flags & RTC_FLAG_ALARM_ENABLED;
	uint64_t cycles;
	bool have;
	uint64_t now = clock_value(dev, id, sample(dev, &cycles, &have));
	if (type == RTC_REQ_SET_ALARM) {
		memcpy(&a->time, req + 8, 8);
		a->armed = now < a->time;
	} else if (vdev_fault(dev, RTC_FAULT_SET_ALARM_ENABLED_CLEARS_TIME)) {
		a->time = 0;
	}
	a->enabled = enable;
	if (!enable && !vdev_fault(dev, RTC_FAULT_DISABLE_KEEPS_PENDING))
		a->pending = 0;                               /* Alarm Operation #16: before the response is used */
	bool past_ignored = type == RTC_REQ_SET_ALARM && vdev_fault(dev, RTC_FAULT_PAST_SET_IGNORED);
	if (enable && now >= a->time && !past_ignored && !vdev_fault(dev, RTC_FAULT_ALARM_NEVER_FIRES))
		expire(dev, id);                              /* Alarm Operation #8, #9 */
	return RTC_S_OK;
}

/* Executes one request whose header and body fit; writes the response fields after the status header. */
static uint8_t execute(struct vdev *dev, uint16_t type, const uint8_t *req, uint8_t *resp)
{
	struct rtc_state *st = dev->state;
	uint16_t id;
	memcpy(&id, req + (type == RTC_REQ_SET_ALARM ? 16 : 8), 2);
	if (type == RTC_REQ_CFG) {
		uint16_t n = NUM_CLOCKS;
		memcpy(resp + 8, &n, 2);
		return RTC_S_OK;
	}
	if (id >= NUM_CLOCKS)
		return vdev_fault(dev, RTC_FAULT_UNKNOWN_CLOCK_EINVAL) ? RTC_S_EINVAL : RTC_S_ENODEV;   /* Device Operation #6 */
	switch (type) {
	case RTC_REQ_CLOCK_CAP: {
		bool alarm_flag = clocks[id].alarm && !(id == 0 && vdev_fault(dev, RTC_FAULT_ALARM_CAP_MISSING)) &&
				  (vdev_has_feature(dev, RTC_F_ALARM) || vdev_fault(dev, RTC_FAULT_ALARM_CAP_WITHOUT_NEGOTIATION));
		resp[8] = clocks[id].type;
		resp[9] = clocks[id].smearing;
		if (clocks[id].type == RTC_CLOCK_UTC && vdev_fault(dev, RTC_FAULT_SMEARING_ON_UTC))
			resp[9] = SMEAR_NOON_LINEAR;
		if (clocks[id].type == RTC_CLOCK_UTC_SMEARED && vdev_fault(dev, RTC_FAULT_CLOCK_CAP_UNSTABLE) &&
		    (st->cap_requests++ & 1))
			resp[9] = SMEAR_UTC_SLS;
		resp[10] = alarm_flag ? RTC_FLAG_ALARM_CAP : 0;
		return RTC_S_OK;
	}
	case RTC_REQ_CROSS_CAP: {
		uint8_t counter = req[10];
		if (counter > RTC_COUNTER_X86_TSC && counter < 0xf0)
			return RTC_S_EOPNOTSUPP;                  /* Device Operation #5 */
		/* Control Requests #23: exactly the pairs READ_CROSS answers OK. */
		bool ok = dev->host.counter && (counter == RTC_COUNTER_ARM_VCT ||
						(counter == RTC_COUNTER_X86_TSC && vdev_fault(dev, RTC_FAULT_TSC_CROSS_OK)));
		resp[8] = ok ? RTC_FLAG_CROSS_CAP : 0;
		return RTC_S_OK;
	}
	case RTC_REQ_READ:
	case RTC_REQ_READ_CROSS:
		return read_clock(dev, id, req[10], type == RTC_REQ_READ_CROSS, resp);
	default:
		return alarm_request(dev, type, id, req, resp);
	}
}

/* One requestq chain: the status rules of Device Operation #4, #8, #9 (and #10: no status when it does not fit). */
static uint32_t handle(struct vdev *dev, const struct virtq_chain *chain)
{
	uint8_t req[24] = { 0 }, resp[24] = { 0 };
	uint16_t type = 0;
	uint32_t req_size = 8, resp_size = 8;
	if (!chain->writable_bytes)
		return 0;
	size_t got = virtq_chain_read(chain, &dev->mem, 0, req, sizeof(req));
	memcpy(&type, req, 2);
	if (got < 8 && !vdev_fault(dev, RTC_FAULT_SHORT_REQUEST_ACCEPTED))
		resp[0] = RTC_S_EINVAL;
	else if (!sizes_of(type, &req_size, &resp_size))
		resp[0] = vdev_fault(dev, RTC_FAULT_UNKNOWN_MSG_TYPE_EINVAL) ? RTC_S_EINVAL : RTC_S_EOPNOTSUPP;
	else if (got < req_size && !vdev_fault(dev, RTC_FAULT_SHORT_REQUEST_ACCEPTED))
		resp[0] = RTC_S_EINVAL;                       /* #8: the request does not fit the readable part */
	else if (chain->writable_bytes < resp_size)
		resp[0] = RTC_S_EINVAL;                       /* #9: the response does not fit the writable part */
	else
		resp[0] = execute(dev, type, req, resp);
	if (resp[0] != RTC_S_OK)
		memset(resp + 1, 0, sizeof(resp) - 1), resp_size = 8;
	if (vdev_fault(dev, RTC_FAULT_RESERVED_NOT_ZEROED))
		resp[1] = 0xa5;
	if (resp_size > chain->writable_bytes)
		resp_size = (uint32_t)chain->writable_bytes;
	return (uint32_t)virtq_chain_write(chain, &dev->mem, 0, resp, resp_size);
}

static void rtc_process(struct vdev *dev, unsigned queue)
{
	struct rtc_state *st = dev->state;
	watch_alarms(dev);
	if (queue == RTC_REQUESTQ) {
		bool reverse = vdev_fault(dev, RTC_FAULT_READS_USED_REVERSED);
		unsigned held = 0;
		for (;;) {
			struct virtq_chain *chain = reverse ? &st->batch[held] : &dev->scratch;
			if (reverse) {
				chain->segments = st->batch_segments[held];
				chain->capacity = 4;
			}
			if ((dev->status & VIRTIO_STATUS_NEEDS_RESET) || vdev_take(dev, RTC_REQUESTQ, chain) != VIRTQ_TAKEN)
				break;
			uint32_t written = handle(dev, chain);
			if (!reverse) {
				vdev_complete(dev, RTC_REQUESTQ, chain, written);
				continue;
			}
			/* reads-used-reversed: every request executed in order, the batch used last-first. */
			st->batch_written[held++] = written;
			if (held == BATCH)
				break;
		}
		while (held--)
			vdev_complete(dev, RTC_REQUESTQ, &st->batch[held], st->batch_written[held]);
		vdev_notify_used(dev, RTC_REQUESTQ);
	}
	serve_alarms(dev);
}

static void rtc_tick(struct vdev *dev, uint64_t now_us)
{
	(void)now_us;
	watch_alarms(dev);
	serve_alarms(dev);
}

static bool rtc_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t utc_s = DEFAULT_UTC_S;
	if (vdev_option(options, "utc", text, sizeof(text)) && (!vdev_parse_size(text, &utc_s) || utc_s > (1ull << 33))) {
		snprintf(err, err_size, "rtc: utc=%s is not a count of seconds since 1970 (0..2^33)", text);
		return false;
	}
	struct rtc_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	dev->state = st;
	st->utc_s = utc_s;
	uint64_t cycles;
	bool have;
	st->created_ns = sample(dev, &cycles, &have);
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) | VIRTIO_BIT(RTC_F_ALARM);
	dev->config_size = 0;    /* Device configuration layout: none */
	dev->num_queues = vdev_fault(dev, RTC_FAULT_ALARMQ_MISSING) ? 1 : 2;   /* requestq, alarmq */
	return true;
}

static void rtc_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

/* A reset forgets the alarms (Alarm Operation #2, #3: time 0, disabled); the clocks keep running. */
static void rtc_reset(struct vdev *dev)
{
	struct rtc_state *st = dev->state;
	st->reset_epoch_set = false;
	st->cap_requests = 0;
	for (unsigned id = 0; id < NUM_CLOCKS; id++) {
		struct rtc_alarm *a = &st->alarms[id];
		if (vdev_fault(dev, RTC_FAULT_RETAINED_RESET_NO_EXPIRY)) {
			a->pending = 0;                       /* kept: time and enabled; the reset is no expiration */
			continue;
		}
		uint64_t time = a->time;
		memset(a, 0, sizeof(*a));
		if (vdev_fault(dev, RTC_FAULT_RESET_HALF_RETAINED))
			a->time = time;                       /* disabled, but the time kept */
	}
}

const struct vdev_model model_rtc = {
	.name = "rtc",
	.device_id = VIRTIO_ID_RTC,
	.faults = rtc_faults,
	.fault_count = RTC_FAULT_COUNT,
	.create = rtc_create,
	.destroy = rtc_destroy,
	.reset = rtc_reset,
	.process_queue = rtc_process,
	.tick = rtc_tick,
};
