/* Optional PSCI 1.1 functions: offered by PSCI_FEATURES -> the call behaves; not offered -> the call returns NOT_SUPPORTED. */
#include "psci_common.h"

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))
#define WAKE_AFTER_MS 5

/* Calls fid with the case's arguments on the boot CPU, or on a secondary behind the per-call
 * watchdog when the call could stop the calling CPU. Returns false if it never returned. */
struct optional_call {
	uint32_t fid;
	uint64_t a1, a2, a3;
};
static struct optional_call pending_call;

static int64_t call_on_secondary(uint64_t unused)
{
	(void)unused;
	/* A wake-up source, in case the call really enters a standby state. */
	unsigned intid = gic_virtual_timer_intid();
	if (intid && gic_enable_ppi(intid)) {
		write_sysreg(cntv_tval_el0, timer_freq() / 1000 * WAKE_AFTER_MS);
		write_sysreg(cntv_ctl_el0, 1);
		isb();
	}
	int64_t r = smccc_call(pending_call.fid, pending_call.a1, pending_call.a2, pending_call.a3);
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	return r;
}

static bool call_function(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3, bool on_secondary,
			  int64_t *result)
{
	if (!on_secondary) {
		*result = smccc_call(fid, a1, a2, a3);
		return true;
	}
	int slot = pick_running(-1);
	if (slot < 0) {
		probe_skip("no secondary CPU to make this call on behind the per-call watchdog");
		return false;
	}
	pending_call = (struct optional_call){ fid, a1, a2, a3 };
	uint64_t entries = secondary_slots[slot].entries;
	if (secondary_run(slot, call_on_secondary, 0, CALL_TIMEOUT_MS, result))
		return true;
	if (secondary_slots[slot].entries != entries) {
		probe_diag("0x%x: the CPU re-entered at the entry point (powered down and woke)", fid);
		*result = PSCI_SUCCESS;
		return true;
	}
	secondary_lost[slot] = true;
	probe_check(false, "0x%x on CPU 0x%llx did not return within %d ms", fid,
		    (unsigned long long)secondary_mpidr[slot], CALL_TIMEOUT_MS);
	return false;
}

/* Both variants of f: PSCI_FEATURES against the call. Returns how many variants are offered. */
static int check_variants(enum psci_function f, uint64_t a1, uint64_t a2, uint64_t a3, bool on_secondary,
			  int64_t results[2])
{
	const struct psci_function_info *info = &psci_function_table[f];
	uint32_t ids[2] = { info->fid32, info->fid64 };
	int offered = 0;
	char name[40];

	for (int k = 0; k < 2; k++) {
		results[k] = PSCI_NOT_SUPPORTED;
		if (!ids[k])
			continue;
		psci_fid_name(ids[k], name, sizeof(name));
		int64_t feature = psci_features(ids[k]);
		int64_t r = 0;
		if (!call_function(ids[k], a1, a2, a3, on_secondary, &r))
			continue;
		results[k] = r;
		if (feature >= 0) {
			offered++;
			probe_check(r != PSCI_NOT_SUPPORTED, "PSCI_FEATURES offers %s, yet the call "
				    "returned NOT_SUPPORTED", name);
		} else {
			probe_check(r == PSCI_NOT_SUPPORTED, "PSCI_FEATURES says %s is not offered "
				    "(%lld), yet the call returned %lld (%s)", name, (long long)feature,
				    (long long)r, psci_error_name(r));
		}
	}
	if (!offered)
		probe_diag("%s: not offered, and the call says NOT_SUPPORTED", info->name);
	return offered;
}

PROBE_CASE(optional_cpu_freeze, "psci.optional.cpu_freeze",
	   AVPS_CHECKS("CPU_FREEZE (DEN0022D CPU_FREEZE, PSCI_FEATURES) is offered exactly when calling it does not return NOT_SUPPORTED; made on a secondary behind a watchdog"),
	   "AVPS.POWER.1")
static void optional_cpu_freeze(void)
{
	int64_t r[2];
	find_secondaries();
	check_variants(PSCI_CPU_FREEZE, 0, 0, 0, true, r);
}

