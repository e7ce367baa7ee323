/* Host unit tests for entropy_checks: a good sample passes, stuck, biased, patterned and repeating samples fail the check meant for them. */
#include "entropy_checks.h"
#include "unit_check.h"

#include <stdint.h>

static uint8_t sample[ENTROPY_SAMPLE_BYTES];
static uint32_t scratch[ENTROPY_SAMPLE_BYTES / 8];

/* splitmix64: a well-mixed deterministic stream standing in for a healthy source. */
static void fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (int b = 0; b < 8 && i + (size_t)b < len; b++)
			buf[i + (size_t)b] = (uint8_t)(z >> (8 * b));
	}
}

static enum entropy_check judge(size_t len, struct entropy_report *r)
{
	entropy_check_sample(sample, len, scratch, r);
	printf("# %s: ones=%llu runs=%llu chi2=%u distinct=%u\n", entropy_check_name(r->failed),
	       (unsigned long long)r->ones, (unsigned long long)r->runs, r->chi_square, r->distinct_values);
	return r->failed;
}

int main(void)
{
	struct entropy_report r;
	printf("KTAP version 1\n");

	int good = 0;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		fill_random(sample, sizeof(sample), seed * 0x1234567);
		good += judge(sizeof(sample), &r) == ENTROPY_OK;
	}
	CHECK(good == 8, "good_samples_pass");
	CHECK(r.distinct_values == 256 && r.chi_square < ENTROPY_CHI_SQUARE_LIMIT, "good_sample_fields_filled");

	memset(sample, 0xa5, sizeof(sample));
	CHECK(judge(sizeof(sample), &r) != ENTROPY_OK, "stuck_source_fails");

	memset(sample, 0, sizeof(sample));
	CHECK(judge(sizeof(sample), &r) == ENTROPY_MONOBIT, "all_zero_fails_monobit");

	/* Bit 0 set in a quarter of the bytes that had it clear: 1/16 more ones in that bit. */
	fill_random(sample, sizeof(sample), 99);
	for (size_t i = 0; i < sizeof(sample); i += 4)
		sample[i] |= 1;
	CHECK(judge(sizeof(sample), &r) == ENTROPY_MONOBIT, "biased_bit_fails_monobit");

	memset(sample, 0x55, sizeof(sample)); /* 0101...: balanced, but every bit is a run */
	CHECK(judge(sizeof(sample), &r) == ENTROPY_RUNS, "alternating_bits_fail_runs");

	/* Byte value 0x00 never occurs (replaced by 0x0f): too few extra ones for monobit. */
	fill_random(sample, sizeof(sample), 7);
	for (size_t i = 0; i < sizeof(sample); i++)
		if (sample[i] == 0)
			sample[i] = 0x0f;
	CHECK(judge(sizeof(sample), &r) == ENTROPY_BYTES, "missing_byte_value_fails_distribution");

	/* A healthy-looking stream whose last 8 KiB replay its first 8 KiB. */
	fill_random(sample, sizeof(sample), 11);
	memcpy(sample + sizeof(sample) - 8192, sample, 8192);
	CHECK(judge(sizeof(sample), &r) == ENTROPY_REPETITION, "replayed_block_fails_repetition");
	CHECK(r.repeated_word_first < 8192 && r.repeated_word_at - r.repeated_word_first == sizeof(sample) - 8192,
	      "repetition_names_both_offsets");

	/* Period of 4097 bytes (not word-aligned): still caught. */
	fill_random(sample, 4097, 5);
	for (size_t i = 4097; i < sizeof(sample); i++)
		sample[i] = sample[i - 4097];
	CHECK(judge(sizeof(sample), &r) != ENTROPY_OK, "odd_period_fails");

	CHECK(judge(100, &r) == ENTROPY_BAD_SIZE, "too_small_sample_refused");
	CHECK(judge(ENTROPY_MIN_BYTES + 4, &r) == ENTROPY_BAD_SIZE, "unaligned_length_refused");
	return UNIT_DONE();
}
