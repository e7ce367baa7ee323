/* List-register injection (Arm IHI 0069 8.4): HW-linked EL1 timer PPIs, SGIs between vCPUs, SPIs from emulated devices. */
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
#define IROUTER_IRM (1ULL << 31)                      /* GICD_IROUTER.Interrupt_Routing_Mode */
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)

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
	bool forwarded = intid < 32 && (VGIC_FORWARDED_PPIS & (1u << intid));
	bool wanted = v && v->vm->has_vgic && forwarded && (v->vgic.enabled0 & (1u << intid)) &&
		      !(intid == VGIC_PTIMER_PPI && fault_on(v->vm->faults, FAULT_PTIMER_NEVER_INJECTED));
	/* FAULT_VTIMER_WRONG_PPI: the virtual timer goes in as the next PPI (the guest enabled the DT's one). */
	uint32_t vintid = intid;
	if (wanted && intid == VGIC_VTIMER_PPI && fault_on(v->vm->faults, FAULT_VTIMER_WRONG_PPI))
		vintid = VGIC_VTIMER_PPI + 1;
	int lr = wanted ? vgic_lr_pick(read_sysreg(S3_4_C12_C11_5), usable_lrs()) : -1;   /* ICH_ELRSR_EL2 */
	if (lr < 0) {
		/* Not for the guest (or no free LR): deactivate; a level-triggered source the guest has
		 * not enabled is masked so it cannot fire again and again. */
		gic_phys_deactivate(intid);
		if (forwarded && !wanted && v)
			gic_phys_set_enabled(v->pcpu, intid, false);
		return intid;
	}
	lr_write((unsigned)lr, vgic_lr_value(vintid, intid, v->vgic.priority[intid], true));
	return 1023;
}

/* The list register that holds vintid (pending and/or active), or -1. */
static int lr_find(uint32_t vintid)
{
	for (unsigned n = 0; n < usable_lrs(); n++) {
		uint64_t lr = lr_read(n);
		if ((lr >> LR_STATE_SHIFT) && (uint32_t)lr == vintid)
			return (int)n;
	}
	return -1;
}

/* True when a list register already holds vintid (pending or active): a second one waits. */
static bool lr_holds(uint32_t vintid)
{
	return lr_find(vintid) >= 0;
}

void vgic_flush_sgis(struct vcpu *v)
{
	uint32_t pending = __atomic_load_n(&v->vgic.sgis_pending, __ATOMIC_ACQUIRE);
	for (unsigned intid = 0; pending && intid < 16; intid++) {
		uint32_t bit = 1u << intid;
		if (!(pending & bit) || !(v->vgic.enabled0 & bit) || lr_holds(intid))
			continue;
		int lr = vgic_lr_pick(read_sysreg(S3_4_C12_C11_5), usable_lrs());
		if (lr < 0)
			return;                               /* the next trap or kick retries */
		lr_write((unsigned)lr, vgic_lr_value(intid, 0, v->vgic.priority[intid], false));
		__atomic_fetch_and(&v->vgic.sgis_pending, ~bit, __ATOMIC_ACQ_REL);
	}
}

void vgic_send_sgi(struct vcpu *sender, uint64_t sgi1r)
{
	struct vm *vm = sender->vm;
	uint64_t mpidr[CONFIG_MAX_VCPUS];
	unsigned intid;

	for (int i = 0; i < vm->n_vcpus; i++)
		mpidr[i] = vm->vcpus[i].mpidr;
	uint32_t targets = vgic_sgi_targets(sgi1r, mpidr, vm->n_vcpus, sender->index, &intid);
	uint32_t others = ((1u << vm->n_vcpus) - 1) & ~(1u << sender->index);
	if (fault_on(vm->faults, FAULT_SGI_BROADCAST) && (targets & others))
		targets |= others;
	if (fault_on(vm->faults, FAULT_SGI_TO_OTHER_VCPU_DROPPED))
		targets &= ~others;
	for (int i = 0; i < vm->n_vcpus; i++) {
		if (!(targets & (1u << i)))
			continue;
		struct vcpu *t = &vm->vcpus[i];
		__atomic_fetch_or(&t->vgic.sgis_pending, 1u << intid, __ATOMIC_ACQ_REL);
		if (t == sender)
			vgic_flush_sgis(t);
		else
			gic_phys_send_sgi(pcpus[t->pcpu].mpidr, GIC_SGI_KICK);
	}
}

