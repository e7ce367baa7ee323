/* Calls to the machine's own PSCI firmware (QEMU's, reached by SMC from EL2). */
#ifndef REFHV_FIRMWARE_H
#define REFHV_FIRMWARE_H

#include <stdint.h>

int64_t firmware_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context_id);
void firmware_system_off(void) __attribute__((noreturn));

#endif
