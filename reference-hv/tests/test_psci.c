/* Host unit tests of the PSCI/SMCCC handler: answers, the vCPU power-state machine, concurrent CPU_ON, fault switches. */
#include <pthread.h>
#include <stdbool.h>

#include "faults.h"
#include "psci.h"
#include "unit_check.h"

#define CPU_ON64 0xc4000003ULL
#define CPU_ON32 0x84000003ULL
#define AFFINITY_INFO64 0xc4000004ULL
#define CPU_OFF 0x84000002ULL
#define CPU_SUSPEND64 0xc4000001ULL
#define ENTRY 0x40201000ULL

static struct vm_config vm_cfg = { .name = "t", .n_vcpus = 3, .ram_ipa = 0x40000000, .ram_size = 0x8000000 };
static struct vm vm;

/* The fault switches of a reset_vm call, ended by -1. */
#define FAULTS(...) ((const int[]){ __VA_ARGS__, -1 })

static void reset_vm(const int *faults)
{
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &vm_cfg;
	vm.n_vcpus = 3;
	for (int i = 0; faults && faults[i] >= 0; i++)
		fault_set_add(&vm.faults, (enum fault_id)faults[i]);
	for (int i = 0; i < 3; i++)
		vm.vcpus[i] = (struct vcpu){ .vm = &vm, .index = i, .mpidr = (uint64_t)i, .power = VCPU_OFF };
	vm.vcpus[0].power = VCPU_ON;
}

static struct psci_result call(int vcpu, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t x[4] = { fid, a1, a2, a3 };
	struct psci_result r;
	smccc_handle(&vm.vcpus[vcpu], x, &r);
	return r;
}

static int64_t value(int vcpu, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return call(vcpu, fid, a1, a2, a3).value;
}

static void *race_cpu_on(void *arg)
{
	*(int64_t *)arg = value(0, CPU_ON64, 2, ENTRY, 7);
	return NULL;
}

