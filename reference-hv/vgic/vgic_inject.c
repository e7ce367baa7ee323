/* List-register injection (Arm IHI 0069 8.4): the virtual timer PPI is HW-linked, so the guest's deactivation reaches the physical GIC. */
#include <stdbool.h>

#include "arch.h"
#include "gic_phys.h"
#include "vgic.h"
#include "pcpu.h"
#include "vgic_inject.h"
#include "vm.h"

#define LR_STATE_SHIFT 62
#define LR_HW (1ULL << 61)
#define ISR_IRQ_PENDING (1u << 7)

static unsigned lr_count(void)
{
	return (unsigned)(read_sysreg(S3_4_C12_C11_1) & 0x1f) + 1;   /* ICH_VTR_EL2.ListRegs */
}

static uint64_t lr_read(unsigned n)
{
	switch (n) {
	case 0: return read_sysreg(S3_4_C12_C12_0);
	case 1: return read_sysreg(S3_4_C12_C12_1);
	case 2: return read_sysreg(S3_4_C12_C12_2);
	case 3: return read_sysreg(S3_4_C12_C12_3);
	default: return 0;
	}
}

static void lr_write(unsigned n, uint64_t value)
{
	switch (n) {
	case 0: write_sysreg(S3_4_C12_C12_0, value); break;
	case 1: write_sysreg(S3_4_C12_C12_1, value); break;
	case 2: write_sysreg(S3_4_C12_C12_2, value); break;
	case 3: write_sysreg(S3_4_C12_C12_3, value); break;
	default: break;
	}
	isb();
}

/* Only LRs 0..3 are driven (QEMU's CPUs have 4). */
static unsigned usable_lrs(void)
{
	unsigned n = lr_count();
	return n > 4 ? 4 : n;
}

uint32_t vgic_physical_irq(struct vcpu *v)
{
	uint32_t intid = gic_phys_acknowledge();
	if (intid >= 1020)
		return 1023;                              /* spurious */
	gic_phys_priority_drop(intid);
	bool wanted = v && v->vm->has_vgic && intid == VGIC_VTIMER_PPI &&
		      (v->vgic.enabled0 & (1u << VGIC_VTIMER_PPI));
	int lr = wanted ? vgic_lr_pick(read_sysreg(S3_4_C12_C11_5), usable_lrs()) : -1;   /* ICH_ELRSR_EL2 */
	if (lr < 0) {
		/* Not for the guest (or no free LR): deactivate; a level-triggered source the guest has
		 * not enabled is masked so it cannot fire again and again. */
		gic_phys_deactivate(intid);
		if (intid == VGIC_VTIMER_PPI && !wanted && v)
			gic_phys_set_enabled(v->pcpu, intid, false);
		return intid;
	}
	lr_write((unsigned)lr, vgic_lr_value(intid, intid, v->vgic.priority[intid], true));
	return 1023;
}

void vgic_enables_changed(struct vcpu *v, uint32_t changed)
{
	if (changed & (1u << VGIC_VTIMER_PPI))
		gic_phys_set_enabled(v->pcpu, VGIC_VTIMER_PPI, v->vgic.enabled0 & (1u << VGIC_VTIMER_PPI));
}

void vgic_reset_lrs(struct vcpu *v)
{
	if (!gic_phys_present())
		return;
	for (unsigned n = 0; n < usable_lrs(); n++) {
		uint64_t lr = lr_read(n);
		if ((lr & LR_HW) && (lr >> LR_STATE_SHIFT))
			gic_phys_deactivate((uint32_t)((lr >> 32) & 0x3ff));
		lr_write(n, 0);
	}
	vgic_enables_changed(v, 1u << VGIC_VTIMER_PPI);
}

void vgic_wait_for_interrupt(struct vcpu *v)
{
	if (!v->vm->has_vgic)
		return;
	for (unsigned n = 0; n < usable_lrs(); n++)
		if (lr_read(n) >> LR_STATE_SHIFT)
			return;                               /* one is already pending or active */
	/* Interrupts are masked at EL2 here; a pending physical IRQ still ends WFI, and is taken
	 * (and injected) as soon as the guest is resumed. WFI may also end for no reason (QEMU
	 * wakes it on other events), so wait until ISR_EL1.I shows a pending IRQ. */
	while (!(read_sysreg(isr_el1) & ISR_IRQ_PENDING) &&
	       __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) == VM_RUNNING)
		__asm__ volatile("dsb sy\n\twfi" ::: "memory");
}
