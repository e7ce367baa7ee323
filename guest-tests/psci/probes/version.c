/* Discovery calls: PSCI_VERSION, PSCI_FEATURES (every function, and an unknown one), MIGRATE_INFO_TYPE. */
#include "probe.h"

const char probe_name[] = "psci";

/* The probe's final SYSTEM_OFF is a case too: the host sees the VM stop (not reset). */
const char *const probe_system_off_case = "psci.system_off";
AVPS_CASE_RECORD(psci_system_off_manifest, "psci.system_off", "psci.system_off",
	   AVPS_CHECKS("the probe's final SYSTEM_OFF powers the VM off (host sees a shutdown, not a reset)"),
	   "AVPS.POWER.1")

struct psci_function {
	uint32_t fid;
	const char *name;
	bool mandatory;   /* PSCI 1.x: PSCI_FEATURES must report it implemented */
};

/* PSCI 1.1 (DEN0022) function table; 64-bit callers use the SMC64 IDs. */
static const struct psci_function psci_functions[] = {
	{ 0x84000000, "PSCI_VERSION", true },
	{ 0x84000001, "CPU_SUSPEND32", false },
	{ 0xc4000001, "CPU_SUSPEND64", true },
	{ 0x84000002, "CPU_OFF", true },
	{ 0x84000003, "CPU_ON32", false },
	{ 0xc4000003, "CPU_ON64", true },
	{ 0x84000004, "AFFINITY_INFO32", false },
	{ 0xc4000004, "AFFINITY_INFO64", true },
	{ 0x84000005, "MIGRATE32", false },
	{ 0xc4000005, "MIGRATE64", false },
	{ 0x84000006, "MIGRATE_INFO_TYPE", false },
	{ 0x84000007, "MIGRATE_INFO_UP_CPU32", false },
	{ 0xc4000007, "MIGRATE_INFO_UP_CPU64", false },
	{ 0x84000008, "SYSTEM_OFF", true },
	{ 0x84000009, "SYSTEM_RESET", true },
	{ 0x8400000a, "PSCI_FEATURES", true },
	{ 0x8400000b, "CPU_FREEZE", false },
	{ 0x8400000c, "CPU_DEFAULT_SUSPEND32", false },
	{ 0xc400000c, "CPU_DEFAULT_SUSPEND64", false },
	{ 0x8400000d, "NODE_HW_STATE32", false },
	{ 0xc400000d, "NODE_HW_STATE64", false },
	{ 0x8400000e, "SYSTEM_SUSPEND32", false },
	{ 0xc400000e, "SYSTEM_SUSPEND64", false },
	{ 0x8400000f, "PSCI_SET_SUSPEND_MODE", false },
	{ 0x84000010, "PSCI_STAT_RESIDENCY32", false },
	{ 0xc4000010, "PSCI_STAT_RESIDENCY64", false },
	{ 0x84000011, "PSCI_STAT_COUNT32", false },
	{ 0xc4000011, "PSCI_STAT_COUNT64", false },
	{ 0x84000012, "SYSTEM_RESET2_32", false },
	{ 0xc4000012, "SYSTEM_RESET2_64", false },
	{ 0x84000013, "MEM_PROTECT", false },
	{ 0x84000014, "MEM_PROTECT_CHECK_RANGE32", false },
	{ 0xc4000014, "MEM_PROTECT_CHECK_RANGE64", false },
};
#define N_FUNCTIONS (int)(sizeof(psci_functions) / sizeof(psci_functions[0]))

static int64_t psci_features(uint32_t fid)
{
	return smccc_call(PSCI_FN_FEATURES, fid, 0, 0);
}

PROBE_CASE(psci_version, "psci.version",
	   AVPS_CHECKS("PSCI_VERSION returns 1.0 or later"),
	   "AVPS.POWER.1")
static void psci_version(void)
{
	int64_t v = smccc_call(PSCI_FN_VERSION, 0, 0, 0);
	probe_diag("PSCI_VERSION = 0x%llx (%lld.%lld)", (unsigned long long)v,
		   (long long)(v >> 16), (long long)(v & 0xffff));
	/* PSCI_FEATURES, the only way to discover optional functions, came with 1.0. */
	probe_check(v >= 0x10000 && v < 0x80000000,
		    "expected PSCI >= 1.0 (0x10000), got 0x%llx", (unsigned long long)v);
}

