/* SMCCC calls through the conduit the DT names (/psci "method" = hvc | smc). */
#include <libfdt.h>

#include "dt.h"
#include "smccc.h"

enum smccc_conduit smccc_conduit = SMCCC_CONDUIT_NONE;

enum smccc_conduit smccc_init_from_dt(void)
{
	const void *fdt = dt_blob();
	int node = fdt_path_offset(fdt, "/psci");
	int len = 0;
	const char *method = node >= 0 ? fdt_getprop(fdt, node, "method", &len) : NULL;

	smccc_conduit = SMCCC_CONDUIT_NONE;
	if (method && len >= 4 && strncmp(method, "hvc", 4) == 0)
		smccc_conduit = SMCCC_CONDUIT_HVC;
	else if (method && len >= 4 && strncmp(method, "smc", 4) == 0)
		smccc_conduit = SMCCC_CONDUIT_SMC;
	return smccc_conduit;
}

const char *smccc_conduit_name(void)
{
	return smccc_conduit == SMCCC_CONDUIT_HVC ? "hvc"
	     : smccc_conduit == SMCCC_CONDUIT_SMC ? "smc" : "none";
}

uint64_t smccc_call_raw(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC 1.0 lets the callee corrupt x4-x17. */
	if (smccc_conduit == SMCCC_CONDUIT_HVC)
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
				   "x13", "x14", "x15", "x16", "x17", "memory");
	else if (smccc_conduit == SMCCC_CONDUIT_SMC)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
				   "x13", "x14", "x15", "x16", "x17", "memory");
	else
		return (uint64_t)(int64_t)PSCI_NOT_SUPPORTED;
	return x0;
}

int64_t smccc_call(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	/* Every PSCI/SMCCC function the probes call returns an int32 (SMC32: in w0). */
	return (int64_t)(int32_t)smccc_call_raw(fid, a1, a2, a3);
}

const char *psci_error_name(int64_t ret)
{
	static const char *const names[] = {
		"SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "ALREADY_ON",
		"ON_PENDING", "INTERNAL_FAILURE", "NOT_PRESENT", "DISABLED", "INVALID_ADDRESS",
	};
	if (ret <= 0 && ret >= -9)
		return names[-ret];
	return "positive";
}
