/* virtio-i2c: a virtio-i2c adapter (ID 34) is present, bound to a driver and modern; conditional on the platform offering i2c. */
#define AVPS_SUITE "virtio.i2c"
#include "avps_kselftest.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

/*
 * VIRTIO chapter: I2C Adapter Device. Only the device interface is checked (device ID in
 * /sys/bus/virtio/devices, a driver bound, VIRTIO_F_VERSION_1): needs a vhost-user-i2c backend; Debian 6.1 arm64 has no CONFIG_I2C_VIRTIO.
 * Absent device: SKIP, unless the platform declares avps.offers_i2c=1, then not ok.
 */
#define DEVICE_ID 34
#define DRIVER "i2c_virtio" /* CONFIG_I2C_VIRTIO: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-i2c adapter (ID 34)"

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-i2c adapter is present, bound to the kernel's i2c_virtio driver and modern"),
	  "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "i2c", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

TEST_HARNESS_MAIN
