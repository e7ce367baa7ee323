/* Public API of the bare-metal probe runtime: case declaration, checks, console, DT, SMCCC/PSCI. */
#ifndef PROBE_H
#define PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avps_case.h"

/* ---- cases ---------------------------------------------------------------
 * One declaration per case: the stable ID is also the KTAP name, and the same
 * line writes the ELF manifest record. Cases run in link order. */
struct probe_case {
	const char *id;
	void (*run)(void);
};

#define PROBE_CASE(fn, case_id, ...)                                                \
	static void fn(void);                                                      \
	AVPS_CASE_RECORD(fn##_manifest, case_id, case_id, __VA_ARGS__)             \
	__attribute__((section(".probe_cases"), used, aligned(8)))                  \
	static const struct probe_case fn##_case = { case_id, fn };

/* Name printed as the parent KTAP test (e.g. "psci"); each probe defines it. */
extern const char probe_name[];

/* Inside a case: a named check; on failure prints "# <case>: <detail>" and the
 * case ends up not ok. Returns cond. */
bool probe_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Condition absent (say which); the case is reported "ok ... # SKIP reason". */
void probe_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The test itself could not run (e.g. the DT lacks what it needs): not ok # ERROR. */
void probe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "# ..." diagnostic line, kept under 120 characters. */
void probe_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The current case is judged by the host, not by an ok line: prints
 * "# host-check: <case> expect=<event>" (event: guest-reset | guest-shutdown) just
 * before the call that makes the event happen. */
void probe_host_check(const char *event);
/* A probe that defines this (e.g. "psci.system_off", declared with AVPS_CASE_RECORD)
 * has its final SYSTEM_OFF judged by the host as that case. */
extern const char *const probe_system_off_case __attribute__((weak));

/* Console (from /chosen/stdout-path). */
void console_init(uintptr_t pl011_base);
void console_puts(const char *text);
void console_flush(void);

/* ---- device tree (libfdt over the blob the loader passed in x0) ---------- */
const void *dt_blob(void);
int dt_init(const void *fdt);
/* Address/size of reg entry `index` of a node, using the parent's cells. */
bool dt_reg(int node, int index, uint64_t *addr, uint64_t *size);
/* Node of /chosen/stdout-path (alias or path, options after ':' ignored), or <0. */
int dt_stdout_node(void);
/* Next node after `prev` (-1 to start) whose "compatible" list contains compat. */
int dt_next_compatible(int prev, const char *compat);
/* MPIDRs of the /cpus/cpu@* nodes, in DT order; returns how many (up to max). */
int dt_cpu_mpidrs(uint64_t *mpidr, int max, int *total);
/* Cell `index` of a u32-array property, false if absent or too short. */
bool dt_prop_u32(int node, const char *name, int index, uint32_t *value);

/* ---- interrupt controller (wake-up source only; IRQs stay masked) -------- */
/* INTID of the EL1 virtual timer PPI from the DT, 0 if not found. */
unsigned gic_virtual_timer_intid(void);
/* Enables a PPI for this CPU at the GIC the DT names; returns "GICv2"/"GICv3" or NULL. */
const char *gic_enable_ppi(unsigned intid);

/* ---- SMCCC / PSCI ------------------------------------------------------- */
enum smccc_conduit { SMCCC_CONDUIT_NONE, SMCCC_CONDUIT_HVC, SMCCC_CONDUIT_SMC };
extern enum smccc_conduit smccc_conduit;
/* Reads /psci "method"; returns the conduit (NONE if absent or unknown). */
enum smccc_conduit smccc_init_from_dt(void);
const char *smccc_conduit_name(void);
/* SMCCC call through the DT conduit: returns x0 (sign-extended 64-bit). */
int64_t smccc_call(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

#define PSCI_FN_VERSION             0x84000000u
#define PSCI_FN_CPU_SUSPEND64       0xc4000001u
#define PSCI_FN_CPU_OFF             0x84000002u
#define PSCI_FN_CPU_ON64            0xc4000003u
#define PSCI_FN_AFFINITY_INFO64     0xc4000004u
#define PSCI_FN_MIGRATE_INFO_TYPE   0x84000006u
#define PSCI_FN_SYSTEM_OFF          0x84000008u
#define PSCI_FN_SYSTEM_RESET        0x84000009u
#define PSCI_FN_FEATURES            0x8400000au
#define PSCI_FN_SYSTEM_SUSPEND64    0xc400000eu
#define PSCI_FN_SYSTEM_RESET2_64    0xc4000012u

#define PSCI_SUCCESS             0
#define PSCI_NOT_SUPPORTED      -1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_DENIED             -3
#define PSCI_ALREADY_ON         -4
#define PSCI_ON_PENDING         -5
#define PSCI_INTERNAL_FAILURE   -6
#define PSCI_NOT_PRESENT        -7
#define PSCI_DISABLED           -8
#define PSCI_INVALID_ADDRESS    -9

const char *psci_error_name(int64_t ret);

/* ---- secondary CPUs --------------------------------------------------------- */
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
