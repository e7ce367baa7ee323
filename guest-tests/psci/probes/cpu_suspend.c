/* CPU_SUSPEND to a standby state on the boot CPU, woken by the virtual timer: it must return SUCCESS. */
#include "cpu.h"
#include "probe.h"

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))
#define WAKE_AFTER_MS 5

PROBE_CASE(cpu_suspend_standby, "psci.cpu_suspend.standby",
	   AVPS_CHECKS("CPU_SUSPEND to standby on the boot CPU, woken by the virtual timer, returns SUCCESS"),
	   "AVPS.POWER.1")
static void cpu_suspend_standby(void)
{
	int64_t f = smccc_call(PSCI_FN_FEATURES, PSCI_FN_CPU_SUSPEND64, 0, 0);
	if (!probe_check(f >= 0, "PSCI_FEATURES(CPU_SUSPEND64) = %lld", (long long)f))
		return;
	unsigned intid = gic_virtual_timer_intid();
	const char *gic = intid ? gic_enable_ppi(intid) : NULL;
	if (!gic) {
		probe_error("no wake-up source: virtual timer INTID %u, GIC not set up", intid);
		return;
	}
	/* power_state 0: standby (StateType 0), power level 0, StateID 0, in both the
	 * original and the extended StateID format (PSCI_FEATURES bit 1). */
	uint64_t ticks = timer_freq() / 1000 * WAKE_AFTER_MS;
	write_sysreg(cntv_tval_el0, ticks);
	write_sysreg(cntv_ctl_el0, 1);   /* enabled, interrupt not masked at the timer */
	isb();
	uint64_t t0 = timer_count();
	int64_t r = smccc_call(PSCI_FN_CPU_SUSPEND64, 0, secondary_entry_address(), 0);
	uint64_t t1 = timer_count();
	write_sysreg(cntv_ctl_el0, 2);   /* IMASK: drop the wake-up line */
	isb();
	probe_diag("CPU_SUSPEND(standby) returned %lld after %llu us (%s INTID %u, format %s)",
		   (long long)r, (unsigned long long)timer_us(t1 - t0), gic, intid,
		   (f & 2) ? "extended" : "original");
	probe_check(r == PSCI_SUCCESS, "CPU_SUSPEND(standby): expected SUCCESS, got %lld (%s)",
		    (long long)r, psci_error_name(r));
}
