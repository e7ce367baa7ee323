/* libFuzzer target: hostile packed virtqueues (VIRTIO_F_RING_PACKED). */
#include "fuzz_rings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(data, size, true);
}
