/* The flat guest-memory accessor: one host buffer standing for a contiguous range of guest RAM. */
#include "guest_memory.h"

#include <string.h>

/* True when [gpa, gpa + len) lies inside the window; written so that no sum can overflow. */
static bool flat_contains(const struct flat_memory *flat, uint64_t gpa, size_t len)
{
	if (gpa < flat->base)
		return false;
	uint64_t offset = gpa - flat->base;
	return offset <= flat->size && len <= flat->size - offset;
}

bool flat_memory_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct flat_memory *flat = ctx;
	if (!flat_contains(flat, gpa, len))
		return false;
	memcpy(buf, flat->bytes + (gpa - flat->base), len);
	return true;
}

bool flat_memory_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	struct flat_memory *flat = ctx;
	if (!flat_contains(flat, gpa, len))
		return false;
	memcpy(flat->bytes + (gpa - flat->base), buf, len);
	return true;
}
