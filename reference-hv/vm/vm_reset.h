/* SYSTEM_RESET of one VM: keeping its images at creation, putting them back and restarting its boot vCPU. */
#ifndef REFHV_VM_RESET_H
#define REFHV_VM_RESET_H

#include <stdint.h>

#include "vm.h"

/* Free physical RAM (no VM's, not refhv's) where the copies are kept. */
void vm_reset_store_init(uint64_t base, uint64_t end);

/* Keeps the VM's image, initrd and DT (at dtb_offset in its RAM) aside; without room, SYSTEM_RESET ends the VM. */
void vm_save_for_reset(struct vm *vm, uint64_t dtb_offset, uint64_t dtb_size);

/* SYSTEM_RESET from caller: restarts the VM (or ends it at its reset limit); never returns. */
void vm_reset(struct vcpu *caller) __attribute__((noreturn));

/* The current vCPU leaves the guest for its run loop (vm/vcpu_run.c). */
void vcpu_park(void) __attribute__((noreturn));

#endif
