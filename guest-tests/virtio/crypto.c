/* virtio-crypto: modern device, the kernel registers its algorithms, AES-CBC through the virtio driver matches a known-answer vector. */
#define AVPS_SUITE "virtio.crypto"
#include "avps_kselftest.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <linux/if_alg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define DEVICE_WHAT "virtio-crypto device (ID 20)"
/* cra_driver_name of Linux virtio_crypto's AES-CBC skcipher: binding to it forces the device. */
#define VIRTIO_AES_CBC_DRIVER "virtio_crypto_aes_cbc"

/* NIST SP 800-38A, F.2.1 CBC-AES128.Encrypt, blocks 1-2. */
static const uint8_t kat_key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const uint8_t kat_iv[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t kat_plain[32] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e,
				       0x11, 0x73, 0x93, 0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03,
				       0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51 };
static const uint8_t kat_cipher[32] = { 0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e,
					0x9b, 0x12, 0xe9, 0x19, 0x7d, 0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72,
					0x19, 0xee, 0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2 };

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio crypto device (ID 20) is bound to a driver and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features (absent: SKIP, or not ok when the platform declares it)"),
	  "AVPS.CRYPTO.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_CRYPTO, &dev, "crypto", DEVICE_WHAT);
	EXPECT_STREQ("virtio_crypto", dev.driver) TH_LOG("%s bound to '%s'", dev.path, dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

/* Counts /proc/crypto entries whose driver name contains "virtio"; names the first in first. */
static int virtio_algorithms(char *first, size_t size)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char driver[128];
		if (sscanf(line, "driver : %127s", driver) == 1 && strstr(driver, "virtio")) {
			if (n++ == 0)
				snprintf(first, size, "%s", driver);
		}
	}
	fclose(f);
	return n;
}

AVPS_TEST(algorithms_registered,
	  AVPS_CHECKS("the driver registered at least one virtio crypto algorithm in /proc/crypto (the device "
	              "advertises a ready service)"),
	  "AVPS.CRYPTO.1")
{
	struct virtio_sysfs_device dev;
	char first[128] = "";
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_CRYPTO, &dev, "crypto", DEVICE_WHAT);
	/* The driver registers algorithms only for services the device advertises as ready. */
	int n = virtio_algorithms(first, sizeof(first));
	ASSERT_LE(0, n) TH_LOG("cannot read /proc/crypto");
	EXPECT_LT(0, n) TH_LOG("no algorithm with a virtio driver in /proc/crypto: the device advertises no "
			       "usable crypto service (or status is not HW_READY)");
}

/* One AF_ALG skcipher operation through the named driver; false with the reason in err. */
static bool alg_cipher(const char *driver, bool encrypt, const uint8_t *in, uint8_t *out, size_t len, char *err,
		       size_t err_size)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "skcipher" };
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", driver);
	int tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0) {
		snprintf(err, err_size, "socket(AF_ALG): %s", strerror(errno));
		return false;
	}
	bool ok = false;
	int op = -1;
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, err_size, "bind skcipher '%s': %s", driver, strerror(errno));
		goto out;
	}
	if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, kat_key, sizeof(kat_key)) < 0) {
		snprintf(err, err_size, "ALG_SET_KEY: %s", strerror(errno));
		goto out;
	}
	op = accept(tfm, NULL, NULL);
	if (op < 0) {
		snprintf(err, err_size, "accept: %s", strerror(errno));
		goto out;
	}
	/* Control messages: the operation and the IV. */
	char control[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
	memset(control, 0, sizeof(control));
	struct iovec iov = { .iov_base = (void *)in, .iov_len = len };
	struct msghdr msg = { .msg_control = control, .msg_controllen = sizeof(control), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	uint32_t direction = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	memcpy(CMSG_DATA(c), &direction, sizeof(direction));
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + 16);
	struct af_alg_iv *iv = (struct af_alg_iv *)CMSG_DATA(c);
	iv->ivlen = 16;
	memcpy(iv->iv, kat_iv, 16);
	if (sendmsg(op, &msg, 0) != (ssize_t)len) {
		snprintf(err, err_size, "sendmsg: %s", strerror(errno));
		goto out;
	}
	ssize_t got = read(op, out, len);
	if (got != (ssize_t)len) {
		snprintf(err, err_size, "read result: %zd bytes (%s)", got, got < 0 ? strerror(errno) : "short");
		goto out;
	}
	ok = true;
out:
	if (op >= 0)
		close(op);
	close(tfm);
	return ok;
}

static void hex(const uint8_t *bytes, size_t len, char *text)
{
	for (size_t i = 0; i < len; i++)
		sprintf(text + 2 * i, "%02x", bytes[i]);
}

AVPS_TEST(aes_cbc_known_answer,
	  AVPS_CHECKS("AES-128-CBC through the virtio crypto driver encrypts and decrypts the SP 800-38A F.2.1/F.2.2 "
	              "vectors exactly"),
	  "AVPS.CRYPTO.1", "VIRTIO-1.2: Device Types / Crypto Device / Device Operation / Symmetric algorithms Operation #5")
{
	struct virtio_sysfs_device dev;
	char err[160], seen[65], want[65];
	uint8_t cipher[32], plain[32];
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_CRYPTO, &dev, "crypto", DEVICE_WHAT);
	ASSERT_TRUE(alg_cipher(VIRTIO_AES_CBC_DRIVER, true, kat_plain, cipher, sizeof(cipher), err, sizeof(err)))
		TH_LOG("AES-128-CBC encryption through %s: %s", VIRTIO_AES_CBC_DRIVER, err);
	hex(cipher, sizeof(cipher), seen);
	hex(kat_cipher, sizeof(kat_cipher), want);
	EXPECT_EQ(0, memcmp(cipher, kat_cipher, sizeof(cipher)))
		TH_LOG("SP 800-38A F.2.1: expected ciphertext %s, device returned %s", want, seen);
	ASSERT_TRUE(alg_cipher(VIRTIO_AES_CBC_DRIVER, false, kat_cipher, plain, sizeof(plain), err, sizeof(err)))
		TH_LOG("AES-128-CBC decryption through %s: %s", VIRTIO_AES_CBC_DRIVER, err);
	hex(plain, sizeof(plain), seen);
	hex(kat_plain, sizeof(kat_plain), want);
	EXPECT_EQ(0, memcmp(plain, kat_plain, sizeof(plain)))
		TH_LOG("SP 800-38A F.2.2: expected plaintext %s, device returned %s", want, seen);
}

TEST_HARNESS_MAIN
