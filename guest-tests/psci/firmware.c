/* Linux side of PSCI: the firmware node and conduit in the DT, the version Linux detected, SMP bring-up of every CPU. */
#define AVPS_SUITE "psci.firmware"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "virtio_sysfs.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads a DT property as bytes; returns its length or -1. */
static int read_dt_property(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (int)n;
}

/* True when the NUL-separated string list contains want. */
static bool string_list_has(const char *list, int len, const char *want)
{
	for (int i = 0; i < len; i += (int)strlen(list + i) + 1)
		if (strcmp(list + i, want) == 0)
			return true;
	return false;
}

/* The "psci: PSCIvX.Y detected in firmware." line of the kernel log, if any. */
static bool detected_version(int *major, int *minor)
{
	FILE *f = popen("dmesg 2>/dev/null", "r");
	char line[256];
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "psci: PSCIv");
		found = p && sscanf(p, "psci: PSCIv%d.%d detected", major, minor) == 2;
	}
	pclose(f);
	return found;
}

AVPS_TEST(dt_node,
	  AVPS_CHECKS("the DT has /psci compatible arm,psci-1.0 or -0.2 with method hvc or smc, equal to the host's "
	              "conduit when declared"),
	  "AVPS.POWER.1", "AVPS.BOOT.1")
{
	char compatible[256], method[16];
	int len = read_dt_property("/proc/device-tree/psci/compatible", compatible, sizeof(compatible));
	ASSERT_GT(len, 0) TH_LOG("no /psci node in the device tree the guest was given");
	EXPECT_TRUE(string_list_has(compatible, len, "arm,psci-1.0") ||
		    string_list_has(compatible, len, "arm,psci-0.2"))
		TH_LOG("/psci compatible names neither arm,psci-1.0 nor arm,psci-0.2 (first entry '%s')", compatible);
	ASSERT_GT(read_dt_property("/proc/device-tree/psci/method", method, sizeof(method)), 0)
		TH_LOG("/psci has no method property (hvc or smc)");
	EXPECT_TRUE(strcmp(method, "hvc") == 0 || strcmp(method, "smc") == 0)
		TH_LOG("/psci method is '%s', expected hvc or smc", method);
	char expected[16];
	if (avps_param("psci_method", expected, sizeof(expected)))
		EXPECT_STREQ(expected, method) TH_LOG("host configured the %s conduit", expected);
}

AVPS_TEST(version_detected,
	  AVPS_CHECKS("the kernel log reports PSCI 1.0 or later detected in firmware"),
	  "AVPS.POWER.1")
{
	int major = 0, minor = 0;
	ASSERT_TRUE(detected_version(&major, &minor))
		TH_LOG("the kernel log has no 'psci: PSCIvX.Y detected in firmware' line");
	TH_LOG("firmware implements PSCI %d.%d", major, minor);
	EXPECT_GE(major * 100 + minor, 100)
		TH_LOG("PSCI %d.%d: 1.0 or later expected (PSCI_FEATURES, standard function IDs)", major, minor);
}

AVPS_TEST(all_cpus_online,
	  AVPS_CHECKS("as many CPUs came online at boot as the host gave vCPUs (avps.cpus)"),
	  "AVPS.POWER.1", "AVPS.BOOT.1")
{
	unsigned long long expected = 0;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	ASSERT_TRUE(avps_param_u64("cpus", &expected))
		TH_LOG("host did not say how many vCPUs it gave: pass avps.cpus=<n>");
	EXPECT_EQ((long)expected, online) TH_LOG("host gave %llu vCPUs, %ld came online at boot", expected, online);
}

TEST_HARNESS_MAIN
