/* PSCI concurrency, repeated inside one boot: racing CPU_ON to one CPU, CPU_ON racing CPU_OFF, AFFINITY_INFO polled through on/off. */
#include "psci_common.h"

#define ROUNDS 48
/* Simultaneous CPU_ON: QEMU 7.2 lets two callers win in only a few percent of rounds when PSCI
 * goes through SMC from EL2 (0 of 48 seen once), so this race runs up to 384 rounds and stops
 * at the first bad one: a platform with the defect fails every boot, a good one costs ~8x. */
#define CPU_ON_RACE_ROUNDS 384

static volatile uint64_t race_go;          /* racers spin until it equals their round */
static volatile uint64_t race_target;      /* MPIDR every racer calls CPU_ON on */
static volatile int poll_stop;
static volatile int phase;                 /* what the boot CPU knows about the target now */

/* Posts fn(argument) to a running secondary without waiting; returns runs_done before. */
static uint64_t post(int slot, int64_t (*fn)(uint64_t), uint64_t argument)
{
	uint64_t before = secondary_slots[slot].runs_done;
	secondary_slots[slot].run_fn = fn;
	secondary_command(slot, SECONDARY_RUN, argument);
	return before;
}

static bool finished(int slot, uint64_t before, int64_t *result)
{
	if (!WAIT_FOR(secondary_slots[slot].runs_done != before, CALL_TIMEOUT_MS)) {
		secondary_lost[slot] = true;
		return false;
	}
	*result = secondary_slots[slot].result;
	return true;
}

static int64_t cpu_on_racer(uint64_t round)
{
	while (race_go != round)
		;
	return smccc_call(PSCI_FN_CPU_ON64, race_target, secondary_entry_address(), 0x7ace);
}

static int64_t cpu_off_racer(uint64_t round)
{
	while (race_go != round)
		;
	/* One shot: if CPU_ON wins and the CPU re-enters, it must not find this command again. */
	for (int i = 0; i < n_secondaries; i++)
		if (secondary_mpidr[i] == cpu_mpidr()) {
			secondary_slots[i].command = SECONDARY_IDLE;
			secondary_slots[i].state = SECONDARY_OFFING;
		}
	dsb_sy();
	smccc_call(PSCI_FN_CPU_OFF, 0, 0, 0);
	return 1;   /* CPU_OFF returned: the boot CPU sees it as a finished run */
}

/* Target and racer slots: the last secondary is the target, the others race. */
static int setup(int need_secondaries, int *target)
{
	if (find_secondaries() < need_secondaries) {
		probe_skip("needs %d secondary CPUs, the DT lists %d (run with -smp %d or more)",
			   need_secondaries, n_secondaries, need_secondaries + 1);
		return -1;
	}
	*target = n_secondaries - 1;
	if (secondary_lost[*target]) {
		probe_skip("the target CPU was lost in an earlier case");
		return -1;
	}
	return 0;
}

static bool make_off(int slot)
{
	if (affinity_info(secondary_mpidr[slot], 0) == PSCI_AFFINITY_OFF)
		return true;
	return ensure_running(slot) && turn_off(slot);
}

PROBE_CASE(race_cpu_on, "psci.concurrency.cpu_on_race",
	   AVPS_CHECKS("Simultaneous CPU_ON of one OFF CPU from several CPUs (DEN0022D CPU_ON, ALREADY_ON / ON_PENDING): exactly one SUCCESS, the rest ALREADY_ON or ON_PENDING, every round"),
	   "AVPS.POWER.1")
