/* SMCCC: SMCCC_VERSION, SMCCC_ARCH_FEATURES for every architected ID, unknown IDs per owning entity, register preservation, the conduit. */
#include "psci_common.h"

int64_t smccc_regs_hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t out[33]);
int64_t smccc_regs_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t out[33]);

static bool smccc_1_1(void)
{
	if (smccc_version() >= 0x10001)
		return true;
	probe_skip("SMCCC 1.0 only: PSCI_FEATURES(SMCCC_VERSION) = NOT_SUPPORTED");
	return false;
}

PROBE_CASE(smccc_version_case, "psci.smccc.version",
	   AVPS_CHECKS("SMCCC_VERSION (DEN0028 SMCCC_VERSION) reports 1.1 or later with bit 31 clear when PSCI_FEATURES offers it"),
	   "AVPS.POWER.1")
static void smccc_version_case(void)
{
	/* Offered is what obliges the call to say 1.1+: an answer of 1.0 then fails, it does not skip. */
	int64_t f = psci_features(SMCCC_VERSION_FID);
	if (f < 0) {
		probe_skip("SMCCC 1.0 only: PSCI_FEATURES(SMCCC_VERSION) = %lld", (long long)f);
		return;
	}
	int64_t v = smccc_call(SMCCC_VERSION_FID, 0, 0, 0);
	probe_diag("SMCCC_VERSION = 0x%llx (%lld.%lld)", (unsigned long long)v, (long long)(v >> 16),
		   (long long)(v & 0xffff));
	probe_check(v >= 0x10001 && v < 0x80000000, "expected >= 1.1 (0x10001), got 0x%llx", (unsigned long long)v);
}

PROBE_CASE(smccc_arch_features, "psci.smccc.arch_features",
	   AVPS_CHECKS("SMCCC_ARCH_FEATURES (DEN0028 SMCCC_ARCH_FEATURES) answers each architected ID within its defined range and -1 for unassigned Arm Architecture IDs"),
	   "AVPS.POWER.1")
static void smccc_arch_features(void)
{
	if (!smccc_1_1())
		return;
	static const struct { uint32_t fid; const char *name; int64_t lo, hi; } ids[] = {
		{ SMCCC_VERSION_FID, "SMCCC_VERSION", 0, 0 },
		{ SMCCC_ARCH_FEATURES_FID, "SMCCC_ARCH_FEATURES", 0, 0 },
		{ SMCCC_ARCH_SOC_ID_FID, "SMCCC_ARCH_SOC_ID", -1, 0 },
		/* Workarounds: 0 needed and implemented, 1 not needed (1 and 3 only), -1 not required. */
		{ SMCCC_ARCH_WORKAROUND_1_FID, "ARCH_WORKAROUND_1", -1, 1 },
		{ SMCCC_ARCH_WORKAROUND_2_FID, "ARCH_WORKAROUND_2", -2, 1 },
		{ SMCCC_ARCH_WORKAROUND_3_FID, "ARCH_WORKAROUND_3", -1, 1 },
		{ 0x80001234u, "unassigned 0x80001234", -1, -1 },
		{ 0x8000fffeu, "unassigned 0x8000fffe", -1, -1 },
	};
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int64_t r = smccc_call(SMCCC_ARCH_FEATURES_FID, ids[i].fid, 0, 0);
		probe_diag("SMCCC_ARCH_FEATURES(%s) = %lld", ids[i].name, (long long)r);
		probe_check(r >= ids[i].lo && r <= ids[i].hi, "SMCCC_ARCH_FEATURES(%s): expected %lld..%lld, got %lld",
			    ids[i].name, (long long)ids[i].lo, (long long)ids[i].hi, (long long)r);
	}
}

PROBE_CASE(smccc_soc_id, "psci.smccc.arch_soc_id",
	   AVPS_CHECKS("SMCCC_ARCH_SOC_ID (DEN0028 SMCCC_ARCH_SOC_ID), when ARCH_FEATURES offers it, returns a version and revision with bit 31 clear, and INVALID_PARAMETERS for an undefined type"),
	   "AVPS.POWER.1")
