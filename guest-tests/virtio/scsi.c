/* virtio-scsi: modern host adapter, the attached disk shows up with the configured capacity, and data written reads back. */
#define AVPS_SUITE "virtio.scsi"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define DEVICE_WHAT "virtio-scsi host device (ID 8)"
#define PROBE_WAIT_MS 5000 /* the SCSI scan is asynchronous: wait for the disk, bounded */

/* The first sdX whose sysfs device sits below the virtio-scsi device. */
static bool find_scsi_disk(const struct virtio_sysfs_device *dev, char *disk, size_t size)
{
	char virtio_real[PATH_MAX];
	if (!realpath(dev->path, virtio_real))
		return false;
	for (int waited = 0; waited <= PROBE_WAIT_MS; waited += 100) {
		DIR *d = opendir("/sys/block");
		for (struct dirent *e; d && (e = readdir(d));) {
			char link[300], real[PATH_MAX];
			if (strncmp(e->d_name, "sd", 2) != 0)
				continue;
			snprintf(link, sizeof(link), "/sys/block/%s/device", e->d_name);
			if (realpath(link, real) && strncmp(real, virtio_real, strlen(virtio_real)) == 0) {
				snprintf(disk, size, "%s", e->d_name);
				closedir(d);
				return true;
			}
		}
		if (d)
			closedir(d);
		usleep(100 * 1000);
	}
	return false;
}

static int open_disk(const char *disk, int flags)
{
	char path[64], attr[96], numbers[32];
	unsigned major_no, minor_no;
	snprintf(path, sizeof(path), "/dev/%s", disk);
	int fd = open(path, flags);
	if (fd >= 0)
		return fd;
	snprintf(attr, sizeof(attr), "/sys/block/%s/dev", disk);
	if (read_text_file(attr, numbers, sizeof(numbers)) && sscanf(numbers, "%u:%u", &major_no, &minor_no) == 2)
		mknod(path, S_IFBLK | 0600, makedev(major_no, minor_no));
	return open(path, flags);
}

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio scsi device (ID 8) is bound to a driver and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features (absent: SKIP, or not ok when the platform declares it)"),
	  "AVPS.STORAGE.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_SCSI, &dev, "scsi", DEVICE_WHAT);
	EXPECT_STREQ("virtio_scsi", dev.driver) TH_LOG("%s bound to '%s'", dev.path, dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(disk_capacity_from_config,
	  AVPS_CHECKS("the SCSI disk behind virtio-scsi has the size the host configured (avps.scsi_bytes)"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32], path[96], text[32];
	unsigned long long expected = 0;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_SCSI, &dev, "scsi", DEVICE_WHAT);
	ASSERT_TRUE(find_scsi_disk(&dev, disk, sizeof(disk)))
		TH_LOG("no SCSI disk behind %s within %d ms", dev.path, PROBE_WAIT_MS);
	ASSERT_TRUE(avps_param_u64("scsi_bytes", &expected))
		TH_LOG("host did not say the configured size: pass avps.scsi_bytes=<bytes>");
	snprintf(path, sizeof(path), "/sys/block/%s/size", disk);
	ASSERT_TRUE(read_text_file(path, text, sizeof(text)));
	EXPECT_EQ(expected, strtoull(text, NULL, 10) * 512ULL) TH_LOG("/dev/%s: host configured %llu bytes", disk, expected);
}

AVPS_TEST(data_round_trip,
	  AVPS_CHECKS("1 MiB of pattern written O_DIRECT to the SCSI disk and fsync'd reads back identical"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	const size_t len = 1 << 20;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_SCSI, &dev, "scsi", DEVICE_WHAT);
	ASSERT_TRUE(find_scsi_disk(&dev, disk, sizeof(disk))) TH_LOG("no SCSI disk behind %s", dev.path);
	int fd = open_disk(disk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s: %s", disk, strerror(errno));
	uint8_t *out, *in;
	ASSERT_EQ(0, posix_memalign((void **)&out, 4096, len));
	ASSERT_EQ(0, posix_memalign((void **)&in, 4096, len));
	uint32_t x = (uint32_t)time(NULL) | 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)x;
	}
	ASSERT_EQ((ssize_t)len, pwrite(fd, out, len, 1 << 20)) TH_LOG("write: %s", strerror(errno));
	ASSERT_EQ(0, fsync(fd)) TH_LOG("SYNCHRONIZE CACHE: %s", strerror(errno));
	ASSERT_EQ((ssize_t)len, pread(fd, in, len, 1 << 20)) TH_LOG("read: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(out, in, len)) TH_LOG("/dev/%s: 1 MiB read back differs from what was written", disk);
	free(out);
	free(in);
	close(fd);
}

TEST_HARNESS_MAIN
