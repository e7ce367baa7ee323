/* PSCI 1.1 function table (DEN0022D), SMCCC owning entities (DEN0028), power_state encode/decode, result names. */
#include <stddef.h>

#include "psci_ids.h"

const struct psci_function_info psci_function_table[PSCI_FUNCTION_COUNT] = {
	[PSCI_VERSION]                 = { "PSCI_VERSION", 0x84000000u, 0, true },
	[PSCI_CPU_SUSPEND]             = { "CPU_SUSPEND", 0x84000001u, 0xc4000001u, true },
	[PSCI_CPU_OFF]                 = { "CPU_OFF", 0x84000002u, 0, true },
	[PSCI_CPU_ON]                  = { "CPU_ON", 0x84000003u, 0xc4000003u, true },
	[PSCI_AFFINITY_INFO]           = { "AFFINITY_INFO", 0x84000004u, 0xc4000004u, true },
	[PSCI_MIGRATE]                 = { "MIGRATE", 0x84000005u, 0xc4000005u, false },
	[PSCI_MIGRATE_INFO_TYPE]       = { "MIGRATE_INFO_TYPE", 0x84000006u, 0, false },
	[PSCI_MIGRATE_INFO_UP_CPU]     = { "MIGRATE_INFO_UP_CPU", 0x84000007u, 0xc4000007u, false },
	[PSCI_SYSTEM_OFF]              = { "SYSTEM_OFF", 0x84000008u, 0, true },
	[PSCI_SYSTEM_RESET]            = { "SYSTEM_RESET", 0x84000009u, 0, true },
	[PSCI_FEATURES]                = { "PSCI_FEATURES", 0x8400000au, 0, true },
	[PSCI_CPU_FREEZE]              = { "CPU_FREEZE", 0x8400000bu, 0, false },
	[PSCI_CPU_DEFAULT_SUSPEND]     = { "CPU_DEFAULT_SUSPEND", 0x8400000cu, 0xc400000cu, false },
	[PSCI_NODE_HW_STATE]           = { "NODE_HW_STATE", 0x8400000du, 0xc400000du, false },
	[PSCI_SYSTEM_SUSPEND]          = { "SYSTEM_SUSPEND", 0x8400000eu, 0xc400000eu, false },
	[PSCI_SET_SUSPEND_MODE]        = { "PSCI_SET_SUSPEND_MODE", 0x8400000fu, 0, false },
	[PSCI_STAT_RESIDENCY]          = { "PSCI_STAT_RESIDENCY", 0x84000010u, 0xc4000010u, false },
	[PSCI_STAT_COUNT]              = { "PSCI_STAT_COUNT", 0x84000011u, 0xc4000011u, false },
	[PSCI_SYSTEM_RESET2]           = { "SYSTEM_RESET2", 0x84000012u, 0xc4000012u, false },
	[PSCI_MEM_PROTECT]             = { "MEM_PROTECT", 0x84000013u, 0, false },
	[PSCI_MEM_PROTECT_CHECK_RANGE] = { "MEM_PROTECT_CHECK_RANGE", 0x84000014u, 0xc4000014u, false },
};

uint32_t psci_fid_native(enum psci_function f)
{
	const struct psci_function_info *i = &psci_function_table[f];
	return i->fid64 ? i->fid64 : i->fid32;
}

static void append(char *buf, unsigned buflen, unsigned *at, const char *text)
{
	while (*text && *at + 1 < buflen)
		buf[(*at)++] = *text++;
	buf[*at] = '\0';
}

const char *psci_fid_name(uint32_t fid, char *buf, unsigned buflen)
{
	for (int f = 0; f < PSCI_FUNCTION_COUNT; f++) {
		const struct psci_function_info *i = &psci_function_table[f];
		if (fid != i->fid32 && fid != i->fid64)
			continue;
		unsigned at = 0;
		if (buflen == 0)
			return NULL;
		append(buf, buflen, &at, i->name);
		/* Only functions with both variants carry a 32/64 suffix. */
		if (i->fid32 && i->fid64)
			append(buf, buflen, &at, fid == i->fid64 ? "64" : "32");
		return buf;
	}
	return NULL;
}

const char *smccc_owner_name(unsigned owner)
{
	static const char *const names[] = {
		"Arm Architecture", "CPU Service", "SiP Service", "OEM Service",
		"Standard Secure Service", "Standard Hypervisor Service", "Vendor Specific Hypervisor Service",
	};
	if (owner < 7)
		return names[owner];
	if (owner < 48)
		return "Reserved";
	if (owner < 50)
		return "Trusted Application";
	if (owner < 64)
		return "Trusted OS";
	return "invalid";
}

const char *psci_result_name(int64_t ret)
{
	static const char *const names[] = {
		"SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "ALREADY_ON",
		"ON_PENDING", "INTERNAL_FAILURE", "NOT_PRESENT", "DISABLED", "INVALID_ADDRESS",
	};
	if (ret > 0)
		return "positive";
	if (ret >= -9)
		return names[-ret];
	return "unknown";
}

#define ORIG_STATE_ID_MASK   0xffffu
#define ORIG_TYPE_BIT        16
#define ORIG_LEVEL_SHIFT     24
#define ORIG_LEVEL_MASK      3u
#define ORIG_VALID_MASK      (ORIG_STATE_ID_MASK | (1u << ORIG_TYPE_BIT) | (ORIG_LEVEL_MASK << ORIG_LEVEL_SHIFT))
#define EXT_STATE_ID_MASK    0x0fffffffu
#define EXT_TYPE_BIT         30
#define EXT_VALID_MASK       (EXT_STATE_ID_MASK | (1u << EXT_TYPE_BIT))

uint32_t psci_power_state_encode(bool extended, const struct psci_power_state *s)
{
	if (extended)
		return (s->state_id & EXT_STATE_ID_MASK) | ((uint32_t)(s->type & 1) << EXT_TYPE_BIT);
	return (s->state_id & ORIG_STATE_ID_MASK) | ((uint32_t)(s->type & 1) << ORIG_TYPE_BIT) |
	       ((s->power_level & ORIG_LEVEL_MASK) << ORIG_LEVEL_SHIFT);
}

bool psci_power_state_decode(bool extended, uint32_t value, struct psci_power_state *s)
{
	if (extended) {
		s->state_id = value & EXT_STATE_ID_MASK;
		s->type = (value >> EXT_TYPE_BIT) & 1 ? PSCI_STATE_POWERDOWN : PSCI_STATE_STANDBY;
		s->power_level = 0;
		return (value & ~EXT_VALID_MASK) == 0;
	}
	s->state_id = value & ORIG_STATE_ID_MASK;
	s->type = (value >> ORIG_TYPE_BIT) & 1 ? PSCI_STATE_POWERDOWN : PSCI_STATE_STANDBY;
	s->power_level = (value >> ORIG_LEVEL_SHIFT) & ORIG_LEVEL_MASK;
	return (value & ~ORIG_VALID_MASK) == 0;
}
