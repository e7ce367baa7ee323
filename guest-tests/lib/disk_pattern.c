/* The block tests' disk pattern: deterministic from (seed, offset), so the host can check the image without the guest's help. */
#include "disk_pattern.h"

void fill_pattern(uint64_t *buf, size_t words, uint64_t offset, uint64_t seed)
{
	uint64_t x = seed ^ (offset * 0x9e3779b97f4a7c15ULL);
	for (size_t i = 0; i < words; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x ^ (offset + i * 8);
	}
}