static void smccc_soc_id(void)
{
	if (!smccc_1_1())
		return;
	if (smccc_call(SMCCC_ARCH_FEATURES_FID, SMCCC_ARCH_SOC_ID_FID, 0, 0) < 0) {
		probe_skip("SMCCC_ARCH_SOC_ID not offered");
		return;
	}
	int64_t version = smccc_call(SMCCC_ARCH_SOC_ID_FID, 0, 0, 0);
	int64_t revision = smccc_call(SMCCC_ARCH_SOC_ID_FID, 1, 0, 0);
	int64_t bad = smccc_call(SMCCC_ARCH_SOC_ID_FID, 2, 0, 0);
	probe_diag("SOC_ID version 0x%llx revision 0x%llx", (unsigned long long)version, (unsigned long long)revision);
	probe_check(version >= 0 && revision >= 0, "SOC_ID: expected non-negative answers, got %lld / %lld",
		    (long long)version, (long long)revision);
	probe_check(bad == PSCI_INVALID_PARAMETERS, "SOC_ID(type 2): expected INVALID_PARAMETERS, got %lld",
		    (long long)bad);
}

/* An unassigned function number in `owner`, both conventions: x0 must be -1 (w0 for SMC32). */
static void unknown_in_owner(unsigned owner, unsigned function, bool fast)
{
	for (int smc64 = 0; smc64 < 2; smc64++) {
		uint32_t fid = smccc_fid(fast, smc64, owner, function);
		uint64_t x0 = smccc_call_raw(fid, 0, 0, 0);
		bool ok = smc64 ? x0 == (uint64_t)-1 : smccc_result32(x0) == -1;
		probe_check(ok, "%s 0x%08x (%s): expected Unknown Function (-1), got 0x%llx",
			    smc64 ? "SMC64" : "SMC32", fid, smccc_owner_name(owner), (unsigned long long)x0);
	}
}

PROBE_CASE(smccc_unknown_arch, "psci.smccc.unknown.arm_architecture",
	   AVPS_CHECKS("An unassigned Arm Architecture service ID (DEN0028 Unknown Function Identifier) returns -1 in x0, SMC32 and SMC64"),
	   "AVPS.POWER.1")
static void smccc_unknown_arch(void) { unknown_in_owner(SMCCC_OWNER_ARCH, 0x1234, true); }

PROBE_CASE(smccc_unknown_standard, "psci.smccc.unknown.standard_secure",
	   AVPS_CHECKS("An unassigned Standard Secure service ID (DEN0028 Unknown Function Identifier) returns -1 in x0, SMC32 and SMC64"),
	   "AVPS.POWER.1")
static void smccc_unknown_standard(void) { unknown_in_owner(SMCCC_OWNER_STANDARD, 0xe123, true); }

PROBE_CASE(smccc_unknown_standard_hyp, "psci.smccc.unknown.standard_hypervisor",
	   AVPS_CHECKS("An unassigned Standard Hypervisor service ID (DEN0028 Unknown Function Identifier) returns -1 in x0, SMC32 and SMC64"),
	   "AVPS.POWER.1")
static void smccc_unknown_standard_hyp(void) { unknown_in_owner(SMCCC_OWNER_STANDARD_HYP, 0xe123, true); }

PROBE_CASE(smccc_unknown_reserved, "psci.smccc.unknown.reserved",
	   AVPS_CHECKS("IDs in the reserved owning-entity range 7-47 (DEN0028 Unknown Function Identifier) return -1 in x0, SMC32 and SMC64"),
	   "AVPS.POWER.1")
static void smccc_unknown_reserved(void)
{
	unknown_in_owner(7, 0, true);
	unknown_in_owner(31, 0x100, true);
	unknown_in_owner(47, 0xfeff, true);
}

