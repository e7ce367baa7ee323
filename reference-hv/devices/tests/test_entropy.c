/* Host unit tests of the entropy model: random bytes in every buffer, and its constant-bytes fault. */
#include "host_driver.h"
#include "unit_check.h"

static unsigned distinct_bytes(const uint8_t *p, size_t len)
{
	bool seen[256] = { false };
	unsigned n = 0;
	for (size_t i = 0; i < len; i++) {
		n += !seen[p[i]];
		seen[p[i]] = true;
	}
	return n;
}

static unsigned fill_and_count(const char *options, bool packed)
{
	struct test_driver td;
	if (!td_start(&td, "entropy", options, ~0ULL, packed))
		return 0;
	uint64_t buf = td_alloc(&td, 8192);
	struct td_buffer b = { buf, 8192, true };
	uint16_t id;
	uint32_t len = 0;
	td_submit(&td, 0, &b, 1);
	td_used(&td, 0, &id, &len);
	unsigned n = len == 4096 ? distinct_bytes(td_host(&td, buf), len) : 0;
	td_stop(&td);
	return n;
}

int main(void)
{
	printf("KTAP version 1\n");
	/* Device Operation #1: random bytes; a 4 KiB answer holds (nearly) every byte value. */
	CHECK(fill_and_count("", false) > 240, "split_buffer_gets_random_bytes");
	CHECK(fill_and_count("", true) > 240, "packed_buffer_gets_random_bytes");
	CHECK(fill_and_count("seed=7", false) > 240, "seeded_generator_random");
	CHECK(fill_and_count("fault=constant-bytes", false) == 1, "fault_constant_bytes");
	return UNIT_DONE();
}
