/* virtio-mmio transport bound to a register window of the target (MMIO at a physical address). */
#ifndef PROBE_VMMIO_TARGET_H
#define PROBE_VMMIO_TARGET_H

#include <stdint.h>

#include "vmmio.h"

/* Attaches t to the virtio-mmio registers at base (reads IDs and DeviceFeatures). */
void vmmio_attach_base(struct vmmio *t, uintptr_t base);
uintptr_t vmmio_base(const struct vmmio *t);

#endif
