/* Which conditional AVPS features the platform declares (avps.offers_<feature>=1). */
#include "platform_offers.h"
#include "kernel_cmdline.h"

#include <stdio.h>
#include <string.h>

bool avps_list_has(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = p + strcspn(p, ",");
		if ((size_t)(end - p) == len && strncmp(p, word, len) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

bool avps_platform_offers(const char *feature)
{
	char key[64], value[8];
	snprintf(key, sizeof(key), "offers_%s", feature);
	return avps_param(key, value, sizeof(value)) && strcmp(value, "1") == 0;
}
