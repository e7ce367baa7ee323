/* virtio-gpio: a declared virtio-gpio device (ID 41) is bound and modern, has the declared lines with unique names, and its loopback pairs carry levels. */
#define AVPS_SUITE "virtio.gpio"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/*
 * VIRTIO chapter: GPIO Device. Reached through the kernel's gpio_virtio driver and the GPIO
 * character device (linux/gpio.h uapi v2). The platform declares its wiring: avps.gpio_lines
 * (line count) and avps.gpio_loopback_pairs ("0-1,2-3": each pair wired together, so a level
 * driven on one is sensed on the other). The reference GPIO model over vhost-user serves it
 * (profile vhost-user-gpio-i2c); Debian 6.1 arm64 has no CONFIG_GPIO_VIRTIO.
 * Line interrupts (edge_events_in_order) need VIRTIO_GPIO_F_IRQ: refhv's reference GPIO model offers
 * it (profile virtio-devices); QEMU 7.2's vhost-user-gpio front end never does (hw/virtio/vhost-user-gpio.c
 * vu_gpio_get_features only clears bits of its host features, which lack bit 0), so there it SKIPs.
 * Absent device: SKIP, unless the platform declares avps.offers_gpio=1, then not ok.
 */
#define DEVICE_ID 41
#define DRIVER "gpio_virtio" /* CONFIG_GPIO_VIRTIO: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-gpio device (ID 41)"
#define MAX_PAIRS 32
#define VIRTIO_GPIO_F_IRQ 0 /* the device can deliver line interrupts on its eventq */
#define EDGE_TOGGLES 16	    /* output level changes per edge-event run: 8 rising, 8 falling */
#define EDGE_TIMEOUT_MS 3000 /* per toggle; TCG guests deliver within milliseconds */
#define EDGE_QUIET_MS 300    /* after the last toggle: no further event may arrive */

/* Finds the device, needs the driver, and opens the gpio chip the driver registered for it. */
#define REQUIRE_GPIO_CHIP(dev, fd, info)                                                               \
	do {                                                                                           \
		REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, (dev), "gpio", DEVICE_WHAT);                     \
		REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);                                            \
		(fd) = open_chip_of((dev), (info));                                                    \
		ASSERT_GE((fd), 0) TH_LOG("no /dev/gpiochip* labelled %s (the gpio_virtio driver "    \
					  "names its chip after the virtio device)", strrchr((dev)->path, '/') + 1); \
	} while (0)

struct line_pair {
	unsigned a, b;
};

/* gpio_virtio labels its chip with the virtio device's name (virtioN). */
static int open_chip_of(const struct virtio_sysfs_device *dev, struct gpiochip_info *info)
{
	const char *name = strrchr(dev->path, '/') + 1;
	DIR *d = opendir("/dev");
	struct dirent *e;
	int found = -1;
	while (d && found < 0 && (e = readdir(d))) {
		char path[300];
		if (strncmp(e->d_name, "gpiochip", 8))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(info, 0, sizeof(*info));
		if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, info) == 0 && !strcmp(info->label, name))
			found = fd;
		else
			close(fd);
	}
	if (d)
		closedir(d);
	return found;
}

/* Parses avps.gpio_loopback_pairs ("0-1,2-3"); returns how many pairs, -1 when absent or malformed. */
static int declared_pairs(struct line_pair *pairs, int max, char *text, size_t size)
{
	if (!avps_param("gpio_loopback_pairs", text, size))
		return -1;
	int n = 0;
	for (char *p = text; *p && n < max;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10);
		if (end == p || *end != '-')
			return -1;
		p = end + 1;
		unsigned long b = strtoul(p, &end, 10);
		if (end == p || (*end && *end != ',') || a == b)
			return -1;
		pairs[n++] = (struct line_pair){ (unsigned)a, (unsigned)b };
		p = *end ? end + 1 : end;
	}
	return n;
}

/* Requests one line (GPIO_V2_GET_LINE_IOCTL); returns the line fd or -errno. */
static int request_line(int chip, unsigned offset, unsigned long long flags)
{
	struct gpio_v2_line_request req;
	memset(&req, 0, sizeof(req));
	req.offsets[0] = offset;
	req.num_lines = 1;
	req.config.flags = flags;
	snprintf(req.consumer, sizeof(req.consumer), "avps-cts");
	return ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) < 0 ? -errno : req.fd;
}

