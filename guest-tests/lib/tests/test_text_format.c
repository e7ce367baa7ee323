/* Host unit tests for the freestanding formatter: compares with the C library's snprintf. */
#include "text_format.h"
#include "unit_check.h"

#include <stdint.h>

int main(void)
{
	char mine[128], libc[128];
	printf("KTAP version 1\n");

#define SAME(name, ...)                                                   \
	do {                                                              \
		text_format(mine, sizeof(mine), __VA_ARGS__);             \
		snprintf(libc, sizeof(libc), __VA_ARGS__);                \
		CHECK_STR(libc, mine, name);                              \
	} while (0)

	SAME("decimal", "%d %i %u", -42, 7, 4000000000u);
	SAME("hex_padded", "%08x %X %lx", 0xabcu, 0xABCu, 0x123456789abcdefUL);
	SAME("long_long", "%lld %llu %llx", -9000000000LL, 18000000000ULL, 0xffffffffffffffffULL);
	SAME("width_strings", "[%5s] [%s] [%c]", "ab", "", 'z');
	SAME("negative_zero_pad", "%05d", -42);
	SAME("size_t", "%zu", (size_t)12345);
	SAME("percent", "100%%");
	SAME("int_min", "%d", (int)INT32_MIN);
	SAME("string_precision", "[%.3s] [%.*s] [%.9s]", "abcdef", 2, "xyz", "ab");

	int n = text_format(mine, 4, "%s", "truncated");
	CHECK(n == 9 && strcmp(mine, "tru") == 0, "truncates_and_returns_full_length");
	n = text_format(mine, 0, "%s", "x");
	CHECK(n == 1, "size_zero_writes_nothing");
	return UNIT_DONE();
}
