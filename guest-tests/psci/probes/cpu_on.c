/* CPU_ON / AFFINITY_INFO / CPU_OFF on every secondary CPU the DT lists, with the negative answers. */
#include "cpu.h"
#include "probe.h"

#define AFFINITY_ON          0
#define AFFINITY_OFF         1
#define AFFINITY_ON_PENDING  2
#define BAD_MPIDR            0xfefeULL   /* Aff1 = Aff0 = 0xfe: no such CPU in any sane DT */
#define CPU_ON_TIMEOUT_MS    2000

/* Secondaries the DT lists (the boot CPU excluded), and which ones answered CPU_ON. */
static uint64_t secondary_mpidr[PROBE_MAX_CPUS];
static bool secondary_up[PROBE_MAX_CPUS];
static int n_secondaries = -1;

static uint64_t context_for(int slot)
{
	return 0xc0de5eed00000000ULL | ((uint64_t)slot << 8) | 0x5a;
}

static int find_secondaries(void)
{
	uint64_t all[PROBE_MAX_CPUS];
	int total = 0, n = dt_cpu_mpidrs(all, PROBE_MAX_CPUS, &total);

	if (n_secondaries >= 0)
		return n_secondaries;
	n_secondaries = 0;
	for (int i = 0; i < n; i++)
		if (all[i] != cpu_mpidr())
			secondary_mpidr[n_secondaries++] = all[i];
	probe_diag("DT lists %d CPUs, testing %d secondaries (limit %d)", total, n_secondaries,
		   PROBE_MAX_CPUS - 1);
	return n_secondaries;
}

static int64_t affinity_info(uint64_t mpidr)
{
	return smccc_call(PSCI_FN_AFFINITY_INFO64, mpidr, 0, 0);
}

/* Starts secondary `slot` and checks what it wrote back. */
static bool start_and_verify(int slot)
{
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t mpidr = secondary_mpidr[slot];
	int64_t r = secondary_cpu_on(slot, mpidr, context_for(slot));

	if (!probe_check(r == PSCI_SUCCESS, "CPU_ON(0x%llx): expected SUCCESS, got %lld (%s)",
			 (unsigned long long)mpidr, (long long)r, psci_error_name(r)))
		return false;
	bool ran = WAIT_FOR(s->state == SECONDARY_RUNNING, CPU_ON_TIMEOUT_MS);
	if (!probe_check(ran, "CPU 0x%llx: no sign of life %d ms after CPU_ON (esr 0x%llx)",
			 (unsigned long long)mpidr, CPU_ON_TIMEOUT_MS,
			 (unsigned long long)s->esr))
		return false;
	bool ok = probe_check(s->token == SECONDARY_TOKEN(slot), "CPU 0x%llx: token 0x%llx",
			      (unsigned long long)mpidr, (unsigned long long)s->token);
	ok &= probe_check(s->mpidr == mpidr, "CPU_ON(0x%llx) started the CPU with MPIDR 0x%llx",
			  (unsigned long long)mpidr, (unsigned long long)s->mpidr);
	ok &= probe_check(s->context_id == context_for(slot),
			  "CPU 0x%llx: context_id expected 0x%llx, got 0x%llx",
			  (unsigned long long)mpidr, (unsigned long long)context_for(slot),
			  (unsigned long long)s->context_id);
	return ok;
}

PROBE_CASE(cpu_on_all, "psci.cpu_on.all_cores",
	   AVPS_CHECKS("CPU_ON of each DT secondary returns SUCCESS and the CPU runs the entry with its own MPIDR and "
	               "context_id"),
	   "AVPS.POWER.1")
static void cpu_on_all(void)
{
	if (find_secondaries() == 0) {
		probe_skip("the DT lists no secondary CPU");
		return;
	}
	for (int i = 0; i < n_secondaries; i++)
		secondary_up[i] = start_and_verify(i);
}

PROBE_CASE(cpu_on_already_on, "psci.cpu_on.already_on",
	   AVPS_CHECKS("CPU_ON of the calling CPU and of a running secondary returns ALREADY_ON"),
	   "AVPS.POWER.1")
static void cpu_on_already_on(void)
{
	/* CPU_ON of the caller itself must be ALREADY_ON too. */
	int64_t r = smccc_call(PSCI_FN_CPU_ON64, cpu_mpidr(), secondary_entry_address(), 0);
	probe_check(r == PSCI_ALREADY_ON, "CPU_ON(boot CPU): expected ALREADY_ON (-4), got %lld (%s)",
		    (long long)r, psci_error_name(r));
	for (int i = 0; i < n_secondaries; i++) {
		if (!secondary_up[i])
			continue;
		r = smccc_call(PSCI_FN_CPU_ON64, secondary_mpidr[i], secondary_entry_address(), 0);
		probe_check(r == PSCI_ALREADY_ON,
			    "CPU_ON(running 0x%llx): expected ALREADY_ON (-4), got %lld (%s)",
			    (unsigned long long)secondary_mpidr[i], (long long)r, psci_error_name(r));
		break;
	}
}

