/* The device tree a VM boots with, generated from its config. */
#ifndef REFHV_GUEST_DT_H
#define REFHV_GUEST_DT_H

#include "vm.h"

/* Writes the VM's DT into buf; 0, or a (negative) libfdt error. */
int guest_dt_build(void *buf, unsigned size, const struct vm *vm);

#endif
