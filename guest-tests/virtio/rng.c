/* virtio-rng: device present and modern, /dev/hwrng served by virtio_rng, bytes not constant and statistically sane. */
#define AVPS_SUITE "virtio.rng"
#include "avps_kselftest.h"
#include "virtio_sysfs.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define SAMPLE_BYTES (128 * 1024) /* 2^20 bits */
/* Six standard deviations: a healthy source fails about once in 10^9 runs, so the
 * verdict does not flip between runs, while a stuck or biased source fails at once. */
#define SIGMAS 6.0

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
	  AVPS_CHECKS("two reads of /dev/hwrng differ and one sample holds all 256 byte values"),
	  "AVPS.RNG.1", "VIRTIO-1.2: Device Types / Entropy Device / Device Operation #1")
{
	static unsigned char first[SAMPLE_BYTES], second[4096];
	char err[128];
	ASSERT_TRUE(read_hwrng(first, sizeof(first), err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_TRUE(read_hwrng(second, sizeof(second), err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_NE(0, memcmp(first, second, sizeof(second)))
		TH_LOG("two reads returned the same %zu bytes", sizeof(second));
	size_t distinct = 0;
	bool seen[256] = { false };
	for (size_t i = 0; i < sizeof(first); i++) {
		distinct += !seen[first[i]];
		seen[first[i]] = true;
	}
	EXPECT_EQ(256, distinct) TH_LOG("only %zu distinct byte values in %d bytes", distinct, SAMPLE_BYTES);
}

AVPS_TEST(monobit_and_runs,
	  AVPS_CHECKS("the ones count and the runs count of a /dev/hwrng sample lie within the sigma bound of a fair "
	              "coin"),
	  "AVPS.RNG.1")
{
	static unsigned char sample[SAMPLE_BYTES];
	char err[128];
	ASSERT_TRUE(read_hwrng(sample, sizeof(sample), err, sizeof(err))) TH_LOG("%s", err);
	const double bits = SAMPLE_BYTES * 8.0;
	long ones = 0, runs = 1;
	int previous = sample[0] & 1;
	for (size_t i = 0; i < SAMPLE_BYTES; i++) {
		for (int b = 0; b < 8; b++) {
			int bit = (sample[i] >> b) & 1;
			ones += bit;
			if (i || b)
				runs += bit != previous;
			previous = bit;
		}
	}
	/* Both counts are about binomial(n, 1/2): mean n/2, sigma sqrt(n)/2. */
	double sigma = sqrt(bits) / 2.0;
	double ones_z = fabs((double)ones - bits / 2.0) / sigma;
	double runs_z = fabs((double)runs - bits / 2.0) / sigma;
	EXPECT_LT(ones_z, SIGMAS) TH_LOG("monobit: %ld ones in %.0f bits (%.1f sigma off)", ones, bits, ones_z);
	EXPECT_LT(runs_z, SIGMAS) TH_LOG("runs: %ld runs in %.0f bits (%.1f sigma off)", runs, bits, runs_z);
}

TEST_HARNESS_MAIN
