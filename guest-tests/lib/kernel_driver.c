/* Looks up registered drivers of the running kernel in sysfs. */
#include "kernel_driver.h"

#include <stdio.h>
#include <sys/stat.h>

bool virtio_driver_registered(const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s", name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
