/* Linux boot protocol: the devicetree handed over is valid and describes memory, CPUs, GIC, timer, PSCI, console and /chosen. */
#define AVPS_SUITE "boot.dt"
#include "avps_kselftest.h"
#include "devicetree_files.h"
#include "host_expectations.h"
#include "kernel_cmdline.h"

#include <stdlib.h>
#include <unistd.h>

/* Devicetree Specification v0.4, 5.2 Header: magic, totalsize, offsets, version. */
#define FDT_MAGIC 0xd00dfeedu
#define FDT_HEADER_BYTES 40
#define FDT_MAX_BYTES (4 << 20)

struct memory_total {
	unsigned address_cells, size_cells;
	uint64_t bytes;
	int regions;
};

/* Adds up the reg ranges of one node whose device_type is "memory". */
static bool add_memory_node(const char *node, void *context)
{
	struct memory_total *total = context;
	char type[16] = "";
	uint8_t reg[256];
	if (dt_prop(node, "device_type", type, sizeof(type) - 1) <= 0 || strcmp(type, "memory") != 0)
		return true;
	long n = dt_prop(node, "reg", reg, sizeof(reg));
	unsigned stride = 4 * (total->address_cells + total->size_cells);
	for (long at = 0; n > 0 && at + (long)stride <= n; at += stride) {
		total->bytes += dt_cells(reg + at + 4 * total->address_cells, total->size_cells);
		total->regions++;
	}
	return true;
}

static struct memory_total dt_memory(void)
{
	struct memory_total total = {dt_cell_count("", "#address-cells"), dt_cell_count("", "#size-cells"), 0, 0};
	dt_children("", "memory", add_memory_node, &total);
	return total;
}

/*
 * Under UEFI the EFI stub deletes the DT memory nodes: the EFI memory map is authoritative.
 * Only a real DT counts (root compatible); the stub's empty DTB under ACPI does not.
 */
#define SKIP_IF_MEMORY_FROM_EFI_MAP(total)                                                          \
	do {                                                                                        \
		if ((total).regions == 0 && booted_through_uefi() && dt_has_prop("", "compatible")) \
			SKIP(return, "booted through UEFI: memory is described by the EFI memory " \
				     "map (boot.efi.memory_map_sane), the DT has no memory node");   \
	} while (0)

AVPS_TEST(fdt_valid,
	  AVPS_CHECKS("the FDT blob handed over has the magic, totalsize = blob size, version >= 17, offsets inside, "
	              "a root compatible"),
	  "AVPS.BOOT.1")
{
	static uint8_t blob[FDT_MAX_BYTES];
	long size = dt_read_file(FDT_BLOB, blob, sizeof(blob));
	ASSERT_GE(size, FDT_HEADER_BYTES) TH_LOG("expected the devicetree blob at " FDT_BLOB ", seen %s",
						 size < 0 ? "none (no devicetree handed over)" : "a truncated file");
	uint32_t magic = dt_be32(blob), totalsize = dt_be32(blob + 4), off_struct = dt_be32(blob + 8);
	uint32_t off_strings = dt_be32(blob + 12), version = dt_be32(blob + 20);
	uint32_t last_compatible = dt_be32(blob + 24);
	EXPECT_EQ(FDT_MAGIC, magic) TH_LOG("expected FDT magic 0x%08x, seen 0x%08x", FDT_MAGIC, magic);
	EXPECT_EQ((uint32_t)size, totalsize) TH_LOG("expected totalsize = blob size %ld, seen %u", size, totalsize);
	EXPECT_GE(version, 17) TH_LOG("expected FDT version >= 17, seen %u", version);
	EXPECT_LE(last_compatible, 17) TH_LOG("expected last_comp_version <= 17, seen %u", last_compatible);
	EXPECT_LT(off_struct, totalsize) TH_LOG("structure block offset %u outside %u bytes", off_struct, totalsize);
	EXPECT_LT(off_strings, totalsize) TH_LOG("strings block offset %u outside %u bytes", off_strings, totalsize);
	EXPECT_TRUE(dt_has_prop("", "compatible")) TH_LOG("expected " DT_ROOT "/compatible, seen none");
}

AVPS_TEST(memory_node,
	  AVPS_CHECKS("the DT has a memory node with a non-zero reg (SKIP when memory comes from the EFI map)"),
	  "AVPS.BOOT.1")
{
	struct memory_total total = dt_memory();
	SKIP_IF_MEMORY_FROM_EFI_MAP(total);
	ASSERT_GE(total.regions, 1) TH_LOG("expected a node with device_type \"memory\" and reg, seen none");
	EXPECT_GT(total.bytes, 0) TH_LOG("expected memory of non-zero size, seen 0 bytes in %d regions",
					 total.regions);
}

