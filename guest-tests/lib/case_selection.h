/* Which Linux cases one boot runs: 'avps.cases=<id>[,<id>...][,-<id>...]' on the kernel command line (absent: all). */
#ifndef AVPS_CASE_SELECTION_H
#define AVPS_CASE_SELECTION_H

#include <stdbool.h>

/* What a case left out is reported with ("# SKIP <this>"): the harness reads it as selected out. */
#define AVPS_NOT_SELECTED "not selected (avps.cases)"

/* Whether avps.cases selects the case: listed exactly, or under a listed prefix ending in '*' (a
 * list with no such entry: every case), and not under an entry starting with '-'. */
bool avps_case_selected(const char *case_id);
/* The same against a given list (the host unit test's entry point). */
bool avps_case_in_list(const char *list, const char *case_id);

#endif
