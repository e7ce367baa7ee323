/* virtio-mmio version 2 register offsets and the magic value (VIRTIO 1.2 MMIO Device Register Layout): one table for the probes' driver and refhv's device side. */
#ifndef VMMIO_REGS_H
#define VMMIO_REGS_H

#define VMMIO_MAGIC_VALUE         0x000
#define VMMIO_VERSION             0x004
#define VMMIO_DEVICE_ID           0x008
#define VMMIO_VENDOR_ID           0x00c
#define VMMIO_DEVICE_FEATURES     0x010
#define VMMIO_DEVICE_FEATURES_SEL 0x014
#define VMMIO_DRIVER_FEATURES     0x020
#define VMMIO_DRIVER_FEATURES_SEL 0x024
#define VMMIO_QUEUE_SEL           0x030
#define VMMIO_QUEUE_NUM_MAX       0x034
#define VMMIO_QUEUE_NUM           0x038
#define VMMIO_QUEUE_READY         0x044
#define VMMIO_QUEUE_NOTIFY        0x050
#define VMMIO_INTERRUPT_STATUS    0x060
#define VMMIO_INTERRUPT_ACK       0x064
#define VMMIO_STATUS              0x070
#define VMMIO_QUEUE_DESC_LOW      0x080
#define VMMIO_QUEUE_DESC_HIGH     0x084
#define VMMIO_QUEUE_DRIVER_LOW    0x090
#define VMMIO_QUEUE_DRIVER_HIGH   0x094
#define VMMIO_QUEUE_DEVICE_LOW    0x0a0
#define VMMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VMMIO_SHM_SEL             0x0ac
#define VMMIO_SHM_LEN_LOW         0x0b0
#define VMMIO_SHM_LEN_HIGH        0x0b4
#define VMMIO_SHM_BASE_LOW        0x0b8
#define VMMIO_SHM_BASE_HIGH       0x0bc
#define VMMIO_QUEUE_RESET         0x0c0
#define VMMIO_CONFIG_GENERATION   0x0fc
#define VMMIO_CONFIG              0x100

/* What MagicValue reads: "virt" in little-endian. */
#define VMMIO_MAGIC 0x74726976u

#endif
