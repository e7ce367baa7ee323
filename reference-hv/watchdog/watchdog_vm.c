/* A VM's SBSA Generic Watchdog at EL2: the system count, one lock per VM, the WS0 SPI through the vGIC, WS1 resets the VM as SYSTEM_RESET does. */
#include "watchdog_vm.h"

#include "arch.h"
#include "gic_phys.h"
#include "log.h"
#include "pcpu.h"
#include "vgic_inject.h"
#include "vm.h"
#include "vm_reset.h"

static void lock(struct vm *vm)
{
	while (__atomic_exchange_n(&vm->watchdog_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&vm->watchdog_lock, __ATOMIC_RELAXED))
			;
}

static void unlock(struct vm *vm)
{
	__atomic_store_n(&vm->watchdog_lock, 0, __ATOMIC_RELEASE);
}

void watchdog_vm_create(struct vm *vm)
{
	vm->watchdog.faults = (struct gwdt_faults){
		.refresh_ignored = fault_on(vm->faults, FAULT_WATCHDOG_REFRESH_IGNORED),
		.resets_at_ws0 = fault_on(vm->faults, FAULT_WATCHDOG_RESETS_AT_WS0),
		.ws1_reset_lost = fault_on(vm->faults, FAULT_WATCHDOG_WS1_RESET_LOST),
	};
	gwdt_reset(&vm->watchdog);
	if (vm->cfg->has_watchdog)
		hv_log("vm %s: SBSA generic watchdog: control frame at IPA 0x%llx, refresh frame at 0x%llx, WS0 on SPI %u",
		       vm->cfg->name, VM_WATCHDOG_CONTROL_IPA, VM_WATCHDOG_REFRESH_IPA, vm->cfg->watchdog_spi);
}

bool watchdog_vm_claim(const struct vm *vm, uint64_t ipa)
{
	return vm->cfg->has_watchdog && ((ipa >= VM_WATCHDOG_CONTROL_IPA && ipa < VM_WATCHDOG_CONTROL_IPA + VM_WATCHDOG_FRAME_SIZE) ||
					 (ipa >= VM_WATCHDOG_REFRESH_IPA && ipa < VM_WATCHDOG_REFRESH_IPA + VM_WATCHDOG_FRAME_SIZE));
}

/* Arms this physical CPU's EL2 timer (CNTHP) for the VM's next timeout or budget end, whichever comes first, so a
 * guest that hangs with its own timers off is still reset; a timer left stale on another physical CPU fires
 * early, traps, and is armed again from the current state (exceptions/trap.c). */
static void arm_hyp_timer(struct vcpu *v, uint64_t due)
{
	uint64_t budget = v->vm->deadline;
	if (budget && budget < due)
		due = budget;
	if (due == UINT64_MAX) {
		write_sysreg(S3_4_C14_C2_1, 0);                       /* CNTHP_CTL_EL2: off */
	} else {
		write_sysreg(S3_4_C14_C2_2, due);                     /* CNTHP_CVAL_EL2 */
		write_sysreg(S3_4_C14_C2_1, 1);                       /* CNTHP_CTL_EL2: enabled, not masked */
	}
	isb();
}

void watchdog_vm_arm_timer(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t due = UINT64_MAX;
	if (vm->cfg->has_watchdog) {
		lock(vm);
		due = gwdt_next_due(&vm->watchdog);
		unlock(vm);
	}
	arm_hyp_timer(v, due);
}

/* A timeout now due earlier than before (the watchdog was just enabled, or its offset shortened) may be missed by a
 * physical CPU whose EL2 timer still holds the older setting, if this vCPU then goes off or idle: the VM's other
 * vCPUs in the guest are kicked, and their trap re-arms their timers (watchdog_vm_tick). */
static void kick_other_vcpus(struct vcpu *v)
{
	struct vm *vm = v->vm;
	for (int i = 0; i < vm->n_vcpus; i++)
		if (i != v->index && __atomic_load_n(&vm->vcpus[i].in_guest, __ATOMIC_ACQUIRE) && gic_phys_present())
			gic_phys_send_sgi(pcpus[vm->vcpus[i].pcpu].mpidr, GIC_SGI_KICK);
}

/* Acts on what the watchdog signalled at count now: WS0 raises its SPI; WS1 resets the VM (never returns). Both are
 * logged with the count at which refhv acted, the host's evidence of when the reset came (harness
 * host/watchdog_reset.py compares it with the window the guest announced). */
static void signal(struct vcpu *v, unsigned events, uint64_t now)
{
	struct vm *vm = v->vm;
	if (events & GWDT_EVENT_WS0) {
		hv_log("vm %s: watchdog: WS0 at count %llu (first timeout): SPI %u raised", vm->cfg->name,
		       (unsigned long long)now, vm->cfg->watchdog_spi);
		vgic_raise_spi(vm, 32 + vm->cfg->watchdog_spi);
	}
	if (events & GWDT_EVENT_WS1) {
		hv_log("vm %s: watchdog: WS1 at count %llu (timeout without refresh): resetting the VM", vm->cfg->name,
		       (unsigned long long)now);
		vm_reset(v);
	}
}

void watchdog_vm_access(struct vcpu *v, uint64_t ipa, unsigned size, bool write, uint64_t *value)
{
	struct vm *vm = v->vm;
	bool control = ipa >= VM_WATCHDOG_CONTROL_IPA && ipa < VM_WATCHDOG_CONTROL_IPA + VM_WATCHDOG_FRAME_SIZE;
	enum gwdt_frame frame = control ? GWDT_CONTROL_FRAME : GWDT_REFRESH_FRAME;
	uint64_t offset = ipa & (VM_WATCHDOG_FRAME_SIZE - 1);
	unsigned events = 0;

	lock(vm);
	uint64_t now = read_sysreg(cntpct_el0), before = gwdt_next_due(&vm->watchdog);
	if (write)
		gwdt_write(&vm->watchdog, frame, offset, size, *value, now, &events);
	else
		*value = gwdt_read(&vm->watchdog, frame, offset, size, now, &events);
	uint64_t due = gwdt_next_due(&vm->watchdog);
	unlock(vm);
	arm_hyp_timer(v, due);
	if (due < before)
		kick_other_vcpus(v);
	signal(v, events, now);
}

void watchdog_vm_tick(struct vcpu *v)
{
	struct vm *vm = v->vm;
	if (!vm->cfg->has_watchdog)
		return;
	lock(vm);
	uint64_t now = read_sysreg(cntpct_el0);
	unsigned events = gwdt_advance(&vm->watchdog, now);
	uint64_t due = gwdt_next_due(&vm->watchdog);
	unlock(vm);
	arm_hyp_timer(v, due);
	signal(v, events, now);
}

void watchdog_vm_reset(struct vm *vm)
{
	lock(vm);
	gwdt_reset(&vm->watchdog);
	unlock(vm);
}
