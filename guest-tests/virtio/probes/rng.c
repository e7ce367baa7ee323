/* Entropy device: one device-writable buffer through queue 0 comes back filled. */
#include "probe.h"
#include "statements.h"
#include "virtio_mmio.h"

#define RNG_BYTES 64
#define RNG_FILL 0xa5

static uint8_t rng_buffer[RNG_BYTES] __attribute__((aligned(16)));

PROBE_CASE(rng_request, "virtio.rng.request",
	   AVPS_CHECKS("one entropy request returns a used length of 1..N and at least half of those bytes differ from "
	               "the fill"),
	   "AVPS.RNG.1", "AVPS.VIRTIO.1", ENTROPY_OPERATION(1), USED_RING(2))
static void rng_request(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_ENTROPY);
	if (!probe_check(d != NULL, "no entropy device (DeviceID 4) on a version-2 virtio-mmio "
			 "transport"))
		return;
	if (!probe_check(d->ready, "%s: device setup failed earlier", vdev_name(d)))
		return;
	for (int i = 0; i < RNG_BYTES; i++)
		rng_buffer[i] = RNG_FILL;
	struct vbuf b = { rng_buffer, RNG_BYTES, true };
	int64_t len = vdev_request(d, &b, 1);
	if (!probe_check(len > 0 && len <= RNG_BYTES, "%s: used len %lld, expected 1..%d",
			 vdev_name(d), (long long)len, RNG_BYTES))
		return;
	int changed = 0;
	for (int i = 0; i < len; i++)
		changed += rng_buffer[i] != RNG_FILL;
	probe_diag("%s: %lld random bytes, %d differ from the fill, first %02x%02x%02x%02x",
		   vdev_name(d), (long long)len, changed, rng_buffer[0], rng_buffer[1],
		   rng_buffer[2], rng_buffer[3]);
	/* Random bytes equal the fill with probability 1/256 each. */
	probe_check(changed * 2 >= len, "%s: only %d of %lld bytes written differ from the fill",
		    vdev_name(d), changed, (long long)len);
}
