/* The memory a freestanding host (refhv) gives the device models: one bump heap behind calloc/malloc. */
#ifndef AVPS_DEVICES_DEVICE_HEAP_H
#define AVPS_DEVICES_DEVICE_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Hands [base, base + size) to malloc/calloc; memory is never returned (devices live as long as the host). */
void device_heap_init(uintptr_t base, size_t size);
/* Bytes handed out so far, and the heap's size. */
size_t device_heap_used(void);
size_t device_heap_size(void);

#endif
