/* The outcome of one freestanding test case (probes, EFI probe): what its checks said, reported as one KTAP result. */
#ifndef AVPS_CASE_OUTCOME_H
#define AVPS_CASE_OUTCOME_H

#include "ktap.h"

#include <stdarg.h>
#include <stdbool.h>

/*
 * Precedence: ERROR > FAIL > SKIP > PASS. A SKIP never hides a failure, and the first
 * reason given at the winning level is the one reported.
 */
struct case_outcome {
	enum ktap_status status;
	char reason[160];
};

void case_outcome_start(struct case_outcome *o);
/* Records SKIP or ERROR (or FAIL) with a reason. */
void case_outcome_vset(struct case_outcome *o, enum ktap_status status, const char *fmt, va_list ap);
/* A named check: on failure prints "# <case>: <detail>" ("# <detail>" when case_id is NULL,
 * keeping console lines short) and records FAIL. Returns cond. */
bool case_outcome_vcheck(struct case_outcome *o, struct ktap_writer *w, const char *case_id, bool cond,
			 const char *fmt, va_list ap);
/* The line that hands the case to the host ("# host-check: <case> expect=<event>"), printed just
 * before the call that makes the event happen. A failure or error the case already recorded
 * rides along (" guest=fail: <reason>", reason cut to keep the line under 116 characters), so
 * the host's observation can never erase it (harness/avps_cts/host_checks.py). */
void case_outcome_host_check(const struct case_outcome *o, struct ktap_writer *w, const char *case_id,
			     const char *event);
/* The case's KTAP result line. */
void case_outcome_report(const struct case_outcome *o, struct ktap_writer *w, const char *case_id);

#endif
