/* Host unit tests of the stage-2 table builder: blocks and pages, exact bounds, overlaps, pool exhaustion. */
#include <stdbool.h>
#include <stdlib.h>

#include "stage2.h"
#include "unit_check.h"

static stage2_table pages[16] __attribute__((aligned(4096)));

static bool maps_to(const struct stage2 *s2, uint64_t ipa, uint64_t expected)
{
	uint64_t pa = 0;
	return stage2_translate(s2, ipa, &pa) && pa == expected;
}

int main(void)
{
	struct stage2_pool pool = { .pages = pages, .count = 16 };
	struct stage2 s2;
	printf("KTAP version 1\n");

	CHECK(stage2_init(&s2, &pool) == 0, "init");
	CHECK(stage2_map(&s2, 0x40000000, 0x48000000, 0x8000000, STAGE2_NORMAL_RW) == 0, "map_128m_ram");
	CHECK(pool.used == 2, "ram_uses_2m_blocks_one_level2_table");
	CHECK(maps_to(&s2, 0x40000000, 0x48000000) && maps_to(&s2, 0x47ffffff, 0x4fffffff) &&
	      maps_to(&s2, 0x41234567, 0x49234567), "ram_translates");
	uint64_t pa;
	CHECK(!stage2_translate(&s2, 0x3fffffff, &pa) && !stage2_translate(&s2, 0x48000000, &pa) &&
	      !stage2_translate(&s2, 0x09000000, &pa), "nothing_outside_ram");
	CHECK(stage2_map(&s2, 0x47e00000, 0x60000000, 0x200000, STAGE2_NORMAL_RW) != 0, "overlap_rejected");
	CHECK(stage2_map(&s2, 0x80001000, 0x70001000, 0x3000, STAGE2_NORMAL_RW) == 0 &&
	      maps_to(&s2, 0x80001000, 0x70001000) && maps_to(&s2, 0x80003fff, 0x70003fff) &&
	      !stage2_translate(&s2, 0x80000fff, &pa) && !stage2_translate(&s2, 0x80004000, &pa),
	      "unaligned_region_uses_4k_pages");
	uint64_t descriptor = 0;
	for (int i = 0; i < 512 && !descriptor; i++)
		descriptor = pages[1][i];
	CHECK((descriptor & 3) == 1 && (descriptor & STAGE2_NORMAL_RW) == STAGE2_NORMAL_RW, "block_descriptor_attributes");
	CHECK(stage2_map(&s2, 0x1001, 0x1000, 0x1000, STAGE2_NORMAL_RW) != 0 &&
	      stage2_map(&s2, 1ULL << 39, 0, 0x1000, STAGE2_NORMAL_RW) != 0, "misaligned_or_beyond_ipa_space_rejected");
	CHECK(stage2_map(&s2, 0x100000000ULL, 0, 0x1000000 * 16ULL, STAGE2_NORMAL_RW) == 0, "large_region");
	int failures = 0;
	for (uint64_t gib = 8; gib < 40 && !failures; gib++)
		failures += stage2_map(&s2, gib << 30, 0, 0x1000, STAGE2_NORMAL_RW) != 0;
	CHECK(failures == 1, "pool_exhaustion_reported_not_overrun");
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