PROBE_CASE(optional_cpu_default_suspend, "psci.optional.cpu_default_suspend",
	   AVPS_CHECKS("CPU_DEFAULT_SUSPEND (DEN0022D CPU_DEFAULT_SUSPEND, PSCI_FEATURES): offered -> suspends and wakes (SUCCESS or entry point), absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_cpu_default_suspend(void)
{
	int64_t r[2];
	find_secondaries();
	int slot = pick_running(-1);
	if (slot >= 0)
		secondary_prepare_entry(slot);
	if (check_variants(PSCI_CPU_DEFAULT_SUSPEND, secondary_entry_address(), context_for(slot < 0 ? 0 : slot),
			   0, true, r))
		for (int k = 0; k < 2; k++)
			probe_check(r[k] == PSCI_SUCCESS || r[k] == PSCI_NOT_SUPPORTED,
				    "CPU_DEFAULT_SUSPEND: expected SUCCESS after wake-up, got %lld (%s)",
				    (long long)r[k], psci_error_name(r[k]));
}

PROBE_CASE(optional_node_hw_state, "psci.optional.node_hw_state",
	   AVPS_CHECKS("NODE_HW_STATE (DEN0022D NODE_HW_STATE, PSCI_FEATURES): offered -> HW_ON for the caller and INVALID_PARAMETERS for an absent CPU, absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_node_hw_state(void)
{
	int64_t r[2];
	if (!check_variants(PSCI_NODE_HW_STATE, cpu_mpidr(), 0, 0, false, r))
		return;
	int64_t on = smccc_call(psci_fid_native(PSCI_NODE_HW_STATE), cpu_mpidr(), 0, 0);
	probe_check(on == 0, "NODE_HW_STATE(caller, level 0): expected HW_ON (0), got %lld", (long long)on);
	int64_t bad = smccc_call(psci_fid_native(PSCI_NODE_HW_STATE), BAD_MPIDR, 0, 0);
	probe_check(bad == PSCI_INVALID_PARAMETERS, "NODE_HW_STATE(0x%llx): expected INVALID_PARAMETERS, "
		    "got %lld", BAD_MPIDR, (long long)bad);
}

PROBE_CASE(optional_system_suspend, "psci.optional.system_suspend",
	   AVPS_CHECKS("SYSTEM_SUSPEND (DEN0022D SYSTEM_SUSPEND, PSCI_FEATURES): offered -> DENIED while another CPU runs, absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_system_suspend(void)
{
	int64_t r[2];
	find_secondaries();
	if (pick_running(-1) < 0) {
		probe_skip("needs a running secondary CPU (SYSTEM_SUSPEND with every other CPU off "
			   "would suspend the whole VM)");
		return;
	}
	if (check_variants(PSCI_SYSTEM_SUSPEND, secondary_entry_address(), 0, 0, false, r))
		for (int k = 0; k < 2; k++)
			probe_check(r[k] == PSCI_DENIED || r[k] == PSCI_NOT_SUPPORTED,
				    "SYSTEM_SUSPEND with a secondary running: expected DENIED, got %lld (%s)",
				    (long long)r[k], psci_error_name(r[k]));
}

PROBE_CASE(optional_set_suspend_mode, "psci.optional.set_suspend_mode",
	   AVPS_CHECKS("PSCI_SET_SUSPEND_MODE (DEN0022D PSCI_SET_SUSPEND_MODE, PSCI_FEATURES) is offered exactly when CPU_SUSPEND's OS-initiated flag is set, and accepts platform-coordinated mode"),
	   "AVPS.POWER.1")
static void optional_set_suspend_mode(void)
{
	int64_t r[2];
	int64_t flags = psci_features(PSCI_FN_CPU_SUSPEND64);
	int offered = check_variants(PSCI_SET_SUSPEND_MODE, 0, 0, 0, false, r);
	bool osi = flags >= 0 && (flags & PSCI_FEATURE_OSI_MODE);
	probe_check(osi == (offered > 0), "PSCI_FEATURES(CPU_SUSPEND) OS-initiated flag is %d, yet "
		    "PSCI_SET_SUSPEND_MODE is %s", osi, offered ? "offered" : "not offered");
	if (offered)
		probe_check(r[0] == PSCI_SUCCESS, "PSCI_SET_SUSPEND_MODE(platform-coordinated): expected "
			    "SUCCESS, got %lld (%s)", (long long)r[0], psci_error_name(r[0]));
}

PROBE_CASE(optional_stat_residency, "psci.optional.stat_residency",
	   AVPS_CHECKS("PSCI_STAT_RESIDENCY (DEN0022D PSCI_STAT_RESIDENCY, PSCI_FEATURES) is offered exactly when calling it does not return NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_stat_residency(void)
{
	int64_t r[2];
	check_variants(PSCI_STAT_RESIDENCY, cpu_mpidr(), 0, 0, false, r);
}

PROBE_CASE(optional_stat_count, "psci.optional.stat_count",
	   AVPS_CHECKS("PSCI_STAT_COUNT (DEN0022D PSCI_STAT_COUNT, PSCI_FEATURES) is offered exactly when calling it does not return NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_stat_count(void)
{
	int64_t r[2];
	check_variants(PSCI_STAT_COUNT, cpu_mpidr(), 0, 0, false, r);
}

PROBE_CASE(optional_system_reset2, "psci.optional.system_reset2",
	   AVPS_CHECKS("SYSTEM_RESET2 (DEN0022D SYSTEM_RESET2, PSCI_FEATURES): offered -> a reserved architectural reset type is INVALID_PARAMETERS, absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_system_reset2(void)
{
	int64_t r[2];
	/* reset_type 1: architectural (bit 31 clear) and reserved; only 0 (warm reset) is defined. */
	if (check_variants(PSCI_SYSTEM_RESET2, 1, 0, 0, false, r))
		for (int k = 0; k < 2; k++)
			probe_check(r[k] == PSCI_INVALID_PARAMETERS || r[k] == PSCI_NOT_SUPPORTED,
				    "SYSTEM_RESET2(reserved type 1): expected INVALID_PARAMETERS, got %lld (%s)",
				    (long long)r[k], psci_error_name(r[k]));
}

PROBE_CASE(optional_mem_protect, "psci.optional.mem_protect",
	   AVPS_CHECKS("MEM_PROTECT (DEN0022D MEM_PROTECT, PSCI_FEATURES): offered -> returns the previous state (0 or 1), absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_mem_protect(void)
{
	int64_t r[2];
	if (!check_variants(PSCI_MEM_PROTECT, 0, 0, 0, false, r))
		return;
	/* The first call disabled protection; a second returns that (0), then the old state is restored. */
	int64_t now = smccc_call(psci_fid_native(PSCI_MEM_PROTECT), (uint64_t)(r[0] == 1), 0, 0);
	probe_check(r[0] == 0 || r[0] == 1, "MEM_PROTECT: expected the previous state 0 or 1, got %lld",
		    (long long)r[0]);
	probe_check(now == 0, "MEM_PROTECT after disabling: expected previous state 0, got %lld", (long long)now);
}

PROBE_CASE(optional_mem_protect_check_range, "psci.optional.mem_protect_check_range",
	   AVPS_CHECKS("MEM_PROTECT_CHECK_RANGE (DEN0022D MEM_PROTECT_CHECK_RANGE, PSCI_FEATURES): offered -> SUCCESS or DENIED for RAM, absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_mem_protect_check_range(void)
{
	int64_t r[2];
	uint64_t base = secondary_entry_address() & ~0xfffULL;
	if (check_variants(PSCI_MEM_PROTECT_CHECK_RANGE, base, 0x1000, 0, false, r))
		for (int k = 0; k < 2; k++)
			probe_check(r[k] == PSCI_SUCCESS || r[k] == PSCI_DENIED || r[k] == PSCI_NOT_SUPPORTED,
				    "MEM_PROTECT_CHECK_RANGE(image page): expected SUCCESS or DENIED, got %lld",
				    (long long)r[k]);
}

PROBE_CASE(optional_migrate, "psci.optional.migrate",
	   AVPS_CHECKS("MIGRATE (DEN0022D MIGRATE, PSCI_FEATURES) is offered exactly when calling it does not return NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_migrate(void)
{
	int64_t r[2];
	/* An absent CPU as target: an implementation answers INVALID_PARAMETERS, moving nothing. */
	check_variants(PSCI_MIGRATE, BAD_MPIDR, 0, 0, false, r);
}

PROBE_CASE(optional_migrate_info_up_cpu, "psci.optional.migrate_info_up_cpu",
	   AVPS_CHECKS("MIGRATE_INFO_UP_CPU (DEN0022D MIGRATE_INFO_UP_CPU, PSCI_FEATURES) is offered exactly when calling it does not return NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void optional_migrate_info_up_cpu(void)
{
	int64_t r[2];
	check_variants(PSCI_MIGRATE_INFO_UP_CPU, 0, 0, 0, false, r);
}
