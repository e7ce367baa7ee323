/* Guest traps: SMCCC calls, MMIO data aborts (UART, GIC, virtio-mmio, watchdog), aborts outside the VM, and everything unexpected (reported, VM stopped). */
#include "arch.h"
#include "esr.h"
#include "gic_phys.h"
#include "inject.h"
#include "log.h"
#include "mmio_devices.h"
#include "pcpu.h"
#include "psci.h"
#include "text_format.h"
#include "vgic_inject.h"
#include "vm_create.h"
#include "vm_reset.h"
#include "watchdog_vm.h"

void vcpu_restart(uint64_t entry, uint64_t context_id) __attribute__((noreturn));

/* Injected aborts a VM may take before it counts as faulting in a loop; the first few are logged. */
#define ABORT_LIMIT 1000
#define ABORTS_LOGGED 8

static const char *const vector_names[16] = {
	"sync (EL2, SP0)", "IRQ (EL2, SP0)", "FIQ (EL2, SP0)", "SError (EL2, SP0)",
	"sync (EL2)", "IRQ (EL2)", "FIQ (EL2)", "SError (EL2)",
	"sync", "IRQ", "FIQ", "SError", "sync (AArch32)", "IRQ (AArch32)", "FIQ (AArch32)", "SError (AArch32)",
};

/* Reports what the vCPU did and stops its VM; the physical CPU goes back to waiting. */
static void stop_for(struct vcpu *v, struct guest_regs *regs, const char *what, uint64_t esr)
	__attribute__((noreturn));
static void stop_for(struct vcpu *v, struct guest_regs *regs, const char *what, uint64_t esr)
{
	char reason[200];
	text_format(reason, sizeof(reason), "vCPU %d: %s: ESR=0x%llx (%s) FAR=0x%llx ELR=0x%llx", v->index, what,
		    (unsigned long long)esr, esr_class_name(esr_class(esr)),
		    (unsigned long long)read_sysreg(far_el2), (unsigned long long)regs->elr);
	vm_stop(v->vm, "stopped", reason);
	vcpu_park();
}

static void smccc_call(struct vcpu *v, struct guest_regs *regs)
{
	struct psci_result r;
	uint64_t ticks_per_ms = read_sysreg(cntfrq_el0) / 1000;
	v->now_ms = read_sysreg(cntpct_el0) / (ticks_per_ms ? ticks_per_ms : 1);
	if (fault_on(v->vm->faults, FAULT_CPU_ON_ENTRY_EL0))
		v->vbar_el1 = read_sysreg(vbar_el1);
	smccc_handle(v, regs->x, &r);
	if (fault_on(v->vm->faults, FAULT_SMCCC_CLOBBERS_X4))
		regs->x[4] = 0xdead00000000c1bbULL;   /* SMCCC 1.1: x4-x17 are the caller's */
	switch (r.action) {
	case PSCI_ACTION_RETURN:
		regs->x[0] = (uint64_t)r.value;
		return;
	case PSCI_ACTION_WAKE:
		regs->x[0] = (uint64_t)r.value;
		dsb_sy();
		sev();
		/* Its physical CPU may wait in WFI (vcpu_run_loop): the kick wakes it. */
		if (r.woken && gic_phys_present())
			gic_phys_send_sgi(pcpus[r.woken->pcpu].mpidr, GIC_SGI_KICK);
		return;
	case PSCI_ACTION_STANDBY:
		vgic_wait_for_interrupt(v);
		regs->x[0] = (uint64_t)r.value;
		return;
	case PSCI_ACTION_VCPU_OFF:
		vcpu_park();
	case PSCI_ACTION_VCPU_RESTART:
		vcpu_restart(r.entry, r.context_id);
	case PSCI_ACTION_VM_OFF:
		vm_stop(v->vm, "SYSTEM_OFF", NULL);
		vcpu_park();
	case PSCI_ACTION_VM_RESET:
		vm_reset(v);
	}
}

/* Injects an external abort, unless the VM is faulting in a loop (then it is stopped). */
static void inject_abort(struct vcpu *v, struct guest_regs *regs, bool instruction, uint64_t far, uint64_t esr)
{
	uint64_t vbar = read_sysreg(vbar_el1);
	if (instruction && regs->elr >= vbar && regs->elr < vbar + 0x800)
		stop_for(v, regs, "its exception vectors are outside its memory (fault loop)", esr);
	if (++v->vm->aborts_injected > ABORT_LIMIT)
		stop_for(v, regs, "faulting in a loop (more than 1000 external aborts injected)", esr);
	inject_external_abort(regs, instruction, far);
}