static void race_cpu_on(void)
{
	int target, racers[PROBE_MAX_CPUS], n_racers = 0;
	int counts[3] = { 0, 0, 0 };   /* SUCCESS, ALREADY_ON, ON_PENDING */
	int rounds = 0;

	if (setup(2, &target) < 0)
		return;
	for (int i = 0; i < target; i++)
		if (ensure_running(i))
			racers[n_racers++] = i;
	if (!n_racers) {
		probe_skip("no racer CPU could be started");
		return;
	}
	for (int round = 1; round <= CPU_ON_RACE_ROUNDS; round++) {
		if (!make_off(target))
			return;
		struct secondary_slot *t = &secondary_slots[target];
		t->state = SECONDARY_DOWN;
		t->token = 0;
		secondary_prepare_entry(target);
		race_target = secondary_mpidr[target];
		uint64_t before[PROBE_MAX_CPUS];
		for (int k = 0; k < n_racers; k++)
			before[k] = post(racers[k], cpu_on_racer, (uint64_t)round);
		race_go = (uint64_t)round;
		dsb_sy();
		sev();
		int64_t results[PROBE_MAX_CPUS + 1];
		results[n_racers] = cpu_on_racer((uint64_t)round);
		for (int k = 0; k < n_racers; k++)
			if (!probe_check(finished(racers[k], before[k], &results[k]), "round %d: CPU_ON on racer "
					 "0x%llx did not return", round, (unsigned long long)secondary_mpidr[racers[k]]))
				return;
		int success = 0, bad = 0;
		for (int k = 0; k <= n_racers; k++) {
			int64_t r = results[k];
			success += r == PSCI_SUCCESS;
			counts[0] += r == PSCI_SUCCESS;
			counts[1] += r == PSCI_ALREADY_ON;
			counts[2] += r == PSCI_ON_PENDING;
			bad += r != PSCI_SUCCESS && r != PSCI_ALREADY_ON && r != PSCI_ON_PENDING;
		}
		rounds = round;
		bool ok = probe_check(success == 1 && bad == 0, "round %d: %d SUCCESS and %d answers other than "
				      "ALREADY_ON/ON_PENDING from %d callers", round, success, bad, n_racers + 1);
		ok &= probe_check(WAIT_FOR(t->state == SECONDARY_RUNNING, CPU_ON_TIMEOUT_MS),
				  "round %d: the target never ran after the winning CPU_ON", round);
		if (!ok)
			break;
	}
	probe_diag("%d rounds, %d callers each: SUCCESS %d, ALREADY_ON %d, ON_PENDING %d", rounds,
		   n_racers + 1, counts[0], counts[1], counts[2]);
	make_off(target);
}

PROBE_CASE(race_on_off, "psci.concurrency.cpu_on_vs_cpu_off",
	   AVPS_CHECKS("CPU_ON racing the target's own CPU_OFF (DEN0022D CPU_ON, CPU_OFF, AFFINITY_INFO): SUCCESS means the CPU runs again, ALREADY_ON means it ends OFF, every round"),
	   "AVPS.POWER.1")
static void race_on_off(void)
{
	int target, counts[2] = { 0, 0 }, rounds = 0;

	if (setup(2, &target) < 0)
		return;
	int racer = 0;
	if (!ensure_running(racer)) {
		probe_skip("no racer CPU could be started");
		return;
	}
	for (int round = 1; round <= ROUNDS; round++) {
		if (!ensure_running(target))
			return;
		struct secondary_slot *t = &secondary_slots[target];
		uint64_t entries = t->entries;
		secondary_prepare_entry(target);
		race_target = secondary_mpidr[target];
		post(target, cpu_off_racer, (uint64_t)round + 1000);
		uint64_t before = post(racer, cpu_on_racer, (uint64_t)round + 1000);
		race_go = (uint64_t)round + 1000;
		dsb_sy();
		sev();
		int64_t r = 0;
		if (!probe_check(finished(racer, before, &r), "round %d: the racing CPU_ON did not return", round))
			return;
		rounds = round;
		bool ok;
		if (r == PSCI_SUCCESS) {
			counts[0]++;
			ok = probe_check(WAIT_FOR(t->entries != entries && t->state == SECONDARY_RUNNING,
						  CPU_ON_TIMEOUT_MS),
					 "round %d: CPU_ON returned SUCCESS, yet the target never ran again", round);
		} else if (r == PSCI_ALREADY_ON) {
			counts[1]++;
			ok = probe_check(WAIT_FOR(affinity_info(race_target, 0) == PSCI_AFFINITY_OFF, CPU_ON_TIMEOUT_MS),
					 "round %d: CPU_ON said ALREADY_ON, so the target's CPU_OFF must still "
					 "complete, yet AFFINITY_INFO never said OFF", round);
			t->state = SECONDARY_DOWN;
		} else {
			ok = probe_check(false, "round %d: CPU_ON racing CPU_OFF returned %lld (%s); only SUCCESS "
					 "or ALREADY_ON fit a single caller", round, (long long)r, psci_error_name(r));
		}
		if (!ok)
			break;
	}
	probe_diag("%d rounds: CPU_ON won (SUCCESS) %d, CPU_OFF won (ALREADY_ON) %d", rounds, counts[0], counts[1]);
	make_off(target);
}

static volatile int poll_count;          /* answer changes seen by the poller */
#define PHASE_POLLS 8                    /* calls the poller makes in phases 2 and 4, at least */
static volatile uint64_t polls;
/* The first answer that does not fit its phase (-1: none), judged by the poller on every call
 * (not from a log of the first few changes, which early flicker could fill). */
static volatile int bad_phase;
static volatile int64_t bad_value;

static bool allowed(int p, int64_t v);

static int64_t affinity_poller(uint64_t unused)
{
	int64_t last = -100;
	(void)unused;
	while (!poll_stop) {
		int before = phase;
		dsb_sy();
		int64_t v = affinity_info(race_target, 0);
		dsb_sy();
		int after = phase;
		polls++;
		if (before == after && bad_phase < 0 && !allowed(before, v)) {
			bad_value = v;
			bad_phase = before;
		}
		if (v != last || before != after) {
			poll_count++;
			last = v;
		}
	}
	return 0;
}