/* The vCPU an SPI goes to (Arm IHI 0069 12.9.22 GICD_IROUTER): the one whose affinity the route names;
 * with Interrupt_Routing_Mode 1 (any PE), or a route naming no vCPU, vCPU 0. */
static struct vcpu *spi_target(struct vm *vm, uint32_t intid)
{
	uint64_t route = vm->vgic.irouter[intid - 32];
	if (!(route & IROUTER_IRM)) {
		for (int i = 0; i < vm->n_vcpus; i++) {
			uint64_t mpidr = vm->vcpus[i].mpidr;
			uint64_t aff = (mpidr & 0xffffff) | ((mpidr & 0xff00000000ULL));
			if ((route & 0xff00ffffffULL) == aff)
				return &vm->vcpus[i];
		}
	}
	return &vm->vcpus[0];
}

void vgic_flush_spis(struct vcpu *v)
{
	struct vgic_dist *d = &v->vm->vgic;
	if (!v->vm->has_vgic || !(d->ctlr & GICD_CTLR_ENABLE_GRP1))
		return;
	for (unsigned w = 0; w < VGIC_SPI_WORDS; w++) {
		uint32_t ready = __atomic_load_n(&d->pending[w], __ATOMIC_ACQUIRE) & d->enabled[w];
		for (unsigned b = 0; ready && b < 32; b++) {
			uint32_t bit = 1u << b, intid = 32 + 32 * w + b;
			if (!(ready & bit) || spi_target(v->vm, intid) != v)
				continue;
			int held = lr_find(intid);
			if (held >= 0) {
				/* Pending already: the edges merge. Active: it becomes active and pending. */
				lr_write((unsigned)held, lr_read((unsigned)held) | (1ULL << LR_STATE_SHIFT));
			} else {
				int lr = vgic_lr_pick(read_sysreg(S3_4_C12_C11_5), usable_lrs());
				if (lr < 0)
					return;                       /* the next trap or kick retries */
				lr_write((unsigned)lr, vgic_lr_value(intid, 0, d->priority[intid - 32], false));
			}
			__atomic_fetch_and(&d->pending[w], ~bit, __ATOMIC_ACQ_REL);
		}
	}
}

void vgic_withdraw_spis(struct vcpu *v, uint32_t first_intid, uint32_t mask, bool keep_pending)
{
	if (!v->vm->has_vgic || !mask || !gic_phys_present())
		return;
	for (unsigned n = 0; n < usable_lrs(); n++) {
		uint64_t lr = lr_read(n);
		uint32_t intid = (uint32_t)lr;
		if ((lr & LR_HW) || !((lr >> LR_STATE_SHIFT) & 1) || intid < first_intid || intid >= first_intid + 32 ||
		    !(mask & (1u << (intid - first_intid))))
			continue;
		uint64_t rest = lr & ~(1ULL << LR_STATE_SHIFT);         /* drop the pending state, keep active */
		lr_write(n, (rest >> LR_STATE_SHIFT) ? rest : 0);
		if (keep_pending)
			__atomic_fetch_or(&v->vm->vgic.pending[(intid - 32) / 32], 1u << (intid % 32), __ATOMIC_ACQ_REL);
	}
}

void vgic_raise_spi(struct vm *vm, uint32_t intid)
{
	if (!vm->has_vgic || intid < 32 || intid >= 32 + 32 * VGIC_SPI_WORDS)
		return;
	__atomic_fetch_or(&vm->vgic.pending[(intid - 32) / 32], 1u << (intid % 32), __ATOMIC_ACQ_REL);
	struct vcpu *target = spi_target(vm, intid);
	if (this_pcpu()->vcpu == target)
		vgic_flush_spis(target);
	else
		gic_phys_send_sgi(pcpus[target->pcpu].mpidr, GIC_SGI_KICK);
}

void vgic_enables_changed(struct vcpu *v, uint32_t changed)
{
	for (unsigned intid = 16; intid < 32; intid++)
		if (changed & VGIC_FORWARDED_PPIS & (1u << intid))
			gic_phys_set_enabled(v->pcpu, intid, v->vgic.enabled0 & (1u << intid));
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
	vgic_enables_changed(v, VGIC_FORWARDED_PPIS);
	vgic_flush_sgis(v);
	vgic_flush_spis(v);
}

