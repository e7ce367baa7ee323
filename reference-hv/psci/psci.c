/* PSCI 1.1 + SMCCC 1.1 per VM: the vCPU power-state machine (OFF -> ON_PENDING -> ON -> OFF) and discovery calls. */
#include <stdbool.h>
#include <stddef.h>

#include "faults.h"
#include "psci.h"

#define FN_SMCCC_VERSION        0x80000000u
#define FN_SMCCC_ARCH_FEATURES  0x80000001u
#define FN_SMCCC_ARCH_SOC_ID    0x80000002u
#define FN_PSCI_VERSION         0x84000000u
#define FN_CPU_SUSPEND          0x84000001u
#define FN_CPU_OFF              0x84000002u
#define FN_CPU_ON               0x84000003u
#define FN_AFFINITY_INFO        0x84000004u
#define FN_MIGRATE_INFO_TYPE    0x84000006u
#define FN_SYSTEM_OFF           0x84000008u
#define FN_SYSTEM_RESET         0x84000009u
#define FN_PSCI_FEATURES        0x8400000au
#define FN_64BIT                0x40000000u   /* SMC64 calling convention bit */

#define AFFINITY_ON 0
#define AFFINITY_OFF 1
#define AFFINITY_ON_PENDING 2

/* CPU_SUSPEND power_state, original format (PSCI 1.1 5.4.2.1): StateID 15:0, StateType 16, PowerLevel 25:24. */
#define POWER_STATE_TYPE_POWERDOWN (1u << 16)
#define POWER_STATE_VALID_BITS 0x0301ffffu

/* Functions this implementation offers: 32-bit IDs, with a 64-bit variant where the spec has one. */
static const struct offered_function {
	uint32_t fid;
	bool has_64bit;
} offered[] = {
	{ FN_PSCI_VERSION, false }, { FN_CPU_SUSPEND, true }, { FN_CPU_OFF, false },
	{ FN_CPU_ON, true }, { FN_AFFINITY_INFO, true }, { FN_MIGRATE_INFO_TYPE, false },
	{ FN_SYSTEM_OFF, false }, { FN_SYSTEM_RESET, false }, { FN_PSCI_FEATURES, false },
	{ FN_SMCCC_VERSION, false },
};

/* The 32-bit function a call names, or 0 when the ID is not one this implementation offers. */
static uint32_t offered_function(uint32_t fid)
{
	for (unsigned i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
		if (fid == offered[i].fid)
			return fid;
		if (offered[i].has_64bit && fid == (offered[i].fid | FN_64BIT))
			return offered[i].fid;
	}
	return 0;
}

static int64_t psci_features(const struct vm *vm, uint32_t queried)
{
	uint32_t fn = offered_function(queried);
	if (fault_on(vm->faults, FAULT_PSCI_FEATURES_UNKNOWN_SUCCEEDS) && !fn)
		return PSCI_SUCCESS;
	if (!fn)
		return PSCI_NOT_SUPPORTED;
	if (fn == FN_CPU_SUSPEND && fault_on(vm->faults, FAULT_PSCI_FEATURES_NO_CPU_SUSPEND))
		return PSCI_NOT_SUPPORTED;
	if (fn != FN_CPU_SUSPEND)
		return PSCI_SUCCESS;
	/* CPU_SUSPEND: bit 1 = 0, original power_state format; bit 0 = 0, platform-coordinated only. */
	int64_t flags = 0;
	if (fault_on(vm->faults, FAULT_PSCI_FEATURES_RESERVED_FLAG))
		flags |= 1 << 2;
	if (!(queried & FN_64BIT) && fault_on(vm->faults, FAULT_CPU_SUSPEND32_EXTENDED_FORMAT_FLAG))
		flags |= 1 << 1;
	return flags;
}

