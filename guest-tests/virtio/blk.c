/* virtio-blk: modern device, capacity and topology from config, data integrity, flush, write-zeroes, discard, read-only, multi-queue. */
#define AVPS_SUITE "virtio.blk"
#include "avps_kselftest.h"
#include "disk_pattern.h"
#include "host_request.h"
#include "kernel_cmdline.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* VIRTIO 1.2 Block Device / Feature bits */
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define REGION_BYTES (256 * 1024)
#define REGION_COUNT 16 /* 4 MiB written in all */

/* The disk name (vdX) a virtio-blk device exposes, from <device>/block/. */
static bool disk_of(const struct virtio_sysfs_device *dev, char *disk, size_t disk_size)
{
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

/* Reads /sys/block/<disk>/<attribute> (e.g. "serial", "queue/logical_block_size"). */
static bool disk_attribute(const char *disk, const char *attribute, char *text, size_t size)
{
	char path[160];
	snprintf(path, sizeof(path), "/sys/block/%s/%s", disk, attribute);
	return read_text_file(path, text, size);
}

static unsigned long long disk_attribute_u64(const char *disk, const char *attribute)
{
	char text[32];
	return disk_attribute(disk, attribute, text, sizeof(text)) ? strtoull(text, NULL, 10) : 0;
}

/*
 * The platform names its read-only disk by serial (avps.blk_ro_serial). want_read_only
 * picks that disk; otherwise the first virtio-blk disk that is not it.
 */
static bool find_blk_role(bool want_read_only, struct virtio_sysfs_device *dev, char *disk, size_t disk_size)
{
	struct virtio_sysfs_device all[8];
	char ro_serial[64] = "", serial[64];
	bool has_ro_serial = avps_param("blk_ro_serial", ro_serial, sizeof(ro_serial));
	int n = virtio_sysfs_find(VIRTIO_ID_BLOCK, all, 8);
	for (int i = 0; i < n; i++) {
		if (!disk_of(&all[i], disk, disk_size))
			continue;
		bool is_ro_disk = has_ro_serial && disk_attribute(disk, "serial", serial, sizeof(serial)) &&
				  strcmp(serial, ro_serial) == 0;
		if (is_ro_disk == want_read_only) {
			*dev = all[i];
			return true;
		}
	}
	return false;
}

/* The platform's main (writable) virtio-blk disk and its /dev node name. */
static bool find_blk(struct virtio_sysfs_device *dev, char *disk, size_t disk_size)
{
	return find_blk_role(false, dev, disk, disk_size);
}

/* True when the platform declares blk feature word in avps.blk_offers (e.g. "discard"). */
static bool platform_declares(const char *word)
{
	char list[128];
	return avps_param("blk_offers", list, sizeof(list)) && avps_list_has(list, word);
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

/*
 * Byte ranges of the main disk that cases other than data_integrity write (or read back a
 * pattern from). Everything the host checks after power-off must stay intact until then, so
 * data_integrity's regions avoid these and these avoid each other.
 */
static const struct {
	unsigned long long start, length;
} other_cases_ranges[] = {
	{ 0, 256 << 10 },     /* flush */
	{ 8 << 20, 3 << 20 }, /* write_zeroes_reads_back_zero */
	{ 16 << 20, 1 << 20 }, /* discard_accepted */
	{ 24 << 20, 1 << 20 }, /* multi_queue: 64 KiB per queue */
};
#define FLUSH_OFFSET 0ULL
#define HOST_DISK_TIMEOUT_MS 5000
#define FLUSH_BYTES (64 * 1024)
#define MULTI_QUEUE_OFFSET (24ULL << 20)
#define MULTI_QUEUE_MAX 16

static bool overlaps_other_cases(unsigned long long start, unsigned long long length)
{
	for (size_t i = 0; i < sizeof(other_cases_ranges) / sizeof(other_cases_ranges[0]); i++)
		if (start < other_cases_ranges[i].start + other_cases_ranges[i].length &&
		    other_cases_ranges[i].start < start + length)
			return true;
	return false;
}

/*
 * The seed of every pattern written to the main disk: the host's nonce for its image
 * (avps.blk_nonce, 16 hex digits) so the host can regenerate what the guest wrote; without
 * one, a local value (the host then has nothing to compare with and the host-judged cases
 * cannot pass).
 */
static uint64_t pattern_seed(void)
{
	char text[32];
	if (avps_param("blk_nonce", text, sizeof(text)))
		return strtoull(text, NULL, 16);
	return (uint64_t)getpid() * 2654435761ULL ^ (uint64_t)time(NULL);
}

/*
 * Asks the host to check, once the platform stopped, that each region holds
 * fill_pattern(seed, offset) in its image of this disk (harness/avps_cts/host/disk_content.py).
 */
static void request_host_disk_check(const char *case_id, uint64_t seed, size_t bytes,
				    const unsigned long long *offsets, int count)
{
	char at[512];
	size_t used = 0;
	at[0] = '\0';
	for (int i = 0; i < count && used < sizeof(at); i++)
		used += (size_t)snprintf(at + used, sizeof(at) - used, "%s%llu", i ? "," : "", offsets[i]);
	fprintf(stderr, "# host-disk-check: %s nonce=%016llx bytes=%zu at=%s\n", case_id,
		(unsigned long long)seed, bytes, at);
	fflush(stderr);
}

AVPS_TEST(modern_device,
	  AVPS_CHECKS("a virtio-blk disk is bound to virtio_blk and VIRTIO_F_VERSION_1 is among its negotiated "
	              "features (sysfs)"),
	  "AVPS.STORAGE.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
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

AVPS_TEST(capacity_from_config,
	  AVPS_CHECKS("the disk size Linux read from the device's capacity field equals the size the host configured "
	              "(avps.blk_bytes)"),
	  "AVPS.STORAGE.1")
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

AVPS_TEST(data_integrity,
	  AVPS_CHECKS("16 patterned 256 KiB regions spread over the disk, written O_DIRECT and flushed, read back "
		      "identical, and the host finds them at the same offsets of its disk image after power-off"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	unsigned long long size = disk_bytes(disk);
	ASSERT_GE(size, 32ULL << 20) TH_LOG("disk too small for the test (%llu bytes, need 32 MiB)", size);
	int fd = open_disk(disk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s O_DIRECT: %s", disk, strerror(errno));

	void *wbuf, *rbuf;
	ASSERT_EQ(0, posix_memalign(&wbuf, 4096, REGION_BYTES));
	ASSERT_EQ(0, posix_memalign(&rbuf, 4096, REGION_BYTES));
	uint64_t seed = pattern_seed();
	unsigned long long slots = size / REGION_BYTES, stripe = slots / REGION_COUNT, offsets[REGION_COUNT];
	for (int i = 0; i < REGION_COUNT; i++) {
		/* Spread over the disk: one region per stripe, the last at the very end, none where
		 * a later case writes. */
		unsigned long long slot = i == REGION_COUNT - 1 ? slots - 1 : (unsigned long long)i * stripe +
										 (seed >> (i % 32)) % stripe;
		for (unsigned long long tries = 0; overlaps_other_cases(slot * REGION_BYTES, REGION_BYTES); tries++) {
			ASSERT_LT(tries, stripe) TH_LOG("stripe %d of the disk has no slot free of other cases", i);
			slot = (unsigned long long)i * stripe + (slot + 1 - (unsigned long long)i * stripe) % stripe;
		}
		offsets[i] = slot * REGION_BYTES;
		fill_pattern(wbuf, REGION_BYTES / 8, offsets[i], seed);
		ASSERT_EQ(REGION_BYTES, pwrite(fd, wbuf, REGION_BYTES, (off_t)offsets[i]))
			TH_LOG("write at %llu: %s", offsets[i], strerror(errno));
	}
	ASSERT_EQ(0, fsync(fd)) TH_LOG("flush failed: %s", strerror(errno));
	request_host_disk_check(AVPS_SUITE ".data_integrity", seed, REGION_BYTES, offsets, REGION_COUNT);
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

/*
 * VIRTIO 1.2 Block Device / Device Operation: a write is stable once completed and then either
 * (1) FLUSH was offered but neither FLUSH nor CONFIG_WCE negotiated, (2) writeback was 0 the
 * whole time, or (3) a FLUSH sent after it completed; a device with persistent backing MUST
 * commit stable writes before completing the write (1, 2) or the flush (3). Linux negotiates
 * FLUSH whenever it is offered, so here case (3) applies exactly when FLUSH is negotiated.
 * Offering FLUSH is only a SHOULD (Device Initialization #1): without it nothing is required.
 */
AVPS_TEST(flush,
	  AVPS_CHECKS("with FLUSH negotiated, 64 KiB written through the page cache and fdatasync'd (write + FLUSH) "
		      "are in the host's disk image right after the flush completed (AVPS-DISK) and after power-off"),
	  "AVPS.STORAGE.1", "VIRTIO-1.2: Device Types / Block Device / Device Operation #11")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	if (!virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_FLUSH))
		SKIP(return, "VIRTIO_BLK_F_FLUSH not negotiated: no write is made stable by a flush here, and "
			     "offering FLUSH is a SHOULD (Block Device / Device Initialization #1)");
	int fd = open_disk(disk, O_RDWR);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s: %s", disk, strerror(errno));
	static uint64_t block[FLUSH_BYTES / 8];
	uint64_t seed = pattern_seed();
	unsigned long long offset = FLUSH_OFFSET;
	fill_pattern(block, FLUSH_BYTES / 8, offset, seed);
	ASSERT_EQ((ssize_t)sizeof(block), pwrite(fd, block, sizeof(block), (off_t)offset))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(0, fdatasync(fd)) TH_LOG("flush request failed: %s", strerror(errno));
	/* The flush completed: the host reads its image now, while the platform still runs. */
	char request[96], prefix[48], reply[160];
	snprintf(request, sizeof(request), "AVPS-DISK %016llx %d %llu", (unsigned long long)seed, FLUSH_BYTES, offset);
	snprintf(prefix, sizeof(prefix), "AVPS-DISK-REPLY %llu ", offset);
	const char *state = reply + strlen(prefix);
	bool answered = host_request(request, prefix, reply, sizeof(reply), HOST_DISK_TIMEOUT_MS);
	if (answered && (strcmp(state, "unknown-nonce") == 0 || strcmp(state, "refused") == 0)) {
		/* The host cannot read this disk (it did not issue the nonce: e.g. a LAVA lab's responder). */
		TH_LOG("the host cannot read its disk image while running (%s): only the reading after power-off judges",
		       state);
	} else if (answered) {
		EXPECT_STREQ("match", state)
			TH_LOG("right after the FLUSH completed, the host's disk image does not hold the data: %s "
			       "(not in the disk image)", state);
		TH_LOG("host read its disk image right after the FLUSH completed: %s", state);
	} else {
		TH_LOG("no host reading while running (%s): only the reading after power-off judges", reply);
	}
	request_host_disk_check(AVPS_SUITE ".flush", seed, FLUSH_BYTES, &offset, 1);
	close(fd);
}

/* Fills [offset, offset+len) with a pattern through O_DIRECT so the device really stores it. */
static bool write_pattern(int fd, void *buf, size_t len, off_t offset, uint64_t seed)
{
	fill_pattern(buf, len / 8, (uint64_t)offset, seed);
	return pwrite(fd, buf, len, offset) == (ssize_t)len && fsync(fd) == 0;
}

static bool all_zero(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

AVPS_TEST(write_zeroes_reads_back_zero,
	  AVPS_CHECKS("after BLKZEROOUT through the device's WRITE_ZEROES the zeroed MiB reads back as zeroes and its "
	              "patterned neighbours are unchanged"),
	  "AVPS.STORAGE.1", "VIRTIO-1.2: Device Types / Block Device / Device Operation #7")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	if (!virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_WRITE_ZEROES)) {
		ASSERT_FALSE(platform_declares("write_zeroes"))
			TH_LOG("platform declares write_zeroes (avps.blk_offers) but VIRTIO_BLK_F_WRITE_ZEROES "
			       "is not negotiated: features=%s", dev.features);
		SKIP(return, "device does not offer VIRTIO_BLK_F_WRITE_ZEROES");
	}
	/* Without a write-zeroes limit Linux would write zero pages itself: the device path is untested. */
	ASSERT_LT(0ULL, disk_attribute_u64(disk, "queue/write_zeroes_max_bytes"))
		TH_LOG("/sys/block/%s/queue/write_zeroes_max_bytes is 0 although WRITE_ZEROES is negotiated", disk);
	const size_t len = 1 << 20; /* zero the middle MiB of 3 patterned MiB */
	const off_t base = 8 << 20;
	int fd = open_disk(disk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s O_DIRECT: %s", disk, strerror(errno));
	unsigned char *buf;
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 3 * len));
	uint64_t seed = (uint64_t)time(NULL) ^ 0x5a5a;
	ASSERT_TRUE(write_pattern(fd, buf, 3 * len, base, seed)) TH_LOG("patterned write: %s", strerror(errno));
	uint64_t range[2] = { (uint64_t)base + len, len };
	ASSERT_EQ(0, ioctl(fd, BLKZEROOUT, range)) TH_LOG("BLKZEROOUT: %s", strerror(errno));
	memset(buf, 0xee, 3 * len);
	ASSERT_EQ((ssize_t)(3 * len), pread(fd, buf, 3 * len, base)) TH_LOG("read back: %s", strerror(errno));
	EXPECT_TRUE(all_zero(buf + len, len))
		TH_LOG("after write zeroes of [%llu, +%zu) the range does not read back as zeroes",
		       (unsigned long long)range[0], len);
	unsigned char *expected;
	ASSERT_EQ(0, posix_memalign((void **)&expected, 4096, 3 * len));
	fill_pattern((uint64_t *)expected, 3 * len / 8, (uint64_t)base, seed);
	EXPECT_EQ(0, memcmp(expected, buf, len)) TH_LOG("data before the zeroed range changed");
	EXPECT_EQ(0, memcmp(expected + 2 * len, buf + 2 * len, len)) TH_LOG("data after the zeroed range changed");
	free(expected);
	free(buf);
	close(fd);
}

AVPS_TEST(discard_accepted,
	  AVPS_CHECKS("with DISCARD negotiated, a 1 MiB BLKDISCARD completes without error and the range takes a "
	              "write afterwards"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	if (!virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_DISCARD)) {
		ASSERT_FALSE(platform_declares("discard"))
			TH_LOG("platform declares discard (avps.blk_offers) but VIRTIO_BLK_F_DISCARD "
			       "is not negotiated: features=%s", dev.features);
		SKIP(return, "device does not offer VIRTIO_BLK_F_DISCARD");
	}
	unsigned long long max_bytes = disk_attribute_u64(disk, "queue/discard_max_bytes");
	unsigned long long granularity = disk_attribute_u64(disk, "queue/discard_granularity");
	ASSERT_LT(0ULL, max_bytes) TH_LOG("/sys/block/%s/queue/discard_max_bytes is 0 with DISCARD negotiated", disk);
	ASSERT_LT(0ULL, granularity) TH_LOG("discard_granularity is 0");
	int fd = open_disk(disk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s: %s", disk, strerror(errno));
	uint64_t range[2] = { 16ULL << 20, 1ULL << 20 };
	EXPECT_EQ(0, ioctl(fd, BLKDISCARD, range))
		TH_LOG("BLKDISCARD of 1 MiB at 16 MiB failed: %s (device answered the discard with an error)",
		       strerror(errno));
	/* After a discard the content is unspecified; the disk must still take writes there. */
	void *buf;
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 65536));
	EXPECT_TRUE(write_pattern(fd, buf, 65536, (off_t)range[0], 7)) TH_LOG("write after discard: %s", strerror(errno));
	free(buf);
	close(fd);
}

/*
 * Only what the device tells the driver is checked here: a write to a disk marked read-only is
 * refused by Linux's block layer before it reaches the device, so what the device does with
 * one is checked by the virtio-mmio probe (virtio.blk.readonly_write_rejected).
 */
AVPS_TEST(readonly_disk_announced,
	  AVPS_CHECKS("the disk the platform attaches read-only (avps.blk_ro_serial) is announced read-only: "
		      "VIRTIO_BLK_F_RO offered, so Linux marks it ro"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32], serial[64];
	if (!avps_param("blk_ro_serial", serial, sizeof(serial)))
		SKIP(return, "platform has no read-only disk (avps.blk_ro_serial not given)");
	ASSERT_TRUE(find_blk_role(true, &dev, disk, sizeof(disk)))
		TH_LOG("no virtio-blk disk with serial '%s' (the platform's read-only disk)", serial);
	/* virtio_blk accepts VIRTIO_BLK_F_RO whenever it is offered: negotiated = offered. */
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_RO))
		TH_LOG("/dev/%s is read-only on the host but VIRTIO_BLK_F_RO is not offered: features=%s",
		       disk, dev.features);
	EXPECT_EQ(1ULL, disk_attribute_u64(disk, "ro")) TH_LOG("/sys/block/%s/ro is not 1", disk);
}

