/* The virtio-fs device's FUSE wire layout (little-endian session, FUSE 7.31) and statement IDs, shared by the reference model and the file-system probe cases. */
#ifndef REFHV_DEVICES_FS_PROTO_H
#define REFHV_DEVICES_FS_PROTO_H

#include <stdint.h>

#define VIRTIO_ID_FS 26
#define FS_HIPRIO_QUEUE 0            /* without VIRTIO_FS_F_NOTIFICATION the request queues follow it */
#define FS_SHM_DAX_WINDOW 0

/* Configuration layout. */
#define FS_CFG_TAG 0
#define FS_CFG_TAG_BYTES 36
#define FS_CFG_NUM_REQUEST_QUEUES 36
#define FS_CFG_BYTES 40

/* Opcodes. */
#define FUSE_LOOKUP 1
#define FUSE_FORGET 2
#define FUSE_OPEN 14
#define FUSE_READ 15
#define FUSE_RELEASE 18
#define FUSE_INIT 26
#define FUSE_SETLK 32
#define FUSE_SETLKW 33
#define FUSE_INTERRUPT 36
#define FUSE_DESTROY 38
#define FUSE_SETUPMAPPING 48
#define FUSE_REMOVEMAPPING 49

#define FUSE_KERNEL_VERSION 7
#define FUSE_KERNEL_MINOR 31
#define FUSE_ROOT_ID 1

/* fuse_in_header: len u32, opcode u32, unique u64, nodeid u64, uid u32, gid u32, pid u32, padding u32. */
#define FUSE_IN_HDR 40
#define FUSE_IN_LEN 0
#define FUSE_IN_OPCODE 4
#define FUSE_IN_UNIQUE 8
#define FUSE_IN_NODEID 16
/* fuse_out_header: len u32, error s32 (0 or a negated errno), unique u64. */
#define FUSE_OUT_HDR 16
#define FUSE_OUT_LEN 0
#define FUSE_OUT_ERROR 4
#define FUSE_OUT_UNIQUE 8

/* fuse_init_in (the 7.31 size): major, minor, max_readahead, flags. */
#define FUSE_INIT_IN 16
/* fuse_init_out: major, minor, max_readahead, flags, max_background u16, congestion_threshold u16, max_write,
 * time_gran, max_pages u16, map_alignment u16 (log2 of the DAX alignment), unused. */
#define FUSE_INIT_OUT 64
#define FUSE_INIT_OUT_MAJOR 0
#define FUSE_INIT_OUT_MINOR 4
#define FUSE_INIT_OUT_FLAGS 12
#define FUSE_INIT_OUT_MAX_WRITE 20
#define FUSE_INIT_OUT_MAP_ALIGNMENT 30
#define FUSE_FLOCK_LOCKS (1u << 10)
#define FUSE_MAP_ALIGNMENT (1u << 26)

/* fuse_entry_out: nodeid u64, generation u64, entry_valid u64, attr_valid u64, two u32 nsec, fuse_attr (88). */
#define FUSE_ENTRY_OUT 128
#define FUSE_ENTRY_NODEID 0
#define FUSE_ATTR_OFFSET 40          /* fuse_attr within fuse_entry_out: ino u64, size u64, ... mode u32 at 60 */
#define FUSE_ATTR_SIZE 8
#define FUSE_ATTR_MODE 60

/* fuse_forget_in: nlookup u64 (no reply). fuse_interrupt_in: unique u64 (no reply of its own). */
#define FUSE_FORGET_IN 8

/* fuse_open_in: flags u32, open_flags u32. fuse_open_out: fh u64, open_flags u32, padding u32. */
#define FUSE_OPEN_IN 8
#define FUSE_OPEN_OUT 16

/* fuse_release_in: fh u64, flags u32, release_flags u32, lock_owner u64. */
#define FUSE_RELEASE_IN 24

/* fuse_lk_in: fh u64, owner u64, fuse_file_lock {start u64, end u64, type u32, pid u32}, lk_flags u32, padding. */
#define FUSE_LK_IN 48
#define FUSE_LK_FH 0
#define FUSE_LK_OWNER 8
#define FUSE_LK_START 16
#define FUSE_LK_END 24
#define FUSE_LK_TYPE 32
#define FUSE_LK_FLAGS 40
#define FUSE_LK_FLOCK 1u
#define FUSE_F_RDLCK 0
#define FUSE_F_WRLCK 1
#define FUSE_F_UNLCK 2

/* fuse_setupmapping_in: fh u64, foffset u64, len u64, flags u64, moffset u64. */
#define FUSE_SETUPMAPPING_IN 40
#define FUSE_SM_FH 0
#define FUSE_SM_FOFFSET 8
#define FUSE_SM_LEN 16
#define FUSE_SM_FLAGS 24
#define FUSE_SM_MOFFSET 32
#define FUSE_SETUPMAPPING_FLAG_WRITE 1u
#define FUSE_SETUPMAPPING_FLAG_READ 2u
/* fuse_removemapping_in: count u32; then count fuse_removemapping_one {moffset u64, len u64}. */
#define FUSE_REMOVEMAPPING_IN 4
#define FUSE_REMOVEMAPPING_ONE 16

/* errno values as the FUSE session carries them (Linux's numbers). */
#define FUSE_ENOENT 2
#define FUSE_EIO 5
#define FUSE_EBADF 9
#define FUSE_EAGAIN 11
#define FUSE_EBUSY 16
#define FUSE_EINVAL 22
#define FUSE_ENOSYS 38
#define FUSE_EOPNOTSUPP 95

/* The file the cases open: the harness seeds it into every shared directory (harness/avps_cts/host/files.py). */
#define FS_SEED_FILE "avps-host-seed"
/* A file whose opening for writing the host holds up for a while (harness/avps_cts/host/held_file.py). */
#define FS_HELD_FILE "avps-held-open"
#define FS_O_RDWR 2

#define FS_HIPRIO(n) \
	"VIRTIO-1.2: Device Types / File System Device / Device Operation / Device Operation: High Priority Queue #" #n
#define FS_DAX(n) "VIRTIO-1.2: Device Types / File System Device / Device Operation / Device Operation: DAX Window #" #n

/* Little-endian field access (the session's byte order). */
static inline uint32_t fs_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t fs_get64(const uint8_t *p)
{
	return fs_get32(p) | (uint64_t)fs_get32(p + 4) << 32;
}
static inline void fs_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static inline void fs_put32(uint8_t *p, uint32_t v)
{
	fs_put16(p, v), fs_put16(p + 2, v >> 16);
}
static inline void fs_put64(uint8_t *p, uint64_t v)
{
	fs_put32(p, (uint32_t)v), fs_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
