/* Reads the expectations the harness passes to guest tests as avps.<key>=<value> on the kernel command line. */
#include "kernel_cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool avps_param_in(const char *cmdline, const char *key, char *value, size_t size)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "avps.%s=", key);
	size_t needle_len = strlen(needle);

	for (const char *p = cmdline; p && *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		const char *end = p + strcspn(p, " \n");
		if ((size_t)(end - p) >= needle_len && strncmp(p, needle, needle_len) == 0) {
			size_t len = (size_t)(end - p) - needle_len;
			if (len >= size)
				len = size - 1;
			memcpy(value, p + needle_len, len);
			value[len] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

bool avps_param(const char *key, char *value, size_t size)
{
	char cmdline[4096];
	FILE *f = fopen("/proc/cmdline", "r");
	if (!f)
		return false;
	size_t n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
	fclose(f);
	cmdline[n] = '\0';
	return avps_param_in(cmdline, key, value, size);
}

bool avps_param_u64(const char *key, unsigned long long *value)
{
	char text[64], *end;
	if (!avps_param(key, text, sizeof(text)) || !text[0])
		return false;
	*value = strtoull(text, &end, 0);
	return *end == '\0';
}
