/* CPU_SUSPEND: standby on the boot CPU (woken by its timer), SMC32 standby, reserved power_state bits, power-down with resume at the entry point. */
#include "psci_common.h"

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))
#define WAKE_AFTER_MS 5

static bool extended_format(void)
{
	int64_t f = psci_features(PSCI_FN_CPU_SUSPEND64);
	return f >= 0 && (f & PSCI_FEATURE_EXTENDED_STATE);
}

/* Arms this CPU's virtual timer as a wake-up source (IRQs stay masked); NULL if there is none. */
static const char *arm_wakeup(unsigned *intid)
{
	*intid = gic_virtual_timer_intid();
	const char *gic = *intid ? gic_enable_ppi(*intid) : NULL;
	if (gic) {
		write_sysreg(cntv_tval_el0, timer_freq() / 1000 * WAKE_AFTER_MS);
		write_sysreg(cntv_ctl_el0, 1);   /* enabled, interrupt not masked at the timer */
		isb();
	}
	return gic;
}

static void disarm_wakeup(void)
{
	write_sysreg(cntv_ctl_el0, 2);   /* IMASK: drop the wake-up line */
	isb();
}

PROBE_CASE(cpu_suspend_standby, "psci.cpu_suspend.standby",
	   AVPS_CHECKS("CPU_SUSPEND64 (DEN0022D CPU_SUSPEND) to a standby state waits for the wake-up interrupt and returns SUCCESS"),
	   "AVPS.POWER.1")
static void cpu_suspend_standby(void)
{
	int64_t f = psci_features(PSCI_FN_CPU_SUSPEND64);
	if (!probe_check(f >= 0, "PSCI_FEATURES(CPU_SUSPEND64) = %lld", (long long)f))
		return;
	unsigned intid;
	const char *gic = arm_wakeup(&intid);
	if (!gic) {
		probe_error("no wake-up source: virtual timer INTID %u, GIC not set up", intid);
		return;
	}
	/* power_state 0: standby, power level 0, StateID 0, in both formats. */
	uint64_t t0 = timer_count();
	int64_t r = smccc_call(PSCI_FN_CPU_SUSPEND64, 0, secondary_entry_address(), 0);
	uint64_t t1 = timer_count();
	disarm_wakeup();
	probe_diag("CPU_SUSPEND(standby) returned %lld after %llu us (%s INTID %u, format %s)",
		   (long long)r, (unsigned long long)timer_us(t1 - t0), gic, intid,
		   (f & 2) ? "extended" : "original");
	probe_check(r == PSCI_SUCCESS, "CPU_SUSPEND(standby): expected SUCCESS, got %lld (%s)",
		    (long long)r, psci_error_name(r));
}

/* Runs on a secondary: CPU_SUSPEND(fid, power_state) with the timer as wake-up source. */
static uint32_t suspend_fid;
static int64_t suspend_with_timer(uint64_t power_state)
{
	unsigned intid;
	arm_wakeup(&intid);
	int slot = 0;
	for (int i = 0; i < n_secondaries; i++)
		if (secondary_mpidr[i] == cpu_mpidr())
			slot = i;
	int64_t r = smccc_call(suspend_fid, power_state, secondary_entry_address(), context_for(slot) ^ 0xff);
	disarm_wakeup();
	return r;
}

/* Makes CPU_SUSPEND(fid, power_state) on a running secondary; *reentered when it resumed at the
 * entry point. Returns false (and says why) when it could not be made or never came back. */
static bool suspend_on_secondary(uint32_t fid, uint32_t power_state, int64_t *result, bool *reentered,
				 int *slot_out)
{
	find_secondaries();
	int slot = pick_running(-1);
	if (slot < 0) {
		probe_skip("no secondary CPU to suspend behind the per-call watchdog");
		return false;
	}
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t entries = s->entries;
	suspend_fid = fid;
	secondary_prepare_entry(slot);
	*reentered = false;
	*slot_out = slot;
	if (secondary_run(slot, suspend_with_timer, power_state, CALL_TIMEOUT_MS, result))
		return true;
	if (WAIT_FOR(s->entries != entries && s->state == SECONDARY_RUNNING, 10)) {
		*reentered = true;
		*result = PSCI_SUCCESS;
		return true;
	}
	secondary_lost[slot] = true;
	probe_check(false, "CPU_SUSPEND(0x%x) on CPU 0x%llx: neither returned nor resumed at the entry "
		    "point within %d ms", power_state, (unsigned long long)secondary_mpidr[slot], CALL_TIMEOUT_MS);
	return false;
}

