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

/* A KTAP sink that collects output into unit_output for exact comparisons. */
static char unit_output[4096];
static size_t unit_output_len;

static inline void unit_capture(void *ctx, const char *text)
{
	(void)ctx;
	size_t n = strlen(text);
	if (unit_output_len + n < sizeof(unit_output)) {
		memcpy(unit_output + unit_output_len, text, n);
		unit_output_len += n;
		unit_output[unit_output_len] = '\0';
	}
}

static inline void unit_capture_reset(void)
{
	unit_output_len = 0;
	unit_output[0] = '\0';
}

#define UNIT_DONE()                                                                    \
	(printf("1..%d\n# %d passed, %d failed\n", unit_checks_run,                    \
		unit_checks_run - unit_checks_failed, unit_checks_failed),             \
	 unit_checks_failed ? 1 : 0)

#endif