AVPS_TEST(block_size_and_topology,
	  AVPS_CHECKS("Linux's logical/physical block sizes equal the host's configured ones, with BLK_SIZE/TOPOLOGY "
	              "negotiated where they differ from 512/logical"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32];
	unsigned long long logical = 0, physical = 0;
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	ASSERT_TRUE(avps_param_u64("blk_logical_block_size", &logical) &&
		    avps_param_u64("blk_physical_block_size", &physical))
		TH_LOG("host did not say the configured block sizes: pass avps.blk_logical_block_size= "
		       "and avps.blk_physical_block_size=");
	if (logical != 512)
		EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_BLK_SIZE))
			TH_LOG("block size %llu configured but VIRTIO_BLK_F_BLK_SIZE not offered", logical);
	if (physical != logical)
		EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BLK_F_TOPOLOGY))
			TH_LOG("physical block %llu != logical %llu but VIRTIO_BLK_F_TOPOLOGY not offered",
			       physical, logical);
	EXPECT_EQ(logical, disk_attribute_u64(disk, "queue/logical_block_size"))
		TH_LOG("/sys/block/%s/queue/logical_block_size differs from the host's %llu", disk, logical);
	EXPECT_EQ(physical, disk_attribute_u64(disk, "queue/physical_block_size"))
		TH_LOG("/sys/block/%s/queue/physical_block_size differs from the host's %llu", disk, physical);
}

