/* Whether the running guest kernel has a driver at all, so a missing driver skips as the kernel's limit, never as the platform's. */
#ifndef AVPS_KERNEL_DRIVER_H
#define AVPS_KERNEL_DRIVER_H

#include <stdbool.h>

/* True when the kernel registered the virtio driver (/sys/bus/virtio/drivers/<name> exists):
 * built in, or loaded by the guest's init. Independent of any device. */
bool virtio_driver_registered(const char *name);

/*
 * In a test body, after the device was found: SKIPs with "no driver in this kernel" when the
 * kernel has no such virtio driver (Debian's 6.1 kernel lacks several). A registered driver
 * that did not bind the device is the case's failure to report, not a skip.
 */
#define REQUIRE_VIRTIO_DRIVER(name, what)                                                     \
	do {                                                                                  \
		if (!virtio_driver_registered(name))                                          \
			SKIP(return, "no driver in this kernel: %s needs virtio driver '%s' "   \
			     "(/sys/bus/virtio/drivers/%s absent)", what, name, name);          \
	} while (0)

#endif
