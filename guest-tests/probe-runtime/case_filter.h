/* Probe case filter: 'avps.cases=<id>[,<id>...][,-<id>...]' in /chosen/bootargs names the cases one boot must run (runtime.c runs every case up to the last of them) and those it must not. */
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
/* Whether the filter selects the case: listed exactly, or under a listed prefix ending in '*' (no
 * such entry in the list: every case), and not excluded. */
bool case_filter_selects(const char *id);
/* Whether a '-<id>' or '-<prefix>*' entry excludes the case (a case the run skips): it never runs,
 * not even as the set-up of a later selected case. */
bool case_filter_excludes(const char *id);

#endif
