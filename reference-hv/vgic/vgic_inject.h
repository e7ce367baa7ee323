/* Delivering interrupts to the vCPU through the list registers, and the standby wait of CPU_SUSPEND. */
#ifndef REFHV_VGIC_INJECT_H
#define REFHV_VGIC_INJECT_H

#include <stdint.h>

struct vcpu;

/* A physical IRQ reached EL2 while v ran: the virtual timer is forwarded (returns 1023); anything
 * else is deactivated and its INTID returned for the hypervisor itself (kick, budget timer). */
uint32_t vgic_physical_irq(struct vcpu *v);

/* The guest changed enable bits of its SGIs/PPIs: mirror the virtual timer's on the physical GIC. */
void vgic_enables_changed(struct vcpu *v, uint32_t changed);

/* Empties the list registers (deactivating HW-linked ones) before a vCPU starts afresh. */
void vgic_reset_lrs(struct vcpu *v);

/* CPU_SUSPEND standby: returns once an interrupt is pending for this vCPU (or at once without a vGIC). */
void vgic_wait_for_interrupt(struct vcpu *v);

#endif
