/* Cases that may leave a CPU unusable, run last: CPU_ON to an entry point outside memory. */
#include "psci_common.h"

#define NO_MEMORY_ADDRESS 0xfffffffff000ULL   /* top of a 48-bit PA space: no RAM there */

PROBE_CASE(cpu_on_invalid_entry, "psci.cpu_on.invalid_entry",
	   AVPS_CHECKS("CPU_ON (DEN0022D CPU_ON) to an entry point outside all memory: INVALID_ADDRESS, or SUCCESS from an implementation that cannot tell"),
	   "AVPS.POWER.1")
static void cpu_on_invalid_entry(void)
{
	int slot = -1;
	find_secondaries();
	for (int i = n_secondaries - 1; i >= 0; i--)
		if (!secondary_lost[i] && affinity_info(secondary_mpidr[i], 0) == PSCI_AFFINITY_OFF) {
			slot = i;
			break;
		}
	for (int i = n_secondaries - 1; slot < 0 && i >= 0; i--)
		if (!secondary_lost[i] && secondary_slots[i].state == SECONDARY_RUNNING && turn_off(i))
			slot = i;
	if (slot < 0) {
		probe_skip("no secondary CPU could be turned OFF to try it on");
		return;
	}
	int64_t r = smccc_call(PSCI_FN_CPU_ON64, secondary_mpidr[slot], NO_MEMORY_ADDRESS, 0);
	probe_diag("CPU_ON(0x%llx, entry 0x%llx) = %lld (%s)", (unsigned long long)secondary_mpidr[slot],
		   NO_MEMORY_ADDRESS, (long long)r, psci_error_name(r));
	/* A SUCCESS leaves the CPU running nowhere: it is lost for the rest of the probe. */
	secondary_lost[slot] = r == PSCI_SUCCESS;
	probe_check(r == PSCI_INVALID_ADDRESS || r == PSCI_SUCCESS,
		    "expected INVALID_ADDRESS (-9) (or SUCCESS), got %lld (%s)", (long long)r, psci_error_name(r));
}
