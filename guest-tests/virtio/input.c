/* virtio-input: keyboard, mouse and tablet present with the right event capabilities, and events injected by the host arrive. */
#define AVPS_SUITE "virtio.input"
#include "avps_kselftest.h"
#include "host_request.h"
#include "kernel_cmdline.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define DEVICE_WHAT "virtio-input device (ID 18)"
#define REPLY_TIMEOUT_MS 10000
#define EVENT_TIMEOUT_MS 3000
#define INJECT_TRIES 3

/* What the platform says it attaches (avps.input_devices=keyboard,mouse,tablet). */
enum input_role { ROLE_KEYBOARD, ROLE_MOUSE, ROLE_TABLET };
static const char *const role_names[] = { "keyboard", "mouse", "tablet" };

#define BITS_LONGS(n) (((n) + 8 * sizeof(long) - 1) / (8 * sizeof(long)))
static bool test_bit_in(const unsigned long *bits, unsigned bit)
{
	return (bits[bit / (8 * sizeof(long))] >> (bit % (8 * sizeof(long)))) & 1;
}

/* True when the event device reports code of event type (EVIOCGBIT). */
static bool has_capability(int fd, unsigned type, unsigned code)
{
	unsigned long bits[BITS_LONGS(KEY_CNT)] = { 0 };
	return ioctl(fd, EVIOCGBIT(type, sizeof(bits)), bits) >= 0 && test_bit_in(bits, code);
}

static bool plays_role(int fd, enum input_role role)
{
	switch (role) {
	case ROLE_KEYBOARD:
		return has_capability(fd, 0, EV_KEY) && has_capability(fd, EV_KEY, KEY_A);
	case ROLE_MOUSE:
		return has_capability(fd, 0, EV_REL) && has_capability(fd, EV_REL, REL_X) &&
		       has_capability(fd, EV_REL, REL_Y) && has_capability(fd, EV_KEY, BTN_LEFT);
	case ROLE_TABLET:
		return has_capability(fd, 0, EV_ABS) && has_capability(fd, EV_ABS, ABS_X) &&
		       has_capability(fd, EV_ABS, ABS_Y);
	}
	return false;
}

/* Opens the /dev/input/eventN of the first virtio-input device playing role; -1 when none. */
static int open_role(enum input_role role, char *path, size_t size)
{
	struct virtio_sysfs_device devs[8];
	int n = virtio_sysfs_find(VIRTIO_ID_INPUT, devs, 8);
	for (int i = 0; i < n; i++) {
		char input_dir[320];
		snprintf(input_dir, sizeof(input_dir), "%s/input", devs[i].path);
		DIR *inputs = opendir(input_dir);
		for (struct dirent *in; inputs && (in = readdir(inputs));) {
			if (strncmp(in->d_name, "input", 5) != 0)
				continue;
			char event_dir[600];
			snprintf(event_dir, sizeof(event_dir), "%s/%s", input_dir, in->d_name);
			DIR *events = opendir(event_dir);
			for (struct dirent *ev; events && (ev = readdir(events));) {
				if (strncmp(ev->d_name, "event", 5) != 0)
					continue;
				snprintf(path, size, "/dev/input/%s", ev->d_name);
				int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
				if (fd >= 0 && plays_role(fd, role)) {
					closedir(events);
					closedir(inputs);
					return fd;
				}
				if (fd >= 0)
					close(fd);
			}
			if (events)
				closedir(events);
		}
		if (inputs)
			closedir(inputs);
	}
	return -1;
}

static bool platform_attaches(enum input_role role)
{
	char list[64];
	return avps_param("input_devices", list, sizeof(list)) && avps_list_has(list, role_names[role]);
}

AVPS_TEST(device_present,
	  AVPS_CHECKS("every virtio input device (ID 18) is bound to virtio_input with VIRTIO_F_VERSION_1 negotiated"),
	  "AVPS.INPUT.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_INPUT, &dev, "input", DEVICE_WHAT);
	struct virtio_sysfs_device all[8];
	int n = virtio_sysfs_find(VIRTIO_ID_INPUT, all, 8);
	for (int i = 0; i < n; i++) {
		EXPECT_STREQ("virtio_input", all[i].driver) TH_LOG("%s bound to '%s'", all[i].path, all[i].driver);
		EXPECT_TRUE(virtio_sysfs_has_feature(&all[i], VIRTIO_F_VERSION_1))
			TH_LOG("%s: VIRTIO_F_VERSION_1 not negotiated, features=%s", all[i].path, all[i].features);
	}
}

