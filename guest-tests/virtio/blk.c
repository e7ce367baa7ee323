/* virtio-blk: modern device, capacity from config, data integrity at scattered offsets with O_DIRECT, flush. */
#define AVPS_SUITE "virtio.blk"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_CONFIG_WCE 11

#define REGION_BYTES (256 * 1024)
#define REGION_COUNT 16 /* 4 MiB written in all */

/* The first virtio-blk device bound to virtio_blk, and its /dev node. */
static bool find_blk(struct virtio_sysfs_device *dev, char *disk, size_t disk_size)
{
	if (virtio_sysfs_find(VIRTIO_ID_BLOCK, dev, 1) < 1)
		return false;
	char block_dir[320];
	snprintf(block_dir, sizeof(block_dir), "%s/block", dev->path);
	DIR *d = opendir(block_dir);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] != '.') {
			snprintf(disk, disk_size, "%s", e->d_name);
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Opens /dev/<disk>, creating the node from sysfs when devtmpfs has not. */
static int open_disk(const char *disk, int flags)
{
	char path[128], dev_attr[128], numbers[32];
	snprintf(path, sizeof(path), "/dev/%s", disk);
	int fd = open(path, flags);
	if (fd >= 0)
		return fd;
	snprintf(dev_attr, sizeof(dev_attr), "/sys/block/%s/dev", disk);
	unsigned major_no, minor_no;
	if (read_text_file(dev_attr, numbers, sizeof(numbers)) &&
	    sscanf(numbers, "%u:%u", &major_no, &minor_no) == 2)
		mknod(path, S_IFBLK | 0600, makedev(major_no, minor_no));
	return open(path, flags);
}

static unsigned long long disk_bytes(const char *disk)
{
	char path[128], text[32];
	snprintf(path, sizeof(path), "/sys/block/%s/size", disk);
	if (!read_text_file(path, text, sizeof(text)))
		return 0;
	return strtoull(text, NULL, 10) * 512ULL;
}

/* Deterministic, offset-dependent pattern: stale or misplaced data cannot match. */
static void fill_pattern(uint64_t *buf, size_t words, uint64_t offset, uint64_t seed)
{
	uint64_t x = seed ^ (offset * 0x9e3779b97f4a7c15ULL);
	for (size_t i = 0; i < words; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x ^ (offset + i * 8);
	}
}

AVPS_TEST(modern_device, "AVPS.STORAGE.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk)))
		TH_LOG("no virtio-blk device (device ID 2) bound to a driver");
	EXPECT_STREQ("virtio_blk", dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("%s: VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s",
		       dev.path, dev.features);
}

AVPS_TEST(capacity_from_config, "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	unsigned long long expected = 0;
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	ASSERT_TRUE(avps_param_u64("blk_bytes", &expected))
		TH_LOG("host did not say the configured size: pass avps.blk_bytes=<bytes>");
	EXPECT_EQ(expected, disk_bytes(disk))
		TH_LOG("/dev/%s: host configured %llu bytes", disk, expected);
}

AVPS_TEST(data_integrity, "AVPS.STORAGE.1",
	  "VIRTIO-1.2: Device Types / Block Device / Device Operation #11")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	unsigned long long size = disk_bytes(disk);
	ASSERT_GE(size, (unsigned long long)REGION_BYTES * REGION_COUNT * 2)
		TH_LOG("disk too small for the test");
	int fd = open_disk(disk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s O_DIRECT: %s", disk, strerror(errno));

	void *wbuf, *rbuf;
	ASSERT_EQ(0, posix_memalign(&wbuf, 4096, REGION_BYTES));
	ASSERT_EQ(0, posix_memalign(&rbuf, 4096, REGION_BYTES));
	uint64_t seed = (uint64_t)getpid() * 2654435761ULL ^ (uint64_t)time(NULL);
	unsigned long long slots = size / REGION_BYTES, offsets[REGION_COUNT];
	for (int i = 0; i < REGION_COUNT; i++) {
		/* Spread over the disk: one region per stripe, the last at the very end. */
		unsigned long long stripe = slots / REGION_COUNT;
		unsigned long long slot = (unsigned long long)i * stripe + (seed >> (i % 32)) % stripe;
		offsets[i] = i == REGION_COUNT - 1 ? (slots - 1) * REGION_BYTES : slot * REGION_BYTES;
		fill_pattern(wbuf, REGION_BYTES / 8, offsets[i], seed);
		ASSERT_EQ(REGION_BYTES, pwrite(fd, wbuf, REGION_BYTES, (off_t)offsets[i]))
			TH_LOG("write at %llu: %s", offsets[i], strerror(errno));
	}
	ASSERT_EQ(0, fsync(fd)) TH_LOG("flush failed: %s", strerror(errno));
	for (int i = 0; i < REGION_COUNT; i++) {
		fill_pattern(wbuf, REGION_BYTES / 8, offsets[i], seed);
		memset(rbuf, 0, REGION_BYTES);
		ASSERT_EQ(REGION_BYTES, pread(fd, rbuf, REGION_BYTES, (off_t)offsets[i]))
			TH_LOG("read at %llu: %s", offsets[i], strerror(errno));
		EXPECT_EQ(0, memcmp(wbuf, rbuf, REGION_BYTES))
			TH_LOG("data read back at offset %llu differs from what was written", offsets[i]);
	}
	close(fd);
	free(wbuf);
	free(rbuf);
}

AVPS_TEST(flush, "AVPS.STORAGE.1", "VIRTIO-1.2: Device Types / Block Device / Device Initialization #2",
	  "VIRTIO-1.2: Device Types / Block Device / Device Operation #11")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	/* A device that offers CONFIG_WCE must offer FLUSH; Linux negotiates both when offered. */
	if (virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_CONFIG_WCE))
		EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_FLUSH))
			TH_LOG("CONFIG_WCE negotiated without FLUSH: %s", dev.features);
	ASSERT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_FLUSH))
		TH_LOG("VIRTIO_BLK_F_FLUSH not offered: writes can never be made stable on request");
	int fd = open_disk(disk, O_RDWR);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s: %s", disk, strerror(errno));
	char block[4096];
	memset(block, 0xa5, sizeof(block));
	ASSERT_EQ((ssize_t)sizeof(block), pwrite(fd, block, sizeof(block), 0));
	EXPECT_EQ(0, fdatasync(fd)) TH_LOG("flush request failed: %s", strerror(errno));
	close(fd);
}

TEST_HARNESS_MAIN
