/* One physical CPU's life: configure EL2 for its VM, wait for its vCPU to be started, enter the guest. */
#include <string.h>

#include "arch.h"
#include "gic_phys.h"
#include "log.h"
#include "pcpu.h"
#include "psci.h"
#include "vgic_inject.h"
#include "vm_create.h"
#include "vm_reset.h"
#include "watchdog_vm.h"

#define HCR_VM   (1ULL << 0)
#define HCR_SWIO (1ULL << 1)
#define HCR_FMO  (1ULL << 3)
#define HCR_IMO  (1ULL << 4)
#define HCR_AMO  (1ULL << 5)
#define HCR_TSC  (1ULL << 19)
#define HCR_RW   (1ULL << 31)

/* VTCR_EL2: 39-bit IPA (T0SZ 25), start at level 1 (SL0 1), write-back inner shareable walks, 4 KiB granule, 40-bit PA. */
#define VTCR_VALUE ((1ULL << 31) | (2ULL << 16) | (3ULL << 12) | (1ULL << 10) | (1ULL << 8) | (1ULL << 6) | 25ULL)
/* EL1h, D, A, I, F masked: the state PSCI CPU_ON and the Linux boot protocol enter with. */
#define SPSR_EL1H_MASKED 0x3c5
#define SPSR_I (1ULL << 7)
/* FAULT_CPU_ON_ENTRY_EL0: EL0t, D, A, I, F masked. */
#define SPSR_EL0T_MASKED 0x3c0
/* SCTLR_EL1 RES1 bits, MMU and caches off. */
#define SCTLR_EL1_RESET 0x30d00800
#define SCTLR_C (1ULL << 2)
/* FAULT_CPU_ON_TARGET_MPIDR_MISMATCH: what a secondary reads in MPIDR_EL1 besides its own affinity. */
#define MPIDR_MISMATCH_AFF1 0x100

extern void guest_enter(struct guest_regs *frame) __attribute__((noreturn));

static void configure_el2(struct vcpu *v)
{
	struct vm *vm = v->vm;
	write_sysreg(vtcr_el2, VTCR_VALUE);
	write_sysreg(vttbr_el2, (uint64_t)(uintptr_t)vm->stage2.root | ((uint64_t)vm->id << 48));
	write_sysreg(hcr_el2, HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TSC | HCR_RW);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	bool mismatch = v->index > 0 && fault_on(vm->faults, FAULT_CPU_ON_TARGET_MPIDR_MISMATCH);
	write_sysreg(vmpidr_el2, (1ULL << 31) | v->mpidr | (mismatch ? MPIDR_MISMATCH_AFF1 : 0));
	/* EL1PCTEN | EL1PCEN: EL1 reads the counter, uses the timers (FAULT_PHYSICAL_COUNTER_RUNS_BACK:
	 * counter reads trap, vcpu_physical_count answers them). */
	write_sysreg(cnthctl_el2, fault_on(vm->faults, FAULT_PHYSICAL_COUNTER_RUNS_BACK) ? 2 : 3);
	if (fault_on(vm->faults, FAULT_CNTFRQ_ZERO))
		write_sysreg(cntfrq_el0, 0);     /* refhv read the frequency it needs when it built the VM */
	/* FAULT_CNTVOFF_DIFFERS_PER_VCPU: a secondary's virtual counter 1 ms behind the boot vCPU's. */
	bool behind = v->index > 0 && fault_on(vm->faults, FAULT_CNTVOFF_DIFFERS_PER_VCPU);
	write_sysreg(cntvoff_el2, behind ? read_sysreg(cntfrq_el0) / 1000 : 0);
	isb();
	__asm__ volatile("tlbi vmalls12e1\n\tdsb sy\n\tisb" ::: "memory");
}

