/* virtio-watchdog: a virtio watchdog (ID 35, reserved, no device specification) is present, bound to a driver and modern; conditional on the platform offering watchdog. */
#define AVPS_SUITE "virtio.watchdog"
#include "avps_kselftest.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

/*
 * VIRTIO chapter: none: ID 35 is reserved. Only the device interface is checked (device ID in
 * /sys/bus/virtio/devices, a driver bound, VIRTIO_F_VERSION_1): VIRTIO defines no watchdog device yet.
 * No platform here offers a watchdog to run a behavioural case on: QEMU 7.2's virt machine has no
 * SBSA generic watchdog (sbsa-ref has one; Debian 12's qemu-efi-aarch64 ships no sbsa-ref firmware),
 * its i6300esb is a PCI device whose driver (CONFIG_I6300ESB_WDT) the suite kernel leaves out, and
 * refhv has no watchdog yet.
 * Absent device: SKIP, unless the platform declares avps.offers_watchdog=1, then not ok.
 */
#define DEVICE_ID 35
#define DEVICE_WHAT "virtio watchdog (ID 35, reserved, no device specification)"

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio watchdog device (ID 35) is bound to a driver and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features (absent: SKIP, or not ok when the platform declares it)"),
	  "AVPS.WATCHDOG.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "watchdog", DEVICE_WHAT);
	EXPECT_STRNE("", dev.driver) TH_LOG("%s (device ID %d) has no driver bound: the guest kernel cannot use it",
					    dev.path, DEVICE_ID);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

TEST_HARNESS_MAIN