PROBE_CASE(smccc_unknown_yielding, "psci.smccc.unknown.yielding",
	   AVPS_CHECKS("A yielding (bit 31 clear) call to an unassigned Standard Secure ID (DEN0028 Unknown Function Identifier) returns -1 in x0"),
	   "AVPS.POWER.1")
static void smccc_unknown_yielding(void) { unknown_in_owner(SMCCC_OWNER_STANDARD, 0xe123, false); }

/* Pattern the wrapper puts in xN (smccc_regs.S). */
static uint64_t pattern(int n) { return 0xc0de000000000000ULL | (uint64_t)(n * 0x100 + n); }

static void check_preserved(const char *what, uint32_t fid, uint64_t a1, uint64_t a2)
{
	uint64_t out[33];
	if (smccc_conduit == SMCCC_CONDUIT_HVC)
		smccc_regs_hvc(fid, a1, a2, out);
	else
		smccc_regs_smc(fid, a1, a2, out);
	/* SMCCC 1.0: x4-x17 unpredictable on return; from 1.1 preserved unless they carry results.
	 * Every version: x18-x30 and SP preserved. */
	int first = smccc_version() >= 0x10001 ? 4 : 18;
	for (int n = first; n <= 30; n++)
		probe_check(out[n] == pattern(n), "%s: x%d = 0x%llx after the call, expected 0x%llx (preserved)",
			    what, n, (unsigned long long)out[n], (unsigned long long)pattern(n));
	probe_check(out[31] == out[32], "%s: SP 0x%llx after the call, 0x%llx before", what,
		    (unsigned long long)out[31], (unsigned long long)out[32]);
	if (first > 4)
		probe_diag("%s: SMCCC 1.0, so x4-x17 are not checked", what);
}

PROBE_CASE(smccc_registers, "psci.smccc.registers_preserved",
	   AVPS_CHECKS("Registers SMCCC says the callee preserves (DEN0028 register use: x18-x30 and SP always, x4-x17 from 1.1) hold their values after PSCI and unknown calls"),
	   "AVPS.POWER.1")
static void smccc_registers(void)
{
	if (smccc_conduit == SMCCC_CONDUIT_NONE) {
		probe_error("no conduit: the DT has no usable /psci method");
		return;
	}
	check_preserved("PSCI_VERSION", PSCI_FN_VERSION, 0, 0);
	check_preserved("AFFINITY_INFO64", PSCI_FN_AFFINITY_INFO64, cpu_mpidr(), 0);
	check_preserved("unknown SMC64", smccc_fid(true, true, SMCCC_OWNER_STANDARD, 0xe123), 0, 0);
	check_preserved("unknown SMC32", smccc_fid(true, false, 9, 0x42), 0, 0);
}

PROBE_CASE(smccc_conduit_dt, "psci.smccc.conduit",
	   AVPS_CHECKS("The conduit the DT /psci method names (DEN0028 conduits; PSCI DT binding) reaches PSCI: PSCI_VERSION through it matches the PSCI_FEATURES view"),
	   "AVPS.POWER.1")
static void smccc_conduit_dt(void)
{
	if (!probe_check(smccc_conduit != SMCCC_CONDUIT_NONE, "the DT /psci node names no hvc/smc method"))
		return;
	int64_t v = smccc_call(PSCI_FN_VERSION, 0, 0, 0);
	int64_t f = psci_features(PSCI_FN_VERSION);
	probe_diag("conduit %s: PSCI_VERSION 0x%llx, PSCI_FEATURES(PSCI_VERSION) %lld", smccc_conduit_name(),
		   (unsigned long long)v, (long long)f);
	probe_check(v >= 0x10000 && f >= 0, "through %s: PSCI_VERSION 0x%llx, PSCI_FEATURES %lld",
		    smccc_conduit_name(), (unsigned long long)v, (long long)f);
}
