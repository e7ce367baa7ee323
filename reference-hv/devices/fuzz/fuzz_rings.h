/* Shared body of the libFuzzer targets: hostile guest RAM (rings, descriptors, buffers) fed to one device model. */
#ifndef AVPS_DEVICES_FUZZ_RINGS_H
#define AVPS_DEVICES_FUZZ_RINGS_H

#include "../virtio_device.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_RAM_BASE 0x80000000ULL
#define FUZZ_RAM_BYTES 0x10000u

/* Which model this process fuzzes: AVPS_FUZZ_MODEL=<name>, or all of them chosen by the first input byte. */
static const struct vdev_model *fuzz_fixed_model;

static const char *fuzz_options(const char *model)
{
	if (!strcmp(model, "block"))
		return "size=64K,queues=2";
	return strcmp(model, "net") ? "" : "pairs=2,offloads";   /* multiqueue steering and the offload paths too */
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *name = getenv("AVPS_FUZZ_MODEL");
	if (name && !(fuzz_fixed_model = vdev_find_model(name)))
		abort();
	return 0;
}

static void fuzz_notify(void *ctx, unsigned queue)
{
	(void)ctx;
	(void)queue;
}

static void fuzz_config(void *ctx)
{
	(void)ctx;
}

/*
 * Input: [model byte][8 feature bytes][queue size byte][guest RAM...]. Queue q's rings sit in RAM at
 * q * 0x200 (descriptors, then driver area at +0x100, device area at +0x140); the input fills the
 * start of the 64 KiB of RAM; descriptors may point anywhere, including outside RAM.
 */
static int fuzz_one(const uint8_t *data, size_t size, bool packed)
{
	if (size < 10)
		return 0;
	const struct vdev_model *const *models = vdev_models();
	unsigned model_count = 0;
	while (models[model_count])
		model_count++;
	const struct vdev_model *model = fuzz_fixed_model ? fuzz_fixed_model : models[data[0] % model_count];
	uint64_t features;
	memcpy(&features, data + 1, 8);
	/* 1..16 entries: small rings, packed at the start of RAM, so short inputs reach every queue. */
	uint16_t queue_size = (uint16_t)(1u << (data[9] % 5));
	static uint8_t ram[FUZZ_RAM_BYTES];
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data + 10, size - 10 < sizeof(ram) ? size - 10 : sizeof(ram));
	struct flat_memory flat = { FUZZ_RAM_BASE, ram, sizeof(ram) };
	static struct vdev dev;
	char err[160];
	struct vdev_host host = { .used_notify = fuzz_notify, .config_notify = fuzz_config };
	if (!vdev_create(&dev, model->name, fuzz_options(model->name), flat_memory_accessor(&flat), host, err, sizeof(err)))
		abort(); /* the options above are valid: failing to create is a bug */
	vdev_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	features = (features & dev.offered) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	features = packed ? features | VIRTIO_BIT(VIRTIO_F_RING_PACKED) : features & ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (model == vdev_find_model("i2c"))
		features |= 1; /* ZERO_LENGTH_REQUEST, else the model refuses the driver */
	vdev_set_driver_features(&dev, features);
	vdev_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < dev.num_queues; q++) {
		struct virtq *vq = &dev.queues[q];
		vq->size = queue_size;
		vq->desc_addr = FUZZ_RAM_BASE + 0x200ULL * q;
		vq->driver_addr = vq->desc_addr + 0x100;
		vq->device_addr = vq->desc_addr + 0x140;
		vq->ready = true;
	}
	vdev_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				      VIRTIO_STATUS_DRIVER_OK);
	/* Every queue twice (a second kick sees the state the first one left), then a reset. */
	for (int round = 0; round < 2; round++)
		for (unsigned q = 0; q < dev.num_queues; q++)
			vdev_queue_notify(&dev, q);
	/* A model with a shared memory region: a read and a write inside it, where the input's feature bytes say. */
	if (model->shm_access && dev.shm_size >= 8) {
		uint64_t word = 0, at;
		memcpy(&at, data + 1, 8);
		at %= dev.shm_size - 7;
		model->shm_access(&dev, at, &word, 8, false);
		model->shm_access(&dev, at, &word, 8, true);
	}
	vdev_set_status(&dev, 0);
	vdev_destroy(&dev);
	return 0;
}

#endif
