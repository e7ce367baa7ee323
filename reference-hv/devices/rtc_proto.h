/* The VIRTIO 1.4 RTC device's wire constants and statement IDs, shared by the reference model and the RTC probe cases. */
#ifndef REFHV_DEVICES_RTC_PROTO_H
#define REFHV_DEVICES_RTC_PROTO_H

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

#define RTC_DO(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation #" #n
#define RTC_CR(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation / Control Requests #" #n
#define RTC_RR(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation / Read Requests #" #n
#define RTC_AO(n) "VIRTIO-1.4: Device Types / RTC Device / Device Operation / Alarm Operation #" #n
#define RTC_ACR(n) \
	"VIRTIO-1.4: Device Types / RTC Device / Device Operation / Alarm Operation / Alarm Control Requests #" #n
#define RTC_AN(n) \
	"VIRTIO-1.4: Device Types / RTC Device / Device Operation / Alarm Operation / Alarm Notifications #" #n

#endif
