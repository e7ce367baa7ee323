/* PSCI 1.1 / SMCCC function-ID table, power_state encodings and result names: pure data and logic, host-testable. */
#ifndef PSCI_IDS_H
#define PSCI_IDS_H

#include <stdbool.h>
#include <stdint.h>

/* SMCCC function ID fields (DEN0028, "SMC and HVC Function Identifiers"). */
#define SMCCC_FAST_CALL        (1u << 31)
#define SMCCC_SMC64            (1u << 30)
#define SMCCC_OWNER_SHIFT      24
#define SMCCC_OWNER_MASK       0x3fu
#define SMCCC_FUNCTION_MASK    0xffffu

enum smccc_owner {
	SMCCC_OWNER_ARCH = 0, SMCCC_OWNER_CPU = 1, SMCCC_OWNER_SIP = 2, SMCCC_OWNER_OEM = 3,
	SMCCC_OWNER_STANDARD = 4, SMCCC_OWNER_STANDARD_HYP = 5, SMCCC_OWNER_VENDOR_HYP = 6,
	SMCCC_OWNER_TRUSTED_APP_FIRST = 48, SMCCC_OWNER_TRUSTED_OS_FIRST = 50,
};

static inline uint32_t smccc_fid(bool fast, bool smc64, unsigned owner, unsigned function)
{
	return (fast ? SMCCC_FAST_CALL : 0) | (smc64 ? SMCCC_SMC64 : 0) |
	       ((owner & SMCCC_OWNER_MASK) << SMCCC_OWNER_SHIFT) | (function & SMCCC_FUNCTION_MASK);
}
static inline unsigned smccc_owner(uint32_t fid) { return (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK; }
static inline bool smccc_is_smc64(uint32_t fid) { return (fid & SMCCC_SMC64) != 0; }
static inline bool smccc_is_fast(uint32_t fid) { return (fid & SMCCC_FAST_CALL) != 0; }
/* Owning-entity name ("Arm Architecture", ..., "Reserved", "Trusted OS"). */
const char *smccc_owner_name(unsigned owner);

/* PSCI functions by name; a function with SMC32 and SMC64 variants has both IDs. */
enum psci_function {
	PSCI_VERSION, PSCI_CPU_SUSPEND, PSCI_CPU_OFF, PSCI_CPU_ON, PSCI_AFFINITY_INFO, PSCI_MIGRATE,
	PSCI_MIGRATE_INFO_TYPE, PSCI_MIGRATE_INFO_UP_CPU, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET,
	PSCI_FEATURES, PSCI_CPU_FREEZE, PSCI_CPU_DEFAULT_SUSPEND, PSCI_NODE_HW_STATE,
	PSCI_SYSTEM_SUSPEND, PSCI_SET_SUSPEND_MODE, PSCI_STAT_RESIDENCY, PSCI_STAT_COUNT,
	PSCI_SYSTEM_RESET2, PSCI_MEM_PROTECT, PSCI_MEM_PROTECT_CHECK_RANGE, PSCI_FUNCTION_COUNT
};

struct psci_function_info {
	const char *name;
	uint32_t fid32;     /* 0 if the function has no SMC32 variant */
	uint32_t fid64;     /* 0 if the function has no SMC64 variant */
	bool mandatory;     /* PSCI 1.x: an implementation must provide it */
};

extern const struct psci_function_info psci_function_table[PSCI_FUNCTION_COUNT];
/* The ID an AArch64 caller uses: the SMC64 one where it exists. */
uint32_t psci_fid_native(enum psci_function f);
/* Name of a PSCI function ID ("CPU_ON64"), NULL if the ID is no PSCI 1.1 function. */
const char *psci_fid_name(uint32_t fid, char *buf, unsigned buflen);

/* PSCI return codes (DEN0022D, "Return error codes"). */
#define PSCI_RET_SUCCESS             0
#define PSCI_RET_NOT_SUPPORTED      -1
#define PSCI_RET_INVALID_PARAMETERS -2
#define PSCI_RET_DENIED             -3
#define PSCI_RET_ALREADY_ON         -4
#define PSCI_RET_ON_PENDING         -5
#define PSCI_RET_INTERNAL_FAILURE   -6
#define PSCI_RET_NOT_PRESENT        -7
#define PSCI_RET_DISABLED           -8
#define PSCI_RET_INVALID_ADDRESS    -9
/* Name of a return code; "positive" for >0, "unknown" below -9. */
const char *psci_result_name(int64_t ret);
/* An SMC32 result is w0: the upper half of x0 is not part of it. */
static inline int64_t smccc_result32(uint64_t x0) { return (int64_t)(int32_t)(uint32_t)x0; }

/* AFFINITY_INFO answers. */
#define PSCI_AFFINITY_ON          0
#define PSCI_AFFINITY_OFF         1
#define PSCI_AFFINITY_ON_PENDING  2

/* CPU_SUSPEND power_state (DEN0022D, "power_state parameter"): the two formats PSCI_FEATURES
 * bit 1 selects. Original: StateID [15:0], StateType [16], PowerLevel [25:24], others reserved.
 * Extended: StateID [27:0], StateType [30], others reserved. */
enum psci_state_type { PSCI_STATE_STANDBY = 0, PSCI_STATE_POWERDOWN = 1 };
struct psci_power_state {
	enum psci_state_type type;
	unsigned power_level;  /* original format only */
	uint32_t state_id;
};
uint32_t psci_power_state_encode(bool extended, const struct psci_power_state *s);
/* False when a reserved bit is set (the platform must reject it with INVALID_PARAMETERS). */
bool psci_power_state_decode(bool extended, uint32_t value, struct psci_power_state *s);
/* PSCI_FEATURES(CPU_SUSPEND) flags. */
#define PSCI_FEATURE_OSI_MODE        (1u << 0)
#define PSCI_FEATURE_EXTENDED_STATE  (1u << 1)
#define PSCI_FEATURE_CPU_SUSPEND_MASK 3u

/* SMCCC Arm Architecture calls (DEN0028). */
#define SMCCC_VERSION_FID           0x80000000u
#define SMCCC_ARCH_FEATURES_FID     0x80000001u
#define SMCCC_ARCH_SOC_ID_FID       0x80000002u
#define SMCCC_ARCH_WORKAROUND_1_FID 0x80008000u
#define SMCCC_ARCH_WORKAROUND_2_FID 0x80007fffu
#define SMCCC_ARCH_WORKAROUND_3_FID 0x80003fffu
#define SMCCC_UNKNOWN               -1

#endif
