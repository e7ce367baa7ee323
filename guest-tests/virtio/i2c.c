/* virtio-i2c: a declared virtio-i2c adapter (ID 34) is bound and modern, its declared target keeps what is written to it and answers a zero-length request, and an empty address fails the transfer at the right message. */
#define AVPS_SUITE "virtio.i2c"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

/*
 * VIRTIO chapter: I2C Adapter Device. Reached through the kernel's i2c_virtio driver and
 * i2c-dev (/dev/i2c-N, ioctl I2C_RDWR: one batch of messages, which the driver queues as one
 * group of requests with VIRTIO_I2C_FLAGS_FAIL_NEXT on all but the last). The platform
 * declares avps.i2c_eeprom_address (a target that stores bytes: the first byte written sets its
 * word address, later writes and reads go on from there) and avps.i2c_absent_address (an
 * address where no target answers). The reference I2C model over vhost-user serves it
 * (profile vhost-user-gpio-i2c); Debian 6.1 arm64 has no CONFIG_I2C_VIRTIO.
 * Absent device: SKIP, unless the platform declares avps.offers_i2c=1, then not ok.
 *
 * Linux 6.1's i2c_virtio answers a batch with the number of messages before the first one the
 * device marked VIRTIO_I2C_MSG_ERR (drivers/i2c/busses/i2c-virtio.c, virtio_i2c_complete_reqs),
 * not with an errno: a refused single message makes I2C_RDWR return 0.
 */
#define DEVICE_ID 34
#define DRIVER "i2c_virtio" /* CONFIG_I2C_VIRTIO: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-i2c adapter (ID 34)"
#define PATTERN_BYTES 16
#define WORD_ADDRESS 0x40

/* Finds the device, needs the driver, and opens the i2c-dev node of the adapter it registered. */
#define REQUIRE_I2C_ADAPTER(dev, fd)                                                                  \
	do {                                                                                          \
		REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, (dev), "i2c", DEVICE_WHAT);                     \
		REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);                                           \
		(fd) = open_adapter_of(dev);                                                          \
		ASSERT_GE((fd), 0) TH_LOG("no /dev/i2c-N for the adapter under %s", (dev)->path);    \
	} while (0)

/* The adapter's device (i2c-N) sits under the virtio device in sysfs; its node is /dev/i2c-N. */
static int open_adapter_of(const struct virtio_sysfs_device *dev)
{
	DIR *d = opendir(dev->path);
	struct dirent *e;
	int fd = -1;
	while (d && fd < 0 && (e = readdir(d))) {
		char node[300];
		if (strncmp(e->d_name, "i2c-", 4))
			continue;
		snprintf(node, sizeof(node), "/dev/%s", e->d_name);
		fd = open(node, O_RDWR | O_CLOEXEC);
	}
	if (d)
		closedir(d);
	return fd;
}

/* I2C_RDWR: the number of messages done, or -errno. */
static int transfer(int fd, struct i2c_msg *msgs, unsigned count)
{
	struct i2c_rdwr_ioctl_data batch = { .msgs = msgs, .nmsgs = count };
	int done = ioctl(fd, I2C_RDWR, &batch);
	return done < 0 ? -errno : done;
}

/* A declared 7-bit target address (0x08..0x77) into *address; false when not declared or out of range. */
static bool seven_bit_address(bool declared, unsigned long long value, uint16_t *address)
{
	if (!declared || value < 0x08 || value > 0x77)
		return false;
	*address = (uint16_t)value;
	return true;
}

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

AVPS_TEST(write_then_read_back,
	  AVPS_CHECKS("16 fresh random bytes written to the declared target (avps.i2c_eeprom_address) come back from one "
		      "batch of a write segment (the word address) and a 16-byte read segment, each byte of the read filled"),
	  "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #6",
	  "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #7")
{
	struct virtio_sysfs_device dev;
	int fd;
	uint16_t target;
	unsigned long long value;
	REQUIRE_I2C_ADAPTER(&dev, fd);
	bool declared = avps_param_u64("i2c_eeprom_address", &value);
	if (!seven_bit_address(declared, value, &target))
		SKIP(return, "the platform declares no storing I2C target (avps.i2c_eeprom_address)");
	uint8_t out[1 + PATTERN_BYTES], in[PATTERN_BYTES], word = WORD_ADDRESS;
	out[0] = WORD_ADDRESS;
	ASSERT_EQ(PATTERN_BYTES, getrandom(out + 1, PATTERN_BYTES, 0)) TH_LOG("getrandom: %s", strerror(errno));
	struct i2c_msg write_msg = { .addr = target, .flags = 0, .len = sizeof(out), .buf = out };
	int done = transfer(fd, &write_msg, 1);
	ASSERT_EQ(1, done) TH_LOG("writing %d bytes at word 0x%02x of target 0x%02x: %d of 1 messages done%s%s",
				  PATTERN_BYTES, WORD_ADDRESS, target, done < 0 ? 0 : done, done < 0 ? ": " : "",
				  done < 0 ? strerror(-done) : "");
	/* Every byte the read does not fill keeps the complement of what it should read. */
	for (int i = 0; i < PATTERN_BYTES; i++)
		in[i] = (uint8_t)~out[1 + i];
	struct i2c_msg batch[2] = {
		{ .addr = target, .flags = 0, .len = 1, .buf = &word },
		{ .addr = target, .flags = I2C_M_RD, .len = PATTERN_BYTES, .buf = in },
	};
	done = transfer(fd, batch, 2);
	ASSERT_EQ(2, done) TH_LOG("write-then-read batch to target 0x%02x: %d of 2 messages done%s%s", target,
				  done < 0 ? 0 : done, done < 0 ? ": " : "", done < 0 ? strerror(-done) : "");
	for (int i = 0; i < PATTERN_BYTES; i++) {
		ASSERT_EQ(out[1 + i], in[i]) TH_LOG("byte %d of the read (word 0x%02x) is 0x%02x, 0x%02x was written%s", i,
						   WORD_ADDRESS + i, in[i], out[1 + i],
						   (uint8_t)(in[i] ^ out[1 + i]) == 0xff ? ": the device did not fill it" : "");
	}
	close(fd);
}

