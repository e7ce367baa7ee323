/* Secondary CPUs: per-CPU stacks, CPU_ON through PSCI, the entry state they report, and the command loop a started CPU runs. */
#include "cpu.h"
#include "secondary.h"
#include "smccc.h"

#define SECONDARY_STACK_SIZE 4096

struct secondary_slot secondary_slots[PROBE_MAX_CPUS];
uint64_t probe_entry_el;
/* Read by secondary_entry (head.S) before it has a stack. */
volatile uint64_t secondary_boot_stack;
/* Slot the next CPU entering at secondary_entry fills; one CPU enters at a time. */
static volatile int secondary_boot_slot;
static uint8_t secondary_stacks[PROBE_MAX_CPUS][SECONDARY_STACK_SIZE] __attribute__((aligned(16)));

extern const char secondary_entry[];

uint64_t secondary_entry_address(void)
{
	return (uint64_t)(uintptr_t)secondary_entry;
}

void secondary_prepare_entry(int slot)
{
	secondary_boot_slot = slot;
	secondary_boot_stack = (uint64_t)(uintptr_t)&secondary_stacks[slot][SECONDARY_STACK_SIZE];
	dsb_sy();
}

/* Clears the slot, posts `command` for the CPU's first look at it, and issues CPU_ON64. */
static int64_t cpu_on_with(int slot, uint64_t mpidr, uint64_t context_id, enum secondary_command command)
{
	struct secondary_slot *s = &secondary_slots[slot];

	s->token = 0;
	s->mpidr = ~0ULL;
	s->context_id = 0;
	s->state = SECONDARY_DOWN;
	s->command = command;
	s->result = 0;
	s->esr = 0;
	s->entries = 0;
	s->entry_el = s->entry_daif = s->entry_sctlr = ~0ULL;
	secondary_prepare_entry(slot);
	return smccc_call(PSCI_FN_CPU_ON64, mpidr, secondary_entry_address(), context_id);
}

int64_t secondary_cpu_on(int slot, uint64_t mpidr, uint64_t context_id)
{
	return cpu_on_with(slot, mpidr, context_id, SECONDARY_IDLE);
}

int64_t secondary_cpu_on_then_off(int slot, uint64_t mpidr, uint64_t context_id)
{
	return cpu_on_with(slot, mpidr, context_id, SECONDARY_CPU_OFF);
}

void secondary_command(int slot, enum secondary_command command, uint64_t argument)
{
	secondary_slots[slot].argument = argument;
	dsb_sy();
	secondary_slots[slot].command = command;
	dsb_sy();
	sev();
}

bool secondary_run(int slot, int64_t (*fn)(uint64_t), uint64_t argument, unsigned timeout_ms,
		   int64_t *result)
{
	struct secondary_slot *s = &secondary_slots[slot];
	uint64_t before = s->runs_done, entries = s->entries;

	if (s->state != SECONDARY_RUNNING || s->command != SECONDARY_IDLE)
		return false;
	s->run_fn = fn;
	secondary_command(slot, SECONDARY_RUN, argument);
	/* A CPU that powers down in fn and wakes at the entry point ends the run without finishing it. */
	WAIT_FOR(s->runs_done != before || s->entries != entries, timeout_ms);
	if (s->runs_done == before)
		return false;
	*result = s->result;
	return true;
}

void secondary_main(uint64_t context_id, uint64_t entry_el, uint64_t entry_daif, uint64_t entry_sctlr)
	__attribute__((noreturn));
void secondary_main(uint64_t context_id, uint64_t entry_el, uint64_t entry_daif, uint64_t entry_sctlr)
{
	int slot = secondary_boot_slot;
	struct secondary_slot *s = &secondary_slots[slot];

	s->entry_el = entry_el;
	s->entry_daif = entry_daif;
	s->entry_sctlr = entry_sctlr;
	s->mpidr = cpu_mpidr();
	s->context_id = context_id;
	/* Entered again in the middle of a run (a power-down CPU_SUSPEND woke at the entry point):
	 * that run is over, not to be started again by the loop below. */
	if (s->command == SECONDARY_RUN)
		s->command = SECONDARY_IDLE;
	dsb_sy();
	s->entries++;
	s->token = SECONDARY_TOKEN(slot);
	dsb_sy();
	s->state = SECONDARY_RUNNING;
	dsb_sy();
	for (;;) {
		uint64_t command = s->command;
		if (command == SECONDARY_CPU_OFF) {
			s->command = SECONDARY_IDLE;
			s->state = SECONDARY_OFFING;
			dsb_sy();
			/* CPU_OFF does not return on success. */
			s->result = smccc_call(PSCI_FN_CPU_OFF, 0, 0, 0);
			s->state = SECONDARY_FAILED;
			dsb_sy();
		} else if (command == SECONDARY_CPU_SUSPEND) {
			s->command = SECONDARY_IDLE;
			dsb_sy();
			s->result = smccc_call(PSCI_FN_CPU_SUSPEND64, s->argument,
					       secondary_entry_address(), context_id);
			s->state = SECONDARY_SUSPEND_RETURNED;
			dsb_sy();
		} else if (command == SECONDARY_RUN) {
			dsb_sy();
			s->result = s->run_fn(s->argument);
			s->command = SECONDARY_IDLE;
			dsb_sy();
			s->runs_done++;
			dsb_sy();
		}
		wfe();
	}
}
