/* virtio-iommu: a declared virtio-iommu (ID 23) is bound and modern, and the PCI endpoint declared behind it does DMA through a translated domain of it. */
#define AVPS_SUITE "virtio.iommu"
#include "avps_kselftest.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "kernel_cmdline.h"
#include "virtio_sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * VIRTIO chapter: IOMMU Device. QEMU 7.2 offers virtio-iommu-pci on virt: its device tree
 * (iommu-map) puts every other PCI function behind it. The platform declares
 * avps.iommu_endpoint (the PCI address, e.g. 0000:00:03.0, of a virtio entropy device behind
 * the IOMMU, the guest's only hardware RNG): the case reads it through /dev/hwrng, so its DMA
 * goes through the IOMMU's mappings. Debian 6.1 arm64 has no CONFIG_VIRTIO_IOMMU.
 * Absent device: SKIP, unless the platform declares avps.offers_iommu=1, then not ok.
 */
#define DEVICE_ID 23
#define DRIVER "virtio_iommu" /* CONFIG_VIRTIO_IOMMU: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-iommu device (ID 23)"

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-iommu device is present, bound to the kernel's virtio_iommu driver and modern"),
	  "AVPS.IOMMU.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "iommu", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

#define VIRTIO_F_ACCESS_PLATFORM 33
#define DMA_BYTES 4096
#define DMA_WAIT_S 5

static void interrupted(int sig)
{
	(void)sig; /* only ends the blocking read with EINTR */
}

/* Reads len bytes from /dev/hwrng, giving up after DMA_WAIT_S seconds; returns the count read. */
static size_t read_hwrng_within(unsigned char *buf, size_t len, int *err)
{
	struct sigaction alarm_action = { .sa_handler = interrupted }; /* no SA_RESTART */
	sigaction(SIGALRM, &alarm_action, NULL);
	size_t got = 0;
	*err = 0;
	int fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0) {
		*err = errno;
		return 0;
	}
	alarm(DMA_WAIT_S);
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0) {
			*err = n < 0 ? errno : EIO;
			break;
		}
		got += (size_t)n;
	}
	alarm(0);
	close(fd);
	return got;
}

/* Finds the virtio entropy device (ID 4) under the given sysfs device folder into *out. */
static bool entropy_device_under(const char *folder, struct virtio_sysfs_device *out)
{
	struct virtio_sysfs_device rngs[8];
	char parent[PATH_MAX];
	int n = virtio_sysfs_find(VIRTIO_ID_ENTROPY, rngs, 8);
	if (!realpath(folder, parent))
		return false;
	for (int i = 0; i < n; i++) {
		char real[PATH_MAX];
		if (realpath(rngs[i].path, real) && !strncmp(real, parent, strlen(parent)) && real[strlen(parent)] == '/') {
			*out = rngs[i];
			return true;
		}
	}
	return false;
}

AVPS_TEST(endpoint_dma_through_iommu,
	  AVPS_CHECKS("the entropy device at the PCI address the platform declares behind the virtio-iommu "
		      "(avps.iommu_endpoint) is in a translated (DMA) group of that IOMMU, and 4 KiB it writes by DMA "
		      "through the IOMMU's mappings arrive within 5 s and are not all one byte"),
	  "AVPS.IOMMU.1")
{
	struct virtio_sysfs_device dev;
	char endpoint[64], path[PATH_MAX], link[PATH_MAX], type[32], current[64];
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "iommu", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	if (!avps_param("iommu_endpoint", endpoint, sizeof(endpoint)))
		SKIP(return, "the platform declares no PCI endpoint behind the IOMMU (avps.iommu_endpoint)");
	const char *iommu = strrchr(dev.path, '/') + 1;
	/* The endpoint's IOMMU is the virtio-iommu device (its iommu class device sits under virtioN). */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", endpoint);
	ASSERT_TRUE(realpath(path, link) != NULL) TH_LOG("%s: %s (the endpoint is not behind any IOMMU)", path, strerror(errno));
	char needle[80];
	snprintf(needle, sizeof(needle), "/%s/", iommu);
	ASSERT_TRUE(strstr(link, needle) != NULL) TH_LOG("endpoint %s is behind %s, not the virtio-iommu %s", endpoint, link, iommu);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/type", endpoint);
	ASSERT_TRUE(read_text_file(path, type, sizeof(type))) TH_LOG("%s unreadable: the endpoint has no IOMMU group", path);
	ASSERT_TRUE(!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ"))
		TH_LOG("endpoint %s's IOMMU group is '%s', not a translated (DMA) domain", endpoint, type);
	ASSERT_TRUE(read_text_file("/sys/class/misc/hw_random/rng_current", current, sizeof(current)))
		TH_LOG("no /sys/class/misc/hw_random/rng_current: no hardware RNG registered");
	/* The endpoint is a virtio entropy device and the only hardware RNG, so /dev/hwrng reads it. */
	char available[256];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", endpoint);
	struct virtio_sysfs_device rng;
	ASSERT_TRUE(entropy_device_under(path, &rng)) TH_LOG("no virtio entropy device (ID 4) at PCI endpoint %s", endpoint);
	/* Without ACCESS_PLATFORM the device and the driver both use physical addresses: no IOMMU involved. */
	ASSERT_TRUE(virtio_sysfs_has_feature(&rng, VIRTIO_F_ACCESS_PLATFORM))
		TH_LOG("endpoint %s did not negotiate VIRTIO_F_ACCESS_PLATFORM: its DMA bypasses the IOMMU, features=%s",
		       endpoint, rng.features);
	ASSERT_TRUE(read_text_file("/sys/class/misc/hw_random/rng_available", available, sizeof(available)));
	ASSERT_STREQ(current, available) /* read_text_file drops the list's trailing blank */ TH_LOG("/dev/hwrng is served by '%s' of '%s': the endpoint must be the only "
						 "hardware RNG", current, available);
	static unsigned char buf[DMA_BYTES];
	int err;
	size_t got = read_hwrng_within(buf, sizeof(buf), &err);
	ASSERT_EQ(sizeof(buf), got) TH_LOG("%zu of %d bytes from the entropy device behind the IOMMU within %d s%s%s", got,
					    DMA_BYTES, DMA_WAIT_S, err ? ": " : "", err ? strerror(err) : "");
	size_t same = 0;
	for (size_t i = 1; i < sizeof(buf); i++)
		same += buf[i] == buf[0];
	ASSERT_LT(same, sizeof(buf) - 1) TH_LOG("all %d bytes read through the IOMMU are 0x%02x", DMA_BYTES, buf[0]);
	ksft_print_msg("endpoint %s: group type %s, %d bytes by DMA through %s\n", endpoint, type, DMA_BYTES, iommu);
}

TEST_HARNESS_MAIN
