/* virtio-fs: the device (ID 26) is modern and bound, its share mounts by the declared tag, a host-seeded file reads back, and guest create/rename/unlink are seen by the host. */
#define AVPS_SUITE "virtio.virtiofs"
#include "avps_kselftest.h"
#include "host_request.h"
#include "kernel_cmdline.h"
#include "kernel_driver.h"
#include "kernel_hash.h"
#include "platform_offers.h"
#include "share_mount.h"
#include "virtio_sysfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * VIRTIO chapter: File System Device. On QEMU the device is vhost-user-fs-device served by
 * Debian's virtiofsd (harness/avps_cts/host/virtiofsd.py, guest RAM in a shared memfd). The
 * host seeds <share>/avps-host-seed with a per-run nonce (avps.virtiofs_seed) and names the
 * tag (avps.virtiofs_tag); the guest mounts by that tag. What the guest writes, renames and
 * removes is judged by the host: "AVPS-FILE <name> <sha256>" over the virtio console, the
 * host answers with the SHA-256 it sees at <name>, or "missing" (harness/avps_cts/host/files.py).
 * virtiofsd runs with cache=none and no DAX window: every read and write the guest makes is a
 * FUSE_READ or FUSE_WRITE request the device serves.
 * Absent device: SKIP, unless the platform declares avps.offers_virtiofs=1, then not ok.
 */
#define DEVICE_ID 26
#define DEVICE_WHAT "virtio-fs device (ID 26)"
#define DRIVER "virtiofs"
#define MOUNT_POINT "/tmp/avps-virtiofs"
#define SEED_FILE "avps-host-seed"
#define HOST_TIMEOUT_MS 10000

/* Mounts the declared tag (avps.virtiofs_tag) at MOUNT_POINT unless already there; false with the reason. */
static bool mount_share(char *err, size_t err_size)
{
	char tag[64];
	bool named = avps_param("virtiofs_tag", tag, sizeof(tag));
	if (share_mount(named ? tag : NULL, "virtiofs_tag", MOUNT_POINT, "virtiofs", NULL, err, err_size))
		return true;
	if (named)
		snprintf(err + strlen(err), err_size - strlen(err), " (no device offers the declared tag?)");
	return false;
}

/* The device is there, the kernel has the driver, the share is mounted: else SKIP/fail with the reason. */
#define REQUIRE_MOUNTED_SHARE(dev)                                                 \
	do {                                                                       \
		char err_[200];                                                    \
		REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, (dev), "virtiofs", DEVICE_WHAT); \
		REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);                        \
		ASSERT_TRUE(mount_share(err_, sizeof(err_))) TH_LOG("%s", err_);   \
	} while (0)

