/* Linux boot protocol: the devicetree handed over is valid beyond what Linux enforces and describes memory, CPUs, GIC, timer, PSCI, console and /chosen as the host passed them. */
#define AVPS_SUITE "boot.dt"
#include "avps_kselftest.h"
#include "devicetree_files.h"
#include "host_expectations.h"
#include "kernel_cmdline.h"

#include <libfdt.h>

#include <stdlib.h>
#include <unistd.h>

/* Devicetree Specification v0.4, 5.2 Header: magic, totalsize, offsets, version. */
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
	dt_children("", "", add_memory_node, &total); /* every device_type=memory node, whatever its name */
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

/* A CPU node's reg (1 or 2 cells) equals the header's boot_cpuid_phys. */
static bool boot_cpu_described(const void *fdt, uint32_t boot_cpuid)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	int node;
	fdt_for_each_subnode(node, fdt, cpus) {
		int len = 0;
		const uint8_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (reg && (len == 4 || len == 8) && dt_cells(reg, (unsigned)len / 4) == boot_cpuid)
			return true;
	}
	return false;
}

/* Whole-tree rules of the DT specification that Linux boots without: unique phandles, reg made of whole entries. */
static int tree_rule_violations(struct __test_metadata *_metadata, const void *fdt)
{
	static uint32_t phandles[4096];
	int seen = 0, bad = 0;
	for (int node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
		char path[256] = "";
		fdt_get_path(fdt, node, path, sizeof(path));
		uint32_t phandle = fdt_get_phandle(fdt, node);
		for (int i = 0; phandle && i < seen; i++)
			if (phandles[i] == phandle) {
				TH_LOG("expected unique phandles, 0x%x appears again at %s", phandle, path);
				bad++;
			}
		if (phandle && seen < 4096)
			phandles[seen++] = phandle;
		int len = 0, parent = fdt_parent_offset(fdt, node);
		if (parent >= 0 && fdt_getprop(fdt, node, "reg", &len)) {
			int cells = fdt_address_cells(fdt, parent) + fdt_size_cells(fdt, parent);
			if (cells > 0 && len % (4 * cells) != 0) {
				TH_LOG("expected %s/reg to hold whole (address, size) entries of %d cells, seen %d bytes",
				       path, cells, len);
				bad++;
			}
		}
	}
	return bad;
}

AVPS_TEST(fdt_valid,
	  AVPS_CHECKS("the FDT handed over passes libfdt's full structure check and DT-spec rules Linux boots without: "
		      "version 17/16, blocks in order and aligned, root cells declared, boot_cpuid_phys names a CPU, "
		      "unique phandles, whole reg entries"),
	  "AVPS.BOOT.1")
{
	static uint8_t blob[FDT_MAX_BYTES];
	long size = dt_read_file(FDT_BLOB, blob, sizeof(blob));
	ASSERT_GE(size, FDT_HEADER_BYTES) TH_LOG("expected the devicetree blob at " FDT_BLOB ", seen %s",
						 size < 0 ? "none (no devicetree handed over)" : "a truncated file");
	const void *fdt = blob;
	ASSERT_EQ(FDT_MAGIC, fdt_magic(fdt)) TH_LOG("expected FDT magic 0x%08x, seen 0x%08x", FDT_MAGIC, fdt_magic(fdt));
	int err = fdt_check_full(fdt, (size_t)size);
	ASSERT_EQ(0, err) TH_LOG("libfdt's full check rejects the blob: %s", fdt_strerror(err));
	/* Devicetree Specification v0.4, 5.2 Header and 5.1 layout. */
	EXPECT_EQ(17, fdt_version(fdt)) TH_LOG("expected FDT version 17, seen %u", fdt_version(fdt));
	EXPECT_EQ(16, fdt_last_comp_version(fdt))
		TH_LOG("expected last_comp_version 16, seen %u", fdt_last_comp_version(fdt));
	EXPECT_EQ((uint32_t)size, fdt_totalsize(fdt)) TH_LOG("expected totalsize = blob size %ld", size);
	uint32_t rsv = fdt_off_mem_rsvmap(fdt), st = fdt_off_dt_struct(fdt), str = fdt_off_dt_strings(fdt);
	EXPECT_TRUE(rsv % 8 == 0 && st % 4 == 0)
		TH_LOG("expected the reservation block 8-aligned and the structure block 4-aligned, seen %u and %u", rsv, st);
	EXPECT_TRUE(rsv >= FDT_HEADER_BYTES && rsv < st && st + fdt_size_dt_struct(fdt) <= str &&
		    str + fdt_size_dt_strings(fdt) <= fdt_totalsize(fdt))
		TH_LOG("expected header, reservations, structure, strings in that order without overlap, seen offsets "
		       "%u, %u (+%u), %u (+%u)", rsv, st, fdt_size_dt_struct(fdt), str, fdt_size_dt_strings(fdt));
	int len = 0;
	EXPECT_TRUE(fdt_getprop(fdt, 0, "#address-cells", &len) && len == 4 && fdt_getprop(fdt, 0, "#size-cells", &len) &&
		    len == 4) TH_LOG("expected the root node to declare #address-cells and #size-cells");
	EXPECT_TRUE(fdt_getprop(fdt, 0, "compatible", &len) != NULL) TH_LOG("expected a root compatible, seen none");
	EXPECT_TRUE(boot_cpu_described(fdt, fdt_boot_cpuid_phys(fdt)))
		TH_LOG("expected boot_cpuid_phys 0x%x to be the reg of a /cpus node", fdt_boot_cpuid_phys(fdt));
	EXPECT_EQ(0, tree_rule_violations(_metadata, fdt));
}