/* Allowed AFFINITY_INFO answers per phase: 0 before CPU_ON, 1 CPU_ON issued, 2 the target runs,
 * 3 its CPU_OFF commanded, 4 the boot CPU saw OFF. */
static bool allowed(int p, int64_t v)
{
	switch (p) {
	case 0: case 4: return v == PSCI_AFFINITY_OFF;
	case 1: return v == PSCI_AFFINITY_OFF || v == PSCI_AFFINITY_ON_PENDING || v == PSCI_AFFINITY_ON;
	case 2: return v == PSCI_AFFINITY_ON;
	default: return v == PSCI_AFFINITY_ON || v == PSCI_AFFINITY_OFF;
	}
}

PROBE_CASE(affinity_polled, "psci.concurrency.affinity_info_polled",
	   AVPS_CHECKS("AFFINITY_INFO polled by another CPU while a CPU powers on and off (DEN0022D AFFINITY_INFO): only OFF, ON_PENDING, ON, in an order that fits each phase, every round"),
	   "AVPS.POWER.1")
static void affinity_polled(void)
{
	int target, poller = 0, rounds = 0, transitions = 0;
	uint64_t total_polls = 0;

	if (setup(2, &target) < 0)
		return;
	if (!ensure_running(poller)) {
		probe_skip("no poller CPU could be started");
		return;
	}
	for (int round = 1; round <= ROUNDS / 2; round++) {
		if (!make_off(target))
			return;
		race_target = secondary_mpidr[target];
		phase = 0;
		poll_count = 0;
		polls = 0;
		poll_stop = 0;
		bad_phase = -1;
		dsb_sy();
		uint64_t before = post(poller, affinity_poller, 0);
		WAIT_FOR(polls > 2, 100);
		phase = 1;
		dsb_sy();
		bool ok = start_and_verify(target);
		phase = 2;
		dsb_sy();
		uint64_t at = polls;
		WAIT_FOR(polls > at + PHASE_POLLS, 50);   /* the poller sees the running target a few times */
		phase = 3;
		dsb_sy();
		if (ok)
			ok = turn_off(target);
		phase = 4;
		dsb_sy();
		at = polls;
		WAIT_FOR(polls > at + PHASE_POLLS, 50);
		poll_stop = 1;
		dsb_sy();
		int64_t done;
		if (!probe_check(finished(poller, before, &done), "round %d: the poller CPU never stopped", round))
			return;
		rounds = round;
		total_polls += polls;
		transitions += poll_count;
		/* A call during which the phase moved has no constraint; the poller judged every other one. */
		ok &= probe_check(bad_phase < 0, "round %d: AFFINITY_INFO = %lld while the target was in phase %d "
				  "(%d answer changes seen)", round, (long long)bad_value, bad_phase, poll_count);
		if (!ok)
			break;
	}
	probe_diag("%d rounds, %llu AFFINITY_INFO calls from another CPU, %d answer changes seen", rounds,
		   (unsigned long long)total_polls, transitions);
}

PROBE_CASE(mass_off_on, "psci.concurrency.all_off_all_on",
	   AVPS_CHECKS("Every secondary calls CPU_OFF at once, then the boot CPU starts them back to back (DEN0022D CPU_OFF, CPU_ON, AFFINITY_INFO): all OFF, all SUCCESS, all run, every round"),
	   "AVPS.POWER.1")
static void mass_off_on(void)
{
	int rounds = 0, n = 0, used[PROBE_MAX_CPUS];

	if (find_secondaries() < 2) {
		probe_skip("needs 2 secondary CPUs, the DT lists %d", n_secondaries);
		return;
	}
	for (int i = 0; i < n_secondaries; i++)
		if (!secondary_lost[i] && ensure_running(i))
			used[n++] = i;
	for (int round = 1; round <= ROUNDS / 4; round++) {
		for (int k = 0; k < n; k++)
			post(used[k], cpu_off_racer, (uint64_t)round + 5000);
		race_go = (uint64_t)round + 5000;
		dsb_sy();
		sev();
		bool ok = true;
		for (int k = 0; k < n; k++)
			ok &= probe_check(WAIT_FOR(affinity_info(secondary_mpidr[used[k]], 0) == PSCI_AFFINITY_OFF,
						   CPU_ON_TIMEOUT_MS), "round %d: CPU 0x%llx never reported OFF", round,
					  (unsigned long long)secondary_mpidr[used[k]]);
		for (int k = 0; ok && k < n; k++)
			ok &= start_and_verify(used[k]);
		rounds = round;
		if (!ok)
			break;
	}
	probe_diag("%d rounds of %d CPUs off at once and on again", rounds, n);
}

