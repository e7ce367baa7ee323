/* Secondary-CPU layer of the probe runtime: CPU_ON, per-CPU stacks, command loop; depends on smccc.h. */
#ifndef PROBE_SECONDARY_H
#define PROBE_SECONDARY_H

#include <stdint.h>

#define PROBE_MAX_CPUS 8

enum secondary_command { SECONDARY_IDLE, SECONDARY_CPU_OFF, SECONDARY_CPU_SUSPEND };
enum secondary_state { SECONDARY_DOWN, SECONDARY_RUNNING, SECONDARY_OFFING,
		       SECONDARY_SUSPEND_RETURNED, SECONDARY_FAILED };

/* What a secondary reports back after CPU_ON (written by that CPU, read by the boot CPU). */
struct secondary_slot {
	volatile uint64_t token;       /* SECONDARY_TOKEN(slot) once it ran C code */
	volatile uint64_t mpidr;       /* its MPIDR_EL1 affinity */
	volatile uint64_t context_id;  /* x0 it was entered with */
	volatile uint64_t state;       /* enum secondary_state */
	volatile uint64_t command;     /* enum secondary_command, set by the boot CPU */
	volatile uint64_t argument;    /* command argument (CPU_SUSPEND power_state) */
	volatile int64_t result;       /* PSCI return of the command, if it returned */
	volatile uint64_t esr, elr;    /* unexpected exception on this CPU (esr != 0) */
};

#define SECONDARY_TOKEN(slot) (0x5ec0000000000000ULL | (uint64_t)(slot))

extern struct secondary_slot secondary_slots[PROBE_MAX_CPUS];
/* Physical address of the CPU_ON entry point (MMU off: VA == PA). */
uint64_t secondary_entry_address(void);
/* Prepares slot (clears it, publishes its stack) and issues CPU_ON(mpidr, entry, context_id). */
int64_t secondary_cpu_on(int slot, uint64_t mpidr, uint64_t context_id);
/* Posts a command to a running secondary. */
void secondary_command(int slot, enum secondary_command command, uint64_t argument);

#endif
