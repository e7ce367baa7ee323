/* Device-tree layer of the probe runtime (libfdt over the blob the loader passed in x0); depends on base.h only. */
#ifndef PROBE_DT_H
#define PROBE_DT_H

#include <stdbool.h>
#include <stdint.h>

const void *dt_blob(void);
int dt_init(const void *fdt);
/* Address/size of reg entry `index` of a node, using the parent's cells. */
bool dt_reg(int node, int index, uint64_t *addr, uint64_t *size);
/* Node of /chosen/stdout-path (alias or path, options after ':' ignored), or <0. */
int dt_stdout_node(void);
/* Next node after `prev` (-1 to start) whose "compatible" list contains compat. */
int dt_next_compatible(int prev, const char *compat);
/* MPIDRs of the /cpus/cpu@* nodes, in DT order; returns how many (up to max). */
int dt_cpu_mpidrs(uint64_t *mpidr, int max, int *total);
/* Cell `index` of a u32-array property, false if absent or too short. */
bool dt_prop_u32(int node, const char *name, int index, uint32_t *value);

#endif
