/* Block device: read sector 0, write + read back near the end, read-only rejection (VIRTIO_BLK_T_IN/OUT). */
#include "cpu.h"
#include "probe.h"
#include "statements.h"
#include "virtio_mmio.h"

#define VIRTIO_BLK_T_IN   0
#define VIRTIO_BLK_T_OUT  1
#define VIRTIO_BLK_S_OK   0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_F_RO   5
#define SECTOR 512

struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct blk_header header __attribute__((aligned(16)));
static uint8_t data[SECTOR] __attribute__((aligned(16)));
static uint8_t saved[SECTOR], pattern[SECTOR];
static volatile uint8_t status_byte;

/* One request; returns the status byte (0xff if the device never wrote it, -1 on no completion). */
static int blk_io(struct vdev *d, uint32_t type, uint64_t sector)
{
	header.type = type;
	header.reserved = 0;
	header.sector = sector;
	status_byte = 0xff;
	struct vbuf chain[3] = {
		{ &header, sizeof(header), false },
		{ data, SECTOR, type == VIRTIO_BLK_T_IN },
		{ (void *)&status_byte, 1, true },
	};
	int64_t len = vdev_request(d, chain, 3);
	if (len < 0)
		return -1;
	/* Used Ring #2: len counts bytes written, so at least the status byte. */
	probe_check(len >= 1 && len <= SECTOR + 1, "%s: %s sector %llu: used len %lld",
		    vdev_name(d), type == VIRTIO_BLK_T_IN ? "read" : "write",
		    (unsigned long long)sector, (long long)len);
	return status_byte;
}

static uint64_t capacity(struct vdev *d)
{
	uint32_t lo = vdev_read(d, VIRTIO_MMIO_CONFIG), hi = vdev_read(d, VIRTIO_MMIO_CONFIG + 4);
	return (uint64_t)hi << 32 | lo;
}

static bool read_only(const struct vdev *d)
{
	return d->features & (1ULL << VIRTIO_BLK_F_RO);
}

enum blk_choice { ANY_DISK, WRITABLE_DISK, READ_ONLY_DISK };

/* A set-up block device of the wanted kind; a platform may offer several disks. */
static struct vdev *blk_device_of(enum blk_choice want)
{
	struct vdev *first = vdev_find(VIRTIO_ID_BLOCK);
	if (!probe_check(first != NULL, "no block device (DeviceID 2) on a version-2 virtio-mmio "
			 "transport"))
		return NULL;
	for (int i = 0; i < vdev_count; i++) {
		struct vdev *d = &vdevs[i];
		if (d->device_id != VIRTIO_ID_BLOCK || d->version != 2 || !d->ready)
			continue;
		if (want == ANY_DISK || (want == READ_ONLY_DISK) == read_only(d))
			return d;
	}
	if (want == ANY_DISK)
		probe_check(false, "%s: device setup failed earlier", vdev_name(first));
	return want == READ_ONLY_DISK ? NULL : first;
}

static struct vdev *blk_device(void)
{
	return blk_device_of(ANY_DISK);
}

PROBE_CASE(blk_read0, "virtio.blk.read_sector0",
	   AVPS_CHECKS("a read of sector 0 completes with status OK and changes the pre-filled buffer"),
	   "AVPS.STORAGE.1", "AVPS.VIRTIO.1", USED_RING(2))
static void blk_read0(void)
{
	struct vdev *d = blk_device();
	if (!d)
		return;
	probe_diag("%s: capacity %llu sectors%s", vdev_name(d), (unsigned long long)capacity(d),
		   read_only(d) ? ", read-only" : "");
	for (int i = 0; i < SECTOR; i++)
		data[i] = 0x5a;
	int st = blk_io(d, VIRTIO_BLK_T_IN, 0);
	if (!probe_check(st == VIRTIO_BLK_S_OK, "%s: read sector 0: status %d, expected 0",
			 vdev_name(d), st))
		return;
	int changed = 0;
	for (int i = 0; i < SECTOR; i++)
		changed += data[i] != 0x5a;
	probe_diag("%s: sector 0 starts %02x%02x%02x%02x, %d bytes differ from the fill",
		   vdev_name(d), data[0], data[1], data[2], data[3], changed);
	probe_check(changed > 0, "%s: read sector 0 left the buffer untouched", vdev_name(d));
}

