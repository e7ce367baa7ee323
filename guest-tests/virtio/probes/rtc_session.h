/* A driver session on the virtio RTC device (VIRTIO 1.4): requests on the requestq, notifications on the alarmq, guest time. */
#ifndef PROBE_VIRTIO_RTC_SESSION_H
#define PROBE_VIRTIO_RTC_SESSION_H

#include "session.h"

#define VIRTIO_ID_RTC 17
#define RTC_F_ALARM 0
#define RTC_REQUESTQ 0
#define RTC_ALARMQ 1

#define RTC_REQ_READ 0x0001
#define RTC_REQ_READ_CROSS 0x0002
#define RTC_REQ_CFG 0x1000
#define RTC_REQ_CLOCK_CAP 0x1001
#define RTC_REQ_CROSS_CAP 0x1002
#define RTC_REQ_READ_ALARM 0x1003
#define RTC_REQ_SET_ALARM 0x1004
#define RTC_REQ_SET_ALARM_ENABLED 0x1005
#define RTC_NOTIF_ALARM 0x2000

#define RTC_S_OK 0
#define RTC_S_EOPNOTSUPP 2
#define RTC_S_ENODEV 3
#define RTC_S_EINVAL 4

#define RTC_CLOCK_UTC 0
#define RTC_CLOCK_TAI 1
#define RTC_CLOCK_MONOTONIC 2
#define RTC_CLOCK_UTC_SMEARED 3
#define RTC_CLOCK_UTC_MAYBE_SMEARED 4
#define RTC_COUNTER_ARM_VCT 0
#define RTC_COUNTER_X86_TSC 1
#define RTC_FLAG_ALARM_CAP 1u
#define RTC_FLAG_CROSS_CAP 1u
#define RTC_FLAG_ALARM_ENABLED 1u
#define RTC_MAX_CLOCKS 16           /* clocks the cases look at (a device may have more) */
#define RTC_NO_ANSWER 0x100         /* rtc_call: the request was not answered (a failed check) */

#define RTC_DO(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation #" #n
#define RTC_CR(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation / Control Requests #" #n
#define RTC_RR(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation / Read Requests #" #n
#define RTC_AO(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation / Alarm Operation #" #n
#define RTC_ACR(n) \
	"VIRTIO-1.4: Device Types / RTC Device / Device Operation / Alarm Operation / Alarm Control Requests #" #n
#define RTC_AN(n) \
	"VIRTIO-1.4: Device Types / RTC Device / Device Operation / Alarm Operation / Alarm Notifications #" #n

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
