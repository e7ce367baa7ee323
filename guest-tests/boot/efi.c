/* UEFI / EBBR boot path as Linux sees it: system table, runtime services (time, variables), memory map, DT or ACPI from the configuration table. */
#define AVPS_SUITE "boot.efi"
#include "avps_kselftest.h"
#include "devicetree_files.h"
#include "host_expectations.h"
#include "kernel_log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtc.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define EFIVARS EFI_SYSFS "/efivars"
/* UEFI 2.10, 8.2 Variable Services: attribute bits. */
#define EFI_VARIABLE_NON_VOLATILE 0x1u
#define EFI_VARIABLE_BOOTSERVICE_ACCESS 0x2u
#define EFI_VARIABLE_RUNTIME_ACCESS 0x4u
/* Our own vendor GUID: efivarfs refuses unknown names under the EFI global variable GUID. */
#define TEST_VARIABLE EFIVARS "/AvpsCtsBootTest-5c1b2e2a-4f3d-4b7e-9a61-0c5e7f3a9d21"
#define MAX_MAP_ENTRIES 256

/* Every case: only where the host says the guest boots through UEFI; then EFI must be there. */
#define REQUIRE_UEFI()                                                                              \
	do {                                                                                        \
		if (!host_expects_uefi())                                                           \
			SKIP(return, "the host declares no UEFI boot path (avps.expect_uefi is not 1)"); \
		ASSERT_TRUE(booted_through_uefi())                                                  \
			TH_LOG("expected UEFI firmware (avps.expect_uefi=1), seen no " EFI_SYSFS     \
			       ": the kernel found no EFI system table");                            \
	} while (0)

/*
 * EFI_RT_PROPERTIES_TABLE (UEFI 2.8+): firmware declares which runtime services it does not
 * support. Linux logs the table ("RTPROP=") and then leaves those services alone (no rtc-efi,
 * read-only efivarfs), so its presence is how the guest knows a missing service is declared.
 */
static bool rt_properties_declared(void)
{
	char *log = kernel_log();
	bool declared = log && strstr(log, "RTPROP=") != NULL;
	free(log);
	return declared;
}

static bool efivarfs_mounted(void)
{
	char mounts[8192] = "";
	dt_read_file("/proc/mounts", mounts, sizeof(mounts) - 1);
	return strstr(mounts, " " EFIVARS " efivarfs") != NULL;
}

/* Mounts efivarfs (the init loaded its module) where the kernel expects it. */
static int mount_efivarfs(void)
{
	if (efivarfs_mounted())
		return 0;
	return mount("efivarfs", EFIVARS, "efivarfs", 0, NULL) == 0 ? 0 : errno;
}

AVPS_TEST(firmware_present,
	  AVPS_CHECKS("booted through UEFI, the kernel reports 64-bit firmware (fw_platform_size)"),
	  "AVPS.BOOT.2")
{
	char size[8] = "";
	REQUIRE_UEFI();
	ASSERT_GT(dt_read_file(EFI_SYSFS "/fw_platform_size", size, sizeof(size) - 1), 0)
		TH_LOG("expected " EFI_SYSFS "/fw_platform_size, seen none");
	EXPECT_EQ(64, atoi(size)) TH_LOG("expected 64-bit firmware, seen fw_platform_size %s", size);
}

AVPS_TEST(system_table,
	  AVPS_CHECKS("the kernel log names a UEFI 2.x system table and a firmware vendor"),
	  "AVPS.BOOT.2")
{
	char line[256];
	unsigned major = 0, minor = 0;
	REQUIRE_UEFI();
	char *log = kernel_log();
	bool found = kernel_log_line(log, "efi: EFI v", line, sizeof(line));
	free(log);
	ASSERT_TRUE(found) TH_LOG("expected the kernel's \"efi: EFI v<major>.<minor> by <vendor>\" line, seen none");
	ASSERT_EQ(2, sscanf(strstr(line, "EFI v") + 5, "%u.%u", &major, &minor))
		TH_LOG("expected a revision in \"%s\"", line);
	EXPECT_GE(major, 2) TH_LOG("expected a UEFI 2.x system table, seen revision %u.%u", major, minor);
	EXPECT_NE(NULL, strstr(line, " by ")) TH_LOG("expected a firmware vendor in \"%s\"", line);
	TH_LOG("%s", strstr(line, "EFI v"));
}

