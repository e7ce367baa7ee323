/* Entropy device model (VIRTIO 1.2 Device Types / Entropy Device): fills every driver buffer with random bytes. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum entropy_fault { ENTROPY_FAULT_CONSTANT_BYTES, ENTROPY_FAULT_COUNT };

static const struct vdev_fault entropy_faults[ENTROPY_FAULT_COUNT] = {
	[ENTROPY_FAULT_CONSTANT_BYTES] = { "constant-bytes",
		"VIRTIO-1.2: Device Types / Entropy Device / Device Operation #1" },
};

/* xoshiro256** seeded from the host: a fast generator with no host dependency (not for keys). */
struct entropy_state {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_random(struct entropy_state *st)
{
	uint64_t result = rotl(st->s[1] * 5, 7) * 9, t = st->s[1] << 17;
	st->s[2] ^= st->s[0];
	st->s[3] ^= st->s[1];
	st->s[1] ^= st->s[2];
	st->s[0] ^= st->s[3];
	st->s[2] ^= t;
	st->s[3] = rotl(st->s[3], 45);
	return result;
}

static bool entropy_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	struct entropy_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	char seed_text[32];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	if (vdev_option(options, "seed", seed_text, sizeof(seed_text)))
		seed ^= strtoull(seed_text, NULL, 0);
	else if (dev->host.random)
		dev->host.random(dev->host.ctx, &seed, sizeof(seed));
	/* splitmix64 spreads one seed over the four state words. */
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		st->s[i] = z ^ (z >> 31);
	}
	dev->state = st;
	dev->num_queues = 1;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	dev->config_size = 0;
	return true;
}

static void entropy_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void entropy_process(struct vdev *dev, unsigned queue)
{
	struct entropy_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	while (vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		/* Device Operation #1: random bytes into the buffer; up to 4 KiB per request. */
		uint8_t bytes[4096];
		size_t len = chain->writable_bytes < sizeof(bytes) ? (size_t)chain->writable_bytes : sizeof(bytes);
		for (size_t i = 0; i < len; i += 8) {
			uint64_t r = next_random(st);
			memcpy(bytes + i, &r, len - i < 8 ? len - i : 8);
		}
		if (vdev_fault(dev, ENTROPY_FAULT_CONSTANT_BYTES))
			memset(bytes, 0x5a, len);
		size_t written = virtq_chain_write(chain, &dev->mem, 0, bytes, len);
		vdev_complete(dev, queue, chain, (uint32_t)written);
	}
	vdev_notify_used(dev, queue);
}

const struct vdev_model model_entropy = {
	.name = "entropy",
	.device_id = VIRTIO_ID_ENTROPY,
	.faults = entropy_faults,
	.fault_count = ENTROPY_FAULT_COUNT,
	.create = entropy_create,
	.destroy = entropy_destroy,
	.process_queue = entropy_process,
};