PROBE_CASE(cpu_suspend_standby32, "psci.cpu_suspend.smc32_standby",
	   AVPS_CHECKS("CPU_SUSPEND32 (DEN0022D CPU_SUSPEND; DEN0028 SMC32) to standby on a secondary returns SUCCESS after its timer fires"),
	   "AVPS.POWER.1")
static void cpu_suspend_standby32(void)
{
	uint32_t fid = psci_function_table[PSCI_CPU_SUSPEND].fid32;
	if (psci_features(fid) < 0) {
		probe_skip("PSCI_FEATURES does not offer CPU_SUSPEND32");
		return;
	}
	int64_t r;
	bool reentered;
	int slot;
	if (!suspend_on_secondary(fid, 0, &r, &reentered, &slot))
		return;
	probe_check(!reentered && r == PSCI_SUCCESS, "CPU_SUSPEND32(standby): expected SUCCESS, got %lld (%s)%s",
		    (long long)r, psci_error_name(r), reentered ? ", resumed at the entry point" : "");
}

PROBE_CASE(cpu_suspend_reserved_bits, "psci.cpu_suspend.invalid_power_state",
	   AVPS_CHECKS("CPU_SUSPEND (DEN0022D CPU_SUSPEND, power_state) rejects a power_state with reserved bits of the format PSCI_FEATURES selects: INVALID_PARAMETERS"),
	   "AVPS.POWER.1")
static void cpu_suspend_reserved_bits(void)
{
	bool ext = extended_format();
	/* Original format: bit 30 (StateType in the extended one) and bit 17 are reserved;
	 * extended format: bits 31 and 28. */
	const uint32_t values[2] = { ext ? 0x80000000u : 0x40000000u, ext ? 0x10000000u : 0x00020000u };
	for (int i = 0; i < 2; i++) {
		struct psci_power_state decoded;
		if (psci_power_state_decode(ext, values[i], &decoded))
			continue;   /* not reserved after all: the table says so */
		int64_t r;
		bool reentered;
		int slot;
		if (!suspend_on_secondary(PSCI_FN_CPU_SUSPEND64, values[i], &r, &reentered, &slot))
			return;
		probe_check(!reentered && r == PSCI_INVALID_PARAMETERS, "CPU_SUSPEND(0x%08x, %s format): reserved "
			    "bits set, expected INVALID_PARAMETERS (-2), got %lld (%s)%s", values[i],
			    ext ? "extended" : "original", (long long)r, psci_error_name(r),
			    reentered ? ", the CPU powered down" : "");
	}
}

PROBE_CASE(cpu_suspend_format_flags, "psci.cpu_suspend.format_flags",
	   AVPS_CHECKS("PSCI_FEATURES(CPU_SUSPEND) (DEN0022D PSCI_FEATURES) gives the same power_state format and OS-initiated flags for SMC32 and SMC64"),
	   "AVPS.POWER.1")
static void cpu_suspend_format_flags(void)
{
	int64_t f64 = psci_features(PSCI_FN_CPU_SUSPEND64);
	int64_t f32 = psci_features(psci_function_table[PSCI_CPU_SUSPEND].fid32);
	probe_diag("PSCI_FEATURES(CPU_SUSPEND64) = %lld, (CPU_SUSPEND32) = %lld", (long long)f64, (long long)f32);
	if (f32 < 0) {
		probe_skip("CPU_SUSPEND32 not offered: nothing to compare");
		return;
	}
	probe_check(f64 >= 0 && (f64 & PSCI_FEATURE_CPU_SUSPEND_MASK) == (f32 & PSCI_FEATURE_CPU_SUSPEND_MASK),
		    "CPU_SUSPEND flags differ between SMC64 (0x%llx) and SMC32 (0x%llx)",
		    (unsigned long long)f64, (unsigned long long)f32);
}

PROBE_CASE(cpu_suspend_powerdown, "psci.cpu_suspend.powerdown",
	   AVPS_CHECKS("CPU_SUSPEND (DEN0022D CPU_SUSPEND) to a power-down state wakes on the timer: it resumes at the entry point with x0 = context_id, MMU off, same EL and MPIDR, or returns SUCCESS"),
	   "AVPS.POWER.1")
