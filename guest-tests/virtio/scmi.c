/* virtio-scmi: a declared virtio-scmi device (ID 32) is bound and modern, offers its eventq, lists the protocols the DT names, and Linux's hwmon/clock/genpd clients see the readings, rates and domains the platform declares. */
#define AVPS_SUITE "virtio.scmi"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

/*
 * VIRTIO chapter: SCMI Device; the SCMI protocols themselves are Arm's SCMI specification.
 * Reached through Linux's SCMI stack: the scmi-virtio transport driver, the SCMI core (which
 * creates one device per protocol both named in the DT agent node and listed by the platform's
 * BASE_DISCOVER_LIST_PROTOCOLS, drivers/firmware/arm_scmi/driver.c scmi_probe), and its clients:
 * scmi-hwmon (SENSOR_READING_GET on every read of an *_input file), clk-scmi (debugfs clk_rate
 * asks CLOCK_RATE_GET again, clk_core_get_rate_recalc), scmi_pm_domain (one genpd per power
 * domain POWER_DOMAIN_ATTRIBUTES names). The platform declares what its SCMI platform holds:
 *   avps.scmi_protocols=0x11,0x14,...      protocols the device implements (hex)
 *   avps.scmi_sensors=<name>=<value>,...   sensor readings in hwmon units (m°C, mV, mA, uW)
 *   avps.scmi_clocks=<name>=<Hz>,...       clock rates at boot
 *   avps.scmi_power_domains=<name>,...     power domains
 *   avps.scmi_p2a=1                        the device implements notifications or delayed responses
 * The reference SCMI model on refhv serves it (profile refhv/virtio-devices); QEMU 7.2 has
 * no virtio-scmi. Reset domains have no user-space interface in Linux 6.1: the reset protocol
 * is checked by the statement probe (guest-tests/virtio/probes/scmi_cases.c), and here only as
 * one of the protocols listed. Absent device: SKIP, unless avps.offers_scmi=1, then not ok.
 */
#define DEVICE_ID 32
#define DRIVER "scmi-virtio" /* CONFIG_ARM_SCMI_TRANSPORT_VIRTIO: in the suite kernel, not in Debian's 6.1 */
#define DEVICE_WHAT "virtio-scmi device (ID 32)"
#define VIRTIO_SCMI_F_P2A_CHANNELS 0
#define AGENT_OF_NODE "/sys/bus/platform/devices/firmware:scmi/of_node"
#define PROTOCOL_DEVICES "/sys/bus/scmi_protocol/devices"
#define DEBUGFS "/sys/kernel/debug"
#define LIST_BYTES 512

/* Finds the device and needs the driver bound to it. */
#define REQUIRE_SCMI(dev)                                                                          \
	do {                                                                                       \
		REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, (dev), "scmi", DEVICE_WHAT);                 \
		REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);                                        \
		ASSERT_STREQ(DRIVER, (dev)->driver)                                                \
			TH_LOG("%s is bound to '%s', not %s", (dev)->path, (dev)->driver, DRIVER); \
	} while (0)

/* SKIPs unless the platform declared avps.<key> (found: avps_param's answer, value non-empty). */
#define REQUIRE_DECLARED(found, key)                                                               \
	do {                                                                                       \
		if (!(found))                                                                      \
			SKIP(return, "the platform declares no avps.%s: nothing to compare with", (key)); \
	} while (0)

/* Splits "a=1,b=2" in place: the next item's name and (optional) value; false at the end. */
static bool next_item(char **cursor, char **name, char **value)
{
	char *item = strsep(cursor, ",");
	while (item && !*item)
		item = strsep(cursor, ",");
	if (!item)
		return false;
	*name = item;
	char *eq = strchr(item, '=');
	*value = eq ? eq + 1 : NULL;
	if (eq)
		*eq = '\0';
	return true;
}

/* Does an SCMI protocol device exist whose DT node is <agent>/protocol@<hex>? */
static bool protocol_device_for(const char *agent, unsigned protocol)
{
	char want[PATH_MAX], link[PATH_MAX + 64], real[PATH_MAX];
	snprintf(link, sizeof(link), "%s/protocol@%x", agent, protocol);
	if (!realpath(link, want))
		return false;
	DIR *d = opendir(PROTOCOL_DEVICES);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), PROTOCOL_DEVICES "/%s/of_node", e->d_name);
		found = realpath(link, real) && !strcmp(real, want);
	}
	if (d)
		closedir(d);
	return found;
}