static int64_t smccc_arch_features(const struct vm *vm, uint32_t queried)
{
	if (queried == FN_SMCCC_VERSION || queried == FN_SMCCC_ARCH_FEATURES)
		return PSCI_SUCCESS;
	if (fault_on(vm->faults, FAULT_SMCCC_ARCH_FEATURES_UNKNOWN_SUCCEEDS))
		return PSCI_SUCCESS;
	if (queried == FN_SMCCC_ARCH_SOC_ID && fault_on(vm->faults, FAULT_SMCCC_SOC_ID_ACCEPTS_ANY_TYPE))
		return PSCI_SUCCESS;
	/* SMCCC_ARCH_WORKAROUND_1/2/3 and everything else: not required here (-1). */
	return PSCI_NOT_SUPPORTED;
}

/* FAULT_CPU_ON_RACE_DOUBLE_SUCCESS: the gap between reading OFF and claiming the CPU (a few ms under TCG). */
#define RACE_WINDOW_SPINS 200000

/* OFF -> ON_PENDING for one caller; the others learn ON_PENDING or ALREADY_ON (-1 when this caller won). */
static int64_t claim_for_start(struct vm *vm, struct vcpu *target)
{
	int expected = VCPU_OFF;
	if (fault_on(vm->faults, FAULT_CPU_ON_RACE_DOUBLE_SUCCESS)) {
		expected = __atomic_load_n(&target->power, __ATOMIC_ACQUIRE);
		if (expected == VCPU_OFF) {
			for (volatile unsigned spin = 0; spin < RACE_WINDOW_SPINS; spin++)
				;
			__atomic_store_n(&target->power, VCPU_ON_PENDING, __ATOMIC_RELEASE);
			return -1;
		}
	} else if (__atomic_compare_exchange_n(&target->power, &expected, VCPU_ON_PENDING, false, __ATOMIC_ACQ_REL,
					       __ATOMIC_ACQUIRE)) {
		return -1;
	}
	return expected == VCPU_ON_PENDING ? PSCI_ON_PENDING : PSCI_ALREADY_ON;
}

/* FAULT_CPU_ON_LOST_AFTER_CPU_OFF's window: a CPU_ON this soon after the target's CPU_OFF is lost. */
#define LOST_WINDOW_MS 50

static int64_t cpu_on(struct vcpu *caller, bool is64, uint64_t mpidr, uint64_t entry, uint64_t context_id)
{
	struct vm *vm = caller->vm;
	struct vcpu *target = vm_vcpu_by_mpidr(vm, mpidr);

	if (!is64 && fault_on(vm->faults, FAULT_CPU_ON32_NOT_SUPPORTED))
		return PSCI_NOT_SUPPORTED;
	if (!target)
		return fault_on(vm->faults, FAULT_CPU_ON_ACCEPTS_ANY_MPIDR) ? PSCI_SUCCESS
									   : PSCI_INVALID_PARAMETERS;
	if (!vm_ipa_in_ram(vm, entry, 4) || (entry & 3))
		return fault_on(vm->faults, FAULT_CPU_ON_INVALID_ENTRY_INVALID_PARAMETERS) ? PSCI_INVALID_PARAMETERS
											  : PSCI_INVALID_ADDRESS;
	if (fault_on(vm->faults, FAULT_CPU_ON_AFTER_OFF_FAILS) && target->starts &&
	    __atomic_load_n(&target->power, __ATOMIC_ACQUIRE) == VCPU_OFF)
		return PSCI_INTERNAL_FAILURE;
	if (fault_on(vm->faults, FAULT_CPU_ON_LOST_AFTER_CPU_OFF) && caller->index != 0 && target->off_at_ms &&
	    caller->now_ms + 1 - target->off_at_ms < LOST_WINDOW_MS &&
	    __atomic_load_n(&target->power, __ATOMIC_ACQUIRE) == VCPU_OFF)
		return PSCI_SUCCESS;                      /* answered, never started */
	/* Concurrent CPU_ON calls for one target: exactly one wins the OFF -> ON_PENDING step. */
	int64_t lost = claim_for_start(vm, target);
	if (lost != -1)
		return fault_on(vm->faults, FAULT_CPU_ON_ALREADY_ON_SUCCEEDS) ? PSCI_SUCCESS : lost;
	target->entry = entry;
	/* FAULT_CPU_ON_ENTRY_EL0: the target starts at EL0, and its first EL1-only instruction traps to the
	 * caller's vectors (a fresh CPU has none of its own), where the guest can see where it was entered. */
	target->entry_vbar = fault_on(vm->faults, FAULT_CPU_ON_ENTRY_EL0) ? caller->vbar_el1 : 0;
	target->context_id = fault_on(vm->faults, FAULT_CPU_ON_DROPS_CONTEXT_ID) ? 0 : context_id;
	if (fault_on(vm->faults, FAULT_CPU_ON_TRUNCATES_CONTEXT_ID))
		target->context_id &= 0xffffffffULL;
	/* starts counts the entries so far: this CPU_ON makes the (starts + 1)th. */
	if (fault_on(vm->faults, FAULT_CPU_ON_AFTER_OFF_LOSES_CONTEXT_ID) && (target->starts + 1) % 500 == 0)
		target->context_id = 0;
	__atomic_store_n(&target->start_requested, 1, __ATOMIC_RELEASE);
	return PSCI_SUCCESS;
}

