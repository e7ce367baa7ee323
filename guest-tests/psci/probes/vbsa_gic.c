/* VBSA probe, vGIC and wake-up part: GIC version vs DT, SGIs reach exactly the vCPU they target, WFI woken by the timer and by an SGI. */
#include "psci_common.h"

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))
#define SGI_WAKE 5
#define SGI_TARGETED 3
#define GICD_PIDR2_V2 0x0fe8
#define GICD_PIDR2_V3 0xffe8

PROBE_CASE(gic_version_case, "vbsa.gic.version",
	   AVPS_CHECKS("The vGIC's architecture revision (GICD_PIDR2.ArchRev) is the GIC version the DT compatible declares"),
	   "V_L1GI_01")
static void gic_version_case(void)
{
	if (!gic_enable_ppi(SGI_WAKE)) {
		probe_error("no GIC the probe knows in the DT (arm,gic-v3, arm,gic-400, arm,cortex-a15-gic)");
		return;
	}
	unsigned dt = gic_version();
	uint32_t pidr2 = mmio_read32(gic_distributor() + (dt == 3 ? GICD_PIDR2_V3 : GICD_PIDR2_V2));
	unsigned arch = (pidr2 >> 4) & 0xf;
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
	probe_diag("DT GICv%u, GICD_PIDR2 0x%x (ArchRev %u), ID_AA64PFR0_EL1.GIC %llu", dt, pidr2, arch,
		   (unsigned long long)((pfr0 >> 24) & 0xf));
	/* ArchRev: 1 = GICv1, 2 = GICv2, 3 = GICv3, 4 = GICv4 (a GICv3 DT node covers v3 and v4). */
	probe_check(dt == 3 ? (arch == 3 || arch == 4) : arch == 2, "the DT declares GICv%u, the distributor "
		    "reports ArchRev %u", dt, arch);
}

static volatile uint64_t receiver_ready;
static volatile uint32_t receiver_mask[PROBE_MAX_CPUS];

/* On a secondary: enables the SGIs, says ready, waits in WFI (IRQs masked) and acknowledges
 * what arrives within `ms`; returns the INTID, or 1023 when nothing came. */
static int64_t sgi_receiver(uint64_t ms)
{
	int me = 0;
	for (int i = 0; i < n_secondaries; i++)
		if (secondary_mpidr[i] == cpu_mpidr())
			me = i;
	unsigned timer = gic_virtual_timer_intid();
	gic_enable_ppi(SGI_WAKE);
	gic_enable_ppi(SGI_TARGETED);
	gic_enable_ppi(timer);
	receiver_mask[me] = gic_cpu_target_mask();
	dsb_sy();
	receiver_ready |= 1ULL << me;
	dsb_sy();
	uint64_t end = timer_count() + timer_freq() / 1000 * ms;
	uint32_t iar = 1023;
	while (timer_count() < end) {
		iar = gic_acknowledge();
		if ((iar & 0x3ff) == timer) {
			/* Our own bound on the wait, not a delivery: drop it and wait on. */
			write_sysreg(cntv_ctl_el0, 2);
			isb();
			gic_end_of_interrupt(iar);
			iar = 1023;
		}
		if ((iar & 0x3ff) != 1023)
			break;
		/* A pending interrupt wakes WFI even with IRQs masked at the PE; the timer
		 * (1 ms, its own PPI) bounds each wait. */
		write_sysreg(cntv_tval_el0, timer_freq() / 1000);
		write_sysreg(cntv_ctl_el0, 1);
		isb();
		wfi();
	}
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	if ((iar & 0x3ff) != 1023)
		gic_end_of_interrupt(iar);
	return iar & 0x3ff;
}

/* Starts receivers on the given slots; waits until each is ready. */
static bool start_receivers(const int *slots, int n, uint64_t ms, uint64_t *before)
{
	receiver_ready = 0;
	dsb_sy();
	for (int k = 0; k < n; k++) {
		before[k] = secondary_slots[slots[k]].runs_done;
		secondary_slots[slots[k]].run_fn = sgi_receiver;
		secondary_command(slots[k], SECONDARY_RUN, ms);
	}
	for (int k = 0; k < n; k++)
		if (!WAIT_FOR(receiver_ready & (1ULL << slots[k]), 500))
			return probe_check(false, "CPU 0x%llx never got ready to receive",
					   (unsigned long long)secondary_mpidr[slots[k]]);
	WAIT_FOR(false, 5);   /* let them reach WFI */
	return true;
}

PROBE_CASE(wake_by_sgi, "vbsa.wakeup.wfi_sgi",
	   AVPS_CHECKS("A vCPU waiting in WFI with interrupts masked is woken by an SGI another vCPU sends, and acknowledges that SGI's INTID"),
	   "V_L1WK_02")
