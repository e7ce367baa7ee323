/* Delivering interrupts to the vCPU through the list registers, and the standby wait of CPU_SUSPEND. */
#ifndef REFHV_VGIC_INJECT_H
#define REFHV_VGIC_INJECT_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct vm;

/* A physical IRQ reached EL2 while v ran: the virtual timer is forwarded (returns 1023); anything
 * else is deactivated and its INTID returned for the hypervisor itself (kick, budget timer). */
uint32_t vgic_physical_irq(struct vcpu *v);

/* The guest changed enable bits of its SGIs/PPIs: mirror the virtual timer's on the physical GIC. */
void vgic_enables_changed(struct vcpu *v, uint32_t changed);

/* A guest write of ICC_SGI1R_EL1 (trapped: HCR_EL2.IMO): marks the SGI pending at each target vCPU
 * and kicks their physical CPUs (or fills a list register at once for the sender itself). */
void vgic_send_sgi(struct vcpu *sender, uint64_t sgi1r);

/* Moves this vCPU's pending SGIs that it has enabled into free list registers. */
void vgic_flush_sgis(struct vcpu *v);

/* A device of vm raised SPI intid (an edge): marks it pending at the distributor and delivers it to the
 * vCPU GICD_IROUTER names, at once when that is the calling vCPU, else by kicking its physical CPU. */
void vgic_raise_spi(struct vm *vm, uint32_t intid);

/* Moves the pending, enabled SPIs routed to this vCPU into list registers (on the vCPU's own CPU). */
void vgic_flush_spis(struct vcpu *v);

/* The guest cleared the pending state (GICD_ICPENDR, keep_pending false) or the enable (GICD_ICENABLER,
 * keep_pending true) of the SPIs first_intid + bit for each bit of mask: an SPI already moved into one
 * of this vCPU's list registers as pending is taken back out, so it is not delivered after all (a
 * disabled one stays pending at the distributor, as on a GIC). SPIs held by another vCPU's list
 * registers are not reached. */
void vgic_withdraw_spis(struct vcpu *v, uint32_t first_intid, uint32_t mask, bool keep_pending);

/* Empties the list registers (deactivating HW-linked ones) before a vCPU starts afresh. */
void vgic_reset_lrs(struct vcpu *v);

/* CPU_SUSPEND standby: returns once an interrupt is pending for this vCPU (or at once without a vGIC). */
void vgic_wait_for_interrupt(struct vcpu *v);

#endif
