/* Discovery calls: PSCI_VERSION, PSCI_FEATURES (every function, flags, unknown IDs), MIGRATE_INFO_TYPE against MIGRATE / MIGRATE_INFO_UP_CPU. */
#include "psci_common.h"

const char probe_name[] = "psci";

/* The probe's final SYSTEM_OFF is a case too: the host sees the VM stop (not reset). */
const char *const probe_system_off_case = "psci.system_off";
AVPS_CASE_RECORD(psci_system_off_manifest, "psci.system_off", "psci.system_off",
		 AVPS_CHECKS("PSCI SYSTEM_OFF (DEN0022D SYSTEM_OFF) powers the VM off: the host sees a shutdown, not a reset"),
		 "AVPS.POWER.1")

PROBE_CASE(psci_version, "psci.version",
	   AVPS_CHECKS("PSCI_VERSION (DEN0022D PSCI_VERSION) reports 1.0 or later, bit 31 clear"), "AVPS.POWER.1")
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
	   AVPS_CHECKS("PSCI_FEATURES (DEN0022D PSCI_FEATURES) reports every function PSCI 1.x makes mandatory as implemented"),
	   "AVPS.POWER.1")
static void psci_features_mandatory(void)
{
	for (int f = 0; f < PSCI_FUNCTION_COUNT; f++) {
		if (!psci_function_table[f].mandatory)
			continue;
		uint32_t fid = psci_fid_native((enum psci_function)f);
		int64_t r = psci_features(fid);
		probe_check(r >= 0, "PSCI_FEATURES(%s 0x%x): expected >= 0, got %lld (%s)",
			    psci_function_table[f].name, fid, (long long)r, psci_error_name(r));
	}
}

/* Reserved feature-flag bits: CPU_SUSPEND defines bits 1:0, every other function none. */
static bool flags_valid(uint32_t fid, int64_t r)
{
	if (r < 0)
		return r == PSCI_NOT_SUPPORTED;
	uint32_t allowed = (fid & ~SMCCC_SMC64) == 0x84000001u ? PSCI_FEATURE_CPU_SUSPEND_MASK : 0;
	return ((uint64_t)r & ~(uint64_t)allowed) == 0;
}

PROBE_CASE(psci_features_optional, "psci.features.optional",
	   AVPS_CHECKS("PSCI_FEATURES (DEN0022D PSCI_FEATURES) answers every PSCI 1.1 function ID with NOT_SUPPORTED or flags whose reserved bits are zero"),
	   "AVPS.POWER.1")
static void psci_features_optional(void)
{
	char offered[100], name[40];
	int len = 0;

	offered[0] = '\0';
	for (int f = 0; f < PSCI_FUNCTION_COUNT; f++) {
		const struct psci_function_info *i = &psci_function_table[f];
		uint32_t ids[2] = { i->fid32, i->fid64 };
		for (int k = 0; k < 2; k++) {
			if (!ids[k])
				continue;
			int64_t r = psci_features(ids[k]);
			psci_fid_name(ids[k], name, sizeof(name));
			probe_check(flags_valid(ids[k], r),
				    "PSCI_FEATURES(%s): expected NOT_SUPPORTED or flags without reserved "
				    "bits, got 0x%llx (%s)", name, (unsigned long long)r, psci_error_name(r));
			if (r >= 0 && !i->mandatory) {
				if (len > 70) {
					probe_diag("offered: %s", offered);
					len = 0;
				}
				for (const char *p = name; *p && len < 98; p++)
					offered[len++] = *p;
				offered[len++] = ' ';
				offered[len] = '\0';
			}
		}
	}
	probe_diag("optional offered: %s", len ? offered : "(none)");
}

PROBE_CASE(psci_features_unknown, "psci.features.unknown_function",
	   AVPS_CHECKS("PSCI_FEATURES (DEN0022D PSCI_FEATURES) returns NOT_SUPPORTED for IDs no PSCI version assigns"),
	   "AVPS.POWER.1")
static void psci_features_unknown(void)
{
	/* Inside the PSCI range but assigned to nothing, and just outside it. */
	static const uint32_t unknown[] = { 0x8400001fu, 0xc400001fu, 0x84000100u, 0xc4000008u };
	for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		int64_t r = psci_features(unknown[i]);
		probe_check(r == PSCI_NOT_SUPPORTED,
			    "PSCI_FEATURES(0x%x): expected NOT_SUPPORTED (-1), got %lld (%s)",
			    unknown[i], (long long)r, psci_error_name(r));
	}
}

