/* CPU_SUSPEND seen from other CPUs and with a pending wake-up: a suspended CPU is ON, concurrent standby, unknown PSCI IDs called. */
#include "psci_common.h"

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))
#define LONG_SLEEP_MS 300

static volatile int sleeper_in_call;

/* On a secondary: standby until its own timer fires after `ms`. */
static int64_t standby_for(uint64_t ms)
{
	unsigned intid = gic_virtual_timer_intid();
	if (!intid || !gic_enable_ppi(intid))
		return -100;
	write_sysreg(cntv_tval_el0, timer_freq() / 1000 * ms);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	sleeper_in_call = 1;
	dsb_sy();
	int64_t r = smccc_call(PSCI_FN_CPU_SUSPEND64, 0, secondary_entry_address(), 0);
	sleeper_in_call = 0;
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	return r;
}

PROBE_CASE(suspended_is_on, "psci.cpu_suspend.suspended_cpu_is_on",
	   AVPS_CHECKS("A CPU in CPU_SUSPEND standby is ON for other CPUs (DEN0022D AFFINITY_INFO, CPU_ON): AFFINITY_INFO says ON, CPU_ON says ALREADY_ON, then it returns SUCCESS"),
	   "AVPS.POWER.1")
static void suspended_is_on(void)
{
	find_secondaries();
	int slot = pick_running(-1);
	if (slot < 0) {
		probe_skip("no secondary CPU to suspend");
		return;
	}
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t before = s->runs_done;
	sleeper_in_call = 0;
	s->run_fn = standby_for;
	secondary_command(slot, SECONDARY_RUN, LONG_SLEEP_MS);
	if (!probe_check(WAIT_FOR(sleeper_in_call, 500), "the secondary never reached CPU_SUSPEND"))
		return;
	/* Give it time to enter standby; the timer wakes it LONG_SLEEP_MS after arming. */
	WAIT_FOR(false, 20);
	int64_t a = affinity_info(secondary_mpidr[slot], 0);
	int64_t on = smccc_call(PSCI_FN_CPU_ON64, secondary_mpidr[slot], secondary_entry_address(), 0);
	bool still = sleeper_in_call;
	probe_check(a == PSCI_AFFINITY_ON, "AFFINITY_INFO(suspended 0x%llx): expected ON (0), got %lld",
		    (unsigned long long)secondary_mpidr[slot], (long long)a);
	probe_check(on == PSCI_ALREADY_ON, "CPU_ON(suspended 0x%llx): expected ALREADY_ON (-4), got %lld (%s)",
		    (unsigned long long)secondary_mpidr[slot], (long long)on, psci_error_name(on));
	if (!WAIT_FOR(s->runs_done != before, LONG_SLEEP_MS + CALL_TIMEOUT_MS)) {
		secondary_lost[slot] = true;
		probe_check(false, "the suspended CPU never returned from CPU_SUSPEND");
		return;
	}
	probe_check(s->result == PSCI_SUCCESS, "CPU_SUSPEND(standby) on the secondary returned %lld",
		    (long long)s->result);
	if (!still)
		probe_diag("the CPU left standby before the checks ran (early wake-up): checks were made "
			   "while it was running");
}

/* concurrent_standby: rounds, how long the secondaries stay in standby, the boot CPU's own standby. */
#define CONCURRENT_ROUNDS 4
#define CONCURRENT_SECONDARY_MS 150
#define CONCURRENT_BOOT_MS 5

static volatile int standby_in_call[PROBE_MAX_CPUS];   /* per slot: that secondary is inside CPU_SUSPEND */

/* The slots of `all` (a bit per slot) whose secondary is inside CPU_SUSPEND now. */
static uint32_t in_call_mask(uint32_t all)
{
	uint32_t m = 0;
	for (int i = 0; i < PROBE_MAX_CPUS && i < 32; i++)
		if ((all >> i & 1) && standby_in_call[i])
			m |= 1u << i;
	return m;
}

/* On a secondary: standby_for, with its own in-call bit (argument: slot << 32 | ms). */
static int64_t standby_marked(uint64_t slot_and_ms)
{
	int slot = (int)(slot_and_ms >> 32);
	unsigned intid = gic_virtual_timer_intid();
	if (!intid || !gic_enable_ppi(intid))
		return -100;
	write_sysreg(cntv_tval_el0, timer_freq() / 1000 * (uint32_t)slot_and_ms);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	standby_in_call[slot] = 1;
	dsb_sy();
	int64_t r = smccc_call(PSCI_FN_CPU_SUSPEND64, 0, secondary_entry_address(), 0);
	standby_in_call[slot] = 0;
	dsb_sy();
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	return r;
}

/* The first of the n slots whose secondary is neither inside CPU_SUSPEND nor back from it, or -1. */
static int not_yet_suspended(const int *used, const uint64_t *before, int n)
{
	for (int k = 0; k < n; k++)
		if (!standby_in_call[used[k]] && secondary_slots[used[k]].runs_done == before[k])
			return k;
	return -1;
}

