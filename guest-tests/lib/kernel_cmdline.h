/* Reads the expectations the harness passes to guest tests as avps.<key>=<value> on the kernel command line. */
#ifndef AVPS_KERNEL_CMDLINE_H
#define AVPS_KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Copies the value of avps.<key>= into value; false when the key is absent. */
bool avps_param(const char *key, char *value, size_t size);
/* Parses avps.<key>= as an unsigned number (decimal or 0x hex); false when absent or malformed. */
bool avps_param_u64(const char *key, unsigned long long *value);

/* Same lookup over a given command-line string (unit-testable). */
bool avps_param_in(const char *cmdline, const char *key, char *value, size_t size);

#endif
