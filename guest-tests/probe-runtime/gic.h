/* Interrupt-controller layer of the probe runtime (GICv2/GICv3 from the DT); depends on dt.h. */
#ifndef PROBE_GIC_H
#define PROBE_GIC_H

/* INTID of the EL1 virtual timer PPI from the DT, 0 if not found. */
unsigned gic_virtual_timer_intid(void);
/* Enables a PPI for this CPU at the GIC the DT names; returns "GICv2"/"GICv3" or NULL.
 * This only gives WFI or standby a wake-up source; IRQs stay masked. */
const char *gic_enable_ppi(unsigned intid);

#endif
