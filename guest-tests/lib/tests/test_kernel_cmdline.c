/* Host unit tests for reading avps.<key>= expectations from a kernel command line. */
#include "kernel_cmdline.h"
#include "unit_check.h"

int main(void)
{
	char value[32];
	const char *line = "console=ttyAMA0 avps.blk_bytes=67108864 quiet avps.net_mac=52:54:00:12:34:56\n";
	printf("KTAP version 1\n");
	CHECK(avps_param_in(line, "blk_bytes", value, sizeof(value)) && strcmp(value, "67108864") == 0,
	      "finds_value");
	CHECK(avps_param_in(line, "net_mac", value, sizeof(value)) && strcmp(value, "52:54:00:12:34:56") == 0,
	      "last_value_without_newline");
	CHECK(!avps_param_in(line, "blk", value, sizeof(value)), "prefix_of_key_does_not_match");
	CHECK(!avps_param_in(line, "console", value, sizeof(value)), "only_avps_namespace");
	CHECK(!avps_param_in("", "x", value, sizeof(value)), "empty_cmdline");
	CHECK(avps_param_in("avps.k=0123456789", "k", value, 5) && strcmp(value, "0123") == 0,
	      "value_truncated_to_buffer");
	return UNIT_DONE();
}