static bool same(const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < SECTOR; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void copy(uint8_t *dst, const uint8_t *src)
{
	for (int i = 0; i < SECTOR; i++)
		dst[i] = src[i];
}

PROBE_CASE(blk_write, "virtio.blk.write_readback",
	   AVPS_CHECKS("a pattern written to the last sector reads back identical (status OK), then the sector is "
	               "restored"),
	   "AVPS.STORAGE.1", "AVPS.VIRTIO.1")
static void blk_write(void)
{
	struct vdev *d = blk_device_of(WRITABLE_DISK);
	if (!d)
		return;
	uint64_t cap = capacity(d);
	if (!probe_check(cap >= 2, "%s: capacity %llu sectors", vdev_name(d), (unsigned long long)cap))
		return;
	if (!probe_check(!read_only(d), "%s: device offers VIRTIO_BLK_F_RO: no writable disk",
			 vdev_name(d)))
		return;
	uint64_t sector = cap - 1;
	uint64_t stamp = timer_count();
	if (!probe_check(blk_io(d, VIRTIO_BLK_T_IN, sector) == VIRTIO_BLK_S_OK,
			 "%s: read sector %llu failed", vdev_name(d), (unsigned long long)sector))
		return;
	copy(saved, data);
	for (int i = 0; i < SECTOR; i++)
		pattern[i] = (uint8_t)(i ^ (stamp >> ((i & 7) * 8)) ^ saved[i] ^ 0xff);
	copy(data, pattern);
	int st = blk_io(d, VIRTIO_BLK_T_OUT, sector);
	probe_check(st == VIRTIO_BLK_S_OK, "%s: write sector %llu: status %d, expected 0",
		    vdev_name(d), (unsigned long long)sector, st);
	for (int i = 0; i < SECTOR; i++)
		data[i] = 0;
	st = blk_io(d, VIRTIO_BLK_T_IN, sector);
	probe_check(st == VIRTIO_BLK_S_OK && same(data, pattern),
		    "%s: sector %llu read back (status %d) differs from what was written",
		    vdev_name(d), (unsigned long long)sector, st);
	/* Leave the disk as it was. */
	copy(data, saved);
	st = blk_io(d, VIRTIO_BLK_T_OUT, sector);
	probe_check(st == VIRTIO_BLK_S_OK, "%s: restoring sector %llu: status %d", vdev_name(d),
		    (unsigned long long)sector, st);
}

PROBE_CASE(blk_ro, "virtio.blk.readonly_write_rejected",
	   AVPS_CHECKS("a write to a device offering VIRTIO_BLK_F_RO completes with VIRTIO_BLK_S_IOERR and the sector "
	               "reads back unchanged"),
	   "AVPS.STORAGE.1", BLK_OPERATION(1), BLK_OPERATION(2))
static void blk_ro(void)
{
	if (!vdev_find(VIRTIO_ID_BLOCK)) {
		probe_check(false, "no block device (DeviceID 2) on a version-2 virtio-mmio transport");
		return;
	}
	struct vdev *d = blk_device_of(READ_ONLY_DISK);
	if (!d) {
		probe_skip("no block device offers VIRTIO_BLK_F_RO (no read-only disk on this platform)");
		return;
	}
	uint64_t sector = capacity(d) ? capacity(d) - 1 : 0;
	if (!probe_check(blk_io(d, VIRTIO_BLK_T_IN, sector) == VIRTIO_BLK_S_OK,
			 "%s: read sector %llu failed", vdev_name(d), (unsigned long long)sector))
		return;
	copy(saved, data);
	for (int i = 0; i < SECTOR; i++)
		data[i] = (uint8_t)~saved[i];
	int st = blk_io(d, VIRTIO_BLK_T_OUT, sector);
	probe_check(st == VIRTIO_BLK_S_IOERR, "%s: write to a read-only device: status %d, "
		    "expected VIRTIO_BLK_S_IOERR (1)", vdev_name(d), st);
	st = blk_io(d, VIRTIO_BLK_T_IN, sector);
	probe_check(st == VIRTIO_BLK_S_OK && same(data, saved),
		    "%s: rejected write changed sector %llu", vdev_name(d), (unsigned long long)sector);
}