struct memory_layout {
	unsigned address_cells, size_cells;
	int regions;
	uint64_t base[64], size[64];
	char misnamed[128];
};

/* Records the reg ranges of one node whose device_type is "memory"; notes a name other than memory@<base>. */
static bool record_memory_node(const char *node, void *context)
{
	struct memory_layout *m = context;
	char type[16] = "", expected_name[40];
	uint8_t reg[512];
	if (dt_prop(node, "device_type", type, sizeof(type) - 1) <= 0 || strcmp(type, "memory") != 0)
		return true;
	long n = dt_prop(node, "reg", reg, sizeof(reg));
	unsigned stride = 4 * (m->address_cells + m->size_cells);
	for (long at = 0; n > 0 && at + (long)stride <= n && m->regions < 64; at += stride, m->regions++) {
		m->base[m->regions] = dt_cells(reg + at, m->address_cells);
		m->size[m->regions] = dt_cells(reg + at + 4 * m->address_cells, m->size_cells);
	}
	snprintf(expected_name, sizeof(expected_name), "/memory@%llx", n >= (long)stride ?
		 (unsigned long long)dt_cells(reg, m->address_cells) : 0ULL);
	if (strcmp(node, expected_name) != 0 && !m->misnamed[0])
		snprintf(m->misnamed, sizeof(m->misnamed), "%s (expected %s)", node, expected_name);
	return true;
}

static bool inside_memory(const struct memory_layout *m, uint64_t start, uint64_t end)
{
	for (int i = 0; i < m->regions; i++)
		if (start >= m->base[i] && end <= m->base[i] + m->size[i])
			return true;
	return false;
}

