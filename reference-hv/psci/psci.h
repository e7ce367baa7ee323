/* PSCI 1.1 (Arm DEN0022) and SMCCC 1.1 (Arm DEN0028) calls of one vCPU: the answer, and what must happen next. */
#ifndef REFHV_PSCI_H
#define REFHV_PSCI_H

#include <stdint.h>

#include "vm.h"

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INTERNAL_FAILURE (-6)
#define PSCI_INVALID_ADDRESS (-9)

#define PSCI_VERSION_1_1 0x10001
#define SMCCC_VERSION_1_1 0x10001

enum psci_action {
	PSCI_ACTION_RETURN,        /* x0 = value, resume the caller */
	PSCI_ACTION_WAKE,          /* x0 = value, and a vCPU was asked to start: signal it */
	PSCI_ACTION_STANDBY,       /* CPU_SUSPEND standby: wait for an interrupt, then x0 = value */
	PSCI_ACTION_VCPU_OFF,      /* the caller is off: park its physical CPU */
	PSCI_ACTION_VCPU_RESTART,  /* power-down suspend: restart at entry with x0 = context_id */
	PSCI_ACTION_VM_OFF,        /* SYSTEM_OFF */
	PSCI_ACTION_VM_RESET,      /* SYSTEM_RESET */
};

struct psci_result {
	enum psci_action action;
	int64_t value;
	uint64_t entry, context_id;
	struct vcpu *woken;        /* PSCI_ACTION_WAKE: the vCPU CPU_ON started (its physical CPU gets a kick) */
};

/* Handles one SMCCC call (function ID in x0, arguments in x1..x3) from vCPU caller. */
void smccc_handle(struct vcpu *caller, const uint64_t x[4], struct psci_result *result);

/* The answer to a function ID nobody implements here: NOT_SUPPORTED (-1), or what a fault switch makes it. */
int64_t smccc_unimplemented(struct fault_set faults, uint32_t fid);

/* The vCPU's start request, taken by its physical CPU: true with entry/context_id when one is pending. */
int vcpu_take_start(struct vcpu *v, uint64_t *entry, uint64_t *context_id);

#endif
