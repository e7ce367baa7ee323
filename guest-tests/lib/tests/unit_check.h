/* Minimal check macros for the host-side unit tests of guest-tests/lib (prints KTAP, exits non-zero on failure). */
#ifndef AVPS_UNIT_CHECK_H
#define AVPS_UNIT_CHECK_H

#include <stdio.h>
#include <string.h>

static int unit_checks_run, unit_checks_failed;

#define CHECK(cond, name)                                                              \
	do {                                                                           \
		unit_checks_run++;                                                     \
		if (cond) {                                                            \
			printf("ok %d %s\n", unit_checks_run, name);                   \
		} else {                                                               \
			unit_checks_failed++;                                          \
			printf("# %s:%d: %s\nnot ok %d %s\n", __FILE__, __LINE__, #cond, \
			       unit_checks_run, name);                                 \
		}                                                                      \
	} while (0)

#define CHECK_STR(expected, actual, name)                                              \
	do {                                                                           \
		if (strcmp((expected), (actual)) != 0)                                 \
			printf("# expected:\n#   \"%s\"\n# got:\n#   \"%s\"\n", (expected), (actual)); \
		CHECK(strcmp((expected), (actual)) == 0, name);                         \
	} while (0)

#define UNIT_DONE()                                                                    \
	(printf("1..%d\n# %d passed, %d failed\n", unit_checks_run,                    \
		unit_checks_run - unit_checks_failed, unit_checks_failed),             \
	 unit_checks_failed ? 1 : 0)

#endif
