/* Public API of the bare-metal probe runtime (top layer): case declaration and checks, plus every lower layer. */
#ifndef PROBE_H
#define PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avps_case.h"
/* Layers, lowest first: each includes only the ones above it in this list. */
#include "base.h"       /* string, console, fatal stop */
#include "dt.h"         /* device tree */
#include "gic.h"        /* interrupt controller */
#include "smccc.h"      /* SMCCC / PSCI calls */
#include "secondary.h"  /* secondary CPUs */

/* ---- cases ---------------------------------------------------------------
 * One declaration per case: the stable ID is also the KTAP name, and the same
 * line writes the ELF manifest record. Cases run in link order. */
struct probe_case {
	const char *id;
	void (*run)(void);
	bool stands_alone;   /* see PROBE_CASE_STANDALONE */
};

#define PROBE_CASE_ENTRY_(fn, case_id, alone, ...)                                  \
	static void fn(void);                                                      \
	AVPS_CASE_RECORD(fn##_manifest, case_id, case_id, __VA_ARGS__)             \
	__attribute__((section(".probe_cases"), used, aligned(8)))                  \
	static const struct probe_case fn##_case = { case_id, fn, alone };

#define PROBE_CASE(fn, case_id, ...) PROBE_CASE_ENTRY_(fn, case_id, false, __VA_ARGS__)

/* A case that leaves the CPUs and devices as it found them and no later case builds on: under a case
 * filter it runs only when selected itself, not because a later case is (a long stress round such as
 * psci.cpu_on.after_off would otherwise run in every control of a case after it). */
#define PROBE_CASE_STANDALONE(fn, case_id, ...) PROBE_CASE_ENTRY_(fn, case_id, true, __VA_ARGS__)

/* Case filter (avps.cases=<id>,... on the command line, case_filter.h): a boot runs every case up
 * to the last selected one, in order, so each selected case sees the set-up of the cases before it
 * exactly as in a full run; the cases after it, and stand-alone cases not selected themselves, are
 * reported "SKIP not selected (avps.cases)". */

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

#endif
