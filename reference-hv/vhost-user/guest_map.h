/* Guest RAM as QEMU shares it over vhost-user: the memory table's regions mmap'd here, reached by guest-physical or QEMU-virtual address. */
#ifndef AVPS_VHOST_USER_GUEST_MAP_H
#define AVPS_VHOST_USER_GUEST_MAP_H

#include "../devices/guest_memory.h"
#include "vhost_user_protocol.h"

#include <stdbool.h>
#include <stddef.h>

struct mapped_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t qemu_va;
	uint8_t *host;      /* start of the region in this process */
	void *mapping;      /* what mmap returned (the region starts mmap_offset into it) */
	size_t mapping_size;
};

struct guest_map {
	unsigned count;
	struct mapped_region regions[VHOST_USER_MAX_REGIONS];
};

/* Maps every region of a SET_MEM_TABLE message (one fd per region); on failure maps nothing and says why. */
bool guest_map_load(struct guest_map *map, const struct vhost_user_mem_table *table, const int *fds, unsigned fd_count,
		    char *err, size_t err_size);
void guest_map_clear(struct guest_map *map);
/* QEMU's virtual address of guest RAM -> guest-physical address; false when no region holds it. */
bool guest_map_qemu_to_gpa(const struct guest_map *map, uint64_t qemu_va, uint64_t *gpa);
/* The accessor the device models use. */
struct guest_memory guest_map_accessor(struct guest_map *map);

#endif
