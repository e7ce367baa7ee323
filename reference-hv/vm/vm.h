/* VMs and vCPUs: what the config made of them, their power state, and how a VM is stopped. */
#ifndef REFHV_VM_H
#define REFHV_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "gwdt.h"
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
	unsigned starts;           /* times it was started (boot or CPU_ON) */
	int suspended;             /* waiting in CPU_SUSPEND standby (atomic) */
	int in_guest;              /* entered the guest and not parked since (SYSTEM_RESET waits for 0) */
	unsigned counter_reads;    /* FAULT_PHYSICAL_COUNTER_RUNS_BACK: trapped CNTPCT_EL0 reads */
	uint64_t now_ms;           /* the counter in ms at its current SMCCC call (set by the trap path) */
	uint64_t vbar_el1;         /* its VBAR_EL1 at its current SMCCC call, read only under FAULT_CPU_ON_ENTRY_EL0 */
	uint64_t entry_vbar;       /* FAULT_CPU_ON_ENTRY_EL0: the VBAR_EL1 its CPU_ON gave it (the caller's), 0: none */
	uint64_t off_at_ms;        /* now_ms + 1 at its last CPU_OFF (0: never): FAULT_CPU_ON_LOST_AFTER_CPU_OFF */
	struct vgic_cpu vgic;      /* its redistributor */
};

enum vm_state {
	VM_RUNNING = 0,
	VM_STOPPED = 1,
	VM_RESETTING = 2,          /* SYSTEM_RESET: its vCPUs leave the guest, its RAM is restored */
};

/* A range of the VM's RAM kept aside at creation, so SYSTEM_RESET can put it back (vm/vm_reset.c). */
struct vm_saved_range {
	uint64_t offset, size;     /* within the VM's RAM */
	uint64_t saved_pa;         /* where the copy lies */
};
#define VM_SAVED_RANGES 3          /* image, initrd, guest DT */

struct vm {
	const struct vm_config *cfg;
	int id;                    /* also its VMID */
	int n_vcpus;
	struct vcpu vcpus[CONFIG_MAX_VCPUS];
	struct fault_set faults;
	int state;                 /* enum vm_state */
	struct stage2 stage2;
	uint64_t entry_ipa, dtb_ipa;
	struct vuart uart;
	bool has_vgic;             /* the machine has a GICv3, so the VM gets a virtual one */
	struct vgic_dist vgic;
	uint64_t deadline;         /* counter value at which the VM's budget ends (0: none) */
	unsigned aborts_injected;  /* a VM that faults in a loop is stopped (exceptions/trap.c) */
	struct vm *hole_to;        /* FAULT_STAGE2_HOLE: whose RAM is mapped after this VM's */
	int boot_requested;        /* the boot vCPU is to enter the image (at creation and after a reset) */
	unsigned resets;           /* SYSTEM_RESETs so far */
	unsigned affinity_info_calls;  /* FAULT_AFFINITY_INFO_FLICKERS_OFF counts them (atomic) */
	int cpu_offs_in_progress;  /* FAULT_CONCURRENT_CPU_OFF_LOST: CPU_OFFs inside their update window (atomic) */
	int n_saved;               /* ranges kept for SYSTEM_RESET; -1: no room, a reset ends the VM */
	struct vm_saved_range saved[VM_SAVED_RANGES];
	struct gwdt watchdog;      /* its SBSA generic watchdog, when the config has a `watchdog` line (watchdog/) */
	int watchdog_lock;
};

/* The vCPU of vm with this MPIDR (affinity fields), or NULL. */
struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);

/* True when [ipa, ipa + size) lies in the VM's RAM. */
bool vm_ipa_in_ram(const struct vm *vm, uint64_t ipa, uint64_t size);

#endif
