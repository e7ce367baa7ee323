/* The machine's own GICv3 as refhv drives it at EL2: per-CPU setup, PPI enables, acknowledge and end of interrupt. */
#ifndef REFHV_GIC_PHYS_H
#define REFHV_GIC_PHYS_H

#include <stdbool.h>
#include <stdint.h>

/* Records the distributor and redistributor bases (0 = no GICv3: VMs get no interrupts). */
void gic_phys_set_base(uint64_t dist, uint64_t redist);
bool gic_phys_present(void);

/* Distributor (once) and this CPU's redistributor and CPU interface (every CPU). */
void gic_phys_init_distributor(void);
void gic_phys_init_cpu(int pcpu, uint64_t mpidr);

/* Enables or disables PPI/SGI intid at physical CPU pcpu's redistributor. */
void gic_phys_set_enabled(int pcpu, unsigned intid, bool enabled);

/* SGI 0 kicks another physical CPU out of its guest; PPI 26 is the EL2 physical timer (VM budgets). */
#define GIC_SGI_KICK 0
#define GIC_PPI_HYP_TIMER 26

void gic_phys_send_sgi(uint64_t target_mpidr, unsigned intid);

uint32_t gic_phys_acknowledge(void);
void gic_phys_priority_drop(uint32_t intid);
void gic_phys_deactivate(uint32_t intid);

#endif
