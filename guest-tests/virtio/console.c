/* virtio-console: console port and a named second port exist, and a line crosses to the host and back on each (host runs the echo responder). */
#define AVPS_SUITE "virtio.console"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "host_request.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Echo protocol (host side: harness/avps_cts/host/console_echo.py, or any responder a
 * vendor writes): the guest writes "AVPS-ECHO <nonce>\n" on the console port and the
 * host answers "AVPS-ECHO-REPLY <nonce> <n>\n", n = how many bytes it received
 * in the request line. The reply proves both directions.
 */
#define ECHO_TIMEOUT_MS 15000
#define VIRTIO_CONSOLE_F_MULTIPORT 1

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

AVPS_TEST(port_present,
	  AVPS_CHECKS("a virtio console (ID 3) is bound to virtio_console with VIRTIO_F_VERSION_1 negotiated, has a "
	              "port and /dev/hvc0"),
	  "AVPS.CONSOLE.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
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

/* Sends "AVPS-ECHO <nonce>" on fd and waits for the host's matching reply line. */
static bool echo_round_trip(int fd, char *expected, size_t expected_size, char *err, size_t err_size)
{
	char request[96], reply[160];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long nonce = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 20);
	int len = snprintf(request, sizeof(request), "AVPS-ECHO %lx\n", nonce);
	snprintf(expected, expected_size, "AVPS-ECHO-REPLY %lx %d", nonce, len - 1);
	if (write(fd, request, (size_t)len) != len) {
		snprintf(err, err_size, "write: %s", strerror(errno));
		return false;
	}
	/* Skip unrelated lines (a host may print a banner), keep the deadline overall. */
	for (int lines = 0; lines < 8; lines++) {
		if (!console_port_read_line(fd, reply, sizeof(reply), ECHO_TIMEOUT_MS))
			break;
		if (strcmp(reply, expected) == 0)
			return true;
	}
	snprintf(err, err_size, "no '%s' from the host within %d ms (is the host echo responder attached to the port?)",
		 expected, ECHO_TIMEOUT_MS);
	return false;
}

AVPS_TEST(line_round_trip,
	  AVPS_CHECKS("a nonce line written on /dev/hvc0 comes back from the host's echo responder with the right "
	              "byte count"),
	  "AVPS.CONSOLE.1")
{
	int fd = console_port_open_raw("/dev/hvc0");
	ASSERT_GE(fd, 0) TH_LOG("open /dev/hvc0: %s", strerror(errno));
	char expected[160], err[256];
	bool answered = echo_round_trip(fd, expected, sizeof(expected), err, sizeof(err));
	close(fd);
	EXPECT_TRUE(answered) TH_LOG("%s", err);
}

/* Finds the vportNpM whose sysfs name equals name; false when none. */
static bool find_named_port(const char *name, char *port, size_t size)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	bool found = false;
	if (!d)
		return false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[300], text[128];
		if (strncmp(e->d_name, "vport", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		if (read_text_file(path, text, sizeof(text)) && strcmp(text, name) == 0) {
			snprintf(port, size, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

AVPS_TEST(named_port_present,
	  AVPS_CHECKS("with a second port declared, MULTIPORT is negotiated and a port with the declared name exists"),
	  "AVPS.CONSOLE.1")
{
	struct virtio_sysfs_device dev;
	char name[64], port[64];
	if (!avps_param("console_port_name", name, sizeof(name)))
		SKIP(return, "platform declares no second console port (avps.console_port_name not given)");
	ASSERT_EQ(1, virtio_sysfs_find(VIRTIO_ID_CONSOLE, &dev, 1)) TH_LOG("no virtio console device (device ID 3)");
	ASSERT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_CONSOLE_F_MULTIPORT))
		TH_LOG("a second port is configured but VIRTIO_CONSOLE_F_MULTIPORT is not negotiated: features=%s",
		       dev.features);
	EXPECT_GE(count_ports(), 2) TH_LOG("fewer than 2 ports under /sys/class/virtio-ports");
	EXPECT_TRUE(find_named_port(name, port, sizeof(port))) TH_LOG("no port named '%s'", name);
}

AVPS_TEST(named_port_round_trip,
	  AVPS_CHECKS("a nonce line written on the declared named port comes back from the host's echo responder"),
	  "AVPS.CONSOLE.1")
{
	char name[64], port[64], path[96], expected[160], err[256];
	if (!avps_param("console_port_name", name, sizeof(name)))
		SKIP(return, "platform declares no second console port (avps.console_port_name not given)");
	ASSERT_TRUE(find_named_port(name, port, sizeof(port))) TH_LOG("no port named '%s'", name);
	snprintf(path, sizeof(path), "/dev/%s", port);
	int fd = open(path, O_RDWR | O_NOCTTY);
	ASSERT_GE(fd, 0) TH_LOG("open %s: %s", path, strerror(errno));
	bool answered = echo_round_trip(fd, expected, sizeof(expected), err, sizeof(err));
	close(fd);
	EXPECT_TRUE(answered) TH_LOG("port %s (%s): %s", name, path, err);
}

TEST_HARNESS_MAIN
