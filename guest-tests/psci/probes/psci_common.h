/* Shared state and helpers of the PSCI probe's case files: the secondaries the DT lists, calls, the SMCCC version. */
#ifndef PSCI_COMMON_H
#define PSCI_COMMON_H

#include "cpu.h"
#include "probe.h"
#include "psci_ids.h"

#define BAD_MPIDR          0xfefeULL   /* Aff1 = Aff0 = 0xfe: no such CPU in any sane DT */
#define CPU_ON_TIMEOUT_MS  2000
#define CALL_TIMEOUT_MS    2000        /* per-call watchdog for calls made on a secondary */

/* Secondaries the DT lists (the boot CPU excluded), in DT order; -1 until looked up. */
extern uint64_t secondary_mpidr[PROBE_MAX_CPUS];
extern int n_secondaries;
int find_secondaries(void);
/* A lost CPU (a call on it never returned) is never used again. */
extern bool secondary_lost[PROBE_MAX_CPUS];
uint64_t context_for(int slot);

int64_t psci_features(uint32_t fid);
int64_t affinity_info(uint64_t mpidr, unsigned level);

/* Starts secondary `slot` with CPU_ON64 and checks it ran (token, MPIDR, context_id). */
bool start_and_verify(int slot);
/* CPU_ON with the given context_id, then the same checks as start_and_verify. */
bool start_and_verify_with(int slot, uint64_t context_id);
/*
 * Asks running secondary `slot` to CPU_OFF; true when AFFINITY_INFO then says OFF. turn_off then
 * waits OFF_SETTLE_MS before returning: on Xen 4.17 a CPU_ON issued at once can start the CPU with
 * x0 = 0 instead of its context_id, which only psci.cpu_on.after_off (turn_off_at_once) tests.
 */
#define OFF_SETTLE_MS 2
bool turn_off(int slot);
bool turn_off_at_once(int slot);
/* The wait turn_off adds, for a case that used turn_off_at_once and hands the CPU on. */
void off_settle(void);
/*
 * One OFF -> ON -> OFF round with no hand-over in between: CPU_ON with CPU_OFF already posted, then
 * AFFINITY_INFO polled from the CPU's entry on until the first OFF, then the checks of
 * start_and_verify_with and turn_off_at_once on what the CPU reported. For a CPU that is OFF.
 */
bool restart_then_off(int slot, uint64_t context_id);
/* Makes sure secondary `slot` is running (CPU_ON if needed); false if it cannot be. */
bool ensure_running(int slot);
/* A running, not lost secondary other than `except` (-1: any), or -1. */
int pick_running(int except);
/* SMCCC version (0x10000 for 1.0 when SMCCC_VERSION is not offered). */
int64_t smccc_version(void);

#endif