/* The first CPU in /sys/block/<disk>/mq/<queue>/cpu_list ("0, 2" or "1"), -1 if none. */
static int first_cpu_of_queue(const char *disk, int queue)
{
	char attr[64], list[128];
	snprintf(attr, sizeof(attr), "mq/%d/cpu_list", queue);
	if (!disk_attribute(disk, attr, list, sizeof(list)))
		return -1;
	char *end;
	long cpu = strtol(list, &end, 10);
	return end == list ? -1 : (int)cpu;
}

/* Writes and reads back 64 KiB O_DIRECT from `cpu` (pinned): blk-mq submits it on that CPU's hardware queue. */
static bool round_trip_on_cpu(int fd, int cpu, off_t offset, uint64_t seed, char *why, size_t why_size)
{
	cpu_set_t set, saved;
	sched_getaffinity(0, sizeof(saved), &saved);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		snprintf(why, why_size, "cannot pin to CPU %d: %s", cpu, strerror(errno));
		return false;
	}
	void *wbuf = NULL, *rbuf = NULL;
	bool ok = posix_memalign(&wbuf, 4096, 65536) == 0 && posix_memalign(&rbuf, 4096, 65536) == 0;
	if (ok) {
		fill_pattern(wbuf, 65536 / 8, (uint64_t)offset, seed);
		memset(rbuf, 0, 65536);
		ok = pwrite(fd, wbuf, 65536, offset) == 65536 && pread(fd, rbuf, 65536, offset) == 65536;
		if (!ok)
			snprintf(why, why_size, "I/O from CPU %d failed: %s", cpu, strerror(errno));
		else if (memcmp(wbuf, rbuf, 65536) != 0)
			ok = false, snprintf(why, why_size, "data read back from CPU %d differs from what it wrote", cpu);
	}
	free(wbuf);
	free(rbuf);
	sched_setaffinity(0, sizeof(saved), &saved);
	return ok;
}

