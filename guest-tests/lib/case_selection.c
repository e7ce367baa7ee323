/* Reads avps.cases once from /proc/cmdline and matches case IDs against it (exact, or a prefix ending in '*'; '-' entries exclude). */
#include "case_selection.h"

#include <string.h>

#include "kernel_cmdline.h"

static bool entry_matches(const char *entry, size_t len, const char *case_id)
{
	if (len > 0 && entry[len - 1] == '*')
		return strncmp(case_id, entry, len - 1) == 0;
	return len > 0 && strlen(case_id) == len && strncmp(case_id, entry, len) == 0;
}

bool avps_case_in_list(const char *list, const char *case_id)
{
	bool positive = false, selected = false;

	for (const char *entry = list; *entry;) {
		size_t len = strcspn(entry, ",");
		if (len > 0 && entry[0] == '-') {
			if (entry_matches(entry + 1, len - 1, case_id))
				return false;
		} else if (len > 0) {
			positive = true;
			selected = selected || entry_matches(entry, len, case_id);
		}
		entry += len + (entry[len] == ',');
	}
	return selected || !positive;
}

bool avps_case_selected(const char *case_id)
{
	static char list[2048];
	static int state; /* 0: not read yet, 1: no filter, 2: filter in list */

	if (state == 0)
		state = avps_param("cases", list, sizeof(list)) ? 2 : 1;
	return state == 1 || avps_case_in_list(list, case_id);
}
