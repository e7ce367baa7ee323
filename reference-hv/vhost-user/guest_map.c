/* Maps QEMU's shared guest RAM regions and copies to and from them by guest-physical address, bounds-checked. */
#include "guest_map.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void guest_map_clear(struct guest_map *map)
{
	for (unsigned i = 0; i < map->count; i++)
		munmap(map->regions[i].mapping, map->regions[i].mapping_size);
	map->count = 0;
}

bool guest_map_load(struct guest_map *map, const struct vhost_user_mem_table *table, const int *fds, unsigned fd_count,
		    char *err, size_t err_size)
{
	guest_map_clear(map);
	if (table->nregions == 0 || table->nregions > VHOST_USER_MAX_REGIONS || fd_count != table->nregions) {
		snprintf(err, err_size, "memory table with %u regions and %u file descriptors: cannot map it "
			 "(guest RAM must be a shared memory backend, e.g. -object memory-backend-memfd,share=on)",
			 table->nregions, fd_count);
		return false;
	}
	for (unsigned i = 0; i < table->nregions; i++) {
		const struct vhost_user_region *r = &table->regions[i];
		size_t length = (size_t)(r->mmap_offset + r->memory_size);
		if (r->memory_size == 0 || length < r->memory_size || r->guest_phys_addr + r->memory_size < r->guest_phys_addr) {
			snprintf(err, err_size, "memory region %u has an impossible size or offset", i);
			guest_map_clear(map);
			return false;
		}
		void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (p == MAP_FAILED) {
			snprintf(err, err_size, "cannot map memory region %u (guest 0x%llx, %llu bytes): %s; guest RAM must "
				 "be a shared memory backend (-object memory-backend-memfd,share=on)", i,
				 (unsigned long long)r->guest_phys_addr, (unsigned long long)r->memory_size, strerror(errno));
			guest_map_clear(map);
			return false;
		}
		map->regions[map->count++] = (struct mapped_region){
			.gpa = r->guest_phys_addr, .size = r->memory_size, .qemu_va = r->userspace_addr,
			.host = (uint8_t *)p + r->mmap_offset, .mapping = p, .mapping_size = length,
		};
	}
	return true;
}

bool guest_map_qemu_to_gpa(const struct guest_map *map, uint64_t qemu_va, uint64_t *gpa)
{
	for (unsigned i = 0; i < map->count; i++) {
		const struct mapped_region *r = &map->regions[i];
		if (qemu_va >= r->qemu_va && qemu_va - r->qemu_va < r->size) {
			*gpa = r->gpa + (qemu_va - r->qemu_va);
			return true;
		}
	}
	return false;
}

/* The host address of [gpa, gpa + len) when one region holds all of it. */
static uint8_t *host_range(const struct guest_map *map, uint64_t gpa, size_t len)
{
	for (unsigned i = 0; i < map->count; i++) {
		const struct mapped_region *r = &map->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

static bool map_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *p = host_range(ctx, gpa, len);
	if (!p)
		return false;
	memcpy(buf, p, len);
	return true;
}

static bool map_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	uint8_t *p = host_range(ctx, gpa, len);
	if (!p)
		return false;
	memcpy(p, buf, len);
	return true;
}

struct guest_memory guest_map_accessor(struct guest_map *map)
{
	return (struct guest_memory){ .ctx = map, .read = map_read, .write = map_write };
}
