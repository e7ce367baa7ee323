/* VIRTIO 1.2 numbers every model and transport shares: status bits, reserved feature bits, ring flags, device IDs. */
#ifndef AVPS_DEVICES_VIRTIO_CONSTANTS_H
#define AVPS_DEVICES_VIRTIO_CONSTANTS_H

/* Basic Facilities / Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Reserved Feature Bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_RING_RESET 40

#define VIRTIO_BIT(n) (1ULL << (n))

/* Split Virtqueues / The Virtqueue Descriptor Table; the packed ring reuses the first three. */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Packed Virtqueues */
#define VIRTQ_PACKED_DESC_F_AVAIL (1 << 7)
#define VIRTQ_PACKED_DESC_F_USED (1 << 15)
#define VIRTQ_PACKED_EVENT_ENABLE 0
#define VIRTQ_PACKED_EVENT_DISABLE 1
#define VIRTQ_PACKED_EVENT_DESC 2

/* Device Types: the IDs of the models in this library. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_ENTROPY 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_INPUT 18
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_I2C 34
#define VIRTIO_ID_GPIO 41

#endif
