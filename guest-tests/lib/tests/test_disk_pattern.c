/* Host unit test: the guest's disk pattern equals the vectors harness/tests/test_host_disk_content.py pins for the host's copy. */
#include "disk_pattern.h"
#include "unit_check.h"

int main(void)
{
	uint64_t words[4];
	printf("KTAP version 1\n");
	fill_pattern(words, 4, 4096, 0x0123456789abcdefULL);
	CHECK(words[0] == 0xa852e0696704c314ULL && words[1] == 0x1396ae29d1f88fbaULL &&
	      words[2] == 0xa1a2ec2b6b90d21dULL && words[3] == 0x61684c3640a4d0d1ULL,
	      "pattern_matches_the_host_vectors");
	uint64_t other[4];
	fill_pattern(other, 4, 8192, 0x0123456789abcdefULL);
	CHECK(memcmp(words, other, sizeof(words)) != 0, "pattern_depends_on_offset");
	return UNIT_DONE();
}