int vcpu_take_start(struct vcpu *v, uint64_t *entry, uint64_t *context_id)
{
	int one = 1;
	if (!__atomic_compare_exchange_n(&v->start_requested, &one, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return 0;
	*entry = v->entry;
	*context_id = v->context_id;
	v->starts++;
	__atomic_store_n(&v->power, VCPU_ON, __ATOMIC_RELEASE);
	return 1;
}

static int64_t affinity_info(struct vcpu *caller, bool is64, uint64_t mpidr, uint64_t lowest_level)
{
	struct vm *vm = caller->vm;
	struct vcpu *target = vm_vcpu_by_mpidr(vm, mpidr);

	if (lowest_level > 3 && fault_on(vm->faults, FAULT_AFFINITY_INFO_INVALID_LEVEL_ACCEPTED))
		lowest_level = 0;
	if (lowest_level >= 1 && lowest_level <= 3 && fault_on(vm->faults, FAULT_AFFINITY_INFO_ABOVE_LEVEL0_ALWAYS_ON))
		return AFFINITY_ON;
	if (!target && lowest_level == 0 && fault_on(vm->faults, FAULT_AFFINITY_INFO_ABSENT_CPU_OFF))
		return AFFINITY_OFF;
	/* Only affinity level 0 (one CPU) is described by this platform. */
	if (!target || lowest_level != 0)
		return PSCI_INVALID_PARAMETERS;
	if (fault_on(vm->faults, FAULT_AFFINITY_INFO_ALWAYS_ON))
		return AFFINITY_ON;
	if (fault_on(vm->faults, FAULT_AFFINITY_INFO_ALWAYS_OFF))
		return AFFINITY_OFF;
	if (!is64 && fault_on(vm->faults, FAULT_AFFINITY_INFO32_ALWAYS_OFF))
		return AFFINITY_OFF;
	if (fault_on(vm->faults, FAULT_AFFINITY_INFO_SUSPENDED_OFF) && __atomic_load_n(&target->suspended, __ATOMIC_ACQUIRE))
		return AFFINITY_OFF;
	int power = __atomic_load_n(&target->power, __ATOMIC_ACQUIRE);
	if (power == VCPU_ON && caller->index != 0 && target != caller &&
	    fault_on(vm->faults, FAULT_AFFINITY_INFO_FLICKERS_OFF) &&
	    __atomic_add_fetch(&vm->affinity_info_calls, 1, __ATOMIC_ACQ_REL) % 4 == 0)
		return AFFINITY_OFF;
	if (power == VCPU_OFF && target->starts == 0 && fault_on(vm->faults, FAULT_AFFINITY_INFO_ON_BEFORE_START))
		return AFFINITY_ON;
	return power == VCPU_ON ? AFFINITY_ON : power == VCPU_ON_PENDING ? AFFINITY_ON_PENDING
									 : AFFINITY_OFF;
}

/* FAULT_STANDBY_DENIED_WHILE_ANOTHER_SUSPENDED: is another vCPU of the caller's VM in standby now? */
static bool another_in_standby(const struct vcpu *caller)
{
	for (int i = 0; i < caller->vm->n_vcpus; i++)
		if (&caller->vm->vcpus[i] != caller && __atomic_load_n(&caller->vm->vcpus[i].suspended, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

#define CPU_OFF_WINDOW_SPINS (25 * RACE_WINDOW_SPINS)

/* FAULT_CONCURRENT_CPU_OFF_LOST: CPU_OFF updates the VM's power states read, wait, write. A CPU_OFF
 * that begins while another vCPU's is inside that window is lost: the earlier caller writes back
 * the states it read, last, with this vCPU still ON. Returns true when the caller's OFF is lost.
 * The window is only opened while another secondary vCPU is ON (only then can a second CPU_OFF
 * come), so the 16384 sequential off/on rounds of psci.cpu_on.after_off stay fast. */
static bool cpu_off_update_lost(struct vcpu *caller)
{
	struct vm *vm = caller->vm;
	bool other_secondary_on = false;
	for (int i = 1; i < vm->n_vcpus; i++)
		if (&vm->vcpus[i] != caller && __atomic_load_n(&vm->vcpus[i].power, __ATOMIC_ACQUIRE) != VCPU_OFF)
			other_secondary_on = true;
	int others = __atomic_fetch_add(&vm->cpu_offs_in_progress, 1, __ATOMIC_ACQ_REL);
	if (!other_secondary_on && !others) {
		__atomic_sub_fetch(&vm->cpu_offs_in_progress, 1, __ATOMIC_ACQ_REL);
		return false;
	}
	/* Wide enough (tens of ms under TCG) for a racer whose host thread waits for a core on a loaded
	 * machine; it closes as soon as a second CPU_OFF has begun. */
	for (volatile unsigned spin = 0; spin < CPU_OFF_WINDOW_SPINS; spin++)
		if (!others && __atomic_load_n(&vm->cpu_offs_in_progress, __ATOMIC_ACQUIRE) > 1)
			break;
	__atomic_sub_fetch(&vm->cpu_offs_in_progress, 1, __ATOMIC_ACQ_REL);
	return others > 0;
}

static void cpu_suspend(struct vcpu *caller, bool is64, uint64_t power_state, uint64_t entry, uint64_t context_id,
			struct psci_result *r)
{
	struct fault_set faults = caller->vm->faults;
	if (fault_on(faults, is64 ? FAULT_CPU_SUSPEND_IGNORES_RESERVED_BITS : FAULT_CPU_SUSPEND32_IGNORES_RESERVED_BITS))
		power_state &= POWER_STATE_VALID_BITS;
	if (power_state & ~(uint64_t)POWER_STATE_VALID_BITS || ((power_state >> 24) & 3) != 0) {
		r->value = PSCI_INVALID_PARAMETERS;     /* only power level 0 (this core) exists */
		return;
	}
	if (!(power_state & POWER_STATE_TYPE_POWERDOWN) && (fault_on(faults, FAULT_CPU_SUSPEND_REJECTS_STANDBY) ||
	    (!is64 && fault_on(faults, FAULT_CPU_SUSPEND32_REJECTS_STANDBY)))) {
		r->value = PSCI_INVALID_PARAMETERS;
		return;
	}
	if (!(power_state & POWER_STATE_TYPE_POWERDOWN) &&
	    fault_on(faults, FAULT_STANDBY_DENIED_WHILE_ANOTHER_SUSPENDED) && another_in_standby(caller)) {
		r->value = PSCI_DENIED;                 /* PSCI 1.1: DENIED only exists in OS-initiated mode */
		return;
	}
	if (!(power_state & POWER_STATE_TYPE_POWERDOWN)) {
		/* Standby: returns when a wake-up event (an interrupt for this vCPU) is pending. */
		r->action = PSCI_ACTION_STANDBY;
		r->value = PSCI_SUCCESS;
		return;
	}
	if (!vm_ipa_in_ram(caller->vm, entry, 4) || (entry & 3)) {
		r->value = PSCI_INVALID_ADDRESS;
		return;
	}
	if (!is64 && fault_on(faults, FAULT_CPU_SUSPEND32_POWERDOWN_DENIED)) {
		r->value = PSCI_DENIED;
		return;
	}
	/* Power-down with immediate wake-up: context is lost, execution resumes at entry. */
	r->action = PSCI_ACTION_VCPU_RESTART;
	r->entry = entry;
	r->context_id = fault_on(faults, FAULT_CPU_SUSPEND_POWERDOWN_DROPS_CONTEXT_ID) ? 0 : context_id;
}

void smccc_handle(struct vcpu *caller, const uint64_t x[4], struct psci_result *r)
{
	struct vm *vm = caller->vm;
	uint32_t fid = (uint32_t)x[0];
	bool is64 = fid & FN_64BIT;
	/* SMC32/HVC32: arguments are the low 32 bits (W registers). */
	uint64_t a1 = is64 ? x[1] : (uint32_t)x[1];
	uint64_t a2 = is64 ? x[2] : (uint32_t)x[2];
	uint64_t a3 = is64 ? x[3] : (uint32_t)x[3];

	r->action = PSCI_ACTION_RETURN;
	r->value = PSCI_NOT_SUPPORTED;
	r->woken = NULL;
	if (offered_function(fid) == 0) {
		if (fid == FN_SMCCC_ARCH_FEATURES)
			r->value = smccc_arch_features(vm, (uint32_t)a1);
		else if (fid == FN_SMCCC_ARCH_SOC_ID && fault_on(vm->faults, FAULT_SMCCC_SOC_ID_ACCEPTS_ANY_TYPE))
			r->value = 0;      /* any SoC_ID_type, even the undefined ones */
		else
			r->value = smccc_unimplemented(vm->faults, fid);   /* NOT_SUPPORTED (-1), SMCCC 1.1 */
		return;
	}
	switch (offered_function(fid)) {
	case FN_SMCCC_VERSION:
		r->value = fault_on(vm->faults, FAULT_SMCCC_VERSION_1_0) ? 0x10000 : SMCCC_VERSION_1_1;
		break;
	case FN_PSCI_VERSION:
		r->value = fault_on(vm->faults, FAULT_PSCI_VERSION_0_2) ? 0x2 : PSCI_VERSION_1_1;
		break;
	case FN_PSCI_FEATURES:
		r->value = psci_features(vm, (uint32_t)a1);
		break;
	case FN_MIGRATE_INFO_TYPE:
		/* 2: no Trusted OS present (or none that needs migration). */
		r->value = fault_on(vm->faults, FAULT_MIGRATE_INFO_TYPE_INVALID) ? 3 : 2;
		break;
	case FN_CPU_ON:
		r->value = cpu_on(caller, is64, a1, a2, a3);
		if (r->value == PSCI_SUCCESS) {
			r->action = PSCI_ACTION_WAKE;
			r->woken = vm_vcpu_by_mpidr(vm, a1);   /* NULL when a fault switch accepted any MPIDR */
		}
		break;
	case FN_AFFINITY_INFO:
		r->value = affinity_info(caller, is64, a1, a2);
		break;
	case FN_CPU_OFF:
		if (fault_on(vm->faults, FAULT_CPU_OFF_RETURNS)) {
			r->value = PSCI_DENIED;
			break;
		}
		caller->off_at_ms = caller->now_ms + 1;
		r->action = PSCI_ACTION_VCPU_OFF;
		if (fault_on(vm->faults, FAULT_CONCURRENT_CPU_OFF_LOST) && cpu_off_update_lost(caller))
			break;                            /* parked, yet ON for everyone else */
		__atomic_store_n(&caller->power, VCPU_OFF, __ATOMIC_RELEASE);
		break;
	case FN_CPU_SUSPEND:
		cpu_suspend(caller, is64, a1, a2, a3, r);
		break;
	case FN_SYSTEM_OFF:
		if (fault_on(vm->faults, FAULT_SYSTEM_OFF_IGNORED)) {
			r->value = PSCI_SUCCESS;
			break;
		}
		r->action = PSCI_ACTION_VM_OFF;
		break;
	case FN_SYSTEM_RESET:
		r->action = fault_on(vm->faults, FAULT_SYSTEM_RESET_POWERS_OFF) ? PSCI_ACTION_VM_OFF
										   : PSCI_ACTION_VM_RESET;
		break;
	}
}
