/* Entropy device: device-writable buffers through queue 0 come back filled, and 128 KiB of them pass the shared entropy statistics. */
#include "probe.h"
#include "statements.h"
#include "virtio_mmio.h"
#include "entropy_checks.h"

#define RNG_CHUNK 4096 /* bytes offered per request */
#define RNG_FILL 0xa5
#define RNG_MAX_REQUESTS 4096 /* a device that fills very little per buffer ends the case instead of looping */

/* The sample the shared entropy statistics judge (lib/entropy_checks.h), as the Linux test does. */
static uint8_t rng_sample[ENTROPY_SAMPLE_BYTES] __attribute__((aligned(16)));
static uint32_t rng_scratch[ENTROPY_SAMPLE_BYTES / 8];

/* One request of up to RNG_CHUNK bytes at rng_sample + at; returns the bytes the device put, or -1. */
static int64_t rng_fill_once(struct vdev *d, size_t at)
{
	size_t room = ENTROPY_SAMPLE_BYTES - at < RNG_CHUNK ? ENTROPY_SAMPLE_BYTES - at : RNG_CHUNK;
	for (size_t i = 0; i < room; i++)
		rng_sample[at + i] = RNG_FILL;
	struct vbuf b = { rng_sample + at, (uint32_t)room, true };
	int64_t len = vdev_request(d, &b, 1);
	if (!probe_check(len > 0 && (uint64_t)len <= room, "%s: used len %lld for a %zu-byte buffer, expected 1..%zu",
			 vdev_name(d), (long long)len, room, room))
		return -1;
	return len;
}

PROBE_CASE(rng_request, "virtio.rng.request",
	   AVPS_CHECKS("every 4 KiB entropy request returns a used length of 1..4096, and the 128 KiB they fill pass "
		       "the shared entropy statistics the Linux case applies (lib/entropy_checks.h)"),
	   "AVPS.RNG.1", "AVPS.VIRTIO.1", ENTROPY_OPERATION(1), USED_RING(2))
static void rng_request(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_ENTROPY);
	if (!probe_check(d != NULL, "no entropy device (DeviceID 4) on a version-2 virtio-mmio "
			 "transport"))
		return;
	if (!probe_check(d->ready, "%s: device setup failed earlier", vdev_name(d)))
		return;
	size_t got = 0;
	int requests = 0;
	while (got < ENTROPY_SAMPLE_BYTES && requests < RNG_MAX_REQUESTS) {
		int64_t len = rng_fill_once(d, got);
		if (len < 0)
			return;
		got += (size_t)len;
		requests++;
	}
	if (!probe_check(got == ENTROPY_SAMPLE_BYTES, "%s: %zu of %u bytes after %d requests", vdev_name(d), got,
			 ENTROPY_SAMPLE_BYTES, requests))
		return;
	struct entropy_report r;
	bool ok = entropy_check_sample(rng_sample, got, rng_scratch, &r);
	probe_diag("%s: %zu bytes in %d requests: %llu ones, %llu runs, chi2 %u, %u values", vdev_name(d), got,
		   requests, (unsigned long long)r.ones, (unsigned long long)r.runs, r.chi_square, r.distinct_values);
	if (!probe_check(ok, "%s: the %s check failed on the device's bytes", vdev_name(d),
			 entropy_check_name(r.failed)))
		if (r.failed == ENTROPY_REPETITION)
			probe_diag("the word at byte %zu equals the one at byte %zu", r.repeated_word_at,
				   r.repeated_word_first);
}