PROBE_CASE(concurrent_standby, "psci.cpu_suspend.concurrent_standby",
	   AVPS_CHECKS("Every CPU in CPU_SUSPEND standby at once (DEN0022D CPU_SUSPEND), each woken by its own timer: each call returns SUCCESS"),
	   "AVPS.POWER.1")
static void concurrent_standby(void)
{
	uint64_t before[PROBE_MAX_CPUS];
	int used[PROBE_MAX_CPUS], n = 0, rounds = 0, overlapped = 0;
	uint32_t all = 0;

	find_secondaries();
	for (int i = 0; i < n_secondaries; i++)
		if (!secondary_lost[i] && ensure_running(i)) {
			used[n++] = i;
			all |= 1u << i;
		}
	if (!n) {
		probe_skip("no secondary CPU running");
		return;
	}
	/* Each round: every secondary enters a long standby first; once each is inside the call (or
	 * already back: PSCI allows an early wake-up), the boot CPU makes a short one. A secondary still
	 * inside after the boot CPU's call returned was in standby at the same time; a round where all
	 * woke early proves nothing, and every standby must return SUCCESS. */
	for (int round = 1; round <= CONCURRENT_ROUNDS; round++) {
		for (int k = 0; k < n; k++)
			standby_in_call[used[k]] = 0;
		dsb_sy();
		for (int k = 0; k < n; k++) {
			before[k] = secondary_slots[used[k]].runs_done;
			secondary_slots[used[k]].run_fn = standby_marked;
			secondary_command(used[k], SECONDARY_RUN, (uint64_t)used[k] << 32 | CONCURRENT_SECONDARY_MS);
		}
		/* Each secondary inside its call, or already back from it (an early wake-up is allowed). */
		int missing = -1;
		if (!WAIT_FOR((missing = not_yet_suspended(used, before, n)) < 0, 500)) {
			secondary_lost[used[missing]] = true;
			probe_check(false, "round %d: CPU 0x%llx never reached CPU_SUSPEND", round,
				    (unsigned long long)secondary_mpidr[used[missing]]);
			return;
		}
		WAIT_FOR(false, 5);   /* from the in-call flag to the HVC */
		int64_t mine = standby_for(CONCURRENT_BOOT_MS);
		uint32_t still = in_call_mask(all);
		rounds = round;
		bool ok = true;
		ok &= probe_check(mine == PSCI_SUCCESS, "round %d: boot CPU CPU_SUSPEND(standby) while %d other CPUs "
				  "were in standby: %lld (%s)", round, __builtin_popcount(still), (long long)mine,
				  psci_error_name(mine));
		for (int k = 0; k < n; k++) {
			struct secondary_slot *s = &secondary_slots[used[k]];
			if (!probe_check(WAIT_FOR(s->runs_done != before[k], CALL_TIMEOUT_MS), "round %d: CPU 0x%llx "
					 "never returned from CPU_SUSPEND", round,
					 (unsigned long long)secondary_mpidr[used[k]])) {
				secondary_lost[used[k]] = true;
				return;
			}
			ok &= probe_check(s->result == PSCI_SUCCESS, "round %d: CPU 0x%llx CPU_SUSPEND(standby) while "
					  "other CPUs were in standby: %lld (%s)", round,
					  (unsigned long long)secondary_mpidr[used[k]], (long long)s->result,
					  psci_error_name(s->result));
		}
		if (!ok)
			return;
		overlapped += still != 0;
	}
	probe_diag("%d rounds, %d secondaries; in %d rounds a secondary was in standby all through the boot CPU's",
		   rounds, n, overlapped);
	if (!overlapped)
		probe_skip("every standby ended early (PSCI allows it), so no two CPUs were ever in standby at "
			   "once: concurrency untested");
}

PROBE_CASE(pending_wakeup, "psci.cpu_suspend.pending_wakeup_returns",
	   AVPS_CHECKS("CPU_SUSPEND standby with the wake-up interrupt already pending (DEN0022D CPU_SUSPEND) returns SUCCESS at once"),
	   "AVPS.POWER.1")
static void pending_wakeup(void)
{
	unsigned intid = gic_virtual_timer_intid();
	if (!intid || !gic_enable_ppi(intid)) {
		probe_error("no wake-up source: virtual timer INTID %u, GIC not set up", intid);
		return;
	}
	write_sysreg(cntv_tval_el0, 0);
	write_sysreg(cntv_ctl_el0, 1);   /* expired already: the PPI is pending (IRQs stay masked) */
	isb();
	WAIT_FOR(false, 2);
	uint64_t t0 = timer_count();
	int64_t r = smccc_call(PSCI_FN_CPU_SUSPEND64, 0, secondary_entry_address(), 0);
	uint64_t us = timer_us(timer_count() - t0);
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	probe_diag("CPU_SUSPEND with a pending interrupt returned %lld after %llu us", (long long)r,
		   (unsigned long long)us);
	probe_check(r == PSCI_SUCCESS, "expected SUCCESS, got %lld (%s)", (long long)r, psci_error_name(r));
	probe_check(us < 500000, "it waited %llu us with the wake-up already pending", (unsigned long long)us);
}

