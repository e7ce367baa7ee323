/* SMCCC discovery: SMCCC_VERSION and SMCCC_ARCH_FEATURES (workaround 1, unknown ID), through the DT conduit. */
#include "probe.h"

#define SMCCC_VERSION             0x80000000u
#define SMCCC_ARCH_FEATURES       0x80000001u
#define SMCCC_ARCH_WORKAROUND_1   0x80008000u
#define SMCCC_UNKNOWN_ARCH_ID     0x80001234u   /* Arm Architecture range, unassigned */

/* SMCCC_VERSION exists from SMCCC 1.1; PSCI_FEATURES says whether it is there. */
static bool smccc_1_1_present(int64_t *version)
{
	int64_t f = smccc_call(PSCI_FN_FEATURES, SMCCC_VERSION, 0, 0);
	if (f < 0)
		return false;
	*version = smccc_call(SMCCC_VERSION, 0, 0, 0);
	return true;
}

PROBE_CASE(smccc_version, "psci.smccc.version",
	   AVPS_CHECKS("when PSCI_FEATURES offers SMCCC_VERSION, it returns 1.1 or later"),
	   "AVPS.POWER.1")
static void smccc_version(void)
{
	int64_t v = 0;
	if (!smccc_1_1_present(&v)) {
		probe_skip("SMCCC 1.0 only: PSCI_FEATURES(SMCCC_VERSION) = NOT_SUPPORTED");
		return;
	}
	probe_diag("SMCCC_VERSION = 0x%llx (%lld.%lld)", (unsigned long long)v,
		   (long long)(v >> 16), (long long)(v & 0xffff));
	probe_check(v >= 0x10001, "PSCI_FEATURES offers SMCCC_VERSION, so expected >= 1.1 "
		    "(0x10001), got 0x%llx", (unsigned long long)v);
}

PROBE_CASE(smccc_arch_features, "psci.smccc.arch_features",
	   AVPS_CHECKS("SMCCC_ARCH_FEATURES answers ARCH_WORKAROUND_1 with 0, 1 or -1 and an unassigned ID with "
	               "NOT_SUPPORTED"),
	   "AVPS.POWER.1")
static void smccc_arch_features(void)
{
	int64_t v = 0;
	if (!smccc_1_1_present(&v)) {
		probe_skip("SMCCC 1.0 only: no SMCCC_ARCH_FEATURES");
		return;
	}
	int64_t wa1 = smccc_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0);
	probe_diag("SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1) = %lld", (long long)wa1);
	/* 0: implemented and needed; 1: implemented, not needed; -1: not required. */
	probe_check(wa1 == 0 || wa1 == 1 || wa1 == -1,
		    "ARCH_WORKAROUND_1: expected 0, 1 or -1, got %lld", (long long)wa1);
	int64_t unknown = smccc_call(SMCCC_ARCH_FEATURES, SMCCC_UNKNOWN_ARCH_ID, 0, 0);
	probe_check(unknown == -1, "SMCCC_ARCH_FEATURES(0x%x): expected NOT_SUPPORTED (-1), "
		    "got %lld", SMCCC_UNKNOWN_ARCH_ID, (long long)unknown);
}
