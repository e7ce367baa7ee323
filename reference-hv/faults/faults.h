/* Fault switches: each breaks exactly one platform requirement in one VM, named in the config by `fault <name>`. */
#ifndef REFHV_FAULTS_H
#define REFHV_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

enum fault_id {
	FAULT_PSCI_VERSION_0_2,
	FAULT_PSCI_FEATURES_UNKNOWN_SUCCEEDS,
	FAULT_PSCI_FEATURES_NO_CPU_SUSPEND,
	FAULT_MIGRATE_INFO_TYPE_INVALID,
	FAULT_SMCCC_VERSION_1_0,
	FAULT_SMCCC_ARCH_FEATURES_UNKNOWN_SUCCEEDS,
	FAULT_CPU_ON_DROPS_CONTEXT_ID,
	FAULT_CPU_ON_ALREADY_ON_SUCCEEDS,
	FAULT_CPU_ON_ACCEPTS_ANY_MPIDR,
	FAULT_CPU_OFF_RETURNS,
	FAULT_AFFINITY_INFO_ALWAYS_ON,
	FAULT_SYSTEM_OFF_IGNORED,
	FAULT_SYSTEM_RESET_POWERS_OFF,
	FAULT_DT_NO_PSCI_NODE,
	FAULT_STAGE2_HOLE,
	FAULT_CPU_SUSPEND_REJECTS_STANDBY,
	FAULT_AFFINITY_INFO_ALWAYS_OFF,
	FAULT_CPU_ON_AFTER_OFF_FAILS,
	FAULT_CPU_ON_AFTER_OFF_LOSES_CONTEXT_ID,
	FAULT_COUNT
};

struct fault_switch {
	const char *name;
	const char *breaks;   /* one line: the requirement this switch violates */
};

extern const struct fault_switch fault_switches[FAULT_COUNT];

/* The fault's id, or -1 for an unknown name. */
int fault_by_name(const char *name, unsigned len);

static inline bool fault_on(uint32_t faults, enum fault_id id)
{
	return (faults >> id) & 1u;
}

#endif