/* Which emulated device an IPA falls in. */
enum mmio_device { MMIO_NONE, MMIO_UART, MMIO_GICD, MMIO_GICR, MMIO_VIRTIO, MMIO_WATCHDOG };

static enum mmio_device mmio_device_at(const struct vm *vm, uint64_t ipa)
{
	if (ipa >= VM_UART_IPA && ipa < VM_UART_IPA + VM_UART_SIZE)
		return MMIO_UART;
	if (vm->has_vgic && ipa >= VGIC_DIST_IPA && ipa < VGIC_DIST_IPA + VGIC_DIST_SIZE)
		return MMIO_GICD;
	if (vm->has_vgic && ipa >= VGIC_REDIST_IPA && ipa < VGIC_REDIST_IPA + VGIC_REDIST_STRIDE * (uint64_t)vm->n_vcpus)
		return MMIO_GICR;
	if (mmio_devices_claim(vm, ipa))
		return MMIO_VIRTIO;
	if (watchdog_vm_claim(vm, ipa))
		return MMIO_WATCHDOG;
	return MMIO_NONE;
}

/* One emulated register access; false if the VM has to stop (console flood). */
static bool mmio_emulate(struct vcpu *v, enum mmio_device device, uint64_t ipa, const struct mmio_access *access,
			 uint64_t *value)
{
	struct vm *vm = v->vm;
	struct vgic_access a = { .size = access->size, .write = access->write, .value = *value };

	switch (device) {
	case MMIO_UART:
		return vuart_access(&vm->uart, ipa - VM_UART_IPA, access->write, value);
	case MMIO_GICD:
		a.offset = ipa - VGIC_DIST_IPA;
		vgic_dist_access(&vm->vgic, &a);
		if (a.write && a.size == 4 && a.offset >= 0x180 + 4 && a.offset < 0x200)         /* GICD_ICENABLERn */
			vgic_withdraw_spis(v, (uint32_t)(a.offset - 0x180) * 8, (uint32_t)a.value, true);
		else if (a.write && a.size == 4 && a.offset >= 0x280 + 4 && a.offset < 0x300)    /* GICD_ICPENDRn */
			vgic_withdraw_spis(v, (uint32_t)(a.offset - 0x280) * 8, (uint32_t)a.value, false);
		vgic_flush_spis(v);           /* an SPI the guest just enabled may be pending */
		break;
	case MMIO_GICR: {
		int index = (int)((ipa - VGIC_REDIST_IPA) / VGIC_REDIST_STRIDE);
		struct vcpu *owner = &vm->vcpus[index];
		a.offset = (ipa - VGIC_REDIST_IPA) % VGIC_REDIST_STRIDE;
		uint32_t changed = vgic_redist_access(&owner->vgic, index, vm->n_vcpus, owner->mpidr, &a);
		if (changed)
			vgic_enables_changed(owner, changed);
		break;
	}
	case MMIO_VIRTIO:
		mmio_devices_access(vm, ipa, access->size, access->write, value);
		return true;
	case MMIO_WATCHDOG:
		watchdog_vm_access(v, ipa, access->size, access->write, value);   /* WS1: the VM resets, no return */
		return true;
	case MMIO_NONE:
		break;
	}
	*value = a.value;
	return true;
}

static void data_abort(struct vcpu *v, struct guest_regs *regs, uint64_t esr)
{
	struct vm *vm = v->vm;
	uint64_t far = read_sysreg(far_el2);
	uint64_t ipa = ((read_sysreg(hpfar_el2) >> 4) << 12) | (far & 0xfff);
	enum mmio_device device = esr_abort_is_translation(esr) ? mmio_device_at(vm, ipa) : MMIO_NONE;
	struct mmio_access access;

	if (device != MMIO_NONE) {
		if (!esr_decode_data_abort(esr, &access))
			stop_for(v, regs, "MMIO access by an instruction without ISV syndrome (not emulated)", esr);
		uint64_t value = access.reg == 31 ? 0 : regs->x[access.reg];
		if (!mmio_emulate(v, device, ipa, &access, &value)) {
			vm_stop(vm, "stopped", "console flood: more than 512 KiB written to the UART");
			vcpu_park();
		}
		if (!access.write && access.reg != 31)
			regs->x[access.reg] = mmio_load_value(&access, value);
		regs->elr += 4;
		return;
	}
	if (vm->aborts_injected < ABORTS_LOGGED)
		hv_log("vm %s: vCPU %d: data abort at IPA 0x%llx (ELR 0x%llx), outside the VM: external abort injected",
		       vm->cfg->name, v->index, (unsigned long long)ipa, (unsigned long long)regs->elr);
	inject_abort(v, regs, false, far, esr);
}

