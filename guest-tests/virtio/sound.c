/* virtio-sound: a virtio-sound device (ID 25) is present, bound to a driver and modern; conditional on the platform offering audio. */
#define AVPS_SUITE "virtio.sound"
#include "avps_kselftest.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

/*
 * VIRTIO chapter: Sound Device. Only the device interface is checked (device ID in
 * /sys/bus/virtio/devices, a driver bound, VIRTIO_F_VERSION_1): QEMU 7.2 has no virtio-sound device (`-device help`), the reference models have no sound model
 * yet, so no platform here offers one to run PCM or jack cases on; Debian 6.1 arm64 has no CONFIG_SND_VIRTIO.
 * Absent device: SKIP, unless the platform declares avps.offers_audio=1, then not ok.
 */
#define DEVICE_ID 25
#define DRIVER "virtio_snd" /* CONFIG_SND_VIRTIO: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-sound device (ID 25)"

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-sound device is present, bound to the kernel's virtio_snd driver and modern"),
	  "AVPS.AUDIO.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "audio", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

TEST_HARNESS_MAIN
