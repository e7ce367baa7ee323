/* The table of fault switches: name in the config and the requirement each one breaks. */
#include <string.h>

#include "faults.h"

const struct fault_switch fault_switches[FAULT_COUNT] = {
	[FAULT_PSCI_VERSION_0_2] = { "psci-version-0.2",
		"PSCI_VERSION reports 0.2 although PSCI_FEATURES (1.0+) is offered" },
	[FAULT_PSCI_FEATURES_UNKNOWN_SUCCEEDS] = { "psci-features-unknown-succeeds",
		"PSCI_FEATURES answers SUCCESS for function IDs that do not exist" },
	[FAULT_PSCI_FEATURES_NO_CPU_SUSPEND] = { "psci-features-no-cpu-suspend",
		"PSCI_FEATURES reports the mandatory CPU_SUSPEND64 as NOT_SUPPORTED" },
	[FAULT_MIGRATE_INFO_TYPE_INVALID] = { "migrate-info-type-invalid",
		"MIGRATE_INFO_TYPE returns 3, outside the defined 0..2" },
	[FAULT_SMCCC_VERSION_1_0] = { "smccc-version-1.0",
		"SMCCC_VERSION reports 1.0 although PSCI_FEATURES offers SMCCC_VERSION" },
	[FAULT_SMCCC_ARCH_FEATURES_UNKNOWN_SUCCEEDS] = { "smccc-arch-features-unknown-succeeds",
		"SMCCC_ARCH_FEATURES answers 0 (implemented) for an unknown function ID" },
	[FAULT_CPU_ON_DROPS_CONTEXT_ID] = { "cpu-on-drops-context-id",
		"CPU_ON starts the CPU with x0 = 0 instead of the caller's context_id" },
	[FAULT_CPU_ON_ALREADY_ON_SUCCEEDS] = { "cpu-on-already-on-succeeds",
		"CPU_ON of a CPU that is already on answers SUCCESS instead of ALREADY_ON" },
	[FAULT_CPU_ON_ACCEPTS_ANY_MPIDR] = { "cpu-on-accepts-any-mpidr",
		"CPU_ON of an MPIDR that names no CPU answers SUCCESS instead of INVALID_PARAMETERS" },
	[FAULT_CPU_OFF_RETURNS] = { "cpu-off-returns",
		"CPU_OFF returns DENIED to the caller instead of powering the CPU down" },
	[FAULT_AFFINITY_INFO_ALWAYS_ON] = { "affinity-info-always-on",
		"AFFINITY_INFO reports every existing CPU ON, even after its CPU_OFF" },
	[FAULT_SYSTEM_OFF_IGNORED] = { "system-off-ignored",
		"SYSTEM_OFF returns to the caller and the VM keeps running" },
	[FAULT_SYSTEM_RESET_POWERS_OFF] = { "system-reset-powers-off",
		"SYSTEM_RESET powers the VM off instead of resetting it" },
	[FAULT_DT_NO_PSCI_NODE] = { "dt-no-psci-node",
		"the guest device tree has no /psci node, so the guest finds no PSCI conduit" },
	[FAULT_STAGE2_HOLE] = { "stage2-hole",
		"stage 2 maps the next VM's RAM right after this VM's RAM: one VM reads another's memory" },
	[FAULT_CPU_SUSPEND_REJECTS_STANDBY] = { "cpu-suspend-rejects-standby",
		"CPU_SUSPEND answers INVALID_PARAMETERS for the valid standby power_state 0" },
	[FAULT_AFFINITY_INFO_ALWAYS_OFF] = { "affinity-info-always-off",
		"AFFINITY_INFO reports every existing CPU OFF, even the running caller" },
	[FAULT_CPU_ON_AFTER_OFF_FAILS] = { "cpu-on-after-off-fails",
		"CPU_ON of a CPU that ran before and called CPU_OFF answers INTERNAL_FAILURE" },
	[FAULT_CPU_ON_AFTER_OFF_LOSES_CONTEXT_ID] = { "cpu-on-after-off-loses-context-id",
		"every 500th start of a CPU enters it with x0 = 0, not CPU_ON's context_id (Xen 4.17's race, made certain)" },
};

int fault_by_name(const char *name, unsigned len)
{
	for (int i = 0; i < FAULT_COUNT; i++)
		if (strlen(fault_switches[i].name) == len && memcmp(fault_switches[i].name, name, len) == 0)
			return i;
	return -1;
}