/* Starts the vCPU at entry with x0 = argument, in the CPU_ON / boot state (MMU off, interrupts masked). */
static void vcpu_enter(struct pcpu *p, uint64_t entry, uint64_t argument, bool cpu_on) __attribute__((noreturn));
static void vcpu_enter(struct pcpu *p, uint64_t entry, uint64_t argument, bool cpu_on)
{
	struct guest_regs *frame = pcpu_guest_frame(p);
	struct fault_set faults = p->vcpu->vm->faults;
	memset(frame, 0, sizeof(*frame));
	frame->x[0] = argument;
	frame->elr = entry;
	frame->spsr = SPSR_EL1H_MASKED;
	if (cpu_on && fault_on(faults, FAULT_CPU_ON_ENTRY_IRQ_UNMASKED))
		frame->spsr &= ~SPSR_I;
	bool dcache_on = cpu_on && fault_on(faults, FAULT_CPU_ON_ENTRY_DCACHE_ON);
	write_sysreg(sctlr_el1, SCTLR_EL1_RESET | (dcache_on ? SCTLR_C : 0));
	if (cpu_on && fault_on(faults, FAULT_CPU_ON_ENTRY_EL0)) {
		frame->spsr = SPSR_EL0T_MASKED;
		write_sysreg(vbar_el1, p->vcpu->entry_vbar);
	}
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	vgic_reset_lrs(p->vcpu);
	/* The EL2 timer (CNTHP): the budget's end, or the VM's next watchdog timeout if that comes first. Writing
	 * the budget alone here dropped a timeout armed before this entry (a power-down wake, a CPU_ON on this
	 * physical CPU): a guest that then spun was reset only at its budget, and after that restart ran to it. */
	watchdog_vm_arm_timer(p->vcpu);
	__atomic_store_n(&p->vcpu->in_guest, 1, __ATOMIC_RELEASE);
	guest_enter(frame);
}

/*
 * Waits for the next reason to look again: a kick (CPU_ON, SYSTEM_RESET, a VM stop) or, without a
 * GIC, an event. WFI, not WFE: QEMU's TCG runs WFE as a busy loop, whose thread starves the other
 * emulated CPUs on a loaded host. A pending kick is taken here (the caller looks again); anything
 * else pending is left for the trap path of the guest, and this CPU falls back to WFE meanwhile.
 */
static void wait_for_kick(void)
{
	if (!gic_phys_present()) {
		wfe();
		return;
	}
	uint32_t pending = (uint32_t)read_sysreg(S3_0_C12_C12_2) & 0xffffff;   /* ICC_HPPIR1_EL1 */
	if (pending == GIC_SGI_KICK) {
		uint32_t intid = gic_phys_acknowledge();
		if (intid < 1020) {
			gic_phys_priority_drop(intid);
			gic_phys_deactivate(intid);
		}
		return;
	}
	if (pending < 1020) {
		wfe();
		return;
	}
	wfi();
}

void vcpu_run_loop(void)
{
	struct pcpu *p = this_pcpu();
	struct vcpu *v = p->vcpu;
	uint64_t entry, context_id;

	if (!v)
		park_forever();
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_RELEASE);
	configure_el2(v);
	for (;;) {
		int state = __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE);
		if (state == VM_STOPPED)
			park_forever();
		if (state == VM_RUNNING) {
			/* The boot vCPU enters the image with the DT in x0 (Linux arm64 boot protocol): at the
			 * VM's start and after each SYSTEM_RESET, not whenever it is off. */
			int one = 1;
			if (v->index == 0 && __atomic_compare_exchange_n(&v->vm->boot_requested, &one, 0, false,
									 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				__atomic_store_n(&v->power, VCPU_ON, __ATOMIC_RELEASE);
				v->starts++;
				vcpu_enter(p, v->vm->entry_ipa, v->vm->dtb_ipa, false);
			}
			if (vcpu_take_start(v, &entry, &context_id))
				vcpu_enter(p, entry, context_id, true);
		}
		wait_for_kick();
	}
}

uint64_t vcpu_physical_count(struct vcpu *v)
{
	uint64_t now = read_sysreg(cntpct_el0);
	return ++v->counter_reads % 2 ? now : now - read_sysreg(cntfrq_el0) / 1000;
}

/* The current vCPU has powered down (CPU_OFF) or its VM stopped or resets: back to waiting. */
void vcpu_park(void)
{
	pcpu_restart_on_fresh_stack(vcpu_run_loop);
}

/* Power-down suspend: the vCPU wakes at once at entry with context_id (its context is lost). */
void vcpu_restart(uint64_t entry, uint64_t context_id) __attribute__((noreturn));
void vcpu_restart(uint64_t entry, uint64_t context_id)
{
	vcpu_enter(this_pcpu(), entry, context_id, false);
}