AVPS_TEST(absent_address_refused,
	  AVPS_CHECKS("a write to avps.i2c_absent_address, where the platform declares no target, completes none of its "
		      "messages, and in a batch after a good write to the declared target exactly the first message completes"),
	  "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #3",
	  "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #8")
{
	struct virtio_sysfs_device dev;
	int fd;
	uint16_t target, absent;
	unsigned long long value;
	REQUIRE_I2C_ADAPTER(&dev, fd);
	bool declared = avps_param_u64("i2c_absent_address", &value);
	if (!seven_bit_address(declared, value, &absent))
		SKIP(return, "the platform declares no empty I2C address (avps.i2c_absent_address)");
	declared = avps_param_u64("i2c_eeprom_address", &value);
	if (!seven_bit_address(declared, value, &target))
		SKIP(return, "the platform declares no I2C target (avps.i2c_eeprom_address)");
	uint8_t word = WORD_ADDRESS, byte = 0x5a;
	struct i2c_msg alone = { .addr = absent, .flags = 0, .len = 1, .buf = &byte };
	int done = transfer(fd, &alone, 1);
	ASSERT_EQ(0, done) TH_LOG("a write to the empty address 0x%02x: %d of 1 messages done%s%s (expected 0: no target acknowledges)",
				  absent, done < 0 ? 0 : done, done < 0 ? ": " : "", done < 0 ? strerror(-done) : "");
	struct i2c_msg batch[2] = {
		{ .addr = target, .flags = 0, .len = 1, .buf = &word },
		{ .addr = absent, .flags = 0, .len = 1, .buf = &byte },
	};
	done = transfer(fd, batch, 2);
	ASSERT_EQ(1, done) TH_LOG("batch (write to 0x%02x, write to the empty 0x%02x): %d of 2 messages done%s%s "
				  "(expected 1: the first failing request is the second)", target, absent,
				  done < 0 ? 0 : done, done < 0 ? ": " : "", done < 0 ? strerror(-done) : "");
	close(fd);
}

AVPS_TEST(zero_length_request,
	  AVPS_CHECKS("a zero-length write (the SMBus quick command, sent without a buffer) is acknowledged by the "
		      "declared target (avps.i2c_eeprom_address) and refused at the declared empty address"),
	  "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #1",
	  "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #3")
{
	struct virtio_sysfs_device dev;
	int fd;
	uint16_t target, absent;
	unsigned long long value;
	/* The driver binds only a device that offers VIRTIO_I2C_F_ZERO_LENGTH_REQUEST. */
	REQUIRE_I2C_ADAPTER(&dev, fd);
	bool declared = avps_param_u64("i2c_eeprom_address", &value);
	if (!seven_bit_address(declared, value, &target))
		SKIP(return, "the platform declares no I2C target (avps.i2c_eeprom_address)");
	declared = avps_param_u64("i2c_absent_address", &value);
	if (!seven_bit_address(declared, value, &absent))
		SKIP(return, "the platform declares no empty I2C address (avps.i2c_absent_address)");
	struct i2c_msg quick = { .addr = target, .flags = 0, .len = 0, .buf = NULL };
	int done = transfer(fd, &quick, 1);
	ASSERT_EQ(1, done) TH_LOG("a zero-length write to target 0x%02x: %d of 1 messages done%s%s", target,
				  done < 0 ? 0 : done, done < 0 ? ": " : "", done < 0 ? strerror(-done) : "");
	quick.addr = absent;
	done = transfer(fd, &quick, 1);
	ASSERT_EQ(0, done) TH_LOG("a zero-length write to the empty address 0x%02x: %d of 1 messages done%s%s", absent,
				  done < 0 ? 0 : done, done < 0 ? ": " : "", done < 0 ? strerror(-done) : "");
	close(fd);
}

TEST_HARNESS_MAIN
