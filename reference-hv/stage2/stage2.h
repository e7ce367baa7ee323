/* Stage-2 translation tables (4 KiB granule, 39-bit IPA, start at level 1): builder and walker. */
#ifndef REFHV_STAGE2_H
#define REFHV_STAGE2_H

#include <stdbool.h>
#include <stdint.h>

#define STAGE2_ENTRIES 512
#define STAGE2_IPA_BITS 39

typedef uint64_t stage2_table[STAGE2_ENTRIES];

/* Table pages come from a fixed pool; the hypervisor runs with the MMU off, so a table's address is its PA. */
struct stage2_pool {
	stage2_table *pages;
	unsigned count, used;
};

struct stage2 {
	uint64_t *root;            /* level-1 table */
	struct stage2_pool *pool;
};

/* Descriptor attributes of normal, write-back, inner-shareable, read/write memory. */
#define STAGE2_NORMAL_RW ((0xfULL << 2) | (3ULL << 6) | (3ULL << 8) | (1ULL << 10))

int stage2_init(struct stage2 *s2, struct stage2_pool *pool);

/*
 * Maps [ipa, ipa + size) to [pa, pa + size): 2 MiB blocks where both are aligned,
 * 4 KiB pages elsewhere. Returns 0, or -1 if unaligned, beyond the IPA space,
 * overlapping an existing mapping, or the pool is exhausted.
 */
int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attributes);

/* Walks the tables: true and *pa when ipa is mapped. */
bool stage2_translate(const struct stage2 *s2, uint64_t ipa, uint64_t *pa);

#endif
