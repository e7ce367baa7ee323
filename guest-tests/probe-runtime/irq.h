/* Taking IRQs in a probe: a handler called from the EL1h IRQ vector with the INTID the GIC acknowledged (above gic.h). */
#ifndef PROBE_IRQ_H
#define PROBE_IRQ_H

#include <stdint.h>

/* Runs in the IRQ exception with IRQs masked; the runtime acknowledges and EOIs around it. */
typedef void (*probe_irq_handler)(uint32_t intid);

/* Installs the handler (NULL: an IRQ is an unexpected exception again, as before any handler). */
void probe_irq_set_handler(probe_irq_handler handler);
/* IRQs (and only IRQs) at the PE: unmask while a handler is installed, mask before removing it. */
static inline void probe_irq_unmask(void) { __asm__ volatile("msr daifclr, #2\n\tisb" ::: "memory"); }
static inline void probe_irq_mask(void) { __asm__ volatile("msr daifset, #2\n\tisb" ::: "memory"); }
/* IRQ exceptions that found the GIC with nothing pending (INTID 1020..1023). */
uint32_t probe_irq_spurious(void);

#endif