/* The devices the platform declares exist with the capabilities their role needs (from the device's config). */
AVPS_TEST(event_capabilities,
	  AVPS_CHECKS("each input role the platform declares has a virtio input event device with that role's "
	              "capabilities"),
	  "AVPS.INPUT.1")
{
	struct virtio_sysfs_device dev;
	char path[64];
	int checked = 0;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_INPUT, &dev, "input", DEVICE_WHAT);
	for (int role = ROLE_KEYBOARD; role <= ROLE_TABLET; role++) {
		if (!platform_attaches(role))
			continue;
		int fd = open_role(role, path, sizeof(path));
		EXPECT_GE(fd, 0) TH_LOG("declared %s (avps.input_devices) but no virtio-input event device has its "
					"capabilities (EV_KEY/KEY_A, EV_REL/REL_X,REL_Y+BTN_LEFT, EV_ABS/ABS_X,ABS_Y)",
					role_names[role]);
		if (fd >= 0)
			close(fd);
		checked++;
	}
	if (!checked)
		SKIP(return, "platform declares no input roles (avps.input_devices not given)");
}

struct wanted_event {
	unsigned type, code;
	int value;
};

/* Reads events from fd until every wanted event was seen or the time is up. */
static bool wait_for_events(int fd, const struct wanted_event *wanted, int count, int timeout_ms, char *seen,
			    size_t seen_size)
{
	bool found[4] = { false };
	int remaining = count;
	size_t used = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	seen[0] = '\0';
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (remaining == 0 || elapsed >= timeout_ms)
			return remaining == 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(timeout_ms - elapsed)) <= 0)
			continue;
		struct input_event ev;
		while (read(fd, &ev, sizeof(ev)) == (ssize_t)sizeof(ev)) {
			if (ev.type == EV_SYN)
				continue;
			if (used + 24 < seen_size)
				used += (size_t)snprintf(seen + used, seen_size - used, "%u/%u/%d ", ev.type, ev.code,
							 ev.value);
			for (int i = 0; i < count; i++)
				if (!found[i] && ev.type == wanted[i].type && ev.code == wanted[i].code &&
				    ev.value == wanted[i].value) {
					found[i] = true;
					remaining--;
				}
		}
	}
}

/* Asks the host to inject kind ("key", "rel", "abs") and waits for the wanted events on role's device. */
static void inject_and_check(struct __test_metadata *_metadata, enum input_role role, const char *kind,
			     const struct wanted_event *wanted, int count)
{
	struct virtio_sysfs_device dev;
	char path[64], request[96], reply[160] = "", seen[256] = "";
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_INPUT, &dev, "input", DEVICE_WHAT);
	int fd = open_role(role, path, sizeof(path));
	if (fd < 0 && !platform_attaches(role))
		SKIP(return, "no virtio %s and the platform declares none", role_names[role]);
	ASSERT_GE(fd, 0) TH_LOG("no virtio-input device with %s capabilities", role_names[role]);
	bool arrived = false;
	/* Repeat a few times: an injection can race the device's event queue refill. */
	for (int attempt = 0; attempt < INJECT_TRIES && !arrived; attempt++) {
		struct input_event stale;
		while (read(fd, &stale, sizeof(stale)) > 0)
			;
		snprintf(request, sizeof(request), "AVPS-INPUT %lx %s", host_request_nonce(), kind);
		if (!host_request(request, "AVPS-INPUT-REPLY", reply, sizeof(reply), REPLY_TIMEOUT_MS))
			break;
		if (strstr(reply, "error:"))
			break;
		arrived = wait_for_events(fd, wanted, count, EVENT_TIMEOUT_MS, seen, sizeof(seen));
	}
	close(fd);
	ASSERT_TRUE(arrived) TH_LOG("%s: injected '%s' events did not arrive on %s; host said '%s'; events seen "
				    "(type/code/value): %s",
				    role_names[role], kind, path, reply, seen[0] ? seen : "none");
}

AVPS_TEST(keyboard_event_arrives,
	  AVPS_CHECKS("a key press/release the host injects arrives as EV_KEY KEY_A 1/0 on the virtio keyboard"),
	  "AVPS.INPUT.1")
{
	const struct wanted_event wanted[] = { { EV_KEY, KEY_A, 1 }, { EV_KEY, KEY_A, 0 } };
	inject_and_check(_metadata, ROLE_KEYBOARD, "key", wanted, 2);
}

AVPS_TEST(mouse_event_arrives,
	  AVPS_CHECKS("a relative motion the host injects arrives as EV_REL X=7, Y=-3 on the virtio mouse"),
	  "AVPS.INPUT.1")
{
	const struct wanted_event wanted[] = { { EV_REL, REL_X, 7 }, { EV_REL, REL_Y, -3 } };
	inject_and_check(_metadata, ROLE_MOUSE, "rel", wanted, 2);
}

AVPS_TEST(tablet_event_arrives,
	  AVPS_CHECKS("an absolute position the host injects arrives as EV_ABS X=16384, Y=8192 on the virtio tablet"),
	  "AVPS.INPUT.1")
{
	const struct wanted_event wanted[] = { { EV_ABS, ABS_X, 16384 }, { EV_ABS, ABS_Y, 8192 } };
	inject_and_check(_metadata, ROLE_TABLET, "abs", wanted, 2);
}

TEST_HARNESS_MAIN