AVPS_TEST(variables_readable,
	  AVPS_CHECKS("efivarfs lists variables, each reads back, and the first carries BS|RT access"),
	  "AVPS.BOOT.2")
{
	REQUIRE_UEFI();
	int error = mount_efivarfs();
	ASSERT_EQ(0, error) TH_LOG("expected efivarfs to mount on " EFIVARS ", seen %s", strerror(error));
	DIR *d = opendir(EFIVARS);
	ASSERT_NE(NULL, d);
	int count = 0, readable = 0;
	unsigned attributes = 0;
	char first_name[300] = "";
	for (struct dirent *e; (e = readdir(d));) { /* GetNextVariableName */
		if (e->d_name[0] == '.')
			continue;
		count++;
		char path[600];
		uint8_t data[1024];
		snprintf(path, sizeof(path), EFIVARS "/%s", e->d_name);
		long n = dt_read_file(path, data, sizeof(data)); /* GetVariable: attributes, then data */
		if (n >= 4 && !readable++) {
			memcpy(&attributes, data, 4);
			snprintf(first_name, sizeof(first_name), "%s", e->d_name);
		}
	}
	closedir(d);
	ASSERT_GT(count, 0) TH_LOG("expected GetNextVariableName to list variables, seen none");
	EXPECT_EQ(count, readable) TH_LOG("expected every listed variable readable, %d of %d were", readable, count);
	EXPECT_EQ(EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS,
		  attributes & (EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS))
		TH_LOG("expected %s to carry BS|RT access, seen attributes 0x%x", first_name, attributes);
	TH_LOG("%d variables; %s attributes 0x%x", count, first_name, attributes);
}

AVPS_TEST(runtime_set_variable_as_declared,
	  AVPS_CHECKS("SetVariable at runtime stores a variable that reads back as written, or is declared "
	              "unsupported in RT_PROPERTIES"),
	  "AVPS.BOOT.2")
{
	struct statvfs fs;
	REQUIRE_UEFI();
	int error = mount_efivarfs();
	ASSERT_EQ(0, error) TH_LOG("expected efivarfs to mount on " EFIVARS ", seen %s", strerror(error));
	ASSERT_EQ(0, statvfs(EFIVARS, &fs));
	if (fs.f_flag & ST_RDONLY) {
		ASSERT_TRUE(rt_properties_declared())
			TH_LOG("efivarfs is read-only but the firmware did not declare SetVariable unsupported "
			       "(no EFI_RT_PROPERTIES_TABLE)");
		TH_LOG("SetVariable declared unsupported at runtime (RT_PROPERTIES): efivarfs read-only, as declared");
		return;
	}
	const uint8_t written[] = {EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
					   EFI_VARIABLE_RUNTIME_ACCESS, 0, 0, 0, 'a', 'v', 'p', 's'};
	int fd = open(TEST_VARIABLE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0) TH_LOG("expected to create %s (SetVariable), seen %s", TEST_VARIABLE, strerror(errno));
	ssize_t n = write(fd, written, sizeof(written));
	int write_error = errno;
	close(fd);
	ASSERT_EQ((ssize_t)sizeof(written), n) TH_LOG("expected SetVariable to store 4 bytes, seen %s",
						      n < 0 ? strerror(write_error) : "a short write");
	uint8_t read_back[16] = {0};
	long got = dt_read_file(TEST_VARIABLE, read_back, sizeof(read_back));
	unlink(TEST_VARIABLE); /* SetVariable with no data deletes it */
	ASSERT_EQ((long)sizeof(written), got) TH_LOG("expected GetVariable to return %zu bytes, seen %ld",
						    sizeof(written), got);
	EXPECT_EQ(0, memcmp(written, read_back, sizeof(written)))
		TH_LOG("expected the variable read back as written (\"avps\", attributes 0x7), seen other bytes");
}

