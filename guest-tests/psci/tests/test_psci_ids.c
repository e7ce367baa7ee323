/* Host unit tests for the PSCI/SMCCC tables: function IDs, owning entities, power_state encodings, result names. */
#include "../../lib/tests/unit_check.h"
#include "../probes/psci_ids.h"

static void test_function_ids(void)
{
	char name[40];
	/* Every ID is a fast call in the Standard Secure range, SMC32 below SMC64, numbers 0..0x14. */
	int bad = 0, count = 0;
	for (int f = 0; f < PSCI_FUNCTION_COUNT; f++) {
		const struct psci_function_info *i = &psci_function_table[f];
		if (!i->name || (!i->fid32 && !i->fid64))
			bad++;
		if (i->fid32 && (smccc_owner(i->fid32) != SMCCC_OWNER_STANDARD || !smccc_is_fast(i->fid32) ||
				 smccc_is_smc64(i->fid32) || (i->fid32 & 0xffff) > 0x14))
			bad++;
		if (i->fid64 && (!smccc_is_smc64(i->fid64) || (i->fid64 & ~SMCCC_SMC64) != i->fid32))
			bad++;
		count += (i->fid32 != 0) + (i->fid64 != 0);
	}
	CHECK(bad == 0, "psci_ids: every function ID is a Standard Secure fast call, SMC64 = SMC32 | bit 30");
	CHECK(count == 33, "psci_ids: PSCI 1.1 has 33 function IDs");
	CHECK(psci_fid_native(PSCI_CPU_ON) == 0xc4000003u, "psci_ids: native CPU_ON is SMC64");
	CHECK(psci_fid_native(PSCI_CPU_OFF) == 0x84000002u, "psci_ids: CPU_OFF has only SMC32");
	CHECK_STR("CPU_ON64", psci_fid_name(0xc4000003u, name, sizeof(name)), "psci_ids: name of CPU_ON64");
	CHECK_STR("AFFINITY_INFO32", psci_fid_name(0x84000004u, name, sizeof(name)), "psci_ids: name of AFFINITY_INFO32");
	CHECK_STR("SYSTEM_OFF", psci_fid_name(0x84000008u, name, sizeof(name)), "psci_ids: no suffix without two variants");
	CHECK(psci_fid_name(0x84000015u, name, sizeof(name)) == NULL, "psci_ids: 0x84000015 is no PSCI 1.1 function");
	CHECK(psci_fid_name(0x80000000u, name, sizeof(name)) == NULL, "psci_ids: SMCCC_VERSION is not PSCI");
	int mandatory = 0;
	for (int f = 0; f < PSCI_FUNCTION_COUNT; f++)
		mandatory += psci_function_table[f].mandatory;
	CHECK(mandatory == 8, "psci_ids: 8 mandatory functions in PSCI 1.x");
}

static void test_owners(void)
{
	CHECK(smccc_fid(true, true, 4, 3) == 0xc4000003u, "smccc: fid fields compose");
	CHECK(smccc_fid(false, false, 5, 0x20) == 0x05000020u, "smccc: yielding SMC32 id");
	CHECK(smccc_owner(0xbf00ff01u) == 63, "smccc: owner of a Trusted OS call");
	CHECK_STR("Reserved", smccc_owner_name(7), "smccc: 7 is reserved");
	CHECK_STR("Reserved", smccc_owner_name(47), "smccc: 47 is reserved");
	CHECK_STR("Trusted Application", smccc_owner_name(48), "smccc: 48 is Trusted Application");
	CHECK_STR("Trusted OS", smccc_owner_name(50), "smccc: 50 is Trusted OS");
	CHECK_STR("Standard Hypervisor Service", smccc_owner_name(5), "smccc: 5 is Standard Hypervisor");
}

static void test_power_state(void)
{
	struct psci_power_state s = { PSCI_STATE_POWERDOWN, 2, 0x1234 }, d;
	uint32_t v = psci_power_state_encode(false, &s);
	CHECK(v == 0x02011234u, "power_state: original format powerdown, level 2, id 0x1234");
	CHECK(psci_power_state_decode(false, v, &d) && d.type == PSCI_STATE_POWERDOWN && d.power_level == 2 &&
	      d.state_id == 0x1234, "power_state: original format round trip");
	CHECK(!psci_power_state_decode(false, 0x40000000u, &d), "power_state: original bit 30 is reserved");
	CHECK(!psci_power_state_decode(false, 0x00020000u, &d), "power_state: original bit 17 is reserved");
	s.power_level = 0;
	v = psci_power_state_encode(true, &s);
	CHECK(v == 0x40001234u, "power_state: extended format powerdown");
	CHECK(psci_power_state_decode(true, 0x4fffffffu, &d) && d.state_id == 0x0fffffffu,
	      "power_state: extended StateID is 28 bits");
	CHECK(!psci_power_state_decode(true, 0x80000000u, &d), "power_state: extended bit 31 is reserved");
	CHECK(!psci_power_state_decode(true, 0x10000000u, &d), "power_state: extended bit 28 is reserved");
	CHECK(psci_power_state_decode(false, 0, &d) && d.type == PSCI_STATE_STANDBY, "power_state: 0 is standby");
}

static void test_results(void)
{
	CHECK_STR("ON_PENDING", psci_result_name(-5), "result: -5 is ON_PENDING");
	CHECK_STR("INVALID_ADDRESS", psci_result_name(-9), "result: -9 is INVALID_ADDRESS");
	CHECK_STR("unknown", psci_result_name(-10), "result: -10 is no PSCI code");
	CHECK_STR("positive", psci_result_name(0x10001), "result: a version is positive");
	CHECK(smccc_result32(0xffffffffull) == -1, "result: w0 = 0xffffffff is -1");
	CHECK(smccc_result32(0xdead0000fffffffeull) == -2, "result: the upper half of x0 is ignored for SMC32");
}

int main(void)
{
	printf("KTAP version 1\n");
	test_function_ids();
	test_owners();
	test_power_state();
	test_results();
	printf("# %d checks, %d failed\n", unit_checks_run, unit_checks_failed);
	return unit_checks_failed ? 1 : 0;
}
