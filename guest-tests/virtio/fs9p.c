/* virtio-9p file sharing: modern device with its mount tag, mount, read a host-seeded nonce, create/write/rename/unlink, and a guest-written file seen by the host. */
#define AVPS_SUITE "virtio.fs9p"
#include "avps_kselftest.h"
#include "host_request.h"
#include "kernel_cmdline.h"
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
 * Host interplay (harness/avps_cts/host/files.py): before boot the host writes a per-run
 * nonce to <share>/avps-host-seed and passes it as avps.fs_seed; the guest must read it
 * through 9P. The other way, the guest writes a file and asks over the console
 * "AVPS-FILE <name> <sha256>"; the host answers with the SHA-256 of what it sees there.
 */
#define DEVICE_WHAT "virtio-9p device (ID 9)"
#define MOUNT_POINT "/tmp/avps-9p"
#define SEED_FILE "avps-host-seed"
#define VIRTIO_9P_MOUNT_TAG 0
#define HOST_TIMEOUT_MS 10000

/* Mounts the platform's tag (avps.fs_tag) at MOUNT_POINT unless already there; false with the reason. */
static bool mount_share(char *err, size_t err_size)
{
	char tag[64];
	bool named = avps_param("fs_tag", tag, sizeof(tag));
	return share_mount(named ? tag : NULL, "fs_tag", MOUNT_POINT, "9p", "trans=virtio,version=9p2000.L,cache=none",
			   err, err_size);
}

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio-9p device (ID 9) is bound to 9pnet_virtio with VERSION_1 and MOUNT_TAG negotiated, "
	              "and its tag equals the host's"),
	  "AVPS.FS.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	char tag[64] = "", expected[64] = "", path[320];
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_9P, &dev, "fs", DEVICE_WHAT);
	EXPECT_STREQ("9pnet_virtio", dev.driver) TH_LOG("%s bound to '%s'", dev.path, dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
	ASSERT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_9P_MOUNT_TAG))
		TH_LOG("VIRTIO_9P_MOUNT_TAG not offered: the guest cannot name the share; features=%s", dev.features);
	snprintf(path, sizeof(path), "%s/mount_tag", dev.path);
	EXPECT_TRUE(read_text_file(path, tag, sizeof(tag))) TH_LOG("no %s", path);
	if (avps_param("fs_tag", expected, sizeof(expected)))
		EXPECT_STREQ(expected, tag) TH_LOG("mount tag from config differs from the host's");
}

AVPS_TEST(reads_host_seeded_file,
	  AVPS_CHECKS("the guest reads through 9P the per-run nonce the host wrote into the share before boot"),
	  "AVPS.FS.1")
{
	struct virtio_sysfs_device dev;
	char err[160], seed[64], content[64] = "";
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_9P, &dev, "fs", DEVICE_WHAT);
	ASSERT_TRUE(avps_param("fs_seed", seed, sizeof(seed)))
		TH_LOG("host did not pass the nonce it wrote to %s: pass avps.fs_seed=<nonce>", SEED_FILE);
	ASSERT_TRUE(mount_share(err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(read_text_file(MOUNT_POINT "/" SEED_FILE, content, sizeof(content)))
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

AVPS_TEST(create_write_rename_unlink,
	  AVPS_CHECKS("a file created, written, renamed and unlinked through 9P shows each step's effect"),
	  "AVPS.FS.1")
{
	struct virtio_sysfs_device dev;
	char err[160], first[128], second[128], text[64], back[64] = "";
	struct stat st;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_9P, &dev, "fs", DEVICE_WHAT);
	ASSERT_TRUE(mount_share(err, sizeof(err))) TH_LOG("%s", err);
	unsigned long nonce = host_request_nonce();
	snprintf(first, sizeof(first), MOUNT_POINT "/ops-%lx.tmp", nonce);
	snprintf(second, sizeof(second), MOUNT_POINT "/ops-%lx.renamed", nonce);
	snprintf(text, sizeof(text), "avps 9p %lx", nonce);
	ASSERT_TRUE(write_file(first, text)) TH_LOG("create+write %s: %s", first, strerror(errno));
	EXPECT_TRUE(read_text_file(first, back, sizeof(back)) && strcmp(back, text) == 0)
		TH_LOG("%s reads back '%s', wrote '%s'", first, back, text);
	ASSERT_EQ(0, rename(first, second)) TH_LOG("rename %s -> %s: %s", first, second, strerror(errno));
	EXPECT_NE(0, stat(first, &st)) TH_LOG("%s still exists after rename", first);
	ASSERT_EQ(0, stat(second, &st)) TH_LOG("%s missing after rename: %s", second, strerror(errno));
	EXPECT_EQ((off_t)strlen(text), st.st_size) TH_LOG("renamed file has %lld bytes", (long long)st.st_size);
	ASSERT_EQ(0, unlink(second)) TH_LOG("unlink %s: %s", second, strerror(errno));
	EXPECT_NE(0, stat(second, &st)) TH_LOG("%s still exists after unlink", second);
}

AVPS_TEST(guest_write_seen_by_host,
	  AVPS_CHECKS("the host computes the same SHA-256 for a file the guest wrote through 9P"),
	  "AVPS.FS.1")
{
	struct virtio_sysfs_device dev;
	char err[160], name[64], path[128], text[96], digest[65], request[160], reply[200] = "", expected[200];
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_9P, &dev, "fs", DEVICE_WHAT);
	ASSERT_TRUE(mount_share(err, sizeof(err))) TH_LOG("%s", err);
	unsigned long nonce = host_request_nonce();
	snprintf(name, sizeof(name), "guest-%lx.txt", nonce);
	snprintf(path, sizeof(path), MOUNT_POINT "/%s", name);
	snprintf(text, sizeof(text), "written by the avps-cts guest, nonce %lx\n", nonce);
	ASSERT_TRUE(write_file(path, text)) TH_LOG("write %s: %s", path, strerror(errno));
	ASSERT_TRUE(kernel_sha256_hex(text, strlen(text), digest)) TH_LOG("sha256 via AF_ALG: %s", strerror(errno));
	snprintf(request, sizeof(request), "AVPS-FILE %s %s", name, digest);
	snprintf(expected, sizeof(expected), "AVPS-FILE-REPLY %s %s", name, digest);
	ASSERT_TRUE(host_request(request, "AVPS-FILE-REPLY", reply, sizeof(reply), HOST_TIMEOUT_MS))
		TH_LOG("host did not answer: %s", reply);
	EXPECT_STREQ(expected, reply) TH_LOG("the host does not see what the guest wrote to %s", name);
	unlink(path);
}

TEST_HARNESS_MAIN
