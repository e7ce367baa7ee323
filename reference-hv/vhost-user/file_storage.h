/* A disk image file as the persistent storage behind the block model. */
#ifndef AVPS_VHOST_USER_FILE_STORAGE_H
#define AVPS_VHOST_USER_FILE_STORAGE_H

#include "../devices/virtio_device.h"

struct file_storage {
	int fd;
	struct vdev_storage ops;
};

/* Opens path (read-only when read_only); false with a message when it cannot. */
bool file_storage_open(struct file_storage *fs, const char *path, bool read_only, char *err, size_t err_size);
void file_storage_close(struct file_storage *fs);

#endif
