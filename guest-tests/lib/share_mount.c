/* Mounting a host-shared directory (virtio-9p, virtio-fs) by its tag, once per test program. */
#include "share_mount.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

bool share_mounted(const char *mount_point, const char *fstype)
{
	char wanted[256], line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	snprintf(wanted, sizeof(wanted), " %s %s ", mount_point, fstype);
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, wanted) != NULL;
	if (f)
		fclose(f);
	return found;
}

bool share_mount(const char *tag, const char *param_hint, const char *mount_point, const char *fstype,
		 const char *options, char *err, size_t err_size)
{
	if (share_mounted(mount_point, fstype))
		return true;
	if (!tag) {
		snprintf(err, err_size, "host did not say the mount tag: pass avps.%s=<tag>", param_hint);
		return false;
	}
	mkdir(mount_point, 0755);
	if (mount(tag, mount_point, fstype, 0, options) != 0) {
		snprintf(err, err_size, "mount -t %s %s %s: %s", fstype, tag, mount_point, strerror(errno));
		return false;
	}
	return true;
}