PROBE_CASE(psci_features_smccc_version, "psci.features.smccc_version",
	   AVPS_CHECKS("PSCI_FEATURES(SMCCC_VERSION) agrees with the call (DEN0028 SMCCC_VERSION discovery): offered -> >= 1.1, absent -> NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void psci_features_smccc_version(void)
{
	int64_t f = psci_features(SMCCC_VERSION_FID);
	int64_t v = smccc_call(SMCCC_VERSION_FID, 0, 0, 0);
	probe_diag("PSCI_FEATURES(SMCCC_VERSION) = %lld, SMCCC_VERSION = 0x%llx", (long long)f,
		   (unsigned long long)v);
	if (f >= 0)
		probe_check(v >= 0x10001, "offered, so SMCCC_VERSION must be >= 1.1, got 0x%llx",
			    (unsigned long long)v);
	else
		probe_check(f == PSCI_NOT_SUPPORTED && v == SMCCC_UNKNOWN,
			    "PSCI_FEATURES says %lld, yet SMCCC_VERSION answered %lld (an SMCCC 1.0 "
			    "platform has no SMCCC_VERSION)", (long long)f, (long long)v);
}

PROBE_CASE(psci_migrate_info_type, "psci.migrate_info_type",
	   AVPS_CHECKS("MIGRATE_INFO_TYPE (DEN0022D MIGRATE_INFO_TYPE, MIGRATE, MIGRATE_INFO_UP_CPU) agrees with PSCI_FEATURES, MIGRATE and MIGRATE_INFO_UP_CPU"),
	   "AVPS.POWER.1")
static void psci_migrate_info_type(void)
{
	int64_t f = psci_features(PSCI_FN_MIGRATE_INFO_TYPE);
	int64_t type = smccc_call(PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0);
	int64_t f_migrate = psci_features(psci_fid_native(PSCI_MIGRATE));
	int64_t f_up = psci_features(psci_fid_native(PSCI_MIGRATE_INFO_UP_CPU));

	probe_diag("MIGRATE_INFO_TYPE = %lld (features %lld); features MIGRATE %lld, UP_CPU %lld",
		   (long long)type, (long long)f, (long long)f_migrate, (long long)f_up);
	if (f == PSCI_NOT_SUPPORTED) {
		probe_check(type == PSCI_NOT_SUPPORTED,
			    "not offered by PSCI_FEATURES, yet the call returned %lld", (long long)type);
		return;
	}
	/* 0: uniprocessor Trusted OS, migrate capable; 1: uniprocessor, not migrate capable;
	 * 2: no Trusted OS, or one that needs no migration. */
	if (!probe_check(type >= 0 && type <= 2, "expected 0, 1 or 2, got %lld (%s)", (long long)type,
			 psci_error_name(type)))
		return;
	if (type == 2) {
		/* Nothing to migrate: MIGRATE has nothing to do and must say so. */
		uint64_t target = find_secondaries() ? secondary_mpidr[0] : cpu_mpidr();
		int64_t m = smccc_call(psci_fid_native(PSCI_MIGRATE), target, 0, 0);
		probe_check(m == PSCI_NOT_SUPPORTED, "type 2 (nothing to migrate), yet MIGRATE returned "
			    "%lld (%s)", (long long)m, psci_error_name(m));
		probe_check(f_migrate == PSCI_NOT_SUPPORTED, "type 2, yet PSCI_FEATURES offers MIGRATE "
			    "(%lld)", (long long)f_migrate);
		return;
	}
	/* A uniprocessor Trusted OS lives on one CPU, which MIGRATE_INFO_UP_CPU names. */
	if (!probe_check(f_up >= 0, "type %lld (uniprocessor Trusted OS), yet MIGRATE_INFO_UP_CPU is "
			 "not offered", (long long)type))
		return;
	uint64_t up = smccc_call_raw(psci_fid_native(PSCI_MIGRATE_INFO_UP_CPU), 0, 0, 0);
	bool listed = up == cpu_mpidr();
	for (int i = 0; i < find_secondaries(); i++)
		listed |= up == secondary_mpidr[i];
	probe_check(listed, "MIGRATE_INFO_UP_CPU = 0x%llx: not a CPU the DT lists", (unsigned long long)up);
	if (type == 0)
		probe_check(f_migrate >= 0, "type 0 (migrate capable), yet MIGRATE is not offered");
}
