/* Secondary-CPU layer of the probe runtime: CPU_ON, per-CPU stacks, command loop; depends on smccc.h. */
#ifndef PROBE_SECONDARY_H
#define PROBE_SECONDARY_H

#include <stdbool.h>
#include <stdint.h>

#define PROBE_MAX_CPUS 8

enum secondary_command { SECONDARY_IDLE, SECONDARY_CPU_OFF, SECONDARY_CPU_SUSPEND, SECONDARY_RUN };
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
	/* State the CPU was entered in (read before the probe changes anything). */
	volatile uint64_t entry_el;    /* CurrentEL.EL */
	volatile uint64_t entry_daif;  /* PSTATE.DAIF as read by MRS DAIF */
	volatile uint64_t entry_sctlr; /* SCTLR_ELx of the entry EL */
	volatile uint64_t entries;     /* times this slot's CPU ran secondary_main since CPU_ON */
	/* SECONDARY_RUN: the function the CPU runs, its argument, how often it finished. */
	int64_t (*volatile run_fn)(uint64_t argument);
	volatile uint64_t runs_done;
};

#define SECONDARY_TOKEN(slot) (0x5ec0000000000000ULL | (uint64_t)(slot))

extern struct secondary_slot secondary_slots[PROBE_MAX_CPUS];
/* Physical address of the CPU_ON entry point (MMU off: VA == PA). */
uint64_t secondary_entry_address(void);
/* Prepares slot (clears it, publishes its stack) and issues CPU_ON(mpidr, entry, context_id). */
int64_t secondary_cpu_on(int slot, uint64_t mpidr, uint64_t context_id);
/* CPU_ON64 with CPU_OFF already posted: the CPU reports its entry state (token, MPIDR, context_id,
 * entries) and calls CPU_OFF at once, with no hand-over from the caller in between. */
int64_t secondary_cpu_on_then_off(int slot, uint64_t mpidr, uint64_t context_id);
/* Posts a command to a running secondary. */
void secondary_command(int slot, enum secondary_command command, uint64_t argument);
/* Runs fn(argument) on running secondary `slot` and waits up to timeout_ms for it to finish:
 * the per-call watchdog for calls that might never return. True and *result set when it
 * finished; false when it did not (the CPU is then busy or lost, or it re-entered at the entry
 * point during fn: `entries` changed, and the run is over). */
bool secondary_run(int slot, int64_t (*fn)(uint64_t), uint64_t argument, unsigned timeout_ms,
		   int64_t *result);
/* Points the next CPU entry at `slot` (stack, slot index) without calling CPU_ON: for a CPU
 * that may re-enter at the entry point (power-down suspend) or for CPU_ON issued elsewhere. */
void secondary_prepare_entry(int slot);
/* Exception level the boot CPU was entered at (CurrentEL.EL). */
extern uint64_t probe_entry_el;

#endif
