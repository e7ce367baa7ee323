/* virtio-watchdog: a virtio watchdog (ID 35, reserved, no device specification) is present, bound and modern; a platform watchdog (/dev/watchdog) counts down and a keepalive restores it. */
#define AVPS_SUITE "virtio.watchdog"
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "avps_kselftest.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

/*
 * VIRTIO chapter: none: ID 35 is reserved. Only the device interface is checked (device ID in
 * /sys/bus/virtio/devices, a driver bound, VIRTIO_F_VERSION_1): VIRTIO defines no watchdog device yet.
 * No platform here offers a watchdog to run a behavioural case on: QEMU 7.2's virt machine has no
 * SBSA generic watchdog (sbsa-ref has one; Debian 12's qemu-efi-aarch64 ships no sbsa-ref firmware),
 * its i6300esb is a PCI device whose driver (CONFIG_I6300ESB_WDT) the suite kernel leaves out.
 * Absent device: SKIP, unless the platform declares avps.offers_watchdog=1, then not ok.
 *
 * The platform watchdog AVPS platforms offer is not virtio: refhv's `watchdog` line gives the VM an Arm SBSA
 * Generic Watchdog (reference-hv/watchdog/), which Linux drives as /dev/watchdog (CONFIG_ARM_SBSA_WATCHDOG).
 * countdown_and_keepalive arms it through the kernel's watchdog API and reads the time left the device's
 * registers give (sbsa_gwdt: WOR + WCV - system counter), so a device that is not refreshed shows.
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

#define WATCHDOG_TIMEOUT_S 10
#define WATCHDOG_WAIT_S 2

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

AVPS_TEST(countdown_and_keepalive,
	  AVPS_CHECKS("the platform watchdog (/dev/watchdog) takes a 10 s timeout, its time left falls by about the "
	              "2 s waited, a keepalive restores it, and the magic close stops it (absent: SKIP)"),
	  "AVPS.WATCHDOG.1")
{
	if (access("/dev/watchdog", F_OK) != 0)
		SKIP(return, "no watchdog device (/dev/watchdog absent)");
	int fd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open /dev/watchdog: %s", strerror(errno));

	struct watchdog_info info = { 0 };
	int timeout = WATCHDOG_TIMEOUT_S, read_back = 0, left0 = -1, left1 = -1, left2 = -1;
	EXPECT_EQ(0, ioctl(fd, WDIOC_GETSUPPORT, &info)) TH_LOG("WDIOC_GETSUPPORT: %s", strerror(errno));
	EXPECT_EQ(0, ioctl(fd, WDIOC_SETTIMEOUT, &timeout)) TH_LOG("WDIOC_SETTIMEOUT %d: %s", WATCHDOG_TIMEOUT_S,
								  strerror(errno));
	EXPECT_EQ(0, ioctl(fd, WDIOC_GETTIMEOUT, &read_back)) TH_LOG("WDIOC_GETTIMEOUT: %s", strerror(errno));
	EXPECT_EQ(WATCHDOG_TIMEOUT_S, read_back) TH_LOG("timeout set to %d s reads back as %d s (%s)",
							 WATCHDOG_TIMEOUT_S, read_back, info.identity);
	bool has_timeleft = ioctl(fd, WDIOC_GETTIMELEFT, &left0) == 0;
	EXPECT_TRUE(has_timeleft) TH_LOG("WDIOC_GETTIMELEFT: %s (%s)", strerror(errno), info.identity);
	if (has_timeleft) {
		double start = monotonic_s();
		sleep(WATCHDOG_WAIT_S);
		EXPECT_EQ(0, ioctl(fd, WDIOC_GETTIMELEFT, &left1));
		double waited = monotonic_s() - start;
		EXPECT_EQ(0, ioctl(fd, WDIOC_KEEPALIVE, 0)) TH_LOG("WDIOC_KEEPALIVE: %s", strerror(errno));
		EXPECT_EQ(0, ioctl(fd, WDIOC_GETTIMELEFT, &left2));
		TH_LOG("time left: %d s after arming, %d s after %.2f s, %d s after the keepalive", left0, left1,
		       waited, left2);
		EXPECT_TRUE(left0 >= WATCHDOG_TIMEOUT_S - 1 && left0 <= WATCHDOG_TIMEOUT_S)
			TH_LOG("time left %d s right after setting a %d s timeout", left0, WATCHDOG_TIMEOUT_S);
		EXPECT_TRUE(left1 < left0 && left0 - left1 <= (int)waited + 1)
			TH_LOG("time left went from %d s to %d s in %.2f s: not counting down with time", left0, left1,
			       waited);
		EXPECT_TRUE(left2 > left1 && left2 >= left0 - 1)
			TH_LOG("keepalive did not restore the time left: %d s before it, %d s after (armed: %d s)", left1,
			       left2, left0);
	}
	/* Magic close: 'V' then close stops the watchdog, so it cannot reset this VM after the case. */
	if (info.options & WDIOF_MAGICCLOSE) {
		EXPECT_EQ(1, write(fd, "V", 1)) TH_LOG("magic close write: %s", strerror(errno));
	} else {
		TH_LOG("the driver offers no magic close (WDIOF_MAGICCLOSE): closing leaves it to the kernel");
	}
	close(fd);
}

TEST_HARNESS_MAIN
