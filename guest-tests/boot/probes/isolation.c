/* Memory isolation probe: reads guest-physical addresses that no DT memory node, device or bus window gives the guest, and expects each read to abort, never to be served. */
#include <libfdt.h>

#include "cpu.h"
#include "probe.h"

const char probe_name[] = "isolation";

/* guarded_read.S */
struct guarded_outcome {
	uint64_t esr, far, kind;   /* kind: 0 served, 1 synchronous exception, 2 SError */
};
uint64_t guarded_read(uint64_t address, struct guarded_outcome *out);

#define MAX_RANGES 64
#define ESR_EC(esr) ((esr) >> 26 & 0x3f)
#define ESR_EC_DABT_CUR 0x25
#define ESR_FNV (1ULL << 10)        /* data abort ISS: FAR not valid */
#define ESR_DFSC(esr) ((esr) & 0x3f)
#define PAGE 0x1000ULL

struct range {
	uint64_t base, size;
};

static struct range ram[MAX_RANGES], given[MAX_RANGES];
static int n_ram, n_given;
static uint64_t probe_word = 0x150a7e5ULL;   /* in this image: a read that must be served */

static void add(struct range *list, int *n, uint64_t base, uint64_t size)
{
	if (*n < MAX_RANGES && size)
		list[(*n)++] = (struct range){ base, size };
}

/* Cells of property `name` at `cell`, `count` cells wide (1 or 2), as one number. */
static uint64_t cells(const fdt32_t *p, int cell, int count)
{
	uint64_t v = 0;
	for (int i = 0; i < count; i++)
		v = v << 32 | fdt32_to_cpu(p[cell + i]);
	return v;
}

/* The parent-side windows of a bus node's "ranges" (child address, parent address, size). */
static void add_ranges(const void *fdt, int node)
{
	int len, parent = fdt_parent_offset(fdt, node);
	const fdt32_t *p = fdt_getprop(fdt, node, "ranges", &len);
	int child_ac = fdt_address_cells(fdt, node), sc = fdt_size_cells(fdt, node);
	int parent_ac = parent >= 0 ? fdt_address_cells(fdt, parent) : 2;
	int entry = child_ac + parent_ac + sc;
	if (!p || entry <= 0 || parent_ac > 2 || sc > 2 || sc < 1)
		return;
	for (int at = 0; (at + entry) * 4 <= len; at += entry)
		add(given, &n_given, cells(p, at + child_ac, parent_ac), cells(p, at + child_ac + parent_ac, sc));
}

/* RAM: every device_type = "memory" node; given: every reg and bus window of any node, RAM included. */
static void collect(void)
{
	const void *fdt = dt_blob();
	int depth = 0;
	for (int node = fdt_next_node(fdt, -1, &depth); node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		bool memory = type && !strcmp(type, "memory");
		if (type && !strcmp(type, "cpu"))
			continue;                        /* reg is an MPIDR, not an address */
		uint64_t base, size;
		for (int i = 0; dt_reg(node, i, &base, &size); i++) {
			add(given, &n_given, base, size);
			if (memory)
				add(ram, &n_ram, base, size);
		}
		add_ranges(fdt, node);
	}
}

static bool given_to_guest(uint64_t address)
{
	for (int i = 0; i < n_given; i++)
		if (address >= given[i].base && address - given[i].base < given[i].size)
			return true;
	return false;
}

/* One address outside everything the guest was given: true when the read was reported as an abort. */
static bool read_aborts(uint64_t address, const char *where)
{
	struct guarded_outcome out;
	uint64_t value = guarded_read(address, &out);
	if (out.kind == 0)
		return probe_check(false, "0x%llx (%s): the read was served (0x%llx), not an abort: memory the DT does "
				   "not give this VM is reachable", (unsigned long long)address, where,
				   (unsigned long long)value);
	if (out.kind == 2) {
		probe_diag("0x%llx (%s): SError (asynchronous external abort), ESR 0x%llx", (unsigned long long)address,
			   where, (unsigned long long)out.esr);
		return true;
	}
	bool ok = probe_check(ESR_EC(out.esr) == ESR_EC_DABT_CUR, "0x%llx (%s): exception class 0x%llx, expected a "
			      "data abort (0x25)", (unsigned long long)address, where,
			      (unsigned long long)ESR_EC(out.esr));
	if (ok && !(out.esr & ESR_FNV))
		ok = probe_check(out.far == address, "0x%llx (%s): data abort reports FAR 0x%llx",
				 (unsigned long long)address, where, (unsigned long long)out.far);
	if (ok)
		probe_diag("0x%llx (%s): data abort, DFSC 0x%llx", (unsigned long long)address, where,
			   (unsigned long long)ESR_DFSC(out.esr));
	return ok;
}

PROBE_CASE(unassigned_reads_abort, "isolation.memory.unassigned_reads_abort",
	   AVPS_CHECKS("Reads of guest-physical addresses no DT memory node, device or bus window covers (next to RAM, where another VM's RAM may lie) are reported as data aborts, never served"),
	   "CTS.ISOLATION.1")
static void unassigned_reads_abort(void)
{
	/* Just past each RAM range (a neighbour VM's RAM would follow there), farther out, and just below. */
	static const uint64_t past_end[] = { 0, PAGE, 0x200000, 0x1000000, 0x10000000 };
	static const uint64_t below_base[] = { PAGE, 0x200000 };
	struct guarded_outcome self;
	int tried = 0;

	collect();
	if (!n_ram) {
		probe_error("the DT has no memory node: nothing to tell inside from outside");
		return;
	}
	if (guarded_read((uint64_t)(uintptr_t)&probe_word, &self) != probe_word || self.kind != 0) {
		probe_error("a guarded read of this image's own RAM did not return its value (kind %llu, ESR 0x%llx): "
			    "the probe cannot judge", (unsigned long long)self.kind, (unsigned long long)self.esr);
		return;
	}
	for (int r = 0; r < n_ram; r++) {
		uint64_t end = ram[r].base + ram[r].size;
		for (unsigned i = 0; i < sizeof(past_end) / sizeof(past_end[0]); i++)
			if (!given_to_guest(end + past_end[i])) {
				read_aborts(end + past_end[i], "past the end of RAM");
				tried++;
			}
		for (unsigned i = 0; i < sizeof(below_base) / sizeof(below_base[0]); i++)
			if (ram[r].base >= below_base[i] && !given_to_guest(ram[r].base - below_base[i])) {
				read_aborts(ram[r].base - below_base[i], "below RAM");
				tried++;
			}
	}
	probe_diag("%d RAM ranges, %d DT ranges given, %d addresses outside them read", n_ram, n_given, tried);
	if (!tried)
		probe_skip("every address next to RAM is given to the guest (DT reg or bus window): nothing to read");
}
