/* Device-tree queries the probes need, through libfdt: reg, stdout-path, compatible nodes, CPUs. */
#include <libfdt.h>

#include "dt.h"

static const void *blob;

const void *dt_blob(void)
{
	return blob;
}

int dt_init(const void *fdt)
{
	int err = fdt_check_header(fdt);
	if (err == 0)
		blob = fdt;
	return err;
}

static uint32_t cells_of(int node, const char *name, uint32_t fallback)
{
	int len = 0;
	const fdt32_t *p = node >= 0 ? fdt_getprop(blob, node, name, &len) : NULL;
	return (p && len == 4) ? fdt32_to_cpu(*p) : fallback;
}

static uint64_t read_cells(const fdt32_t *p, uint32_t cells)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

bool dt_reg(int node, int index, uint64_t *addr, uint64_t *size)
{
	int parent = fdt_parent_offset(blob, node);
	uint32_t ac = cells_of(parent, "#address-cells", 2);
	uint32_t sc = cells_of(parent, "#size-cells", 1);
	int len = 0;
	const fdt32_t *reg = fdt_getprop(blob, node, "reg", &len);

	if (!reg || ac > 2 || sc > 2 || len < (int)((ac + sc) * 4 * (uint32_t)(index + 1)))
		return false;
	reg += (ac + sc) * (uint32_t)index;
	*addr = read_cells(reg, ac);
	if (size)
		*size = read_cells(reg + ac, sc);
	/* Only root-level buses are translated (identity): QEMU virt and Xen domUs
	 * put their devices there. A "ranges" with an offset would need more. */
	return true;
}

int dt_stdout_node(void)
{
	int chosen = fdt_path_offset(blob, "/chosen");
	int len = 0;
	const char *path = chosen >= 0 ? fdt_getprop(blob, chosen, "stdout-path", &len) : NULL;
	if (!path || len <= 1)
		return -FDT_ERR_NOTFOUND;
	const char *end = memchr(path, ':', (size_t)len);
	if (!end)
		end = memchr(path, '\0', (size_t)len);
	int plen = end ? (int)(end - path) : len;
	return fdt_path_offset_namelen(blob, path, plen);
}

int dt_next_compatible(int prev, const char *compat)
{
	return fdt_node_offset_by_compatible(blob, prev, compat);
}

int dt_cpu_mpidrs(uint64_t *mpidr, int max, int *total)
{
	int cpus = fdt_path_offset(blob, "/cpus");
	int count = 0, node;

	*total = 0;
	if (cpus < 0)
		return 0;
	uint32_t ac = cells_of(cpus, "#address-cells", 1);
	fdt_for_each_subnode(node, blob, cpus) {
		int len = 0;
		const char *type = fdt_getprop(blob, node, "device_type", &len);
		const fdt32_t *reg = fdt_getprop(blob, node, "reg", &len);
		if (!type || strcmp(type, "cpu") != 0 || !reg || len < (int)(ac * 4))
			continue;
		(*total)++;
		if (count < max)
			mpidr[count++] = read_cells(reg, ac);
	}
	return count;
}

bool dt_prop_u32(int node, const char *name, int index, uint32_t *value)
{
	int len = 0;
	const fdt32_t *p = fdt_getprop(blob, node, name, &len);
	if (!p || len < 4 * (index + 1))
		return false;
	*value = fdt32_to_cpu(p[index]);
	return true;
}