/* Mounts debugfs when the runner did not; false when it cannot be reached. */
static bool debugfs_ready(void)
{
	struct stat st;
	if (stat(DEBUGFS "/clk", &st) == 0 || stat(DEBUGFS "/pm_genpd", &st) == 0)
		return true;
	if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		return false;
	return stat(DEBUGFS "/clk", &st) == 0 || stat(DEBUGFS "/pm_genpd", &st) == 0;
}

/* The hwmon device the scmi-hwmon driver registered (name "scmi_sensors"), into path. */
static bool scmi_hwmon(char *path, size_t size)
{
	DIR *d = opendir("/sys/class/hwmon");
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		char name_file[300], name[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(name_file, sizeof(name_file), "/sys/class/hwmon/%s/name", e->d_name);
		if (read_text_file(name_file, name, sizeof(name)) && !strcmp(name, "scmi_sensors")) {
			snprintf(path, size, "/sys/class/hwmon/%s", e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* The *_input file next to the *_label that reads `label`, into input; false when none does. */
static bool hwmon_input_for(const char *hwmon, const char *label, char *input, size_t size)
{
	DIR *d = opendir(hwmon);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		char file[600], text[64];
		size_t n = strlen(e->d_name);
		if (n < 7 || strcmp(e->d_name + n - 6, "_label"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", hwmon, e->d_name);
		if (!read_text_file(file, text, sizeof(text)) || strcmp(text, label))
			continue;
		snprintf(input, size, "%s/%.*s_input", hwmon, (int)(n - 6), e->d_name);
		found = true;
	}
	if (d)
		closedir(d);
	return found;
}

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-scmi device is present, bound to the kernel's scmi-virtio driver and modern"),
	  "AVPS.POWER.2", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "scmi", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(p2a_channels_offered, AVPS_CHECKS("a device whose platform declares SCMI notifications or delayed responses offers VIRTIO_SCMI_F_P2A_CHANNELS (Linux accepts it, so it is negotiated)"),
	  "AVPS.POWER.2", "VIRTIO-1.2: Device Types / SCMI Device / Feature bits #1")
{
	struct virtio_sysfs_device dev;
	char declared[8];
	REQUIRE_SCMI(&dev);
	REQUIRE_DECLARED(avps_param("scmi_p2a", declared, sizeof(declared)) && declared[0], "scmi_p2a");
	if (strcmp(declared, "1"))
		SKIP(return, "the platform declares avps.scmi_p2a=%s: no notification or delayed response", declared);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_SCMI_F_P2A_CHANNELS))
		TH_LOG("the platform declares SCMI notifications or delayed responses (avps.scmi_p2a=1), yet "
		       "VIRTIO_SCMI_F_P2A_CHANNELS (bit 0) was not negotiated: features=%s (Linux's scmi-virtio "
		       "driver accepts the bit, so the device did not offer it)", dev.features);
}

AVPS_TEST(protocols_listed, AVPS_CHECKS("every SCMI protocol the platform declares and the DT names is listed by the device: Linux created a protocol device for it"),
	  "AVPS.POWER.2")
{
	struct virtio_sysfs_device dev;
	char declared[LIST_BYTES], agent[PATH_MAX], *cursor = declared, *name, *value;
	REQUIRE_SCMI(&dev);
	REQUIRE_DECLARED(avps_param("scmi_protocols", declared, sizeof(declared)) && declared[0], "scmi_protocols");
	ASSERT_NE(NULL, realpath(AGENT_OF_NODE, agent))
		TH_LOG("no SCMI agent (%s): the scmi-virtio transport found no arm,scmi-virtio DT node", AGENT_OF_NODE);
	int checked = 0;
	while (next_item(&cursor, &name, &value)) {
		char *end;
		unsigned long protocol = strtoul(name, &end, 16);
		ASSERT_TRUE(!*end && protocol >= 0x10 && protocol <= 0xff)
			TH_LOG("avps.scmi_protocols item '%s' is not a protocol number (hex)", name);
		char node[PATH_MAX + 32];
		struct stat st;
		snprintf(node, sizeof(node), "%s/protocol@%lx", agent, protocol);
		ASSERT_EQ(0, stat(node, &st))
			TH_LOG("the platform declares SCMI protocol 0x%lx but its DT agent node has no protocol@%lx",
			       protocol, protocol);
		EXPECT_TRUE(protocol_device_for(agent, (unsigned)protocol))
			TH_LOG("SCMI protocol 0x%lx is declared and named in the DT (%s), yet Linux created no protocol "
			       "device for it: the device left it out of BASE_DISCOVER_LIST_PROTOCOLS (the kernel "
			       "logs 'SCMI protocol %lu not implemented')", protocol, node, protocol);
		checked++;
	}
	ASSERT_GT(checked, 0) TH_LOG("avps.scmi_protocols lists no protocol");
}

AVPS_TEST(sensor_readings_declared, AVPS_CHECKS("every declared SCMI sensor reads through hwmon (SENSOR_READING_GET) exactly the value the platform declares"),
	  "AVPS.POWER.2")
{
	struct virtio_sysfs_device dev;
	char declared[LIST_BYTES], hwmon[300], *cursor = declared, *name, *value;
	REQUIRE_SCMI(&dev);
	REQUIRE_DECLARED(avps_param("scmi_sensors", declared, sizeof(declared)) && declared[0], "scmi_sensors");
	ASSERT_TRUE(scmi_hwmon(hwmon, sizeof(hwmon)))
		TH_LOG("no hwmon device named scmi_sensors: the sensor protocol was not listed or scmi-hwmon found no "
		       "sensor of a type it shows");
	int checked = 0;
	while (next_item(&cursor, &name, &value)) {
		char input[700], text[32];
		ASSERT_NE(NULL, value) TH_LOG("avps.scmi_sensors item '%s' has no =<value>", name);
		ASSERT_TRUE(hwmon_input_for(hwmon, name, input, sizeof(input)))
			TH_LOG("%s has no sensor labelled '%s' (SENSOR_DESCRIPTION_GET names)", hwmon, name);
		/* Two reads: each is a SENSOR_READING_GET, and a declared constant must hold on both. */
		for (int read = 0; read < 2; read++) {
			ASSERT_TRUE(read_text_file(input, text, sizeof(text))) TH_LOG("cannot read %s", input);
			EXPECT_STREQ(value, text)
				TH_LOG("sensor %s (%s) reads %s, the platform declares %s", name, input, text, value);
		}
		checked++;
	}
	ASSERT_GT(checked, 0) TH_LOG("avps.scmi_sensors lists no sensor");
}

AVPS_TEST(clock_rates_declared, AVPS_CHECKS("every declared SCMI clock exists in Linux's clock tree with the rate the platform declares (CLOCK_RATE_GET through debugfs clk_rate)"),
	  "AVPS.POWER.2")
{
	struct virtio_sysfs_device dev;
	char declared[LIST_BYTES], *cursor = declared, *name, *value;
	REQUIRE_SCMI(&dev);
	REQUIRE_DECLARED(avps_param("scmi_clocks", declared, sizeof(declared)) && declared[0], "scmi_clocks");
	ASSERT_TRUE(debugfs_ready()) TH_LOG("debugfs (%s) cannot be mounted: the clock tree is not visible", DEBUGFS);
	int checked = 0;
	while (next_item(&cursor, &name, &value)) {
		char file[300], text[32];
		ASSERT_NE(NULL, value) TH_LOG("avps.scmi_clocks item '%s' has no =<Hz>", name);
		snprintf(file, sizeof(file), DEBUGFS "/clk/%s/clk_rate", name);
		ASSERT_TRUE(read_text_file(file, text, sizeof(text)))
			TH_LOG("no clock '%s' in Linux's clock tree (%s): the clock protocol did not name it", name, file);
		EXPECT_STREQ(value, text)
			TH_LOG("clock %s runs at %s Hz as the device reports it (CLOCK_RATE_GET), the platform declares %s Hz",
			       name, text, value);
		checked++;
	}
	ASSERT_GT(checked, 0) TH_LOG("avps.scmi_clocks lists no clock");
}

AVPS_TEST(power_domains_declared, AVPS_CHECKS("every declared SCMI power domain is one of the generic power domains Linux built from the device's POWER_DOMAIN_ATTRIBUTES"),
	  "AVPS.POWER.2")
{
	struct virtio_sysfs_device dev;
	char declared[LIST_BYTES], *cursor = declared, *name, *value;
	REQUIRE_SCMI(&dev);
	REQUIRE_DECLARED(avps_param("scmi_power_domains", declared, sizeof(declared)) && declared[0], "scmi_power_domains");
	ASSERT_TRUE(debugfs_ready()) TH_LOG("debugfs (%s) cannot be mounted: the power domains are not visible", DEBUGFS);
	int checked = 0;
	while (next_item(&cursor, &name, &value)) {
		char dir[300];
		struct stat st;
		snprintf(dir, sizeof(dir), DEBUGFS "/pm_genpd/%s", name);
		EXPECT_EQ(0, stat(dir, &st))
			TH_LOG("the platform declares SCMI power domain '%s', yet Linux has no generic power domain of "
			       "that name (%s): the device reported fewer domains or other names", name, dir);
		checked++;
	}
	ASSERT_GT(checked, 0) TH_LOG("avps.scmi_power_domains lists no domain");
}

TEST_HARNESS_MAIN
