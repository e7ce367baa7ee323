/* virtio-scmi: a virtio-scmi device (ID 32) is present, bound to a driver and modern; conditional on the platform offering scmi. */
#define AVPS_SUITE "virtio.scmi"
#include "avps_kselftest.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

/*
 * VIRTIO chapter: SCMI Device. Only the device interface is checked (device ID in
 * /sys/bus/virtio/devices, a driver bound, VIRTIO_F_VERSION_1): QEMU 7.2 has neither virtio-scmi nor vhost-user-scmi (`-device help`), the reference models have
 * no SCMI model yet, so no platform here offers one; Debian 6.1 arm64 has no CONFIG_ARM_SCMI_TRANSPORT_VIRTIO.
 * Absent device: SKIP, unless the platform declares avps.offers_scmi=1, then not ok.
 */
#define DEVICE_ID 32
#define DRIVER "scmi-virtio" /* CONFIG_ARM_SCMI_TRANSPORT_VIRTIO: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-scmi device (ID 32)"

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-scmi device is present, bound to the kernel's scmi-virtio driver and modern"),
	  "AVPS.POWER.2", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "scmi", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

TEST_HARNESS_MAIN
