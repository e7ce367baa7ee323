/* A VM's SBSA Generic Watchdog at EL2: the system count, one lock per VM, the WS0 SPI through the vGIC, WS1 resets the VM as SYSTEM_RESET does. */
#include "watchdog_vm.h"

#include "arch.h"
#include "log.h"
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
	vm->watchdog.refresh_ignored = fault_on(vm->faults, FAULT_WATCHDOG_REFRESH_IGNORED);
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

/* Acts on what the watchdog signalled: WS0 raises its SPI; WS1 resets the VM (never returns). */
static void signal(struct vcpu *v, unsigned events)
{
	struct vm *vm = v->vm;
	if (events & GWDT_EVENT_WS0)
		vgic_raise_spi(vm, 32 + vm->cfg->watchdog_spi);
	if (events & GWDT_EVENT_WS1) {
		hv_log("vm %s: watchdog: WS1 (second timeout without refresh): resetting the VM", vm->cfg->name);
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
	if (write)
		gwdt_write(&vm->watchdog, frame, offset, size, *value, read_sysreg(cntpct_el0), &events);
	else
		*value = gwdt_read(&vm->watchdog, frame, offset, size, read_sysreg(cntpct_el0), &events);
	uint64_t due = gwdt_next_due(&vm->watchdog);
	unlock(vm);
	arm_hyp_timer(v, due);
	signal(v, events);
}

void watchdog_vm_tick(struct vcpu *v)
{
	struct vm *vm = v->vm;
	if (!vm->cfg->has_watchdog)
		return;
	lock(vm);
	unsigned events = gwdt_advance(&vm->watchdog, read_sysreg(cntpct_el0));
	uint64_t due = gwdt_next_due(&vm->watchdog);
	unlock(vm);
	arm_hyp_timer(v, due);
	signal(v, events);
}

void watchdog_vm_reset(struct vm *vm)
{
	lock(vm);
	gwdt_reset(&vm->watchdog);
	unlock(vm);
}
