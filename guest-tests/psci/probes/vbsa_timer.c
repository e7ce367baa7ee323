/* VBSA probe, Generic Timer part: counters present and advancing, monotonic, uniform across vCPUs, timer PPIs as the DT assigns them. */
#include <libfdt.h>

#include "psci_common.h"

const char probe_name[] = "vbsa";

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))
#define SAMPLES 200000
#define PING_PONGS 500

static uint64_t virtual_count(void) { isb(); return read_sysreg(cntvct_el0); }
static uint64_t physical_count(void) { isb(); return read_sysreg(cntpct_el0); }

PROBE_CASE(counters_present, "vbsa.timer.counters_present",
	   AVPS_CHECKS("The Generic Timer is there for a guest: CNTFRQ_EL0 non-zero, the virtual and physical counters both readable and advancing"),
	   "V_L1TM_01")
static void counters_present(void)
{
	uint64_t f = timer_freq();
	uint64_t v0 = virtual_count(), p0 = physical_count();
	WAIT_FOR(false, 2);
	uint64_t v1 = virtual_count(), p1 = physical_count();
	probe_diag("CNTFRQ_EL0 %llu Hz; virtual +%llu, physical +%llu ticks in ~2 ms", (unsigned long long)f,
		   (unsigned long long)(v1 - v0), (unsigned long long)(p1 - p0));
	probe_check(f != 0, "CNTFRQ_EL0 reads 0");
	probe_check(v1 > v0, "the virtual counter did not advance (%llu -> %llu)", (unsigned long long)v0,
		    (unsigned long long)v1);
	probe_check(p1 > p0, "the physical counter did not advance (%llu -> %llu)", (unsigned long long)p0,
		    (unsigned long long)p1);
}

PROBE_CASE(counters_monotonic, "vbsa.timer.monotonic",
	   AVPS_CHECKS("Consecutive reads of CNTVCT_EL0 and of CNTPCT_EL0 (each after an ISB) on one vCPU never decrease, over 200000 samples each"),
	   "V_L1TM_04")
static void counters_monotonic(void)
{
	uint64_t (*const read[2])(void) = { virtual_count, physical_count };
	static const char *const name[2] = { "virtual", "physical" };
	for (int k = 0; k < 2; k++) {
		uint64_t last = read[k](), back = 0;
		for (int i = 0; i < SAMPLES; i++) {
			uint64_t now = read[k]();
			if (now < last && !back)
				back = last - now;
			last = now;
		}
		probe_check(!back, "the %s counter went back by %llu ticks", name[k], (unsigned long long)back);
	}
	probe_diag("%d samples of each counter", SAMPLES);
}

/* Ping-pong of counter values between the boot CPU and a secondary. */
static volatile uint64_t pp_value, pp_turn;
static volatile int pp_physical;

static int64_t pong(uint64_t rounds)
{
	int64_t backwards = 0;
	for (uint64_t r = 1; r <= rounds; r++) {
		if (!WAIT_FOR(pp_turn == 2 * r - 1, 1000))
			return -1000000;
		uint64_t mine = pp_physical ? physical_count() : virtual_count();
		if (mine < pp_value)
			backwards++;
		pp_value = mine;
		dsb_sy();
		pp_turn = 2 * r;
		dsb_sy();
	}
	return backwards;
}

PROBE_CASE(counters_uniform, "vbsa.timer.uniform_across_cpus",
	   AVPS_CHECKS("Counter values passed between two vCPUs never run backwards: a read made after seeing another vCPU's value is never smaller (virtual and physical)"),
	   "V_L1TM_04")
static void counters_uniform(void)
{
	find_secondaries();
	int slot = pick_running(-1);
	if (slot < 0) {
		probe_skip("needs a second vCPU");
		return;
	}
	for (int phys = 0; phys < 2; phys++) {
		int64_t theirs = 0;
		int mine_back = 0;
		pp_physical = phys;
		pp_turn = 0;
		pp_value = 0;
		dsb_sy();
		struct secondary_slot *s = &secondary_slots[slot];
		uint64_t before = s->runs_done;
		s->run_fn = pong;
		secondary_command(slot, SECONDARY_RUN, PING_PONGS);
		for (uint64_t r = 1; r <= PING_PONGS; r++) {
			uint64_t mine = phys ? physical_count() : virtual_count();
			if (mine < pp_value)
				mine_back++;
			pp_value = mine;
			dsb_sy();
			pp_turn = 2 * r - 1;
			dsb_sy();
			if (!WAIT_FOR(pp_turn == 2 * r, 1000))
				break;
		}
		if (!probe_check(WAIT_FOR(s->runs_done != before, CALL_TIMEOUT_MS), "the other vCPU never finished"))
			return;
		theirs = s->result;
		probe_check(theirs == 0 && mine_back == 0, "%s counter: %lld reads on CPU 0x%llx and %d on the boot CPU "
			    "were smaller than the value the other vCPU had read before", phys ? "physical" : "virtual",
			    (long long)theirs, (unsigned long long)secondary_mpidr[slot], mine_back);
	}
	probe_diag("%d round trips per counter between CPU 0x%llx and 0x%llx", PING_PONGS,
		   (unsigned long long)cpu_mpidr(), (unsigned long long)secondary_mpidr[slot]);
}