PROBE_CASE(psci_features_mandatory, "psci.features.mandatory",
	   AVPS_CHECKS("PSCI_FEATURES reports every function PSCI 1.x makes mandatory as implemented (>= 0)"),
	   "AVPS.POWER.1")
static void psci_features_mandatory(void)
{
	for (int i = 0; i < N_FUNCTIONS; i++) {
		if (!psci_functions[i].mandatory)
			continue;
		int64_t r = psci_features(psci_functions[i].fid);
		probe_check(r >= 0, "PSCI_FEATURES(%s 0x%x): expected >= 0, got %lld (%s)",
			    psci_functions[i].name, psci_functions[i].fid, (long long)r,
			    psci_error_name(r));
	}
}

PROBE_CASE(psci_features_optional, "psci.features.optional",
	   AVPS_CHECKS("PSCI_FEATURES answers each optional function with >= 0 or NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void psci_features_optional(void)
{
	char offered[100];
	int len = 0;

	offered[0] = '\0';
	for (int i = 0; i < N_FUNCTIONS; i++) {
		if (psci_functions[i].mandatory)
			continue;
		int64_t r = psci_features(psci_functions[i].fid);
		/* Only "implemented (>= 0)" or NOT_SUPPORTED are valid answers. */
		probe_check(r >= 0 || r == PSCI_NOT_SUPPORTED,
			    "PSCI_FEATURES(%s): expected >= 0 or NOT_SUPPORTED, got %lld (%s)",
			    psci_functions[i].name, (long long)r, psci_error_name(r));
		if (r >= 0) {
			if (len > 70) {
				probe_diag("offered: %s", offered);
				len = 0;
			}
			for (const char *p = psci_functions[i].name; *p && len < 98; p++)
				offered[len++] = *p;
			offered[len++] = ' ';
			offered[len] = '\0';
		}
	}
	probe_diag("offered: %s", len ? offered : "(no optional function)");
}

PROBE_CASE(psci_features_unknown, "psci.features.unknown_function",
	   AVPS_CHECKS("PSCI_FEATURES answers three unassigned function IDs with NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void psci_features_unknown(void)
{
	/* 0x8400001f / 0xc400001f: inside the PSCI range, assigned to nothing. */
	static const uint32_t unknown[] = { 0x8400001f, 0xc400001f, 0x84000100 };
	for (int i = 0; i < 3; i++) {
		int64_t r = psci_features(unknown[i]);
		probe_check(r == PSCI_NOT_SUPPORTED,
			    "PSCI_FEATURES(0x%x): expected NOT_SUPPORTED (-1), got %lld (%s)",
			    unknown[i], (long long)r, psci_error_name(r));
	}
}

PROBE_CASE(psci_migrate_info_type, "psci.migrate_info_type",
	   AVPS_CHECKS("MIGRATE_INFO_TYPE returns NOT_SUPPORTED when PSCI_FEATURES says so, else 0, 1 or 2"),
	   "AVPS.POWER.1")
static void psci_migrate_info_type(void)
{
	int64_t f = psci_features(PSCI_FN_MIGRATE_INFO_TYPE);
	int64_t r = smccc_call(PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0);

	probe_diag("PSCI_FEATURES(MIGRATE_INFO_TYPE) = %lld, MIGRATE_INFO_TYPE = %lld",
		   (long long)f, (long long)r);
	if (f == PSCI_NOT_SUPPORTED) {
		probe_check(r == PSCI_NOT_SUPPORTED,
			    "not offered by PSCI_FEATURES, yet the call returned %lld", (long long)r);
		return;
	}
	/* 0: migrate capable, 1: not migrate capable, 2: no Trusted OS to migrate. */
	probe_check(r >= 0 && r <= 2, "expected 0, 1 or 2, got %lld (%s)", (long long)r,
		    psci_error_name(r));
}
