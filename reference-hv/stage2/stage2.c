/* Stage-2 table builder and walker: what a VM may touch is exactly what is mapped here. */
#include <string.h>

#include "stage2.h"

#define DESC_VALID (1ULL << 0)
#define DESC_TABLE (1ULL << 1)     /* at levels 1-2: table; at level 3: page */
#define DESC_ADDR_MASK 0x0000fffffffff000ULL
#define SIZE_2M (1ULL << 21)
#define SIZE_4K (1ULL << 12)

static uint64_t *pool_take(struct stage2_pool *pool)
{
	if (pool->used >= pool->count)
		return NULL;
	uint64_t *page = pool->pages[pool->used++];
	memset(page, 0, sizeof(stage2_table));
	return page;
}

int stage2_init(struct stage2 *s2, struct stage2_pool *pool)
{
	s2->pool = pool;
	s2->root = pool_take(pool);
	return s2->root ? 0 : -1;
}

static unsigned index_at(uint64_t ipa, int level)
{
	return (unsigned)((ipa >> (39 - 9 * level)) & 0x1ff);
}

/* The next-level table under entry, created if empty; NULL if it holds a block or no page is left. */
static uint64_t *next_table(struct stage2 *s2, uint64_t *entry)
{
	if (*entry & DESC_VALID) {
		if (!(*entry & DESC_TABLE))
			return NULL;
		return (uint64_t *)(uintptr_t)(*entry & DESC_ADDR_MASK);
	}
	uint64_t *table = pool_take(s2->pool);
	if (!table)
		return NULL;
	*entry = ((uint64_t)(uintptr_t)table & DESC_ADDR_MASK) | DESC_TABLE | DESC_VALID;
	return table;
}

static int map_one(struct stage2 *s2, uint64_t ipa, uint64_t pa, int level, uint64_t attributes)
{
	uint64_t *table = s2->root;
	for (int l = 1; l < level; l++) {
		table = next_table(s2, &table[index_at(ipa, l)]);
		if (!table)
			return -1;
	}
	uint64_t *entry = &table[index_at(ipa, level)];
	if (*entry & DESC_VALID)
		return -1;
	*entry = (pa & DESC_ADDR_MASK) | attributes | DESC_VALID | (level == 3 ? DESC_TABLE : 0);
	return 0;
}

int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attributes)
{
	if ((ipa | pa | size) & (SIZE_4K - 1) || !size || ipa + size > (1ULL << STAGE2_IPA_BITS) ||
	    ipa + size < ipa)
		return -1;
	while (size) {
		bool block = !((ipa | pa) & (SIZE_2M - 1)) && size >= SIZE_2M;
		uint64_t step = block ? SIZE_2M : SIZE_4K;
		if (map_one(s2, ipa, pa, block ? 2 : 3, attributes))
			return -1;
		ipa += step;
		pa += step;
		size -= step;
	}
	return 0;
}

bool stage2_translate(const struct stage2 *s2, uint64_t ipa, uint64_t *pa)
{
	const uint64_t *table = s2->root;
	if (ipa >= (1ULL << STAGE2_IPA_BITS))
		return false;
	for (int level = 1; level <= 3; level++) {
		uint64_t entry = table[index_at(ipa, level)];
		if (!(entry & DESC_VALID))
			return false;
		bool is_table = (entry & DESC_TABLE) && level < 3;
		if (!is_table) {
			if (level == 1 || ((entry & DESC_TABLE) == 0 && level == 3))
				return false;   /* no 1 GiB blocks are built; a level-3 "block" is invalid */
			uint64_t span = 1ULL << (39 - 9 * level);
			*pa = (entry & DESC_ADDR_MASK & ~(span - 1)) | (ipa & (span - 1));
			return true;
		}
		table = (const uint64_t *)(uintptr_t)(entry & DESC_ADDR_MASK);
	}
	return false;
}