AVPS_TEST(memory_node,
	  AVPS_CHECKS("each device_type=memory node is memory@<its base>, its regions are non-empty and overlap no "
		      "other, and the FDT's /memreserve/ entries and the initrd lie inside described memory"),
	  "AVPS.BOOT.1")
{
	static struct memory_layout m;
	m = (struct memory_layout){ .address_cells = dt_cell_count("", "#address-cells"),
				    .size_cells = dt_cell_count("", "#size-cells") };
	dt_children("", "", record_memory_node, &m);
	struct memory_total total = { 0, 0, 0, m.regions };
	SKIP_IF_MEMORY_FROM_EFI_MAP(total);
	ASSERT_GE(m.regions, 1) TH_LOG("expected a node with device_type \"memory\" and reg, seen none");
	EXPECT_EQ(0, m.misnamed[0]) TH_LOG("expected memory nodes named memory@<base>, seen %s", m.misnamed);
	for (int i = 0; i < m.regions; i++) {
		EXPECT_NE(0, m.size[i]) TH_LOG("memory region %d at 0x%llx has size 0", i, (unsigned long long)m.base[i]);
		for (int j = i + 1; j < m.regions; j++) {
			EXPECT_FALSE(m.base[i] < m.base[j] + m.size[j] && m.base[j] < m.base[i] + m.size[i])
				TH_LOG("memory regions overlap: [0x%llx, +0x%llx) and [0x%llx, +0x%llx)",
				       (unsigned long long)m.base[i], (unsigned long long)m.size[i],
				       (unsigned long long)m.base[j], (unsigned long long)m.size[j]);
		}
	}
	static uint8_t blob[FDT_MAX_BYTES];
	if (dt_read_file(FDT_BLOB, blob, sizeof(blob)) >= FDT_HEADER_BYTES && fdt_check_header(blob) == 0) {
		for (int i = 0; i < fdt_num_mem_rsv(blob); i++) {
			uint64_t address = 0, bytes = 0;
			fdt_get_mem_rsv(blob, i, &address, &bytes);
			EXPECT_TRUE(inside_memory(&m, address, address + bytes))
				TH_LOG("/memreserve/ [0x%llx, +0x%llx) lies outside described memory",
				       (unsigned long long)address, (unsigned long long)bytes);
		}
	}
	uint8_t start[8], end[8];
	long sb = dt_prop("/chosen", "linux,initrd-start", start, sizeof(start));
	long eb = dt_prop("/chosen", "linux,initrd-end", end, sizeof(end));
	if ((sb == 4 || sb == 8) && (eb == 4 || eb == 8)) {
		EXPECT_TRUE(inside_memory(&m, dt_cells(start, (unsigned)sb / 4), dt_cells(end, (unsigned)eb / 4)))
			TH_LOG("the initrd range in /chosen lies outside described memory");
	}
}

AVPS_TEST(memory_matches_host,
	  AVPS_CHECKS("the DT memory nodes (every device_type=memory node) add up to the memory the host gave (avps.mem_mib)"),
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

#define DIGEST_TOKEN " avps.cmdline_digest="

/* FNV-1a 64 of n bytes (harness/avps_cts/targets/qemu.py: cmdline_digest). */
static uint64_t fnv1a64(const char *text, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)text[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * The host ends its command line with avps.boot_nonce=<random> avps.cmdline_digest=<FNV-1a 64
 * of every byte before " avps.cmdline_digest=">. A boot path may append after it (the EFI
 * loader adds initrd=...), but what the host wrote must arrive byte for byte.
 */
AVPS_TEST(chosen_bootargs,
	  AVPS_CHECKS("/chosen/bootargs begins with exactly the command line the host passed, byte for byte: its "
		      "bytes before the host's digest token hash to that digest (FNV-1a 64, per-run nonce inside)"),
	  "AVPS.BOOT.1")
{
	static char bootargs[8192];
	long n = dt_prop("/chosen", "bootargs", bootargs, sizeof(bootargs) - 1);
	char declared[32];
	if (!avps_param("cmdline_digest", declared, sizeof(declared)))
		SKIP(return, "the host declared no command-line digest (avps.cmdline_digest)");
	ASSERT_GT(n, 0) TH_LOG("expected /chosen/bootargs, seen none");
	bootargs[n] = '\0';
	char *token = strstr(bootargs, DIGEST_TOKEN);
	ASSERT_NE(NULL, token) TH_LOG("expected \"%s\" in /chosen/bootargs, seen \"%.200s\"", DIGEST_TOKEN + 1, bootargs);
	EXPECT_EQ(NULL, strstr(token + 1, DIGEST_TOKEN)) TH_LOG("the digest token appears twice in /chosen/bootargs");
	char *value = token + strlen(DIGEST_TOKEN);
	size_t value_len = strcspn(value, " ");
	char seen_digest[32];
	snprintf(seen_digest, sizeof(seen_digest), "%016llx", (unsigned long long)fnv1a64(bootargs, (size_t)(token - bootargs)));
	EXPECT_TRUE(value_len == 16 && strncmp(value, seen_digest, 16) == 0)
		TH_LOG("the %zu bytes of /chosen/bootargs before the digest hash to %s, the host declared %.*s: the boot "
		       "path altered the command line", (size_t)(token - bootargs), seen_digest, (int)value_len, value);
	if (value[value_len])
		TH_LOG("appended by the boot path after the host's command line: \"%.200s\"", value + value_len);
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