AVPS_TEST(memory_matches_host,
	  AVPS_CHECKS("the DT memory nodes add up to the memory the host gave (avps.mem_mib)"),
	  "AVPS.BOOT.1")
{
	unsigned long long mib;
	if (!avps_param_u64("mem_mib", &mib))
		SKIP(return, "the host did not declare the guest memory size (avps.mem_mib)");
	struct memory_total total = dt_memory();
	SKIP_IF_MEMORY_FROM_EFI_MAP(total);
	EXPECT_EQ(mib << 20, total.bytes) TH_LOG("expected %llu MiB of memory (avps.mem_mib), DT describes %llu MiB "
						"in %d regions", mib, (unsigned long long)(total.bytes >> 20),
						total.regions);
}

struct cpu_count {
	int described;
};

static bool count_cpu(const char *node, void *context)
{
	char type[8] = "";
	if (dt_prop(node, "device_type", type, sizeof(type) - 1) > 0 && strcmp(type, "cpu") == 0 &&
	    dt_has_prop(node, "reg"))
		((struct cpu_count *)context)->described++;
	return true;
}

AVPS_TEST(cpus,
	  AVPS_CHECKS("the DT describes as many /cpus/cpu@N as Linux configured and the host gave (avps.cpus)"),
	  "AVPS.BOOT.1")
{
	struct cpu_count count = {0};
	dt_children("/cpus", "cpu@", count_cpu, &count);
	long configured = sysconf(_SC_NPROCESSORS_CONF);
	unsigned long long declared;
	ASSERT_GE(count.described, 1) TH_LOG("expected /cpus/cpu@N nodes (device_type \"cpu\", reg), seen none");
	EXPECT_EQ(configured, count.described) TH_LOG("expected the DT to describe the %ld CPUs Linux knows, "
						     "seen %d", configured, count.described);
	if (avps_param_u64("cpus", &declared))
		EXPECT_EQ(declared, (unsigned long long)count.described)
			TH_LOG("expected the %llu CPUs the host gave (avps.cpus), the DT describes %d", declared,
			       count.described);
}

AVPS_TEST(interrupt_controller,
	  AVPS_CHECKS("the root interrupt-parent names an interrupt-controller node compatible with an Arm GIC"),
	  "AVPS.BOOT.1")
{
	uint8_t cell[4];
	char gic[512];
	ASSERT_EQ(4, dt_prop("", "interrupt-parent", cell, sizeof(cell)))
		TH_LOG("expected a root interrupt-parent phandle, seen none");
	ASSERT_TRUE(dt_find_phandle("", dt_be32(cell), gic, sizeof(gic)))
		TH_LOG("expected a node with phandle 0x%x (interrupt-parent), seen none", dt_be32(cell));
	EXPECT_TRUE(dt_has_prop(gic, "interrupt-controller"))
		TH_LOG("expected %s to be an interrupt-controller, it is not", gic);
	EXPECT_TRUE(dt_compatible_with(gic, "arm,gic") || dt_compatible_with(gic, "arm,cortex-a15-gic"))
		TH_LOG("expected an Arm GIC (compatible arm,gic-*), seen another at %s", gic);
}

static bool find_timer(const char *node, void *context)
{
	if (dt_compatible_with(node, "arm,armv8-timer") || dt_compatible_with(node, "arm,armv7-timer")) {
		snprintf(context, 512, "%s", node);
		return false;
	}
	return true;
}

AVPS_TEST(timer,
	  AVPS_CHECKS("an arm,armv8-timer node exists with interrupts for the four timers"),
	  "AVPS.BOOT.1")
{
	char timer[512] = "";
	dt_children("", "", find_timer, timer);
	ASSERT_NE(0, timer[0]) TH_LOG("expected a node compatible with arm,armv8-timer, seen none");
	uint8_t interrupts[64];
	long n = dt_prop(timer, "interrupts", interrupts, sizeof(interrupts));
	EXPECT_GE(n, 12) TH_LOG("expected %s/interrupts for the secure, non-secure, virtual and hyp timers, "
				"seen %ld bytes", timer, n);
}

