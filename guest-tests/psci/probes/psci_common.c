/* Shared helpers of the PSCI probe: the DT's secondaries, start/stop with verification, feature and version queries. */
#include "psci_common.h"

uint64_t secondary_mpidr[PROBE_MAX_CPUS];
int n_secondaries = -1;
bool secondary_lost[PROBE_MAX_CPUS];

uint64_t context_for(int slot)
{
	return 0xc0de5eed00000000ULL | ((uint64_t)slot << 8) | 0x5a;
}

int find_secondaries(void)
{
	uint64_t all[PROBE_MAX_CPUS];
	int total = 0, n;

	if (n_secondaries >= 0)
		return n_secondaries;
	n = dt_cpu_mpidrs(all, PROBE_MAX_CPUS, &total);
	n_secondaries = 0;
	for (int i = 0; i < n; i++)
		if (all[i] != cpu_mpidr())
			secondary_mpidr[n_secondaries++] = all[i];
	probe_diag("DT lists %d CPUs, testing %d secondaries (limit %d)", total, n_secondaries,
		   PROBE_MAX_CPUS - 1);
	return n_secondaries;
}

int64_t psci_features(uint32_t fid)
{
	return smccc_call(PSCI_FN_FEATURES, fid, 0, 0);
}

int64_t affinity_info(uint64_t mpidr, unsigned level)
{
	return smccc_call(PSCI_FN_AFFINITY_INFO64, mpidr, level, 0);
}

int64_t smccc_version(void)
{
	static int64_t version;
	if (!version) {
		int64_t f = psci_features(SMCCC_VERSION_FID);
		version = f < 0 ? 0x10000 : smccc_call(SMCCC_VERSION_FID, 0, 0, 0);
	}
	return version;
}

bool start_and_verify(int slot)
{
	return start_and_verify_with(slot, context_for(slot));
}

bool start_and_verify_with(int slot, uint64_t context_id)
{
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t mpidr = secondary_mpidr[slot];
	int64_t r = secondary_cpu_on(slot, mpidr, context_id);

	if (!probe_check(r == PSCI_SUCCESS, "CPU_ON(0x%llx): expected SUCCESS, got %lld (%s)",
			 (unsigned long long)mpidr, (long long)r, psci_error_name(r)))
		return false;
	bool ran = WAIT_FOR(s->state == SECONDARY_RUNNING, CPU_ON_TIMEOUT_MS);
	if (!probe_check(ran, "CPU 0x%llx: no sign of life %d ms after CPU_ON (esr 0x%llx)",
			 (unsigned long long)mpidr, CPU_ON_TIMEOUT_MS, (unsigned long long)s->esr)) {
		secondary_lost[slot] = true;
		return false;
	}
	bool ok = probe_check(s->token == SECONDARY_TOKEN(slot), "CPU 0x%llx: token 0x%llx",
			      (unsigned long long)mpidr, (unsigned long long)s->token);
	ok &= probe_check(s->mpidr == mpidr, "CPU_ON(0x%llx) started the CPU with MPIDR 0x%llx",
			  (unsigned long long)mpidr, (unsigned long long)s->mpidr);
	ok &= probe_check(s->context_id == context_id,
			  "CPU 0x%llx: context_id expected 0x%llx, got 0x%llx",
			  (unsigned long long)mpidr, (unsigned long long)context_id,
			  (unsigned long long)s->context_id);
	return ok;
}

bool restart_then_off(int slot, uint64_t context_id)
{
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t mpidr = secondary_mpidr[slot];
	int64_t r = secondary_cpu_on_then_off(slot, mpidr, context_id), a = -100;

	if (!probe_check(r == PSCI_SUCCESS, "CPU_ON(0x%llx): expected SUCCESS, got %lld (%s)",
			 (unsigned long long)mpidr, (long long)r, psci_error_name(r)))
		return false;
	/* Polling starts as the CPU enters, before its CPU_OFF can finish, and stops at the first OFF. */
	if (!probe_check(WAIT_FOR(s->entries != 0, CPU_ON_TIMEOUT_MS), "CPU 0x%llx: no sign of life %d ms after "
			 "CPU_ON (esr 0x%llx)", (unsigned long long)mpidr, CPU_ON_TIMEOUT_MS, (unsigned long long)s->esr)) {
		secondary_lost[slot] = true;
		return false;
	}
	bool off = WAIT_FOR((a = affinity_info(mpidr, 0)) == PSCI_AFFINITY_OFF, CPU_ON_TIMEOUT_MS);
	bool ok = probe_check(s->state != SECONDARY_FAILED, "CPU_OFF on 0x%llx returned %lld (it must not return)",
			      (unsigned long long)mpidr, (long long)s->result);
	ok &= probe_check(s->token == SECONDARY_TOKEN(slot), "CPU 0x%llx: token 0x%llx", (unsigned long long)mpidr,
			  (unsigned long long)s->token);
	ok &= probe_check(s->mpidr == mpidr, "CPU_ON(0x%llx) started the CPU with MPIDR 0x%llx",
			  (unsigned long long)mpidr, (unsigned long long)s->mpidr);
	ok &= probe_check(s->context_id == context_id, "CPU 0x%llx: context_id expected 0x%llx, got 0x%llx",
			  (unsigned long long)mpidr, (unsigned long long)context_id, (unsigned long long)s->context_id);
	if (off)
		s->state = SECONDARY_DOWN;
	return probe_check(off, "AFFINITY_INFO(0x%llx) after its CPU_OFF: expected OFF (1) within %d ms, last %lld",
			   (unsigned long long)mpidr, CPU_ON_TIMEOUT_MS, (long long)a) && ok;
}

bool turn_off(int slot)
{
	if (!turn_off_at_once(slot))
		return false;
	off_settle();
	return true;
}

void off_settle(void)
{
	uint64_t end = timer_count() + timer_freq() / 1000 * OFF_SETTLE_MS;
	while (timer_count() < end)
		;
}

bool turn_off_at_once(int slot)
{
	uint64_t mpidr = secondary_mpidr[slot];
	int64_t r = -100;

	secondary_command(slot, SECONDARY_CPU_OFF, 0);
	bool off = WAIT_FOR((r = affinity_info(mpidr, 0)) == PSCI_AFFINITY_OFF, CPU_ON_TIMEOUT_MS);
	probe_check(secondary_slots[slot].state != SECONDARY_FAILED,
		    "CPU_OFF on 0x%llx returned %lld (it must not return)",
		    (unsigned long long)mpidr, (long long)secondary_slots[slot].result);
	if (off)
		secondary_slots[slot].state = SECONDARY_DOWN;
	return probe_check(off, "AFFINITY_INFO(0x%llx) after its CPU_OFF: expected OFF (1) "
			   "within %d ms, last %lld", (unsigned long long)mpidr,
			   CPU_ON_TIMEOUT_MS, (long long)r);
}

bool ensure_running(int slot)
{
	if (slot < 0 || slot >= n_secondaries || secondary_lost[slot])
		return false;
	if (secondary_slots[slot].state == SECONDARY_RUNNING &&
	    affinity_info(secondary_mpidr[slot], 0) == PSCI_AFFINITY_ON)
		return true;
	return start_and_verify(slot);
}

int pick_running(int except)
{
	for (int i = 0; i < n_secondaries; i++)
		if (i != except && !secondary_lost[i] && ensure_running(i))
			return i;
	return -1;
}
