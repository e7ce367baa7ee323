/* virtio-vsock: a virtio-vsock device (ID 19) is present, bound to a driver and modern, and streams to the host within the guest's credit; conditional on the platform offering vsock. */
#define AVPS_SUITE "virtio.vsock"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h> /* before linux/vm_sockets.h, which needs struct sockaddr */
#include <linux/vm_sockets.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * VIRTIO chapter: Socket Device. Only the device interface is checked (device ID in
 * /sys/bus/virtio/devices, a driver bound, VIRTIO_F_VERSION_1): QEMU here would need /dev/vhost-vsock or a vhost-user-vsock backend.
 * Absent device: SKIP, unless the platform declares avps.offers_vsock=1, then not ok.
 */
#define DEVICE_ID 19
#define DEVICE_WHAT "virtio-vsock device (ID 19)"

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio vsock device (ID 19) is bound to a driver and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features (absent: SKIP, or not ok when the platform declares it)"),
	  "AVPS.NET.2", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "vsock", DEVICE_WHAT);
	EXPECT_STRNE("", dev.driver) TH_LOG("%s (device ID %d) has no driver bound: the guest kernel cannot use it",
					    dev.path, DEVICE_ID);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

#define ECHO_TOTAL (32 * 1024)
#define ECHO_CHUNK (8 * 1024) /* written before reading back: twice the receive buffer */
#define RECEIVE_BUFFER 4096ULL
#define ECHO_SETTLE_US 500000

static bool read_exactly(int fd, uint8_t *buf, size_t len, size_t *got)
{
	for (*got = 0; *got < len;) {
		ssize_t n = read(fd, buf + *got, len - *got);
		if (n <= 0)
			return false;
		*got += (size_t)n;
	}
	return true;
}

AVPS_TEST(stream_echo_within_credit,
	  AVPS_CHECKS("32 KiB sent in 8 KiB bursts over a stream connection to the host's echo endpoint (CID 2, "
	              "avps.vsock_echo_port), each burst read back only after a pause, come back intact through a "
	              "4 KiB receive buffer, which only holds when the device sends no more than the guest's credit"),
	  "AVPS.NET.2", "VIRTIO-1.2: Device Types / Socket Device / Device Operation / Buffer Space Management #1")
{
	unsigned long long port;
	if (!avps_param_u64("vsock_echo_port", &port))
		SKIP(return, "the platform declares no host vsock echo endpoint (avps.vsock_echo_port)");
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0) TH_LOG("socket(AF_VSOCK): %s", strerror(errno));
	/* A small receive buffer: the device may send at most this much before the guest reads. */
	unsigned long long buffer = RECEIVE_BUFFER;
	ASSERT_EQ(0, setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &buffer, sizeof(buffer)))
		TH_LOG("SO_VM_SOCKETS_BUFFER_SIZE: %s", strerror(errno));
	struct timeval timeout = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	struct sockaddr_vm host = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = (unsigned)port };
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&host, sizeof(host)))
		TH_LOG("connect to CID 2 port %llu: %s", port, strerror(errno));
	uint8_t *out = malloc(ECHO_CHUNK), *in = malloc(ECHO_CHUNK);
	ASSERT_TRUE(out && in);
	size_t echoed = 0;
	for (size_t done = 0; done < ECHO_TOTAL; done += ECHO_CHUNK) {
		for (size_t i = 0; i < ECHO_CHUNK; i++)
			out[i] = (uint8_t)((done + i) * 131 >> 3);
		ASSERT_EQ(ECHO_CHUNK, write(fd, out, ECHO_CHUNK)) TH_LOG("write at %zu: %s", done, strerror(errno));
		/* Read only once every echo the device was going to send has arrived: a device within
		 * the credit holds back all but RECEIVE_BUFFER bytes; one beyond it has sent them now. */
		usleep(ECHO_SETTLE_US);
		size_t got;
		bool complete = read_exactly(fd, in, ECHO_CHUNK, &got);
		echoed += got;
		ASSERT_TRUE(complete)
			TH_LOG("the echo stopped after %zu of %zu bytes (data sent beyond the guest's credit is dropped)",
			       echoed, done + ECHO_CHUNK);
		ASSERT_EQ(0, memcmp(out, in, ECHO_CHUNK)) TH_LOG("echoed bytes at %zu differ from those sent", done);
	}
	free(out);
	free(in);
	close(fd);
}

TEST_HARNESS_MAIN
