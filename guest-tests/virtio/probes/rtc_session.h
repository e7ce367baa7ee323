/* A driver session on the virtio RTC device (VIRTIO 1.4): requests on the requestq, notifications on the alarmq, guest time. */
#ifndef PROBE_VIRTIO_RTC_SESSION_H
#define PROBE_VIRTIO_RTC_SESSION_H

#include "session.h"

#include "../../../reference-hv/devices/rtc_proto.h"
#define RTC_MAX_CLOCKS 16           /* clocks the cases look at (a device may have more) */
#define RTC_NO_ANSWER 0x100         /* rtc_call: the request was not answered (a failed check) */


struct rtc {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint16_t clocks;                    /* num_clocks from CFG (at most RTC_MAX_CLOCKS looked at) */
	uint8_t type[RTC_MAX_CLOCKS];       /* CLOCK_CAP type of each */
	uint8_t cap_flags[RTC_MAX_CLOCKS];  /* CLOCK_CAP flags of each */
	uint8_t resp[32];                   /* the last response (status first) */
	uint32_t used_len;
};

/* The RTC device, or a SKIP "device absent". */
struct vdev *rtc_present(void);
/* Resets the device, negotiates VERSION_1 (+ F_ALARM when `alarm` and offered), enables the queues, DRIVER_OK,
 * then CFG and CLOCK_CAP of every clock; false after a failed check. */
bool rtc_open(struct rtc *r, bool alarm);
/* Resets the device unless the case never opened it. */
void rtc_close(struct rtc *r);
bool rtc_alarm_negotiated(const struct rtc *r);
/* One request of req_len bytes, a device-writable buffer of resp_len bytes (0xcc before); the status or RTC_NO_ANSWER. */
unsigned rtc_call(struct rtc *r, const void *req, uint32_t req_len, uint32_t resp_len);
/* The common shapes: msg_type + clock_id + byte 10 (hw_counter / flags); CFG is 8 bytes. */
unsigned rtc_simple(struct rtc *r, uint16_t type, uint16_t clock, uint8_t byte10);
unsigned rtc_set_alarm(struct rtc *r, uint16_t clock, uint64_t time, uint8_t flags);
/* READ of one clock: true with *ns after a check that it answered S_OK. */
bool rtc_read(struct rtc *r, uint16_t clock, uint64_t *ns);
uint64_t rtc_u64(const struct rtc *r, unsigned offset);
/* The first clock of a type, or -1. */
int rtc_clock_of_type(const struct rtc *r, uint8_t type);
const char *rtc_status_name(unsigned status);

/* Guest time from the Arm virtual counter, in ns; and a busy wait. */
uint64_t rtc_guest_ns(void);
void rtc_wait_us(uint32_t us);

#endif
