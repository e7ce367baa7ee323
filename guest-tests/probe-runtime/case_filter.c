/* Probe case filter: parses 'avps.cases=' from the kernel command line and matches case IDs against it ('-' entries exclude). */
#include <string.h>

#include "case_filter.h"

#define KEY "avps.cases="

static const char *filter_list; /* points into the DT blob; NULL: no filter */
static size_t filter_len;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\0';
}

bool case_filter_init(const char *bootargs, size_t len)
{
	size_t key_len = strlen(KEY);

	filter_list = NULL;
	filter_len = 0;
	for (size_t i = 0; bootargs && i + key_len <= len; i++) {
		if ((i > 0 && !is_space(bootargs[i - 1])) || strncmp(bootargs + i, KEY, key_len) != 0)
			continue;
		size_t end = i + key_len;
		while (end < len && !is_space(bootargs[end]))
			end++;
		filter_list = bootargs + i + key_len;
		filter_len = end - i - key_len;
	}
	return filter_list != NULL;
}

static bool entry_matches(const char *entry, size_t n, const char *id)
{
	if (n > 0 && entry[n - 1] == '*')
		return strncmp(id, entry, n - 1) == 0;
	return strlen(id) == n && strncmp(id, entry, n) == 0;
}

/* Whether an entry of the list ('-' entries when negative, the others when not) matches the ID;
 * *seen says whether the list has any such entry. */
static bool list_matches(const char *id, bool negative, bool *seen)
{
	size_t start = 0;
	bool hit = false;

	*seen = false;
	while (start <= filter_len) {
		size_t end = start;
		while (end < filter_len && filter_list[end] != ',')
			end++;
		const char *entry = filter_list + start;
		size_t n = end - start;
		if (n > 0 && (entry[0] == '-') == negative) {
			*seen = true;
			if (negative ? entry_matches(entry + 1, n - 1, id) : entry_matches(entry, n, id))
				hit = true;
		}
		start = end + 1;
	}
	return hit;
}

bool case_filter_excludes(const char *id)
{
	bool seen;

	return filter_list && list_matches(id, true, &seen);
}

bool case_filter_selects(const char *id)
{
	bool seen;

	if (!filter_list)
		return true;
	if (list_matches(id, true, &seen))
		return false;
	return list_matches(id, false, &seen) || !seen;
}
