/* virtio-rng: device present and modern, /dev/hwrng served by virtio_rng, two reads differ and a sample passes the shared entropy statistics. */
#define AVPS_SUITE "virtio.rng"
#include "avps_kselftest.h"
#include "entropy_checks.h"
#include "virtio_sysfs.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static bool read_hwrng(unsigned char *buf, size_t len, char *err, size_t err_size)
{
	int fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0) {
		snprintf(err, err_size, "open /dev/hwrng: %s", strerror(errno));
		return false;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0) {
			snprintf(err, err_size, "read /dev/hwrng after %zu bytes: %s", got,
				 n == 0 ? "end of file" : strerror(errno));
			close(fd);
			return false;
		}
		got += (size_t)n;
	}
	close(fd);
	return true;
}

AVPS_TEST(device_present,
	  AVPS_CHECKS("a virtio entropy device (ID 4) is bound to virtio_rng and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features"),
	  "AVPS.RNG.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	ASSERT_EQ(1, virtio_sysfs_find(VIRTIO_ID_ENTROPY, &dev, 1))
		TH_LOG("no virtio entropy device (device ID 4)");
	EXPECT_STREQ("virtio_rng", dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(hwrng_source_is_virtio,
	  AVPS_CHECKS("the kernel's current hw_random source is virtio_rng"),
	  "AVPS.RNG.1")
{
	char current[64] = "";
	ASSERT_TRUE(read_text_file("/sys/class/misc/hw_random/rng_current", current, sizeof(current)))
		TH_LOG("no hw_random core (/sys/class/misc/hw_random)");
	EXPECT_EQ(0, strncmp(current, "virtio_rng", 10))
		TH_LOG("/dev/hwrng is served by '%s', not virtio_rng", current);
}

AVPS_TEST(entropy_not_constant,
	  AVPS_CHECKS("two reads of /dev/hwrng (served by the virtio entropy device) return different bytes"),
	  "AVPS.RNG.1", "VIRTIO-1.2: Device Types / Entropy Device / Device Operation #1")
{
	static unsigned char first[4096], second[4096];
	char err[128];
	ASSERT_TRUE(read_hwrng(first, sizeof(first), err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_TRUE(read_hwrng(second, sizeof(second), err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_NE(0, memcmp(first, second, sizeof(second)))
		TH_LOG("two reads returned the same %zu bytes", sizeof(second));
}

/* The same statistics the virtio-mmio probe applies to the bytes it gets from the device itself. */
AVPS_TEST(monobit_and_runs,
	  AVPS_CHECKS("128 KiB from /dev/hwrng pass the shared entropy statistics: monobit, runs, byte chi-square and "
		      "no repeated 64-bit word (lib/entropy_checks.h)"),
	  "AVPS.RNG.1")
{
	static uint8_t sample[ENTROPY_SAMPLE_BYTES];
	static uint32_t scratch[ENTROPY_SAMPLE_BYTES / 8];
	struct entropy_report r;
	char err[128];
	ASSERT_TRUE(read_hwrng(sample, sizeof(sample), err, sizeof(err))) TH_LOG("%s", err);
	bool ok = entropy_check_sample(sample, sizeof(sample), scratch, &r);
	TH_LOG("%llu bits: %llu ones, %llu runs, byte chi-square %u (limit %u), %u distinct byte values",
	       (unsigned long long)r.bits, (unsigned long long)r.ones, (unsigned long long)r.runs, r.chi_square,
	       ENTROPY_CHI_SQUARE_LIMIT, r.distinct_values);
	EXPECT_TRUE(ok) TH_LOG("the %s check failed%s", entropy_check_name(r.failed),
			       r.failed == ENTROPY_REPETITION ? " (a 64-bit word repeats)" : "");
	if (r.failed == ENTROPY_REPETITION)
		TH_LOG("the word at byte %zu equals the one at byte %zu", r.repeated_word_at, r.repeated_word_first);
}

TEST_HARNESS_MAIN