PROBE_CASE(cpu_on_invalid, "psci.cpu_on.invalid_mpidr",
	   AVPS_CHECKS("CPU_ON of an MPIDR not in the DT returns INVALID_PARAMETERS"),
	   "AVPS.POWER.1")
static void cpu_on_invalid(void)
{
	int64_t r = smccc_call(PSCI_FN_CPU_ON64, BAD_MPIDR, secondary_entry_address(), 0);
	probe_check(r == PSCI_INVALID_PARAMETERS,
		    "CPU_ON(0x%llx, not in the DT): expected INVALID_PARAMETERS (-2), got %lld (%s)",
		    BAD_MPIDR, (long long)r, psci_error_name(r));
}

PROBE_CASE(affinity_on, "psci.affinity_info.on",
	   AVPS_CHECKS("AFFINITY_INFO reports ON for the boot CPU and started secondaries, INVALID_PARAMETERS for an "
	               "unknown MPIDR"),
	   "AVPS.POWER.1")
static void affinity_on(void)
{
	int64_t r = affinity_info(cpu_mpidr());
	probe_check(r == AFFINITY_ON, "AFFINITY_INFO(boot CPU): expected ON (0), got %lld",
		    (long long)r);
	for (int i = 0; i < n_secondaries; i++) {
		if (!secondary_up[i])
			continue;
		r = affinity_info(secondary_mpidr[i]);
		probe_check(r == AFFINITY_ON, "AFFINITY_INFO(0x%llx) after CPU_ON: expected ON (0), "
			    "got %lld", (unsigned long long)secondary_mpidr[i], (long long)r);
	}
	r = affinity_info(BAD_MPIDR);
	probe_check(r == PSCI_INVALID_PARAMETERS, "AFFINITY_INFO(0x%llx): expected "
		    "INVALID_PARAMETERS (-2), got %lld", BAD_MPIDR, (long long)r);
}

/* Asks a running secondary to call CPU_OFF; true when AFFINITY_INFO reports it OFF. */
static bool turn_off(int slot)
{
	uint64_t mpidr = secondary_mpidr[slot];
	int64_t r = -100;

	secondary_command(slot, SECONDARY_CPU_OFF, 0);
	bool off = WAIT_FOR((r = affinity_info(mpidr)) == AFFINITY_OFF, CPU_ON_TIMEOUT_MS);
	probe_check(secondary_slots[slot].state != SECONDARY_FAILED,
		    "CPU_OFF on 0x%llx returned %lld (it must not return)",
		    (unsigned long long)mpidr, (long long)secondary_slots[slot].result);
	return probe_check(off, "AFFINITY_INFO(0x%llx) after its CPU_OFF: expected OFF (1) "
			   "within %d ms, last %lld", (unsigned long long)mpidr,
			   CPU_ON_TIMEOUT_MS, (long long)r);
}

PROBE_CASE(cpu_off, "psci.cpu_off",
	   AVPS_CHECKS("CPU_OFF on each running secondary does not return and AFFINITY_INFO then reports it OFF"),
	   "AVPS.POWER.1")
static void cpu_off(void)
{
	int tested = 0;
	for (int i = 0; i < n_secondaries; i++) {
		if (!secondary_up[i])
			continue;
		secondary_up[i] = !turn_off(i);
		tested++;
	}
	if (!tested)
		probe_skip("no secondary CPU running (none in the DT, or CPU_ON failed)");
}

PROBE_CASE(cpu_on_after_off, "psci.cpu_on.after_off",
	   AVPS_CHECKS("a secondary reported OFF by AFFINITY_INFO starts again with CPU_ON and is then reported ON"),
	   "AVPS.POWER.1")
static void cpu_on_after_off(void)
{
	if (n_secondaries <= 0) {
		probe_skip("the DT lists no secondary CPU");
		return;
	}
	/* The first secondary again: OFF -> ON -> OFF, watched through AFFINITY_INFO. */
	int64_t r = affinity_info(secondary_mpidr[0]);
	probe_check(r == AFFINITY_OFF, "AFFINITY_INFO(0x%llx) before CPU_ON: expected OFF (1), "
		    "got %lld", (unsigned long long)secondary_mpidr[0], (long long)r);
	if (start_and_verify(0)) {
		r = affinity_info(secondary_mpidr[0]);
		probe_check(r == AFFINITY_ON, "AFFINITY_INFO(0x%llx) after second CPU_ON: expected "
			    "ON (0), got %lld", (unsigned long long)secondary_mpidr[0], (long long)r);
		turn_off(0);
	}
}