AVPS_TEST(psci,
	  AVPS_CHECKS("the DT has /psci compatible arm,psci-* with method hvc or smc"),
	  "AVPS.BOOT.1")
{
	char method[8] = "";
	ASSERT_TRUE(dt_compatible_with("/psci", "arm,psci"))
		TH_LOG("expected /psci compatible with arm,psci-*, seen %s",
		       dt_has_prop("/psci", "compatible") ? "another compatible" : "no /psci node");
	ASSERT_GT(dt_prop("/psci", "method", method, sizeof(method) - 1), 0)
		TH_LOG("expected /psci/method (hvc or smc), seen none");
	EXPECT_TRUE(strcmp(method, "hvc") == 0 || strcmp(method, "smc") == 0)
		TH_LOG("expected /psci/method hvc or smc, seen \"%s\"", method);
}

AVPS_TEST(console,
	  AVPS_CHECKS("/chosen/stdout-path (directly or via /aliases) names a node with compatible and reg"),
	  "AVPS.BOOT.1")
{
	char stdout_path[256] = "", node[300];
	ASSERT_GT(dt_prop("/chosen", "stdout-path", stdout_path, sizeof(stdout_path) - 1), 0)
		TH_LOG("expected /chosen/stdout-path naming the console, seen none");
	stdout_path[strcspn(stdout_path, ":")] = '\0'; /* drop the ":115200n8" options */
	if (stdout_path[0] == '/') {
		snprintf(node, sizeof(node), "%s", stdout_path);
	} else { /* an alias */
		char aliased[256] = "";
		ASSERT_GT(dt_prop("/aliases", stdout_path, aliased, sizeof(aliased) - 1), 0)
			TH_LOG("expected alias %s (from stdout-path) in /aliases, seen none", stdout_path);
		snprintf(node, sizeof(node), "%s", aliased);
	}
	EXPECT_TRUE(dt_has_prop(node, "compatible") && dt_has_prop(node, "reg"))
		TH_LOG("expected the console node %s with compatible and reg, seen it incomplete or absent", node);
}

AVPS_TEST(chosen_bootargs,
	  AVPS_CHECKS("/chosen/bootargs equals the kernel's /proc/cmdline"),
	  "AVPS.BOOT.1")
{
	char bootargs[4096] = "", cmdline[4096] = "";
	ASSERT_GT(dt_prop("/chosen", "bootargs", bootargs, sizeof(bootargs) - 1), 0)
		TH_LOG("expected /chosen/bootargs, seen none");
	ASSERT_GT(dt_read_file("/proc/cmdline", cmdline, sizeof(cmdline) - 1), 0);
	cmdline[strcspn(cmdline, "\n")] = '\0';
	for (size_t n = strlen(bootargs); n > 0 && bootargs[n - 1] == ' '; n--)
		bootargs[n - 1] = '\0';
	EXPECT_STREQ(cmdline, bootargs) TH_LOG("expected /chosen/bootargs = /proc/cmdline");
}

AVPS_TEST(chosen_initrd_range,
	  AVPS_CHECKS("/chosen/linux,initrd-start..end spans exactly the initramfs size the host declared"),
	  "AVPS.BOOT.1")
{
	uint8_t start[8], end[8];
	unsigned long long declared;
	long start_bytes = dt_prop("/chosen", "linux,initrd-start", start, sizeof(start));
	long end_bytes = dt_prop("/chosen", "linux,initrd-end", end, sizeof(end));
	if (start_bytes < 0 && booted_through_uefi())
		SKIP(return, "booted through UEFI: the EFI stub hands the initrd over in the LINUX_EFI_INITRD "
			     "configuration table, not /chosen (see boot.initrd.size_matches_host)");
	if (!avps_param_u64("initrd_bytes", &declared))
		SKIP(return, "the host did not declare the initramfs size (avps.initrd_bytes)");
	ASSERT_TRUE((start_bytes == 4 || start_bytes == 8) && (end_bytes == 4 || end_bytes == 8))
		TH_LOG("expected /chosen/linux,initrd-start and -end (1 or 2 cells), seen %ld and %ld bytes",
		       start_bytes, end_bytes);
	uint64_t first = dt_cells(start, (unsigned)start_bytes / 4), last = dt_cells(end, (unsigned)end_bytes / 4);
	ASSERT_GT(last, first) TH_LOG("expected initrd end 0x%llx above start 0x%llx", (unsigned long long)last,
				      (unsigned long long)first);
	EXPECT_EQ(declared, last - first) TH_LOG("expected an initrd of %llu bytes (avps.initrd_bytes), /chosen "
						"range holds %llu", declared, (unsigned long long)(last - first));
}

TEST_HARNESS_MAIN