PROBE_CASE(unknown_called, "psci.unknown_function_called",
	   AVPS_CHECKS("Calling unassigned IDs in the PSCI range directly (DEN0022D function IDs; DEN0028 Unknown Function Identifier) returns NOT_SUPPORTED (-1)"),
	   "AVPS.POWER.1")
static void unknown_called(void)
{
	/* Unassigned numbers of the PSCI block, and SMC64 IDs of SMC32-only functions that read nothing. */
	static const uint32_t ids[] = { 0x8400001eu, 0x8400001fu, 0xc400001fu, 0xc4000000u, 0xc400000au, 0xc4000006u };
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int64_t r = smccc_call(ids[i], 0, 0, 0);
		probe_check(r == PSCI_NOT_SUPPORTED, "0x%08x: expected NOT_SUPPORTED (-1), got %lld (%s)", ids[i],
			    (long long)r, psci_error_name(r));
	}
}

#define SGI_WAKE_SUSPEND 6
#define SGI_SAFETY_MS 3000   /* the sleeper's own timer, in case the SGI never comes */

static volatile uint64_t sgi_sleeper_us;
static volatile uint32_t sleeper_mask;   /* GICv2 target-list bit of the sleeper's CPU interface */

/* On a secondary: CPU_SUSPEND standby with an SGI (and a SGI_SAFETY_MS timer as safety net) enabled;
 * returns the SGI's INTID acknowledged after the call (1023: none), the call's result in slot. */
static int64_t standby_until_sgi(uint64_t unused)
{
	(void)unused;
	unsigned timer = gic_virtual_timer_intid();
	if (!timer || !gic_enable_ppi(timer) || !gic_enable_ppi(SGI_WAKE_SUSPEND))
		return -100;
	sleeper_mask = gic_cpu_target_mask();
	write_sysreg(cntv_tval_el0, timer_freq() / 1000 * SGI_SAFETY_MS);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	uint64_t t0 = timer_count();
	sleeper_in_call = 1;
	dsb_sy();
	int64_t r = smccc_call(PSCI_FN_CPU_SUSPEND64, 0, secondary_entry_address(), 0);
	sgi_sleeper_us = timer_us(timer_count() - t0);
	sleeper_in_call = 0;
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	uint32_t iar = gic_acknowledge();
	if ((iar & 0x3ff) != 1023)
		gic_end_of_interrupt(iar);
	return r == PSCI_SUCCESS ? (int64_t)(iar & 0x3ff) : -200 + r;
}

PROBE_CASE(wake_by_sgi, "psci.cpu_suspend.woken_by_sgi",
	   AVPS_CHECKS("CPU_SUSPEND standby (DEN0022D CPU_SUSPEND, wake-up events) returns SUCCESS when another CPU sends the sleeper an SGI, long before its own 3 s timer"),
	   "AVPS.POWER.1")
static void wake_by_sgi(void)
{
	find_secondaries();
	int slot = pick_running(-1);
	if (slot < 0) {
		probe_skip("no secondary CPU to suspend");
		return;
	}
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t before = s->runs_done;
	sleeper_in_call = 0;
	s->run_fn = standby_until_sgi;
	secondary_command(slot, SECONDARY_RUN, 0);
	if (!probe_check(WAIT_FOR(sleeper_in_call, 500), "the secondary never reached CPU_SUSPEND"))
		return;
	WAIT_FOR(false, 10);
	if (!gic_enable_ppi(SGI_WAKE_SUSPEND)) {
		probe_error("no GIC to send an SGI with");
		return;
	}
	gic_send_sgi(SGI_WAKE_SUSPEND, secondary_mpidr[slot], sleeper_mask);
	if (!WAIT_FOR(s->runs_done != before, SGI_SAFETY_MS + CALL_TIMEOUT_MS)) {
		secondary_lost[slot] = true;
		probe_check(false, "the suspended CPU never returned from CPU_SUSPEND");
		return;
	}
	probe_diag("CPU_SUSPEND on CPU 0x%llx returned after %llu us, acknowledged INTID %lld",
		   (unsigned long long)secondary_mpidr[slot], (unsigned long long)sgi_sleeper_us, (long long)s->result);
	probe_check(s->result == SGI_WAKE_SUSPEND, "expected SUCCESS with SGI %d pending, got %lld (-200-x: "
		    "CPU_SUSPEND returned x; 1023: nothing pending)", SGI_WAKE_SUSPEND, (long long)s->result);
	probe_check(sgi_sleeper_us < (SGI_SAFETY_MS - 500) * 1000ULL, "it slept %llu us: woken by its %d ms timer, "
		    "not the SGI", (unsigned long long)sgi_sleeper_us, SGI_SAFETY_MS);
}
