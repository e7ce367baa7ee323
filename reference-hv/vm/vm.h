/* VMs and vCPUs: what the config made of them, their power state, and how a VM is stopped. */
#ifndef REFHV_VM_H
#define REFHV_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "stage2.h"
#include "vgic.h"
#include "vuart.h"

enum vcpu_power {
	VCPU_OFF = 0,
	VCPU_ON_PENDING = 1,   /* CPU_ON accepted, the vCPU has not started yet */
	VCPU_ON = 2,
};

struct vm;

struct vcpu {
	struct vm *vm;
	int index;
	int pcpu;
	uint64_t mpidr;            /* as the guest sees it (VMPIDR_EL2, DT cpu reg) */
	int power;                 /* enum vcpu_power, changed atomically */
	int start_requested;       /* set after entry/context_id are written */
	uint64_t entry, context_id;
	struct vgic_cpu vgic;      /* its redistributor */
};

enum vm_state {
	VM_RUNNING = 0,
	VM_STOPPED = 1,
};

struct vm {
	const struct vm_config *cfg;
	int id;                    /* also its VMID */
	int n_vcpus;
	struct vcpu vcpus[CONFIG_MAX_VCPUS];
	uint32_t faults;
	int state;                 /* enum vm_state */
	struct stage2 stage2;
	uint64_t entry_ipa, dtb_ipa;
	struct vuart uart;
	bool has_vgic;             /* the machine has a GICv3, so the VM gets a virtual one */
	struct vgic_dist vgic;
	uint64_t deadline;         /* counter value at which the VM's budget ends (0: none) */
	unsigned aborts_injected;  /* a VM that faults in a loop is stopped (exceptions/trap.c) */
	struct vm *hole_to;        /* FAULT_STAGE2_HOLE: whose RAM is mapped after this VM's */
};

/* The vCPU of vm with this MPIDR (affinity fields), or NULL. */
struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);

/* True when [ipa, ipa + size) lies in the VM's RAM. */
bool vm_ipa_in_ram(const struct vm *vm, uint64_t ipa, uint64_t size);

#endif
