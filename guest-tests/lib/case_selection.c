/* Reads avps.cases once from /proc/cmdline and matches case IDs against it (exact, or a prefix ending in '*'). */
#include "case_selection.h"

#include <string.h>

#include "kernel_cmdline.h"

bool avps_case_in_list(const char *list, const char *case_id)
{
	for (const char *entry = list; *entry;) {
		size_t len = strcspn(entry, ",");
		if (len > 0 && entry[len - 1] == '*' ? strncmp(case_id, entry, len - 1) == 0
						    : len > 0 && strlen(case_id) == len && strncmp(case_id, entry, len) == 0)
			return true;
		entry += len + (entry[len] == ',');
	}
	return false;
}

bool avps_case_selected(const char *case_id)
{
	static char list[2048];
	static int state; /* 0: not read yet, 1: no filter, 2: filter in list */

	if (state == 0)
		state = avps_param("cases", list, sizeof(list)) ? 2 : 1;
	return state == 1 || avps_case_in_list(list, case_id);
}
