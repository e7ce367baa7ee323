/* Building VMs from the config: stage-2 tables, image check, guest DT; stopping a VM. */
#ifndef REFHV_VM_CREATE_H
#define REFHV_VM_CREATE_H

#include "config.h"
#include "vm.h"

extern struct vm vms[CONFIG_MAX_VMS];
extern int n_vms;

/* Creates VM index from cfg; 0, or -1 with "line N: ..." in err. */
int vm_create(int index, const struct vm_config *cfg, char *err, unsigned err_size);

/* Opens the stage-2 holes fault switches ask for, and pins every vCPU to its physical CPU (pcpus[].vcpu). */
void vms_assign_pcpus(void);

/* Stops a VM for a reason (logged); powers the machine off once no VM is left. */
void vm_stop(struct vm *vm, const char *event, const char *reason);

#endif