/* The output of the EL1 timer behind a HW-linked PPI: enabled, condition met, not masked. */
static bool timer_line_high(uint32_t pintid)
{
	uint64_t ctl = pintid == VGIC_VTIMER_PPI ? read_sysreg(cntv_ctl_el0)
		     : pintid == VGIC_PTIMER_PPI ? read_sysreg(cntp_ctl_el0) : 5;
	return (ctl & 7) == 5;                                /* ENABLE, not IMASK, ISTATUS */
}

/* A level-sensitive timer PPI is pending only while its line is high: a HW-linked list register
 * still pending after the guest masked or disabled its timer is dropped (and the physical
 * interrupt, acknowledged at EL2, deactivated), as the GIC would drop the pending state. */
static void resample_timer_lrs(void)
{
	for (unsigned n = 0; n < usable_lrs(); n++) {
		uint64_t lr = lr_read(n);
		uint32_t pintid = (uint32_t)((lr >> 32) & 0x3ff);
		if ((lr & LR_HW) && (lr >> LR_STATE_SHIFT) == 1 && !timer_line_high(pintid)) {
			lr_write(n, 0);
			gic_phys_deactivate(pintid);
		}
	}
}

static bool lr_pending_or_active(void)
{
	for (unsigned n = 0; n < usable_lrs(); n++)
		if (lr_read(n) >> LR_STATE_SHIFT)
			return true;
	return false;
}

static bool vm_running(const struct vcpu *v)
{
	return __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) == VM_RUNNING;
}

/* Interrupts are masked at EL2 here; a pending physical IRQ still ends WFI, and is taken (and
 * injected) as soon as the guest is resumed. WFI may also end for no reason (QEMU wakes it on
 * other events), so wait until ISR_EL1.I shows a pending IRQ. */
static void wait_for_physical_irq(const struct vcpu *v)
{
	while (!(read_sysreg(isr_el1) & ISR_IRQ_PENDING) && vm_running(v))
		__asm__ volatile("dsb sy\n\twfi" ::: "memory");
}

/* FAULT_STANDBY_IGNORES_PENDING_WAKEUP: an interrupt pending at the call goes unseen; the vCPU
 * sleeps this long instead, as if waiting for the next one. */
#define IGNORED_WAKEUP_SLEEP_MS 600

static void sleep_ms(const struct vcpu *v, uint64_t ms)
{
	uint64_t end = read_sysreg(cntpct_el0) + read_sysreg(cntfrq_el0) / 1000 * ms;
	while (read_sysreg(cntpct_el0) < end && vm_running(v))
		;
}

/* FAULT_STANDBY_IGNORES_SGI: physical IRQs are taken here, the timer's injected; an SGI (a kick)
 * is left queued, so only a list-register interrupt (the timer) ends the wait. */
static void wait_ignoring_sgis(struct vcpu *v)
{
	while (!lr_pending_or_active() && vm_running(v)) {
		wait_for_physical_irq(v);
		if ((read_sysreg(isr_el1) & ISR_IRQ_PENDING) && vgic_physical_irq(v) == GIC_PPI_HYP_TIMER)
			return;                                   /* the VM's budget: the trap path decides */
	}
}

void vgic_wait_for_interrupt(struct vcpu *v)
{
	struct fault_set faults = v->vm->faults;
	if (!v->vm->has_vgic)
		return;
	__atomic_store_n(&v->suspended, 1, __ATOMIC_RELEASE);
	resample_timer_lrs();
	if (lr_pending_or_active()) {                         /* one is already pending or active */
		if (fault_on(faults, FAULT_STANDBY_IGNORES_PENDING_WAKEUP))
			sleep_ms(v, IGNORED_WAKEUP_SLEEP_MS);
	} else if (fault_on(faults, FAULT_STANDBY_IGNORES_SGI)) {
		wait_ignoring_sgis(v);
	} else {
		wait_for_physical_irq(v);
	}
	__atomic_store_n(&v->suspended, 0, __ATOMIC_RELEASE);
}
