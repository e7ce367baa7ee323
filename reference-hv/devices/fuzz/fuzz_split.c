/* libFuzzer target: hostile split virtqueues (the layout both vhost-user and virtio-mmio hosts use by default). */
#include "fuzz_rings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(data, size, false);
}