int main(void)
{
	uint64_t entry, context;
	printf("KTAP version 1\n");

	reset_vm(NULL);
	CHECK(value(0, 0x84000000, 0, 0, 0) == PSCI_VERSION_1_1, "psci_version_1_1");
	CHECK(value(0, 0x80000000, 0, 0, 0) == SMCCC_VERSION_1_1, "smccc_version_1_1");
	CHECK(value(0, 0x8400000a, 0xc4000001, 0, 0) == 0 && value(0, 0x8400000a, 0x80000000, 0, 0) == 0,
	      "features_cpu_suspend64_and_smccc_version");
	CHECK(value(0, 0x8400000a, 0x8400001f, 0, 0) == -1 && value(0, 0x8400000a, 0xc4000000, 0, 0) == -1,
	      "features_unknown_and_nonexistent_64bit_variant");
	CHECK(value(0, 0x80000001, 0x80008000, 0, 0) == -1 && value(0, 0x80000001, 0x80000001, 0, 0) == 0,
	      "arch_features_workaround_and_itself");
	CHECK(value(0, 0x84000006, 0, 0, 0) == 2, "migrate_info_type_no_trusted_os");
	CHECK(value(0, 0x8400ff00, 0, 0, 0) == -1 && value(0, 0xc2000000, 0, 0, 0) == -1, "unknown_function_id");

	struct psci_result r = call(0, CPU_ON64, 1, ENTRY, 0x1234);
	CHECK(r.value == PSCI_SUCCESS && r.action == PSCI_ACTION_WAKE, "cpu_on_succeeds_and_wakes");
	CHECK(value(0, AFFINITY_INFO64, 1, 0, 0) == 2, "affinity_info_on_pending");
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == PSCI_ON_PENDING, "cpu_on_while_pending");
	CHECK(vcpu_take_start(&vm.vcpus[1], &entry, &context) && entry == ENTRY && context == 0x1234,
	      "start_carries_entry_and_context");
	CHECK(!vcpu_take_start(&vm.vcpus[1], &entry, &context), "start_taken_once");
	CHECK(value(0, AFFINITY_INFO64, 1, 0, 0) == 0, "affinity_info_on");
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == PSCI_ALREADY_ON && value(0, CPU_ON64, 0, ENTRY, 0) == PSCI_ALREADY_ON,
	      "cpu_on_already_on_incl_self");
	CHECK(value(0, CPU_ON64, 0xfefe, ENTRY, 0) == PSCI_INVALID_PARAMETERS, "cpu_on_unknown_mpidr");
	CHECK(value(0, CPU_ON64, 2, 0x1000, 0) == PSCI_INVALID_ADDRESS, "cpu_on_entry_outside_ram");
	CHECK(value(0, AFFINITY_INFO64, 0xfefe, 0, 0) == PSCI_INVALID_PARAMETERS &&
	      value(0, AFFINITY_INFO64, 1, 1, 0) == PSCI_INVALID_PARAMETERS, "affinity_info_bad_target_or_level");
	r = call(1, CPU_OFF, 0, 0, 0);
	CHECK(r.action == PSCI_ACTION_VCPU_OFF && value(0, AFFINITY_INFO64, 1, 0, 0) == 1, "cpu_off_then_affinity_off");
	CHECK(value(0, CPU_ON32, 1, ENTRY | 0xffffffff00000000ULL, 5) == PSCI_SUCCESS, "cpu_on32_uses_low_32_bits");
	CHECK(vcpu_take_start(&vm.vcpus[1], &entry, &context) && entry == ENTRY, "cpu_on32_entry_truncated");

	r = call(0, CPU_SUSPEND64, 0, ENTRY, 0);
	CHECK(r.action == PSCI_ACTION_STANDBY && r.value == 0, "suspend_standby_waits_then_succeeds");
	r = call(0, CPU_SUSPEND64, 1u << 16, ENTRY, 99);
	CHECK(r.action == PSCI_ACTION_VCPU_RESTART && r.entry == ENTRY && r.context_id == 99,
	      "suspend_powerdown_restarts_at_entry");
	CHECK(value(0, CPU_SUSPEND64, 1u << 24, ENTRY, 0) == PSCI_INVALID_PARAMETERS &&
	      value(0, CPU_SUSPEND64, 1u << 30, ENTRY, 0) == PSCI_INVALID_PARAMETERS, "suspend_bad_power_state");
	CHECK(value(1, 0x84000001, 0x40000000, ENTRY, 0) == PSCI_INVALID_PARAMETERS &&
	      value(1, 0x84000001, 0x20000, ENTRY, 0) == PSCI_INVALID_PARAMETERS, "suspend32_reserved_bits_rejected");
	CHECK(call(0, 0x84000008, 0, 0, 0).action == PSCI_ACTION_VM_OFF &&
	      call(0, 0x84000009, 0, 0, 0).action == PSCI_ACTION_VM_RESET, "system_off_and_reset");

	/* Concurrent CPU_ON of one target: exactly one caller wins. */
	for (int round = 0; round < 200; round++) {
		int64_t results[2];
		pthread_t t[2];
		reset_vm(NULL);
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, race_cpu_on, &results[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		int wins = (results[0] == 0) + (results[1] == 0);
		int pending = (results[0] == PSCI_ON_PENDING) + (results[1] == PSCI_ON_PENDING);
		if (wins != 1 || pending != 1) {
			CHECK(wins == 1 && pending == 1, "concurrent_cpu_on_one_winner");
			break;
		}
		if (round == 199)
			CHECK(true, "concurrent_cpu_on_one_winner");
	}

	reset_vm(FAULTS(FAULT_PSCI_VERSION_0_2, FAULT_SMCCC_VERSION_1_0, FAULT_MIGRATE_INFO_TYPE_INVALID));
	CHECK(value(0, 0x84000000, 0, 0, 0) == 2 && value(0, 0x80000000, 0, 0, 0) == 0x10000 &&
	      value(0, 0x84000006, 0, 0, 0) == 3, "fault_versions_and_migrate_info");
	reset_vm(FAULTS(FAULT_CPU_ON_DROPS_CONTEXT_ID, FAULT_CPU_ON_ALREADY_ON_SUCCEEDS, FAULT_CPU_ON_ACCEPTS_ANY_MPIDR));
	value(0, CPU_ON64, 1, ENTRY, 0x55);
	CHECK(vcpu_take_start(&vm.vcpus[1], &entry, &context) && context == 0, "fault_context_id_dropped");
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == 0 && value(0, CPU_ON64, 0xfefe, ENTRY, 0) == 0,
	      "fault_cpu_on_success_for_on_and_unknown");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_ALWAYS_ON, FAULT_CPU_OFF_RETURNS, FAULT_SYSTEM_OFF_IGNORED, FAULT_SYSTEM_RESET_POWERS_OFF));
	CHECK(value(0, AFFINITY_INFO64, 2, 0, 0) == 0, "fault_affinity_info_lies");
	r = call(0, CPU_OFF, 0, 0, 0);
	CHECK(r.action == PSCI_ACTION_RETURN && r.value == PSCI_DENIED, "fault_cpu_off_returns");
	CHECK(call(0, 0x84000008, 0, 0, 0).action == PSCI_ACTION_RETURN &&
	      call(0, 0x84000009, 0, 0, 0).action == PSCI_ACTION_VM_OFF, "fault_system_off_ignored_reset_is_off");
	reset_vm(FAULTS(FAULT_PSCI_FEATURES_UNKNOWN_SUCCEEDS, FAULT_PSCI_FEATURES_NO_CPU_SUSPEND, FAULT_SMCCC_ARCH_FEATURES_UNKNOWN_SUCCEEDS));
	CHECK(value(0, CPU_SUSPEND64, 0, ENTRY, 0) == 0, "standby_unaffected_by_other_faults");
	CHECK(value(0, 0x8400000a, 0x8400001f, 0, 0) == 0 && value(0, 0x8400000a, 0xc4000001, 0, 0) == -1 &&
	      value(0, 0x80000001, 0x80001234, 0, 0) == 0, "fault_features_answers");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_ALWAYS_OFF));
	CHECK(value(0, AFFINITY_INFO64, 0, 0, 0) == 1 && value(0, AFFINITY_INFO64, 0xfefe, 0, 0) == PSCI_INVALID_PARAMETERS,
	      "fault_affinity_info_off_for_existing_cpus_only");
	reset_vm(FAULTS(FAULT_CPU_ON_AFTER_OFF_FAILS));
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == 0 && vcpu_take_start(&vm.vcpus[1], &entry, &context),
	      "fault_first_cpu_on_still_works");
	call(1, CPU_OFF, 0, 0, 0);
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == -6, "fault_cpu_on_after_off_internal_failure");
	reset_vm(FAULTS(FAULT_CPU_ON_AFTER_OFF_LOSES_CONTEXT_ID));
	int lost_at = 0;
	for (int start = 1; start <= 1000 && !lost_at; start++) {
		if (value(0, CPU_ON64, 1, ENTRY, 0x77) != 0 || !vcpu_take_start(&vm.vcpus[1], &entry, &context))
			break;
		if (context != 0x77)
			lost_at = start;
		call(1, CPU_OFF, 0, 0, 0);
	}
	CHECK(lost_at == 500 && context == 0, "fault_context_id_lost_on_500th_start_only");
	reset_vm(FAULTS(FAULT_CPU_SUSPEND_REJECTS_STANDBY));
	CHECK(value(0, CPU_SUSPEND64, 0, ENTRY, 0) == PSCI_INVALID_PARAMETERS &&
	      call(0, CPU_SUSPEND64, 1u << 16, ENTRY, 0).action == PSCI_ACTION_VCPU_RESTART, "fault_standby_rejected_only");

	/* The switches behind the probe's remaining controls: each changes its one answer only. */
	reset_vm(NULL);
	CHECK(value(0, 0x8400000a, 0x84000001, 0, 0) == 0 && value(0, 0x8400000b, 0, 0, 0) == -1 &&
	      value(0, 0x8400001e, 0, 0, 0) == -1 && value(0, 0x0400e123, 0, 0, 0) == -1 &&
	      value(0, 0x80000002, 2, 0, 0) == -1 && value(0, 0x80000001, 0x80000002, 0, 0) == -1,
	      "unimplemented_ids_not_supported");
	reset_vm(FAULTS(FAULT_PSCI_FEATURES_RESERVED_FLAG, FAULT_CPU_SUSPEND32_EXTENDED_FORMAT_FLAG));
	CHECK(value(0, 0x8400000a, 0xc4000001, 0, 0) == 4 && value(0, 0x8400000a, 0x84000001, 0, 0) == 6 &&
	      value(0, 0x8400000a, 0xc4000003, 0, 0) == 0, "fault_cpu_suspend_feature_flags");
	reset_vm(FAULTS(FAULT_SMCCC_SOC_ID_ACCEPTS_ANY_TYPE));
	CHECK(value(0, 0x80000001, 0x80000002, 0, 0) == 0 && value(0, 0x80000002, 2, 0, 0) == 0, "fault_soc_id_any_type");
	reset_vm(FAULTS(FAULT_SMCCC_UNKNOWN_ARCH_RETURNS_0));
	CHECK(value(0, 0x80001234, 0, 0, 0) == 0 && value(0, 0xc0001234, 0, 0, 0) == 0 &&
	      value(0, 0x8400e123, 0, 0, 0) == -1, "fault_unknown_arch_only");
	reset_vm(FAULTS(FAULT_SMCCC_UNKNOWN_STANDARD_RETURNS_0));
	CHECK(value(0, 0x8400e123, 0, 0, 0) == 0 && value(0, 0xc400e123, 0, 0, 0) == 0 &&
	      value(0, 0x8400001e, 0, 0, 0) == -1 && value(0, 0x8500e123, 0, 0, 0) == -1, "fault_unknown_standard_only");
	reset_vm(FAULTS(FAULT_SMCCC_UNKNOWN_HYPERVISOR_RETURNS_0));
	CHECK(value(0, 0x8500e123, 0, 0, 0) == 0 && value(0, 0x8400e123, 0, 0, 0) == -1, "fault_unknown_hypervisor_only");
	reset_vm(FAULTS(FAULT_SMCCC_UNKNOWN_RESERVED_RETURNS_0));
	CHECK(value(0, 0x87000000, 0, 0, 0) == 0 && value(0, 0xaf00feff, 0, 0, 0) == 0 &&
	      value(0, 0xb0000000, 0, 0, 0) == -1, "fault_unknown_reserved_owners_7_to_47");
	reset_vm(FAULTS(FAULT_SMCCC_UNKNOWN_YIELDING_RETURNS_0));
	CHECK(value(0, 0x0400e123, 0, 0, 0) == 0 && value(0, 0x8400e123, 0, 0, 0) == -1, "fault_unknown_yielding_only");
	reset_vm(FAULTS(FAULT_PSCI_UNASSIGNED_IDS_RETURN_0));
	CHECK(value(0, 0x8400001e, 0, 0, 0) == 0 && value(0, 0xc4000000, 0, 0, 0) == 0 &&
	      value(0, 0x8400e123, 0, 0, 0) == -1 && value(0, 0x84000000, 0, 0, 0) == PSCI_VERSION_1_1,
	      "fault_unassigned_psci_ids");
	reset_vm(FAULTS(FAULT_CPU_FREEZE_UNOFFERED_ANSWERS, FAULT_MIGRATE_UNOFFERED_ANSWERS,
			FAULT_SYSTEM_SUSPEND_UNOFFERED_ANSWERS));
	CHECK(value(0, 0x8400000b, 0, 0, 0) == 0 && value(0, 0xc4000005, 0, 0, 0) == -2 &&
	      value(0, 0xc400000e, 0, 0, 0) == -3 && value(0, 0x8400000c, 0, 0, 0) == -1 &&
	      value(0, 0x8400000a, 0x8400000b, 0, 0) == -1, "fault_unoffered_functions_answer_features_unchanged");

	reset_vm(FAULTS(FAULT_CPU_ON32_NOT_SUPPORTED, FAULT_CPU_ON_TRUNCATES_CONTEXT_ID,
			FAULT_CPU_ON_INVALID_ENTRY_INVALID_PARAMETERS));
	CHECK(value(0, CPU_ON32, 1, ENTRY, 5) == -1 && value(0, CPU_ON64, 2, 0x1000, 0) == -2,
	      "fault_cpu_on32_and_bad_entry_answers");
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0x123456789ULL) == 0 && vcpu_take_start(&vm.vcpus[1], &entry, &context) &&
	      context == 0x23456789, "fault_context_id_truncated");
	reset_vm(NULL);
	vm.vcpus[0].vbar_el1 = 0x40081000;
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == 0 && vm.vcpus[1].entry_vbar == 0, "cpu_on_gives_no_vbar");
	reset_vm(FAULTS(FAULT_CPU_ON_ENTRY_EL0));
	vm.vcpus[0].vbar_el1 = 0x40081000;
	CHECK(value(0, CPU_ON64, 1, ENTRY, 0) == 0 && vcpu_take_start(&vm.vcpus[1], &entry, &context) &&
	      entry == ENTRY && vm.vcpus[1].entry_vbar == 0x40081000, "fault_cpu_on_entry_el0_caller_vbar");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_ON_BEFORE_START));
	CHECK(value(0, AFFINITY_INFO64, 1, 0, 0) == 0, "fault_on_before_any_start");
	value(0, CPU_ON64, 1, ENTRY, 0);
	vcpu_take_start(&vm.vcpus[1], &entry, &context);
	call(1, CPU_OFF, 0, 0, 0);
	CHECK(value(0, AFFINITY_INFO64, 1, 0, 0) == 1, "fault_on_before_start_only");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_ABSENT_CPU_OFF));
	CHECK(value(0, AFFINITY_INFO64, 0xfefe, 0, 0) == 1 && value(0, AFFINITY_INFO64, 0, 1, 0) == -2,
	      "fault_absent_cpu_off");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_ABOVE_LEVEL0_ALWAYS_ON));
	CHECK(value(0, AFFINITY_INFO64, 0xfe00, 1, 0) == 0 && value(0, AFFINITY_INFO64, 0, 4, 0) == -2,
	      "fault_levels_1_to_3_on");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_INVALID_LEVEL_ACCEPTED));
	CHECK(value(0, AFFINITY_INFO64, 0, 4, 0) == 0 && value(0, AFFINITY_INFO64, 0, 1, 0) == -2,
	      "fault_level_4_as_level_0");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO32_ALWAYS_OFF, FAULT_AFFINITY_INFO_SUSPENDED_OFF));
	CHECK(value(0, 0x84000004, 0, 0, 0) == 1 && value(0, AFFINITY_INFO64, 0, 0, 0) == 0, "fault_affinity_info32_off");
	vm.vcpus[0].suspended = 1;
	CHECK(value(1, AFFINITY_INFO64, 0, 0, 0) == 1, "fault_suspended_cpu_off");

	reset_vm(FAULTS(FAULT_CPU_SUSPEND32_REJECTS_STANDBY, FAULT_CPU_SUSPEND_IGNORES_RESERVED_BITS,
			FAULT_CPU_SUSPEND32_POWERDOWN_DENIED, FAULT_CPU_SUSPEND_POWERDOWN_DROPS_CONTEXT_ID));
	CHECK(value(0, 0x84000001, 0, ENTRY, 0) == -2 && call(0, CPU_SUSPEND64, 0, ENTRY, 0).action == PSCI_ACTION_STANDBY,
	      "fault_suspend32_standby_rejected");
	CHECK(call(0, CPU_SUSPEND64, 0x40000000, ENTRY, 0).action == PSCI_ACTION_STANDBY &&
	      value(0, 0x84000001, 0x40000000, ENTRY, 0) == -2, "fault_reserved_bits_ignored_by_smc64_only");
	r = call(0, CPU_SUSPEND64, 1u << 16, ENTRY, 99);
	CHECK(value(0, 0x84000001, 1u << 16, ENTRY, 0) == PSCI_DENIED && r.action == PSCI_ACTION_VCPU_RESTART &&
	      r.context_id == 0, "fault_powerdown_denied32_and_context_dropped");
	reset_vm(FAULTS(FAULT_CPU_SUSPEND32_IGNORES_RESERVED_BITS));
	CHECK(call(0, 0x84000001, 0x40000000, ENTRY, 0).action == PSCI_ACTION_STANDBY &&
	      value(0, CPU_SUSPEND64, 0x40000000, ENTRY, 0) == -2, "fault_reserved_bits_ignored_by_smc32_only");
	reset_vm(FAULTS(FAULT_AFFINITY_INFO_FLICKERS_OFF));
	value(0, CPU_ON64, 1, ENTRY, 0);
	vcpu_take_start(&vm.vcpus[1], &entry, &context);
	value(0, CPU_ON64, 2, ENTRY, 0);
	vcpu_take_start(&vm.vcpus[2], &entry, &context);
	int offs = 0, boot_offs = 0;
	for (int i = 0; i < 8; i++) {
		offs += value(1, AFFINITY_INFO64, 2, 0, 0) == 1;
		boot_offs += value(0, AFFINITY_INFO64, 2, 0, 0) == 1;
	}
	CHECK(offs == 2 && boot_offs == 0 && value(1, AFFINITY_INFO64, 1, 0, 0) == 0, "fault_affinity_info_flickers_for_secondaries");
	/* A check-then-claim CPU_ON: one caller alone still gets the right answers (that two racing
	 * callers both win inside the window is shown by the control, refhv/cpu-on-race-double-success). */
	reset_vm(FAULTS(FAULT_CPU_ON_RACE_DOUBLE_SUCCESS));
	CHECK(value(0, CPU_ON64, 1, ENTRY, 3) == 0 && value(0, CPU_ON64, 1, ENTRY, 3) == PSCI_ON_PENDING &&
	      vcpu_take_start(&vm.vcpus[1], &entry, &context) && value(0, CPU_ON64, 1, ENTRY, 3) == PSCI_ALREADY_ON,
	      "fault_race_window_single_caller_unchanged");
	reset_vm(FAULTS(FAULT_CPU_ON_LOST_AFTER_CPU_OFF));
	value(0, CPU_ON64, 2, ENTRY, 0);
	vcpu_take_start(&vm.vcpus[2], &entry, &context);
	vm.vcpus[2].now_ms = 1000;
	call(2, CPU_OFF, 0, 0, 0);
	vm.vcpus[1].now_ms = 1010;
	vm.vcpus[0].now_ms = 1010;
	CHECK(value(1, CPU_ON64, 2, ENTRY, 0) == 0 && !vcpu_take_start(&vm.vcpus[2], &entry, &context),
	      "fault_cpu_on_from_secondary_soon_after_off_is_lost");
	CHECK(value(0, CPU_ON64, 2, ENTRY, 0) == 0 && vcpu_take_start(&vm.vcpus[2], &entry, &context),
	      "fault_cpu_on_from_boot_vcpu_unaffected");
	vm.vcpus[2].now_ms = 2000;
	call(2, CPU_OFF, 0, 0, 0);
	vm.vcpus[1].now_ms = 2100;
	CHECK(value(1, CPU_ON64, 2, ENTRY, 0) == 0 && vcpu_take_start(&vm.vcpus[2], &entry, &context),
	      "fault_cpu_on_after_the_window_starts");
	/* One standby slot per VM: a standby while another vCPU is in standby is DENIED; alone it is not. */
	reset_vm(FAULTS(FAULT_STANDBY_DENIED_WHILE_ANOTHER_SUSPENDED));
	CHECK(call(0, CPU_SUSPEND64, 0, ENTRY, 0).action == PSCI_ACTION_STANDBY, "fault_standby_alone_unchanged");
	vm.vcpus[2].suspended = 1;
	r = call(0, CPU_SUSPEND64, 0, ENTRY, 0);
	CHECK(r.action == PSCI_ACTION_RETURN && r.value == PSCI_DENIED, "fault_standby_denied_while_another_suspended");
	vm.vcpus[0].suspended = 1;
	CHECK(call(0, CPU_SUSPEND64, 1u << 16, ENTRY, 5).action == PSCI_ACTION_VCPU_RESTART,
	      "fault_standby_slot_leaves_powerdown_alone");
	/* A CPU_OFF that begins while another vCPU's CPU_OFF is in its update window is lost: parked, still ON.
	 * (The two vCPUs meeting inside the window is the control's part, refhv/concurrent-cpu-off-lost.) */
	reset_vm(FAULTS(FAULT_CONCURRENT_CPU_OFF_LOST));
	value(0, CPU_ON64, 1, ENTRY, 0);
	vcpu_take_start(&vm.vcpus[1], &entry, &context);
	value(0, CPU_ON64, 2, ENTRY, 0);
	vcpu_take_start(&vm.vcpus[2], &entry, &context);
	CHECK(call(1, CPU_OFF, 0, 0, 0).action == PSCI_ACTION_VCPU_OFF && value(0, AFFINITY_INFO64, 1, 0, 0) == 1,
	      "fault_cpu_off_alone_unchanged");
	vm.cpu_offs_in_progress = 1;               /* another vCPU is inside its CPU_OFF */
	r = call(2, CPU_OFF, 0, 0, 0);
	CHECK(r.action == PSCI_ACTION_VCPU_OFF && value(0, AFFINITY_INFO64, 2, 0, 0) == 0 &&
	      value(0, CPU_ON64, 2, ENTRY, 0) == PSCI_ALREADY_ON && vm.cpu_offs_in_progress == 1,
	      "fault_concurrent_cpu_off_lost");
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
