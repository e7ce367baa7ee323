/* Statistical checks of a sample from an entropy source, the same for the Linux tests and the bare-metal probe (freestanding, integers only). */
#ifndef AVPS_ENTROPY_CHECKS_H
#define AVPS_ENTROPY_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every layer that judges an entropy device draws ENTROPY_SAMPLE_BYTES from it and runs
 * entropy_check_sample() on them. Bounds sit at about six standard deviations (one chance
 * in 10^9 for a healthy source per check), so the verdict does not flip between runs while
 * a stuck, biased or repeating source fails at once:
 *   monobit     (2*ones - bits)^2       < 36 * bits          (ones ~ Binomial(bits, 1/2))
 *   runs        (2*runs - (bits+1))^2   < 36 * bits          (runs ~ 1 + Binomial(bits-1, 1/2))
 *   bytes       chi-square of the 256 byte counts < 420      (255 degrees of freedom: mean 255,
 *                                                             P(X > 420) < 1e-9)
 *   repetition  no two 8-byte-aligned words of the sample are equal (a random 64-bit word
 *               repeats among 16384 with probability < 1e-11; a sample with any period of
 *               up to a quarter of its length repeats a word)
 */
#define ENTROPY_SAMPLE_BYTES (128u * 1024u)
#define ENTROPY_MIN_BYTES 4096u
#define ENTROPY_MAX_BYTES (256u * 1024u) /* keeps the chi-square sum inside 64 bits */
#define ENTROPY_CHI_SQUARE_LIMIT 420u

enum entropy_check {
	ENTROPY_OK = 0,
	ENTROPY_BAD_SIZE,   /* sample length outside [ENTROPY_MIN_BYTES, ENTROPY_MAX_BYTES] or not a multiple of 8 */
	ENTROPY_MONOBIT,
	ENTROPY_RUNS,
	ENTROPY_BYTES,
	ENTROPY_REPETITION,
};

/* What the checks measured; every field is filled even when an early check fails. */
struct entropy_report {
	enum entropy_check failed; /* the first check that failed, ENTROPY_OK when none did */
	uint64_t bits;
	uint64_t ones;
	uint64_t runs;
	uint64_t chi_square_x256n;    /* sum over byte values of (256*count - n)^2 = chi-square * 256 * n */
	unsigned chi_square;          /* chi-square, rounded down */
	unsigned distinct_values;     /* byte values that occur at least once */
	size_t repeated_word_at;      /* byte offset of a word equal to an earlier one (valid for REPETITION) */
	size_t repeated_word_first;   /* byte offset of that earlier word */
};

/*
 * Runs every check on sample[0..len). scratch must hold len/8 words (the repetition check
 * sorts word indices there); it is overwritten. Returns true when all checks pass.
 */
bool entropy_check_sample(const uint8_t *sample, size_t len, uint32_t *scratch, struct entropy_report *report);

/* Short name of a check ("monobit", "runs", ...), for diagnostics. */
const char *entropy_check_name(enum entropy_check check);

#endif
