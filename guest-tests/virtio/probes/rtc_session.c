/* A driver session on the virtio RTC device: open, requests with sized buffers, CFG/CLOCK_CAP discovery, guest time. */
#include "probe.h"
#include "cpu.h"
#include "rtc_session.h"

#include <string.h>

static uint8_t req_buf[32] __attribute__((aligned(16)));
static uint8_t resp_buf[32] __attribute__((aligned(16)));

struct vdev *rtc_present(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_RTC);
	if (!d)
		probe_skip("device absent: no RTC device (DeviceID 17) on a version-2 virtio-mmio transport");
	return d;
}

bool rtc_alarm_negotiated(const struct rtc *r)
{
	return r->s.features & VIRTIO_BIT(RTC_F_ALARM);
}

bool rtc_open(struct rtc *r, bool alarm)
{
	r->d = rtc_present();
	if (!r->d)
		return false;
	r->n = vdev_name(r->d);
	uint64_t features = alarm ? r->d->t.offered & VIRTIO_BIT(RTC_F_ALARM) : 0;
	if (!vs_open(&r->s, r->d, features, features ? 2 : 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return false;
	unsigned st = rtc_simple(r, RTC_REQ_CFG, 0, 0);
	if (st == RTC_NO_ANSWER || !probe_check(st == RTC_S_OK, "%s: CFG answered %s, expected S_OK", r->n, rtc_status_name(st)))
		return false;
	memcpy(&r->clocks, r->resp + 8, 2);
	for (uint16_t id = 0; id < r->clocks && id < RTC_MAX_CLOCKS; id++) {
		st = rtc_simple(r, RTC_REQ_CLOCK_CAP, id, 0);
		if (st == RTC_NO_ANSWER || !probe_check(st == RTC_S_OK, "%s: CLOCK_CAP of clock %u (of %u) answered %s, "
							"expected S_OK", r->n, id, r->clocks, rtc_status_name(st)))
			return false;
		r->type[id] = r->resp[8];
		r->cap_flags[id] = r->resp[10];
	}
	return true;
}

void rtc_close(struct rtc *r)
{
	if (r->s.t)
		vs_close(&r->s);
}

unsigned rtc_call(struct rtc *r, const void *req, uint32_t req_len, uint32_t resp_len)
{
	struct virtq_used u;
	memcpy(req_buf, req, req_len);
	memset(resp_buf, 0xcc, sizeof(resp_buf));
	struct vbuf e[2] = { { req_buf, req_len, false }, { resp_buf, resp_len, true } };
	if (!vs_call(&r->s, RTC_REQUESTQ, e, resp_len ? 2 : 1, VIRTQ_CHAIN_DIRECT, &u, "rtc request"))
		return RTC_NO_ANSWER;
	memcpy(r->resp, resp_buf, sizeof(r->resp));
	r->used_len = u.len;
	return resp_len ? resp_buf[0] : RTC_NO_ANSWER;
}

unsigned rtc_simple(struct rtc *r, uint16_t type, uint16_t clock, uint8_t byte10)
{
	uint8_t req[16] = { 0 };
	memcpy(req, &type, 2);
	memcpy(req + 8, &clock, 2);
	req[10] = byte10;
	return rtc_call(r, req, type == RTC_REQ_CFG ? 8 : 16, 24);
}

unsigned rtc_set_alarm(struct rtc *r, uint16_t clock, uint64_t time, uint8_t flags)
{
	uint8_t req[24] = { 0 };
	uint16_t type = RTC_REQ_SET_ALARM;
	memcpy(req, &type, 2);
	memcpy(req + 8, &time, 8);
	memcpy(req + 16, &clock, 2);
	req[18] = flags;
	return rtc_call(r, req, 24, 8);
}

bool rtc_read(struct rtc *r, uint16_t clock, uint64_t *ns)
{
	unsigned st = rtc_simple(r, RTC_REQ_READ, clock, 0);
	if (st == RTC_NO_ANSWER || !probe_check(st == RTC_S_OK, "%s: READ of clock %u answered %s, expected S_OK", r->n,
						 clock, rtc_status_name(st)))
		return false;
	*ns = rtc_u64(r, 8);
	return true;
}

uint64_t rtc_u64(const struct rtc *r, unsigned offset)
{
	uint64_t v;
	memcpy(&v, r->resp + offset, 8);
	return v;
}

int rtc_clock_of_type(const struct rtc *r, uint8_t type)
{
	for (uint16_t id = 0; id < r->clocks && id < RTC_MAX_CLOCKS; id++)
		if (r->type[id] == type)
			return id;
	return -1;
}

const char *rtc_status_name(unsigned status)
{
	static const char *const names[] = { "S_OK", "status 1", "S_EOPNOTSUPP", "S_ENODEV", "S_EINVAL", "S_EIO" };
	if (status == RTC_NO_ANSWER)
		return "nothing";
	if (status == 0xcc)
		return "no status (0xcc left)";
	return status < 6 ? names[status] : "an undefined status";
}

uint64_t rtc_guest_ns(void)
{
	uint64_t c = timer_count(), f = timer_freq();
	return f ? c / f * 1000000000ull + c % f * 1000000000ull / f : 0;
}

void rtc_wait_us(uint32_t us)
{
	uint64_t end = rtc_guest_ns() + (uint64_t)us * 1000;
	while (rtc_guest_ns() < end)
		;
}
