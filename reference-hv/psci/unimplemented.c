/* Function IDs refhv does not implement: SMCCC's Unknown Function answer (-1), and the fault switches that answer them otherwise. */
#include "faults.h"
#include "psci.h"

#define SMCCC_FAST_CALL (1u << 31)
#define SMCCC_OWNER(fid) (((fid) >> 24) & 0x3f)
#define SMCCC_FUNCTION(fid) ((fid) & 0xffff)
#define OWNER_ARCH 0
#define OWNER_STANDARD_SECURE 4
#define OWNER_STANDARD_HYPERVISOR 5
#define OWNER_RESERVED_FIRST 7
#define OWNER_RESERVED_LAST 47
/* PSCI uses function numbers 0x00-0x1f of the Standard Secure service (DEN0022D 5.1). */
#define PSCI_FUNCTIONS_END 0x20

/* Optional PSCI 1.1 functions refhv does not offer, and what each one's fault switch makes the call answer. */
static const struct unoffered_answer {
	enum fault_id fault;
	uint32_t fid32, fid64;
	int64_t answer;
} unoffered[] = {
	{ FAULT_MIGRATE_UNOFFERED_ANSWERS, 0x84000005u, 0xc4000005u, PSCI_INVALID_PARAMETERS },
	{ FAULT_MIGRATE_INFO_UP_CPU_UNOFFERED_ANSWERS, 0x84000007u, 0xc4000007u, 0 },
	{ FAULT_CPU_FREEZE_UNOFFERED_ANSWERS, 0x8400000bu, 0, PSCI_SUCCESS },
	{ FAULT_CPU_DEFAULT_SUSPEND_UNOFFERED_ANSWERS, 0x8400000cu, 0xc400000cu, PSCI_SUCCESS },
	{ FAULT_NODE_HW_STATE_UNOFFERED_ANSWERS, 0x8400000du, 0xc400000du, 0 },
	{ FAULT_SYSTEM_SUSPEND_UNOFFERED_ANSWERS, 0x8400000eu, 0xc400000eu, PSCI_DENIED },
	{ FAULT_SET_SUSPEND_MODE_UNOFFERED_ANSWERS, 0x8400000fu, 0, PSCI_SUCCESS },
	{ FAULT_STAT_RESIDENCY_UNOFFERED_ANSWERS, 0x84000010u, 0xc4000010u, 0 },
	{ FAULT_STAT_COUNT_UNOFFERED_ANSWERS, 0x84000011u, 0xc4000011u, 0 },
	{ FAULT_SYSTEM_RESET2_UNOFFERED_ANSWERS, 0x84000012u, 0xc4000012u, PSCI_INVALID_PARAMETERS },
	{ FAULT_MEM_PROTECT_UNOFFERED_ANSWERS, 0x84000013u, 0, 0 },
	{ FAULT_MEM_PROTECT_CHECK_RANGE_UNOFFERED_ANSWERS, 0x84000014u, 0xc4000014u, PSCI_SUCCESS },
};

int64_t smccc_unimplemented(struct fault_set faults, uint32_t fid)
{
	for (unsigned i = 0; i < sizeof(unoffered) / sizeof(unoffered[0]); i++) {
		const struct unoffered_answer *u = &unoffered[i];
		if (fault_on(faults, u->fault) && (fid == u->fid32 || (u->fid64 && fid == u->fid64)))
			return u->answer;
	}
	unsigned owner = SMCCC_OWNER(fid);
	enum fault_id answers_0;
	if (!(fid & SMCCC_FAST_CALL))
		answers_0 = FAULT_SMCCC_UNKNOWN_YIELDING_RETURNS_0;
	else if (owner == OWNER_STANDARD_SECURE && SMCCC_FUNCTION(fid) < PSCI_FUNCTIONS_END)
		answers_0 = FAULT_PSCI_UNASSIGNED_IDS_RETURN_0;
	else if (owner == OWNER_ARCH)
		answers_0 = FAULT_SMCCC_UNKNOWN_ARCH_RETURNS_0;
	else if (owner == OWNER_STANDARD_SECURE)
		answers_0 = FAULT_SMCCC_UNKNOWN_STANDARD_RETURNS_0;
	else if (owner == OWNER_STANDARD_HYPERVISOR)
		answers_0 = FAULT_SMCCC_UNKNOWN_HYPERVISOR_RETURNS_0;
	else if (owner >= OWNER_RESERVED_FIRST && owner <= OWNER_RESERVED_LAST)
		answers_0 = FAULT_SMCCC_UNKNOWN_RESERVED_RETURNS_0;
	else
		return PSCI_NOT_SUPPORTED;
	return fault_on(faults, answers_0) ? 0 : PSCI_NOT_SUPPORTED;
}
