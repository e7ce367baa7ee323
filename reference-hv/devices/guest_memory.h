/* How a device model sees guest memory: copy in and out by guest-physical address, never a raw pointer. */
#ifndef AVPS_DEVICES_GUEST_MEMORY_H
#define AVPS_DEVICES_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The host (vhost-user back end, reference hypervisor, unit test) supplies both functions.
 * Each returns false, touching nothing, when any byte of [gpa, gpa + len) is not guest RAM;
 * a model treats that as a malformed request, never as a crash.
 */
struct guest_memory {
	void *ctx;
	bool (*read)(void *ctx, uint64_t gpa, void *buf, size_t len);
	bool (*write)(void *ctx, uint64_t gpa, const void *buf, size_t len);
};

static inline bool guest_read(const struct guest_memory *mem, uint64_t gpa, void *buf, size_t len)
{
	return len == 0 || mem->read(mem->ctx, gpa, buf, len);
}

static inline bool guest_write(const struct guest_memory *mem, uint64_t gpa, const void *buf, size_t len)
{
	return len == 0 || mem->write(mem->ctx, gpa, buf, len);
}

/* A flat guest-memory window [base, base + size) backed by one host buffer (tests, fuzzers, refhv). */
struct flat_memory {
	uint64_t base;
	uint8_t *bytes;
	size_t size;
};

bool flat_memory_read(void *ctx, uint64_t gpa, void *buf, size_t len);
bool flat_memory_write(void *ctx, uint64_t gpa, const void *buf, size_t len);

static inline struct guest_memory flat_memory_accessor(struct flat_memory *flat)
{
	return (struct guest_memory){ .ctx = flat, .read = flat_memory_read, .write = flat_memory_write };
}

#endif