AVPS_TEST(runtime_get_time_as_declared,
	  AVPS_CHECKS("GetTime at runtime (rtc-efi) is within a day of the system clock, or is declared unsupported "
	              "in RT_PROPERTIES"),
	  "AVPS.BOOT.2")
{
	char name[32], path[64], efi_rtc[16] = "";
	REQUIRE_UEFI();
	for (int i = 0; i < 4 && !efi_rtc[0]; i++) {
		snprintf(path, sizeof(path), "/sys/class/rtc/rtc%d/name", i);
		memset(name, 0, sizeof(name));
		if (dt_read_file(path, name, sizeof(name) - 1) > 0 && strncmp(name, "rtc-efi", 7) == 0)
			snprintf(efi_rtc, sizeof(efi_rtc), "rtc%d", i);
	}
	if (!efi_rtc[0]) {
		ASSERT_TRUE(rt_properties_declared())
			TH_LOG("expected rtc-efi (GetTime at runtime) or GetTime declared unsupported in "
			       "EFI_RT_PROPERTIES_TABLE, seen neither");
		TH_LOG("GetTime declared unsupported at runtime (RT_PROPERTIES): no rtc-efi, as declared");
		return;
	}
	snprintf(path, sizeof(path), "/dev/%s", efi_rtc);
	int fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0) TH_LOG("expected to open %s, seen %s", path, strerror(errno));
	struct rtc_time tm = {0};
	int rc = ioctl(fd, RTC_RD_TIME, &tm); /* rtc-efi: GetTime() */
	close(fd);
	ASSERT_EQ(0, rc) TH_LOG("expected GetTime through %s to succeed, seen %s", path, strerror(errno));
	struct tm as_tm = {.tm_sec = tm.tm_sec, .tm_min = tm.tm_min, .tm_hour = tm.tm_hour,
			   .tm_mday = tm.tm_mday, .tm_mon = tm.tm_mon, .tm_year = tm.tm_year};
	long skew = (long)(timegm(&as_tm) - time(NULL));
	EXPECT_LT(labs(skew), 86400L) TH_LOG("expected GetTime within a day of the system clock, seen %04d-%02d-%02d "
					     "%02d:%02d:%02d (%ld s off)", tm.tm_year + 1900, tm.tm_mon + 1,
					     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, skew);
}

struct map_entry {
	unsigned long long start, end; /* inclusive end, as the kernel prints it */
	char type[16];
};

/*
 * Entries of the EFI memory map as the kernel logs them with efi=debug, under "Processing EFI
 * memory map:" as "efi:   0x...-0x... [Type|...]" (the "efi: memattr:" lines that follow
 * split runtime regions again and are not part of the map).
 */
static int efi_memory_map(struct map_entry *map, int max)
{
	char *log = kernel_log();
	int n = 0;
	for (char *line = log; line && *line && n < max;) {
		char *next = strchr(line, '\n');
		if (next)
			*next = '\0';
		char *efi = strstr(line, "efi:"), *bracket = efi ? strchr(efi, '[') : NULL;
		char *hex = efi ? efi + 4 + strspn(efi + 4, " ") : NULL, *dash = NULL;
		if (hex && strncmp(hex, "0x", 2) != 0)
			hex = NULL;
		if (bracket && hex && strchr(bracket, '|')) {
			map[n].start = strtoull(hex, &dash, 16);
			if (dash && dash[0] == '-' && dash[1] == '0' && dash[2] == 'x') {
				map[n].end = strtoull(dash + 1, NULL, 16);
				size_t length = strcspn(bracket + 1, "|");
				snprintf(map[n].type, sizeof(map[n].type), "%.*s", (int)length, bracket + 1);
				for (size_t k = strlen(map[n].type); k > 0 && map[n].type[k - 1] == ' '; k--)
					map[n].type[k - 1] = '\0';
				n++;
			}
		}
		line = next ? next + 1 : NULL;
	}
	free(log);
	return n;
}

