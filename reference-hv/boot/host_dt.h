/* What the hypervisor needs from the machine's own DT: UART, RAM, CPUs. */
#ifndef REFHV_HOST_DT_H
#define REFHV_HOST_DT_H

#include <stdint.h>

#include "layout.h"

struct machine {
	uint64_t uart;
	uint64_t ram_base, ram_size;
	uint64_t gicd, gicr;           /* 0 when the machine has no GICv3 */
	int n_cpus;
	uint64_t cpu_mpidr[REFHV_MAX_PCPUS];
};

/* 0, or a libfdt error: the machine then keeps QEMU virt's defaults. */
int host_dt_read(const void *fdt, struct machine *m);

#endif
