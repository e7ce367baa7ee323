/* Probe case filter: 'avps.cases=<id>[,<id>...]' in /chosen/bootargs names the cases one boot must run (runtime.c runs every case up to the last of them). */
#ifndef PROBE_CASE_FILTER_H
#define PROBE_CASE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

/* The reason a case after the last selected one is reported with ("ok N id # SKIP <this>"): the
 * harness reads it as "selected out", never as a result. */
#define CASE_FILTER_SKIP_REASON "not selected (avps.cases)"

/* Reads avps.cases from the command line text (NULL or no such word: every case runs);
 * returns whether it found one. */
bool case_filter_init(const char *bootargs, size_t len);
/* Whether the case with this ID runs: listed exactly, or under a listed prefix ending in '*'. */
bool case_filter_selects(const char *id);

#endif
