/* Mounting a host-shared directory (virtio-9p, virtio-fs) by its tag, once per test program. */
#ifndef AVPS_SHARE_MOUNT_H
#define AVPS_SHARE_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

/* True when /proc/mounts lists mount_point with file system type fstype. */
bool share_mounted(const char *mount_point, const char *fstype);

/*
 * Mounts tag at mount_point as fstype with options (NULL: none) unless it is already mounted
 * there; tag NULL means the host named none (param_hint says which avps.* param to pass).
 * False with the reason in err.
 */
bool share_mount(const char *tag, const char *param_hint, const char *mount_point, const char *fstype,
		 const char *options, char *err, size_t err_size);

#endif
