/* Reads the devicetree the guest was handed: /proc/device-tree properties (big-endian cells) and /sys/firmware/fdt. */
#ifndef AVPS_BOOT_DEVICETREE_FILES_H
#define AVPS_BOOT_DEVICETREE_FILES_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define DT_ROOT "/proc/device-tree"
#define FDT_BLOB "/sys/firmware/fdt"

/* Reads a whole file (a property) into buf; its length, or -1 when absent. */
static inline long dt_read_file(const char *path, void *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size, f);
	fclose(f);
	return (long)n;
}

/* Property of a node (path relative to the root, "" or "/cpus"), into buf. */
static inline long dt_prop(const char *node, const char *name, void *buf, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), DT_ROOT "%s/%s", node, name);
	return dt_read_file(path, buf, size);
}

static inline bool dt_has_prop(const char *node, const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), DT_ROOT "%s/%s", node, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static inline uint32_t dt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A number of 1 or 2 cells (as #address-cells / #size-cells say). */
static inline uint64_t dt_cells(const uint8_t *p, unsigned cells)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < cells; i++)
		v = v << 32 | dt_be32(p + 4 * i);
	return v;
}

/* #address-cells or #size-cells of a node, with the DT spec's defaults (2, 1). */
static inline unsigned dt_cell_count(const char *node, const char *name)
{
	uint8_t cell[4];
	if (dt_prop(node, name, cell, sizeof(cell)) == 4)
		return dt_be32(cell);
	return strcmp(name, "#address-cells") == 0 ? 2 : 1;
}

/* True when the string-list property (e.g. compatible) holds a string starting with prefix. */
static inline bool dt_list_has_prefix(const char *list, long length, const char *prefix)
{
	for (long at = 0; at < length; at += (long)strlen(list + at) + 1)
		if (strncmp(list + at, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static inline bool dt_compatible_with(const char *node, const char *prefix)
{
	char compatible[512] = "";
	long n = dt_prop(node, "compatible", compatible, sizeof(compatible) - 1);
	return n > 0 && dt_list_has_prefix(compatible, n, prefix);
}

/*
 * Calls visit(node path, context) for each direct child of node whose name starts with
 * prefix (e.g. "memory", "cpu@"); stops when visit returns false. Returns the count visited.
 */
static inline int dt_children(const char *node, const char *prefix, bool (*visit)(const char *, void *),
			      void *context)
{
	char path[512];
	snprintf(path, sizeof(path), DT_ROOT "%s", node);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int count = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char child[512];
		snprintf(child, sizeof(child), "%s/%s", node, e->d_name);
		count++;
		if (!visit(child, context))
			break;
	}
	closedir(d);
	return count;
}

/* The node whose "phandle" equals the given one, searched below node; false when none. */
static inline bool dt_find_phandle(const char *node, uint32_t phandle, char *found, size_t size)
{
	uint8_t cell[4];
	if (dt_prop(node, "phandle", cell, sizeof(cell)) == 4 && dt_be32(cell) == phandle) {
		snprintf(found, size, "%s", node);
		return true;
	}
	char path[512];
	snprintf(path, sizeof(path), DT_ROOT "%s", node);
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool hit = false;
	for (struct dirent *e; !hit && (e = readdir(d));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		char child[512];
		snprintf(child, sizeof(child), "%s/%s", node, e->d_name);
		hit = dt_find_phandle(child, phandle, found, size);
	}
	closedir(d);
	return hit;
}

#endif