/* INTID of timer `index` in the DT's /timer interrupts (0 secure phys, 1 phys, 2 virt, 3 hyp). */
static unsigned timer_intid(int index)
{
	int node = dt_next_compatible(-1, "arm,armv8-timer");
	uint32_t type = 0, number = 0;
	if (node < 0 || !dt_prop_u32(node, "interrupts", index * 3, &type) ||
	    !dt_prop_u32(node, "interrupts", index * 3 + 1, &number) || type != 1)
		return 0;
	return 16 + number;
}

static int early_acks;

/* Arms the timer, waits for the GIC to present its interrupt after expiry; returns the INTID (1023: none). */
static uint32_t fire_and_acknowledge(bool physical, uint64_t *waited_us)
{
	uint64_t ticks = timer_freq() / 1000;   /* 1 ms */
	/* Timer off, then whatever was pending before is acknowledged away. */
	if (physical)
		write_sysreg(cntp_ctl_el0, 0);
	else
		write_sysreg(cntv_ctl_el0, 0);
	isb();
	for (int i = 0; i < 64; i++) {
		uint32_t stale = gic_acknowledge();
		if ((stale & 0x3ff) == 1023)
			break;
		gic_end_of_interrupt(stale);
	}
	if (physical) {
		write_sysreg(cntp_tval_el0, ticks);
		write_sysreg(cntp_ctl_el0, 1);
	} else {
		write_sysreg(cntv_tval_el0, ticks);
		write_sysreg(cntv_ctl_el0, 1);
	}
	isb();
	uint64_t t0 = timer_count();
	uint32_t iar = 1023, want = timer_intid(physical ? 1 : 2);
	early_acks = 0;
	/* Acknowledge until the timer's own interrupt arrives with its condition met (ISTATUS):
	 * anything else presented first is counted and reported, never taken for the timer. */
	WAIT_FOR(({
		bool done = false;
		iar = gic_acknowledge();
		if ((iar & 0x3ff) != 1023) {
			uint64_t ctl = physical ? read_sysreg(cntp_ctl_el0) : read_sysreg(cntv_ctl_el0);
			done = (iar & 0x3ff) == want && (ctl & 4);
			if (!done)
				early_acks++;
			if (!done)
				gic_end_of_interrupt(iar);
		}
		done; }), 500);
	*waited_us = timer_us(timer_count() - t0);
	if (physical)
		write_sysreg(cntp_ctl_el0, 2);
	else
		write_sysreg(cntv_ctl_el0, 2);
	isb();
	if ((iar & 0x3ff) == want)
		gic_end_of_interrupt(iar);
	return (iar & 0x3ff) == want ? want : 1023;
}

static void check_timer_ppi(bool physical)
{
	const char *what = physical ? "EL1 physical" : "EL1 virtual";
	unsigned intid = timer_intid(physical ? 1 : 2);
	if (!intid) {
		probe_error("the DT /timer node gives no PPI for the %s timer", what);
		return;
	}
	if (!gic_enable_ppi(intid)) {
		probe_error("GIC not set up for INTID %u", intid);
		return;
	}
	uint64_t us = 0;
	uint32_t got = fire_and_acknowledge(physical, &us);
	probe_diag("%s timer: DT PPI INTID %u, acknowledged after %llu us (%d other acknowledgements first)", what,
		   intid, (unsigned long long)us, early_acks);
	probe_check(got == intid, "%s timer expired (ISTATUS), yet the GIC never presented INTID %u, the PPI the "
		    "DT assigns, within 500 ms", what, intid);
}

PROBE_CASE(virtual_timer_ppi, "vbsa.timer.virtual_ppi",
	   AVPS_CHECKS("The EL1 virtual timer's interrupt reaches the GIC as the PPI the DT /timer node assigns once the timer condition is met"),
	   "V_L1PP_00")
static void virtual_timer_ppi(void) { check_timer_ppi(false); }

PROBE_CASE(physical_timer_ppi, "vbsa.timer.physical_ppi",
	   AVPS_CHECKS("The EL1 physical timer's interrupt reaches the GIC as the PPI the DT /timer node assigns once the timer condition is met"),
	   "V_L1PP_00")
static void physical_timer_ppi(void) { check_timer_ppi(true); }