void trap_from_guest(struct guest_regs *regs, uint64_t kind)
{
	struct vcpu *v = this_pcpu()->vcpu;
	uint64_t esr = read_sysreg(esr_el2);

	if (__atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING)
		vcpu_park();                      /* stopped, or resetting: leave the guest */
	if (kind == 9) {
		uint32_t intid = vgic_physical_irq(v);
		mmio_devices_tick(v->vm);     /* time-driven device models (sound) do what came due */
		watchdog_vm_tick(v);          /* watchdog timeouts that came due (WS1: the VM resets, no return) */
		if (v->vm->has_vgic) {
			vgic_flush_sgis(v);   /* a kick: SGIs another vCPU sent, SPIs a device raised */
			vgic_flush_spis(v);
		}
		if (intid == GIC_PPI_HYP_TIMER && v->vm->deadline && read_sysreg(cntpct_el0) >= v->vm->deadline) {
			char reason[64];
			text_format(reason, sizeof(reason), "ran past its budget of %llu s",
				    (unsigned long long)v->vm->cfg->budget_s);
			vm_stop(v->vm, "stopped", reason);
			vcpu_park();
		}
		return;
	}
	if (kind != 8)
		stop_for(v, regs, vector_names[kind & 15], kind == 11 ? esr : 0);
	switch (esr_class(esr)) {
	case ESR_EC_HVC64:
		smccc_call(v, regs);
		return;
	case ESR_EC_SMC64:
		/* The DT names HVC as the conduit; SMC is answered NOT_SUPPORTED and skipped. */
		regs->x[0] = (uint64_t)-1;
		regs->elr += 4;
		return;
	case ESR_EC_DABT_LOWER:
		data_abort(v, regs, esr);
		return;
	case ESR_EC_SYSREG:
		if (v->vm->has_vgic && (esr & ESR_SYSREG_MASK) == ESR_SYSREG_ICC_SGI1R_WRITE) {
			unsigned rt = (unsigned)((esr >> 5) & 0x1f);
			vgic_send_sgi(v, rt == 31 ? 0 : regs->x[rt]);
			regs->elr += 4;
			return;
		}
		if ((esr & ESR_SYSREG_MASK) == ESR_SYSREG_CNTPCT_READ) {
			unsigned rt = (unsigned)((esr >> 5) & 0x1f);
			if (rt != 31)
				regs->x[rt] = vcpu_physical_count(v);
			regs->elr += 4;
			return;
		}
		stop_for(v, regs, "unexpected exception", esr);
	case ESR_EC_IABT_LOWER:
		if (v->vm->aborts_injected < ABORTS_LOGGED)
			hv_log("vm %s: vCPU %d: instruction fetch at 0x%llx outside the VM: external abort injected",
			       v->vm->cfg->name, v->index, (unsigned long long)regs->elr);
		inject_abort(v, regs, true, read_sysreg(far_el2), esr);
		return;
	default:
		stop_for(v, regs, "unexpected exception", esr);
	}
}

/* An exception taken at EL2 itself is a hypervisor bug: say everything, stop the VM it served, halt this CPU. */
void hv_exception_report(struct guest_regs *regs, uint64_t kind)
{
	struct pcpu *p = this_pcpu();
	uint64_t esr = read_sysreg(esr_el2);
	hv_log("HYPERVISOR EXCEPTION on physical CPU %d: %s ESR=0x%llx (%s) FAR=0x%llx ELR=0x%llx", p->index,
	       vector_names[kind & 15], (unsigned long long)esr, esr_class_name(esr_class(esr)),
	       (unsigned long long)read_sysreg(far_el2), (unsigned long long)regs->elr);
	if (p->vcpu)
		vm_stop(p->vcpu->vm, "stopped", "hypervisor exception while serving it (see above)");
	park_forever();
}
