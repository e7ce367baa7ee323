/* psci-reset probe: calls SYSTEM_RESET once; the host judges it (QEMU: QMP SHUTDOWN reason guest-reset). */
#include "cpu.h"
#include "probe.h"

const char probe_name[] = "psci-reset";

/* No "ok" is printed before the call: a pass is the reset itself, observed by the
 * harness after the marker line; if the call returns, the case is not ok. */
PROBE_CASE(psci_system_reset, "psci.system_reset",
	   AVPS_CHECKS("SYSTEM_RESET does not return and the host sees a guest reset"),
	   "AVPS.POWER.1")
static void psci_system_reset(void)
{
	int64_t f = smccc_call(PSCI_FN_FEATURES, PSCI_FN_SYSTEM_RESET, 0, 0);
	probe_check(f >= 0, "PSCI_FEATURES(SYSTEM_RESET): expected >= 0, got %lld", (long long)f);
	probe_diag("psci: calling SYSTEM_RESET");
	probe_host_check("guest-reset");
	int64_t r = smccc_call(PSCI_FN_SYSTEM_RESET, 0, 0, 0);
	probe_check(false, "SYSTEM_RESET returned %lld (%s); it must not return", (long long)r,
		    psci_error_name(r));
}