static void wake_by_sgi(void)
{
	find_secondaries();
	int slot = pick_running(-1);
	if (slot < 0 || !gic_enable_ppi(SGI_WAKE)) {
		probe_skip("needs a second vCPU and a GIC");
		return;
	}
	uint64_t before;
	if (!start_receivers(&slot, 1, 1000, &before))
		return;
	uint64_t t0 = timer_count();
	gic_send_sgi(SGI_WAKE, secondary_mpidr[slot], receiver_mask[slot]);
	if (!probe_check(WAIT_FOR(secondary_slots[slot].runs_done != before, CALL_TIMEOUT_MS),
			 "CPU 0x%llx never came back from WFI", (unsigned long long)secondary_mpidr[slot]))
		return;
	int64_t got = secondary_slots[slot].result;
	probe_diag("SGI %d to CPU 0x%llx: acknowledged INTID %lld after %llu us", SGI_WAKE,
		   (unsigned long long)secondary_mpidr[slot], (long long)got, (unsigned long long)timer_us(timer_count() - t0));
	probe_check(got == SGI_WAKE, "the woken CPU acknowledged INTID %lld, expected SGI %d (1023: nothing "
		    "arrived within 1 s)", (long long)got, SGI_WAKE);
}

PROBE_CASE(sgi_targeted, "vbsa.gic.sgi_reaches_only_its_target",
	   AVPS_CHECKS("An SGI sent to one vCPU is delivered to that vCPU and to no other vCPU waiting for interrupts"),
	   "V_L1GI_01")
static void sgi_targeted(void)
{
	int slots[PROBE_MAX_CPUS], n = 0;
	uint64_t before[PROBE_MAX_CPUS];
	find_secondaries();
	for (int i = 0; i < n_secondaries; i++)
		if (!secondary_lost[i] && ensure_running(i))
			slots[n++] = i;
	if (n < 2 || !gic_enable_ppi(SGI_TARGETED)) {
		probe_skip("needs two running secondary vCPUs and a GIC (run with -smp 3 or more)");
		return;
	}
	if (!start_receivers(slots, n, 200, before))
		return;
	gic_send_sgi(SGI_TARGETED, secondary_mpidr[slots[0]], receiver_mask[slots[0]]);
	for (int k = 0; k < n; k++) {
		if (!probe_check(WAIT_FOR(secondary_slots[slots[k]].runs_done != before[k], CALL_TIMEOUT_MS),
				 "CPU 0x%llx never finished waiting", (unsigned long long)secondary_mpidr[slots[k]]))
			return;
		int64_t got = secondary_slots[slots[k]].result;
		if (k == 0)
			probe_check(got == SGI_TARGETED, "target CPU 0x%llx acknowledged %lld, expected SGI %d",
				    (unsigned long long)secondary_mpidr[slots[k]], (long long)got, SGI_TARGETED);
		else
			probe_check(got == 1023, "CPU 0x%llx, not targeted, acknowledged INTID %lld",
				    (unsigned long long)secondary_mpidr[slots[k]], (long long)got);
	}
	probe_diag("SGI %d to CPU 0x%llx while %d other vCPUs waited", SGI_TARGETED,
		   (unsigned long long)secondary_mpidr[slots[0]], n - 1);
}

PROBE_CASE(wake_by_timer, "vbsa.wakeup.wfi_timer",
	   AVPS_CHECKS("WFI with interrupts masked at the PE returns with the vCPU's virtual timer interrupt pending once the timer expires"),
	   "V_L1WK_02")
static void wake_by_timer(void)
{
	unsigned intid = gic_virtual_timer_intid();
	if (!intid || !gic_enable_ppi(intid)) {
		probe_error("no virtual timer PPI in the DT or no GIC");
		return;
	}
	uint64_t ticks = timer_freq() / 1000 * 5;
	write_sysreg(cntv_tval_el0, ticks);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	uint64_t t0 = timer_count(), woke = 0, other = 0;
	/* WFI may return early (spuriously, or for another interrupt): sleep again until the
	 * timer's own interrupt is pending with its condition met. */
	uint32_t iar = 1023;
	bool timer_fired = false;
	for (int i = 0; i < 1000 && !timer_fired; i++) {
		wfi();
		woke++;
		iar = gic_acknowledge();
		if ((iar & 0x3ff) == 1023)
			continue;
		timer_fired = (iar & 0x3ff) == intid && (read_sysreg(cntv_ctl_el0) & 4);
		other += !timer_fired;
		if (!timer_fired)
			gic_end_of_interrupt(iar);
	}
	uint64_t us = timer_us(timer_count() - t0);
	write_sysreg(cntv_ctl_el0, 2);
	isb();
	if (timer_fired)
		gic_end_of_interrupt(iar);
	probe_diag("WFI: %llu returns, %llu other interrupts, timer INTID %u after %llu us (armed for 5000)",
		   (unsigned long long)woke, (unsigned long long)other, intid, (unsigned long long)us);
	probe_check(timer_fired, "WFI never returned with the expired timer's interrupt (INTID %u) pending "
		    "(%llu returns)", intid, (unsigned long long)woke);
}
