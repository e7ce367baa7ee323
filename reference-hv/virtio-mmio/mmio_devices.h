/* The VM's virtio-mmio devices at EL2: built from its `device` lines, found by IPA, accessed under a lock. */
#ifndef REFHV_MMIO_DEVICES_H
#define REFHV_MMIO_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct vm;

/* Gives the device models [base, end) of machine RAM above every VM as their heap, before any VM is built. */
void mmio_devices_heap_init(const struct hv_config *cfg, uint64_t base, uint64_t end);

/* Creates the VM's devices; 0, or -1 with "line N: device <model>: why" in err. */
int mmio_devices_create(struct vm *vm, char *err, unsigned err_size);

/* True when ipa falls in one of the VM's transports. */
bool mmio_devices_claim(const struct vm *vm, uint64_t ipa);

/* A guest access to a transport (size 1, 2, 4 or 8 bytes); reads fill *value. */
void mmio_devices_access(struct vm *vm, uint64_t ipa, unsigned size, bool write, uint64_t *value);

/* Time passed (any physical interrupt taken while the VM ran): time-driven models do what came due. */
void mmio_devices_tick(struct vm *vm);

#endif
