/* Finds virtio devices through /sys/bus/virtio and reads their IDs, features and drivers. */
#ifndef AVPS_VIRTIO_SYSFS_H
#define AVPS_VIRTIO_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

/* VIRTIO 1.2 "Device Types" IDs used by the tests. */
enum virtio_device_id {
	VIRTIO_ID_NET = 1,
	VIRTIO_ID_BLOCK = 2,
	VIRTIO_ID_CONSOLE = 3,
	VIRTIO_ID_ENTROPY = 4,
	VIRTIO_ID_BALLOON = 5,
	VIRTIO_ID_SCSI = 8,
	VIRTIO_ID_9P = 9,
	VIRTIO_ID_GPU = 16,
	VIRTIO_ID_INPUT = 18,
	VIRTIO_ID_VSOCK = 19,
	VIRTIO_ID_CRYPTO = 20,
	VIRTIO_ID_IOMMU = 23,
	VIRTIO_ID_SOUND = 25,
	VIRTIO_ID_FS = 26,
};

/* Feature bit 32: the device complies with VIRTIO 1.x (not legacy). */
#define VIRTIO_F_VERSION_1 32

struct virtio_sysfs_device {
	char path[256];     /* /sys/bus/virtio/devices/virtioN */
	unsigned device_id;
	unsigned vendor_id;
	char features[129]; /* negotiated bits as Linux prints them: '0'/'1' per bit, bit 0 first */
	char driver[64];    /* bound driver name, "" when none */
};

/* Fills out[] with up to max devices of that ID (all IDs when id == 0); returns how many. */
int virtio_sysfs_find(unsigned id, struct virtio_sysfs_device *out, int max);
/* True when the negotiated features include bit. */
bool virtio_sysfs_has_feature(const struct virtio_sysfs_device *dev, unsigned bit);
/* Reads a small text file into buf without the trailing newline; false on error. */
bool read_text_file(const char *path, char *buf, size_t size);

#endif
