/* Reads the machine's DT (x0 at entry) with libfdt: first PL011, first memory node, CPU MPIDRs. */
#include <libfdt.h>

#include "host_dt.h"

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

/* reg[0] of a root-level node with 2 address and 2 size cells (QEMU virt). */
static int first_reg(const void *fdt, int node, uint64_t *base, uint64_t *size)
{
	int len = 0;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || len < 16)
		return -FDT_ERR_BADVALUE;
	*base = read_cells(reg, 2);
	*size = read_cells(reg + 2, 2);
	return 0;
}

int host_dt_read(const void *fdt, struct machine *m)
{
	uint64_t size;
	int err = fdt_check_header(fdt);
	if (err)
		return err;
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl011");
	if (node >= 0)
		first_reg(fdt, node, &m->uart, &size);
	node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof("memory"));
	if (node >= 0)
		first_reg(fdt, node, &m->ram_base, &m->ram_size);
	node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
	if (node >= 0) {
		int len = 0;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (reg && len >= 32) {
			m->gicd = read_cells(reg, 2);
			m->gicr = read_cells(reg + 4, 2);
		}
	}
	int cpus = fdt_path_offset(fdt, "/cpus");
	if (cpus < 0)
		return cpus;
	m->n_cpus = 0;
	fdt_for_each_subnode(node, fdt, cpus) {
		int len = 0;
		const char *type = fdt_getprop(fdt, node, "device_type", &len);
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (!type || strcmp(type, "cpu") != 0 || !reg || len < 4)
			continue;
		if (m->n_cpus < REFHV_MAX_PCPUS)
			m->cpu_mpidr[m->n_cpus++] = read_cells(reg, len >= 8 ? 2 : 1);
	}
	return 0;
}