static void cpu_suspend_powerdown(void)
{
	struct psci_power_state want = { PSCI_STATE_POWERDOWN, 0, 0 };
	uint32_t ps = psci_power_state_encode(extended_format(), &want);
	int64_t r;
	bool reentered;
	int slot;
	if (!suspend_on_secondary(PSCI_FN_CPU_SUSPEND64, ps, &r, &reentered, &slot))
		return;
	struct secondary_slot *s = &secondary_slots[slot];
	if (!reentered) {
		probe_diag("CPU_SUSPEND(power-down 0x%x) returned %lld (%s): the CPU did not lose its context",
			   ps, (long long)r, psci_error_name(r));
		probe_check(r == PSCI_SUCCESS || r == PSCI_INVALID_PARAMETERS,
			    "CPU_SUSPEND(power-down): expected the entry point, SUCCESS or INVALID_PARAMETERS "
			    "(no such state), got %lld (%s)", (long long)r, psci_error_name(r));
		return;
	}
	probe_diag("CPU 0x%llx resumed at the entry point after CPU_SUSPEND(power-down)",
		   (unsigned long long)s->mpidr);
	probe_check(s->context_id == (context_for(slot) ^ 0xff), "resume: x0 = 0x%llx, expected the context_id "
		    "0x%llx", (unsigned long long)s->context_id, (unsigned long long)(context_for(slot) ^ 0xff));
	probe_check(s->mpidr == secondary_mpidr[slot], "resume: MPIDR 0x%llx", (unsigned long long)s->mpidr);
	probe_check(s->entry_el == probe_entry_el, "resume at EL%llu, expected EL%llu",
		    (unsigned long long)s->entry_el, (unsigned long long)probe_entry_el);
	probe_check(!(s->entry_sctlr & 5), "resume with SCTLR 0x%llx (MMU or data cache on)",
		    (unsigned long long)s->entry_sctlr);
}

PROBE_CASE(cpu_suspend_reserved_bits32, "psci.cpu_suspend.smc32_invalid_power_state",
	   AVPS_CHECKS("CPU_SUSPEND32 (DEN0022D CPU_SUSPEND; DEN0028 SMC32) rejects a power_state with a reserved bit of the selected format: INVALID_PARAMETERS"),
	   "AVPS.POWER.1")
static void cpu_suspend_reserved_bits32(void)
{
	uint32_t fid = psci_function_table[PSCI_CPU_SUSPEND].fid32;
	if (psci_features(fid) < 0) {
		probe_skip("PSCI_FEATURES does not offer CPU_SUSPEND32");
		return;
	}
	bool ext = extended_format();
	uint32_t value = ext ? 0x80000000u : 0x40000000u;
	int64_t r;
	bool reentered;
	int slot;
	if (!suspend_on_secondary(fid, value, &r, &reentered, &slot))
		return;
	probe_check(!reentered && r == PSCI_INVALID_PARAMETERS, "CPU_SUSPEND32(0x%08x, %s format): expected "
		    "INVALID_PARAMETERS (-2), got %lld (%s)", value, ext ? "extended" : "original", (long long)r,
		    psci_error_name(r));
}

PROBE_CASE(cpu_suspend_powerdown32, "psci.cpu_suspend.smc32_powerdown",
	   AVPS_CHECKS("CPU_SUSPEND32 (DEN0022D CPU_SUSPEND; DEN0028 SMC32) to a power-down state wakes on the timer: resumes at the entry point with x0 = context_id, or returns SUCCESS"),
	   "AVPS.POWER.1")
static void cpu_suspend_powerdown32(void)
{
	uint32_t fid = psci_function_table[PSCI_CPU_SUSPEND].fid32;
	if (psci_features(fid) < 0) {
		probe_skip("PSCI_FEATURES does not offer CPU_SUSPEND32");
		return;
	}
	struct psci_power_state want = { PSCI_STATE_POWERDOWN, 0, 0 };
	uint32_t ps = psci_power_state_encode(extended_format(), &want);
	int64_t r;
	bool reentered;
	int slot;
	if (!suspend_on_secondary(fid, ps, &r, &reentered, &slot))
		return;
	struct secondary_slot *s = &secondary_slots[slot];
	if (!reentered) {
		probe_check(r == PSCI_SUCCESS || r == PSCI_INVALID_PARAMETERS, "CPU_SUSPEND32(power-down): expected "
			    "the entry point, SUCCESS or INVALID_PARAMETERS, got %lld (%s)", (long long)r,
			    psci_error_name(r));
		return;
	}
	/* SMC32: context_id is 32 bits wide. */
	probe_check((s->context_id & 0xffffffffULL) == ((context_for(slot) ^ 0xff) & 0xffffffffULL),
		    "resume: x0 = 0x%llx, expected the low 32 bits of 0x%llx", (unsigned long long)s->context_id,
		    (unsigned long long)(context_for(slot) ^ 0xff));
}