/*
 * A platform that declares N queues (avps.blk_queues) must offer VIRTIO_BLK_F_MQ with
 * num_queues = N. virtio_blk creates min(num_queues, CPUs) hardware queues, hardware queue n
 * being virtqueue n, and blk-mq submits a CPU's I/O on the queue whose cpu_list holds it; so
 * I/O from one CPU of each hardware queue travels on each of the first min(N, CPUs)
 * virtqueues (all N when the guest has at least N CPUs).
 */
AVPS_TEST(multi_queue,
	  AVPS_CHECKS("the disk has as many queues as the platform declares (up to the CPU count) and 64 KiB written "
		      "and read back from a CPU of each hardware queue, so on each virtqueue, round-trip intact"),
	  "AVPS.STORAGE.1")
{
	struct virtio_sysfs_device dev;
	char disk[32], why[160];
	unsigned long long queues = 0;
	ASSERT_TRUE(find_blk(&dev, disk, sizeof(disk))) TH_LOG("no virtio-blk device");
	if (!avps_param_u64("blk_queues", &queues) || queues < 2)
		SKIP(return, "platform configures a single-queue disk (avps.blk_queues not >= 2)");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long expected = (long)queues < cpus ? (long)queues : cpus;
	if (expected < 2)
		SKIP(return, "the guest has %ld CPU: it cannot put I/O on more than one queue", cpus);
	if (expected > MULTI_QUEUE_MAX)
		expected = MULTI_QUEUE_MAX;
	int fd = open_disk(disk, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/%s O_DIRECT: %s", disk, strerror(errno));
	uint64_t seed = pattern_seed() ^ 0x6d71u;
	int travelled = 0;
	for (int q = 0; q < expected; q++) {
		int cpu = first_cpu_of_queue(disk, q);
		if (cpu < 0) {
			TH_LOG("hardware queue %d of %ld missing: /sys/block/%s/mq/%d/cpu_list not found (the device "
			       "offers fewer queues than the %llu declared)", q, expected, disk, q, queues);
			continue;
		}
		if (round_trip_on_cpu(fd, cpu, (off_t)(MULTI_QUEUE_OFFSET + (unsigned long long)q * 65536), seed, why,
				      sizeof(why)))
			travelled++;
		else
			TH_LOG("queue %d: %s", q, why);
	}
	close(fd);
	EXPECT_EQ(expected, travelled)
		TH_LOG("I/O travelled intact on %d of %ld hardware queues (%llu declared, %ld CPUs)", travelled, expected,
		       queues, cpus);
}

TEST_HARNESS_MAIN