static int set_level(int line, int level)
{
	struct gpio_v2_line_values v = { .bits = (unsigned long long)level, .mask = 1 };
	return ioctl(line, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0 ? -errno : 0;
}

/* The level the line senses (0/1), or -errno. */
static int get_level(int line)
{
	struct gpio_v2_line_values v = { .bits = 0, .mask = 1 };
	return ioctl(line, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0 ? -errno : (int)(v.bits & 1);
}

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-gpio device is present, bound to the kernel's gpio_virtio driver and modern"),
	  "AVPS.GPIO.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "gpio", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(lines_and_names,
	  AVPS_CHECKS("the device's gpio chip has the avps.gpio_lines lines the platform declares, and no two of its "
		      "named lines share a name (names from the device's GET_LINE_NAMES block)"),
	  "AVPS.GPIO.1", "VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #4",
	  "VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #5")
{
	struct virtio_sysfs_device dev;
	struct gpiochip_info chip;
	int fd;
	REQUIRE_GPIO_CHIP(&dev, fd, &chip);
	unsigned long long declared;
	if (!avps_param_u64("gpio_lines", &declared))
		SKIP(return, "the platform declares no GPIO line count (avps.gpio_lines)");
	ASSERT_EQ(declared, chip.lines) TH_LOG("the device has %u lines, the platform declares %llu", chip.lines, declared);
	static char names[256][GPIO_MAX_NAME_SIZE];
	unsigned named = 0;
	for (unsigned i = 0; i < chip.lines && i < 256; i++) {
		struct gpio_v2_line_info info;
		memset(&info, 0, sizeof(info));
		info.offset = i;
		ASSERT_EQ(0, ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &info)) TH_LOG("line %u info: %s", i, strerror(errno));
		snprintf(names[i], sizeof(names[i]), "%s", info.name);
		if (!names[i][0])
			continue;
		named++;
		for (unsigned j = 0; j < i; j++) {
			ASSERT_STRNE(names[j], names[i]) TH_LOG("lines %u and %u share the name '%s'", j, i, names[i]);
		}
	}
	ksft_print_msg("%u lines, %u of them named\n", chip.lines, named);
	close(fd);
}

AVPS_TEST(output_seen_on_partner,
	  AVPS_CHECKS("for every declared loopback pair (avps.gpio_loopback_pairs), each line in turn driven high then "
		      "low as an output is read at the same level on its partner, an input (GET_VALUE's value field)"),
	  "AVPS.GPIO.1", "VIRTIO-1.2: Device Types / GPIO Device / requestq Operation #1")
{
	struct virtio_sysfs_device dev;
	struct gpiochip_info chip;
	struct line_pair pairs[MAX_PAIRS];
	char text[256];
	int fd;
	REQUIRE_GPIO_CHIP(&dev, fd, &chip);
	int n = declared_pairs(pairs, MAX_PAIRS, text, sizeof(text));
	if (n < 0)
		SKIP(return, "the platform declares no GPIO loopback wiring (avps.gpio_loopback_pairs)");
	for (int p = 0; p < n; p++) {
		for (int turn = 0; turn < 2; turn++) {
			unsigned out = turn ? pairs[p].b : pairs[p].a, in = turn ? pairs[p].a : pairs[p].b;
			ASSERT_LT(out > in ? out : in, chip.lines) TH_LOG("pair %u-%u is outside the %u lines", out, in, chip.lines);
			int drive = request_line(fd, out, GPIO_V2_LINE_FLAG_OUTPUT);
			ASSERT_GE(drive, 0) TH_LOG("line %u as output: %s", out, strerror(-drive));
			int sense = request_line(fd, in, GPIO_V2_LINE_FLAG_INPUT);
			ASSERT_GE(sense, 0) TH_LOG("line %u as input: %s", in, strerror(-sense));
			for (int level = 1; level >= 0; level--) {
				int err = set_level(drive, level);
				ASSERT_EQ(0, err) TH_LOG("drive line %u to %d: %s", out, level, strerror(-err));
				int got = get_level(sense);
				ASSERT_GE(got, 0) TH_LOG("read line %u: %s", in, strerror(-got));
				ASSERT_EQ(level, got) TH_LOG("line %u reads %d while its partner line %u drives %d",
							   in, got, out, level);
			}
			close(sense);
			close(drive);
		}
	}
	close(fd);
}

static unsigned long long monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Waits up to timeout_ms for the line fd to be readable, then reads every queued event; returns how many, or -errno. */
static int read_events(int line, struct gpio_v2_line_event *ev, int max, int timeout_ms)
{
	struct pollfd p = { .fd = line, .events = POLLIN };
	int ready = poll(&p, 1, timeout_ms);
	if (ready <= 0)
		return ready < 0 ? -errno : 0;
	ssize_t got = read(line, ev, sizeof(*ev) * (size_t)max);
	if (got < 0)
		return -errno;
	return (int)(got / (ssize_t)sizeof(*ev));
}

