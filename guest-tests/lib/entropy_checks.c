/* Statistical checks of an entropy sample (monobit, runs, byte chi-square, repeated words) in integer arithmetic, usable freestanding. */
#include "entropy_checks.h"

/* The 8-byte word at byte offset `at`, assembled byte by byte (no alignment assumed). */
static uint64_t word_at(const uint8_t *sample, size_t at)
{
	uint64_t w = 0;
	for (int i = 0; i < 8; i++)
		w = (w << 8) | sample[at + (size_t)i];
	return w;
}

static bool bound_6_sigma(uint64_t twice_count, uint64_t expected_twice, uint64_t bits)
{
	uint64_t d = twice_count > expected_twice ? twice_count - expected_twice : expected_twice - twice_count;
	return d * d < 36 * bits;
}

/* Word index order by value (ties by index), for the heap sort below. */
static bool word_less(const uint8_t *sample, uint32_t a, uint32_t b)
{
	uint64_t wa = word_at(sample, (size_t)a * 8), wb = word_at(sample, (size_t)b * 8);
	return wa < wb || (wa == wb && a < b);
}

static void sift_down(const uint8_t *sample, uint32_t *idx, size_t root, size_t count)
{
	for (size_t child; (child = 2 * root + 1) < count; root = child) {
		if (child + 1 < count && word_less(sample, idx[child], idx[child + 1]))
			child++;
		if (!word_less(sample, idx[root], idx[child]))
			return;
		uint32_t t = idx[root];
		idx[root] = idx[child];
		idx[child] = t;
	}
}

/* Heap sort of word indices: O(n log n), no recursion, no allocation. */
static void sort_words(const uint8_t *sample, uint32_t *idx, size_t count)
{
	for (size_t i = 0; i < count; i++)
		idx[i] = (uint32_t)i;
	for (size_t i = count / 2; i-- > 0;)
		sift_down(sample, idx, i, count);
	for (size_t end = count; end-- > 1;) {
		uint32_t t = idx[0];
		idx[0] = idx[end];
		idx[end] = t;
		sift_down(sample, idx, 0, end);
	}
}

static void count_bits_and_runs(const uint8_t *sample, size_t len, struct entropy_report *r)
{
	int previous = sample[0] & 1;
	r->runs = 1;
	for (size_t i = 0; i < len; i++) {
		for (int b = 0; b < 8; b++) {
			int bit = (sample[i] >> b) & 1;
			r->ones += (uint64_t)bit;
			if (i || b)
				r->runs += bit != previous;
			previous = bit;
		}
	}
}

static void count_bytes(const uint8_t *sample, size_t len, struct entropy_report *r)
{
	uint32_t counts[256] = { 0 };
	for (size_t i = 0; i < len; i++)
		counts[sample[i]]++;
	for (int v = 0; v < 256; v++) {
		int64_t d = 256 * (int64_t)counts[v] - (int64_t)len;
		r->chi_square_x256n += (uint64_t)(d * d);
		r->distinct_values += counts[v] != 0;
	}
	r->chi_square = (unsigned)(r->chi_square_x256n / (256 * (uint64_t)len));
}

/* True when some word repeats; names the pair. */
static bool find_repeated_word(const uint8_t *sample, size_t len, uint32_t *scratch, struct entropy_report *r)
{
	size_t words = len / 8;
	sort_words(sample, scratch, words);
	for (size_t i = 1; i < words; i++) {
		if (word_at(sample, (size_t)scratch[i - 1] * 8) == word_at(sample, (size_t)scratch[i] * 8)) {
			r->repeated_word_first = (size_t)scratch[i - 1] * 8;
			r->repeated_word_at = (size_t)scratch[i] * 8;
			return true;
		}
	}
	return false;
}

bool entropy_check_sample(const uint8_t *sample, size_t len, uint32_t *scratch, struct entropy_report *r)
{
	*r = (struct entropy_report){ .failed = ENTROPY_OK, .bits = (uint64_t)len * 8 };
	if (len < ENTROPY_MIN_BYTES || len > ENTROPY_MAX_BYTES || len % 8 != 0) {
		r->failed = ENTROPY_BAD_SIZE;
		return false;
	}
	count_bits_and_runs(sample, len, r);
	count_bytes(sample, len, r);
	bool repeated = find_repeated_word(sample, len, scratch, r);
	if (!bound_6_sigma(2 * r->ones, r->bits, r->bits))
		r->failed = ENTROPY_MONOBIT;
	else if (!bound_6_sigma(2 * r->runs, r->bits + 1, r->bits))
		r->failed = ENTROPY_RUNS;
	else if (r->chi_square_x256n >= (uint64_t)ENTROPY_CHI_SQUARE_LIMIT * 256 * (uint64_t)len)
		r->failed = ENTROPY_BYTES;
	else if (repeated)
		r->failed = ENTROPY_REPETITION;
	return r->failed == ENTROPY_OK;
}

const char *entropy_check_name(enum entropy_check check)
{
	switch (check) {
	case ENTROPY_OK:
		return "none";
	case ENTROPY_BAD_SIZE:
		return "sample size";
	case ENTROPY_MONOBIT:
		return "monobit";
	case ENTROPY_RUNS:
		return "runs";
	case ENTROPY_BYTES:
		return "byte distribution";
	case ENTROPY_REPETITION:
		return "repetition";
	}
	return "unknown";
}