AVPS_TEST(device_present, AVPS_CHECKS("a virtio-fs device is present, bound to the kernel's virtiofs driver and modern"),
	  "AVPS.FS.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "virtiofs", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s', not the virtiofs driver",
					       dev.path, DEVICE_ID, dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(mounts_by_declared_tag, AVPS_CHECKS("the share mounts by the tag the platform declares (the device's config tag)"),
	  "AVPS.FS.1")
{
	struct virtio_sysfs_device dev;
	struct stat st;
	REQUIRE_MOUNTED_SHARE(&dev);
	ASSERT_TRUE(share_mounted(MOUNT_POINT, "virtiofs")) TH_LOG("%s not listed as virtiofs in /proc/mounts", MOUNT_POINT);
	EXPECT_EQ(0, stat(MOUNT_POINT, &st)) TH_LOG("stat %s: %s", MOUNT_POINT, strerror(errno));
}

AVPS_TEST(reads_host_seeded_file, AVPS_CHECKS("a file the host wrote before boot reads back with the host's per-run nonce"),
	  "AVPS.FS.1", "VIRTIO-1.2: Device Types / File System Device / Device Operation / Device Operation: DAX Window #3")
{
	struct virtio_sysfs_device dev;
	char seed[64], content[64] = "";
	REQUIRE_MOUNTED_SHARE(&dev);
	ASSERT_TRUE(avps_param("virtiofs_seed", seed, sizeof(seed)))
		TH_LOG("host did not pass the nonce it wrote to %s: pass avps.virtiofs_seed=<nonce>", SEED_FILE);
	ASSERT_TRUE(read_text_file(MOUNT_POINT "/" SEED_FILE, content, sizeof(content)))
		TH_LOG("cannot read %s/%s: %s", MOUNT_POINT, SEED_FILE, strerror(errno));
	EXPECT_STREQ(seed, content) TH_LOG("host wrote nonce %s, the guest reads '%s'", seed, content);
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	return close(fd) == 0 && ok;
}

/* Asks the host what it sees at name; the reply's last word (a SHA-256, "missing" or "refused") goes to seen. */
static bool host_sees(const char *name, char *seen, size_t size)
{
	char request[160], reply[200] = "";
	snprintf(request, sizeof(request), "AVPS-FILE %s 0", name);
	if (!host_request(request, "AVPS-FILE-REPLY", reply, sizeof(reply), HOST_TIMEOUT_MS)) {
		snprintf(seen, size, "no answer (%s)", reply);
		return false;
	}
	const char *last = strrchr(reply, ' ');
	snprintf(seen, size, "%s", last ? last + 1 : reply);
	return true;
}

AVPS_TEST(guest_changes_seen_by_host,
	  AVPS_CHECKS("a file the guest creates, renames and unlinks on the share shows each step in the host's directory"),
	  "AVPS.FS.1", "VIRTIO-1.2: Device Types / File System Device / Device Operation / Device Operation: DAX Window #3")
{
	struct virtio_sysfs_device dev;
	char first[64], second[64], path1[128], path2[128], text[96], digest[65], seen[160];
	REQUIRE_MOUNTED_SHARE(&dev);
	unsigned long nonce = host_request_nonce();
	snprintf(first, sizeof(first), "vfs-%lx.created", nonce);
	snprintf(second, sizeof(second), "vfs-%lx.renamed", nonce);
	snprintf(path1, sizeof(path1), MOUNT_POINT "/%s", first);
	snprintf(path2, sizeof(path2), MOUNT_POINT "/%s", second);
	snprintf(text, sizeof(text), "written through virtio-fs by the avps-cts guest, nonce %lx\n", nonce);
	ASSERT_TRUE(kernel_sha256_hex(text, strlen(text), digest)) TH_LOG("sha256 via AF_ALG: %s", strerror(errno));

	ASSERT_TRUE(write_file(path1, text)) TH_LOG("create+write %s: %s", path1, strerror(errno));
	ASSERT_TRUE(host_sees(first, seen, sizeof(seen))) TH_LOG("host: %s", seen);
	EXPECT_STREQ(digest, seen) TH_LOG("after create: the host sees %s at %s, the guest wrote sha256 %s",
					  seen, first, digest);

	ASSERT_EQ(0, rename(path1, path2)) TH_LOG("rename %s -> %s: %s", path1, path2, strerror(errno));
	ASSERT_TRUE(host_sees(first, seen, sizeof(seen))) TH_LOG("host: %s", seen);
	EXPECT_STREQ("missing", seen) TH_LOG("after rename: the host still sees %s (%s)", first, seen);
	ASSERT_TRUE(host_sees(second, seen, sizeof(seen))) TH_LOG("host: %s", seen);
	EXPECT_STREQ(digest, seen) TH_LOG("after rename: the host sees %s at %s, expected sha256 %s", seen, second,
					  digest);

	ASSERT_EQ(0, unlink(path2)) TH_LOG("unlink %s: %s", path2, strerror(errno));
	ASSERT_TRUE(host_sees(second, seen, sizeof(seen))) TH_LOG("host: %s", seen);
	EXPECT_STREQ("missing", seen) TH_LOG("after unlink: the host still sees %s (%s)", second, seen);
}

TEST_HARNESS_MAIN