AVPS_TEST(edge_events_in_order,
	  AVPS_CHECKS("with VIRTIO_GPIO_F_IRQ offered, a line of the first declared loopback pair requested for both "
		      "edges reports each of 16 level changes driven on its partner as exactly one event of that edge, "
		      "sequence numbers consecutive, timestamps non-decreasing and inside their toggle's window"),
	  "AVPS.GPIO.1")
{
	struct virtio_sysfs_device dev;
	struct gpiochip_info chip;
	struct line_pair pairs[MAX_PAIRS];
	char text[256];
	int fd;
	REQUIRE_GPIO_CHIP(&dev, fd, &chip);
	/* sysfs shows the negotiated bits; gpio_virtio accepts F_IRQ whenever offered, so absent = not offered. */
	if (!virtio_sysfs_has_feature(&dev, VIRTIO_GPIO_F_IRQ))
		SKIP(return, "the device does not offer VIRTIO_GPIO_F_IRQ (features=%s): no line interrupts to observe",
		     dev.features);
	if (declared_pairs(pairs, MAX_PAIRS, text, sizeof(text)) < 1)
		SKIP(return, "the platform declares no GPIO loopback wiring (avps.gpio_loopback_pairs)");
	unsigned out = pairs[0].a, in = pairs[0].b;
	ASSERT_LT(out > in ? out : in, chip.lines) TH_LOG("pair %u-%u is outside the %u lines", out, in, chip.lines);
	int drive = request_line(fd, out, GPIO_V2_LINE_FLAG_OUTPUT);
	ASSERT_GE(drive, 0) TH_LOG("line %u as output: %s", out, strerror(-drive));
	ASSERT_EQ(0, set_level(drive, 0)) TH_LOG("drive line %u low before watching edges", out);
	int sense = request_line(fd, in, GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING |
						 GPIO_V2_LINE_FLAG_EDGE_FALLING);
	ASSERT_GE(sense, 0) TH_LOG("line %u as input with rising and falling edge detection: %s (the device offers "
				   "VIRTIO_GPIO_F_IRQ, so its interrupt must be usable)", in, strerror(-sense));
	struct gpio_v2_line_event ev[8];
	int stale = read_events(sense, ev, 8, 100);
	ASSERT_EQ(0, stale) TH_LOG("line %u reported %d edge event(s) before its partner changed level", in, stale);
	unsigned long long last_ts = 0;
	unsigned last_seqno = 0;
	for (int t = 1; t <= EDGE_TOGGLES; t++) {
		int level = t % 2;
		const char *edge = level ? "rising" : "falling";
		unsigned long long before = monotonic_ns();
		int err = set_level(drive, level);
		ASSERT_EQ(0, err) TH_LOG("drive line %u to %d: %s", out, level, strerror(-err));
		int n = read_events(sense, ev, 8, EDGE_TIMEOUT_MS);
		unsigned long long after = monotonic_ns();
		ASSERT_GE(n, 0) TH_LOG("read edge events of line %u: %s", in, strerror(-n));
		ASSERT_NE(0, n) TH_LOG("toggle %d (%s edge, line %u driven to %d): no event on line %u within %d ms",
				       t, edge, out, level, in, EDGE_TIMEOUT_MS);
		ASSERT_EQ(1, n) TH_LOG("toggle %d (%s edge): %d events on line %u, expected exactly one", t, edge, n, in);
		ASSERT_EQ(level ? GPIO_V2_LINE_EVENT_RISING_EDGE : GPIO_V2_LINE_EVENT_FALLING_EDGE, ev[0].id)
			TH_LOG("toggle %d (%s edge): the event on line %u is a %s edge", t, edge, in,
			       ev[0].id == GPIO_V2_LINE_EVENT_RISING_EDGE ? "rising" : "falling");
		ASSERT_EQ(in, ev[0].offset) TH_LOG("toggle %d: event names line %u, not %u", t, ev[0].offset, in);
		if (t > 1) {
			ASSERT_EQ(last_seqno + 1, ev[0].line_seqno)
				TH_LOG("toggle %d: line sequence number %u follows %u (an edge was lost or doubled)", t,
				       ev[0].line_seqno, last_seqno);
		}
		ASSERT_LE(last_ts, (unsigned long long)ev[0].timestamp_ns)
			TH_LOG("toggle %d: timestamp %llu ns is before the previous event's %llu ns", t,
			       (unsigned long long)ev[0].timestamp_ns, last_ts);
		ASSERT_TRUE(ev[0].timestamp_ns >= before && ev[0].timestamp_ns <= after)
			TH_LOG("toggle %d: timestamp %llu ns is outside the toggle's window %llu..%llu ns", t,
			       (unsigned long long)ev[0].timestamp_ns, before, after);
		last_seqno = ev[0].line_seqno;
		last_ts = ev[0].timestamp_ns;
	}
	int extra = read_events(sense, ev, 8, EDGE_QUIET_MS);
	ASSERT_EQ(0, extra) TH_LOG("%d event(s) on line %u after the last of %d toggles", extra, in, EDGE_TOGGLES);
	ksft_print_msg("line %u: %d toggles of line %u, %d events in order (seqno %u..%u)\n", in, EDGE_TOGGLES, out,
		       EDGE_TOGGLES, last_seqno - EDGE_TOGGLES + 1, last_seqno);
	close(sense);
	close(drive);
	close(fd);
}

TEST_HARNESS_MAIN