static int by_start(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

AVPS_TEST(memory_map_sane,
	  AVPS_CHECKS("the EFI memory map is 4 KiB aligned, non-overlapping, has conventional memory and adds up to "
	              "avps.mem_mib"),
	  "AVPS.BOOT.2")
{
	static struct map_entry map[MAX_MAP_ENTRIES];
	REQUIRE_UEFI();
	int n = efi_memory_map(map, MAX_MAP_ENTRIES);
	ASSERT_GT(n, 0) TH_LOG("expected the EFI memory map in the kernel log (boot with efi=debug), seen none");
	qsort(map, (size_t)n, sizeof(map[0]), by_start);
	unsigned long long ram = 0, conventional = 0;
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, map[i].start % 4096) TH_LOG("entry %d starts at 0x%llx, not 4 KiB aligned", i, map[i].start);
		EXPECT_EQ(0, (map[i].end + 1) % 4096) TH_LOG("entry %d ends at 0x%llx, not 4 KiB aligned", i, map[i].end);
		if (i > 0)
			EXPECT_GT(map[i].start, map[i - 1].end) TH_LOG("entries overlap: 0x%llx-0x%llx and 0x%llx-0x%llx",
								      map[i - 1].start, map[i - 1].end,
								      map[i].start, map[i].end);
		if (strncmp(map[i].type, "MMIO", 4) != 0)
			ram += map[i].end + 1 - map[i].start;
		if (strcmp(map[i].type, "Conventional") == 0)
			conventional += map[i].end + 1 - map[i].start;
	}
	EXPECT_GT(conventional, 0) TH_LOG("expected Conventional memory in the EFI memory map, seen none");
	unsigned long long mib;
	if (avps_param_u64("mem_mib", &mib))
		EXPECT_EQ(mib << 20, ram) TH_LOG("expected %llu MiB of memory (avps.mem_mib), the EFI memory map "
						 "describes %llu MiB in %d entries", mib, ram >> 20, n);
	TH_LOG("%d entries, %llu MiB memory, %llu MiB conventional", n, ram >> 20, conventional >> 20);
}

AVPS_TEST(config_table_dt_or_acpi,
	  AVPS_CHECKS("the kernel got a DTB or ACPI 2.0 configuration table from the firmware"),
	  "AVPS.BOOT.2")
{
	struct stat st;
	REQUIRE_UEFI();
	char *log = kernel_log();
	bool acpi_table = log && strstr(log, "ACPI 2.0=") != NULL;
	free(log);
	bool acpi = acpi_table && stat("/sys/firmware/acpi/tables/DSDT", &st) == 0;
	/* The EFI stub copies the DTB configuration table and adds linux,uefi-* to /chosen;
	 * without such a table it makes an empty DT (no root compatible, no /cpus). */
	bool dt = dt_has_prop("/chosen", "linux,uefi-system-table") && dt_has_prop("", "compatible") &&
		  stat(DT_ROOT "/cpus", &st) == 0;
	EXPECT_TRUE(acpi || dt) TH_LOG("expected a devicetree (DTB configuration table) or ACPI tables (ACPI 2.0 "
				       "configuration table), seen neither");
	TH_LOG("platform description from the configuration table: %s%s%s", dt ? "DTB" : "",
	       dt && acpi ? " + " : "", acpi ? "ACPI" : "");
}

TEST_HARNESS_MAIN
