/* Interrupt-controller layer of the probe runtime (GICv2/GICv3 from the DT); depends on dt.h. */
#ifndef PROBE_GIC_H
#define PROBE_GIC_H

#include <stdint.h>

/* INTID of the EL1 virtual timer PPI from the DT, 0 if not found. */
unsigned gic_virtual_timer_intid(void);
/* Enables an SGI or PPI (INTID < 32) for this CPU at the GIC the DT names; returns
 * "GICv2"/"GICv3" or NULL. IRQs stay masked at the PE: a pending one wakes WFI or standby. */
const char *gic_enable_ppi(unsigned intid);
/* Enables SPI intid (32..1019) at the distributor, routed to this CPU (GICv2 target list /
 * GICv3 IROUTER), with the CPU interface set up as for a PPI; NULL when no GIC is found. */
const char *gic_enable_spi(unsigned intid);
void gic_disable_spi(unsigned intid);
/* Clears an SPI's pending latch (GICD_ICPENDR): an edge that arrived while the SPI was disabled. */
void gic_clear_pending_spi(unsigned intid);
/* After an enable: the architecture version the DT named (2 or 3; 0 before), its distributor. */
unsigned gic_version(void);
uintptr_t gic_distributor(void);
/* Acknowledges the highest-priority pending interrupt: the IAR value (INTID in bits 9:0 for
 * GICv2 with the source CPU in 12:10; 23:0 for GICv3); 1023 when nothing is pending. */
uint32_t gic_acknowledge(void);
void gic_end_of_interrupt(uint32_t iar);
/* GICv2: this CPU interface's bit in the SGI target list (0 on GICv3). */
uint32_t gic_cpu_target_mask(void);
/* Sends SGI intid to one CPU: by MPIDR affinity (GICv3) or target-list bit (GICv2). */
void gic_send_sgi(unsigned intid, uint64_t mpidr, uint32_t v2_target_mask);

#endif
