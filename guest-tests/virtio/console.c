/* virtio-console: a console port exists and a line crosses to the host and back (host runs the echo responder). */
#define AVPS_SUITE "virtio.console"
#include "avps_kselftest.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/*
 * Echo protocol (host side: harness/avps_cts/console_echo.py, or any responder a
 * vendor writes): the guest writes "AVPS-ECHO <nonce>\n" on the console port and the
 * host answers "AVPS-ECHO-REPLY <nonce> <n>\n", n = how many bytes it received
 * in the request line. The reply proves both directions.
 */
#define ECHO_TIMEOUT_MS 15000

/* Counts virtio console ports (vportNpM entries) in sysfs. */
static int count_ports(void)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, "vport", 5) == 0;
	closedir(d);
	return n;
}

AVPS_TEST(port_present, "AVPS.CONSOLE.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	ASSERT_EQ(1, virtio_sysfs_find(VIRTIO_ID_CONSOLE, &dev, 1))
		TH_LOG("no virtio console device (device ID 3)");
	EXPECT_STREQ("virtio_console", dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
	EXPECT_GE(count_ports(), 1) TH_LOG("virtio console has no port");
	EXPECT_EQ(0, access("/dev/hvc0", F_OK)) TH_LOG("no console port tty /dev/hvc0");
}

static int open_raw_console(void)
{
	int fd = open("/dev/hvc0", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIOFLUSH);
	return fd;
}

/* Reads one line (without newline) within the deadline; false on timeout. */
static bool read_line(int fd, char *line, size_t size, int timeout_ms)
{
	size_t len = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(timeout_ms - elapsed)) <= 0)
			continue;
		char c;
		if (read(fd, &c, 1) != 1)
			continue;
		if (c == '\r')
			continue;
		if (c == '\n') {
			line[len] = '\0';
			return true;
		}
		if (len < size - 1)
			line[len++] = c;
	}
}

AVPS_TEST(line_round_trip, "AVPS.CONSOLE.1")
{
	int fd = open_raw_console();
	ASSERT_GE(fd, 0) TH_LOG("open /dev/hvc0: %s", strerror(errno));
	char request[96], reply[160], expected[160];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long nonce = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 20);
	int len = snprintf(request, sizeof(request), "AVPS-ECHO %lx\n", nonce);
	ASSERT_EQ(len, write(fd, request, (size_t)len)) TH_LOG("write: %s", strerror(errno));
	snprintf(expected, sizeof(expected), "AVPS-ECHO-REPLY %lx %d", nonce, len - 1);
	bool answered = false;
	/* Skip unrelated lines (a host may print a banner), keep the deadline overall. */
	for (int lines = 0; lines < 8 && !answered; lines++) {
		if (!read_line(fd, reply, sizeof(reply), ECHO_TIMEOUT_MS))
			break;
		answered = strcmp(reply, expected) == 0;
	}
	close(fd);
	EXPECT_TRUE(answered)
		TH_LOG("no '%s' from the host within %d ms (is the host echo responder attached to the port?)",
		       expected, ECHO_TIMEOUT_MS);
}

TEST_HARNESS_MAIN
