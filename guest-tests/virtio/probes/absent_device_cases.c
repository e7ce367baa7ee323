/* Configuration statements of device types QEMU 7.2 does not offer over virtio-mmio here (IOMMU, memory, RPMB, file system, PMEM): each SKIPs with "device absent" until a platform offers the device. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_IOMMU 23
#define VIRTIO_ID_MEM   24
#define VIRTIO_ID_FS    26
#define VIRTIO_ID_RPMB  28
#define IOMMU_F_BYPASS_CONFIG 6

/* The first modern device of a type, or a SKIP saying it is absent. */
static struct vdev *present(uint32_t device_id, const char *what)
{
	struct vdev *d = vdev_find(device_id);
	if (!d)
		probe_skip("device absent: no %s (DeviceID %u) on a version-2 virtio-mmio transport", what, device_id);
	return d;
}

PROBE_CASE(iommu_config, "virtio.iommu.config_page_size_and_bypass", AVPS_CHECKS("an IOMMU device sets at least one page_size_mask bit and, with BYPASS_CONFIG negotiated, presents bypass as 0 or 1"),
	   DT "IOMMU Device / Device configuration layout #1", DT "IOMMU Device / Device configuration layout #6")
static void iommu_config(void)
{
	struct vdev *d = present(VIRTIO_ID_IOMMU, "IOMMU device");
	struct vsession s;
	if (!d)
		return;
	uint64_t mask = vmmio_config(&d->t, 0, 8);
	probe_check(mask != 0, "%s: page_size_mask is 0", vdev_name(d));
	if (d->t.offered & VIRTIO_BIT(IOMMU_F_BYPASS_CONFIG) &&
	    vs_open(&s, d, VIRTIO_BIT(IOMMU_F_BYPASS_CONFIG), 0, VIRTQ_SPLIT, 8, VS_FEATURES_OK)) {
		uint32_t bypass = (uint32_t)vmmio_config(&d->t, 36, 1);
		probe_check(bypass <= 1, "%s: bypass reads %u", vdev_name(d), bypass);
		vs_close(&s);
	}
}

PROBE_CASE(mem_config, "virtio.mem.config_geometry", AVPS_CHECKS("a memory device's block_size is a power of two, addr and the sizes are multiples of it, usable_region_size >= requested_size, and block_size/node_id/addr/region_size survive a device reset"),
	   DT "Memory Device / Device configuration layout #2", DT "Memory Device / Device configuration layout #4",
	   DT "Memory Device / Device configuration layout #5", DT "Memory Device / Device configuration layout #6")
static void mem_config(void)
{
	struct vdev *d = present(VIRTIO_ID_MEM, "memory device");
	if (!d)
		return;
	static const uint32_t off[] = { 0, 16, 24, 32, 40, 48 };   /* block_size addr region usable plugged requested */
	static const char *const name[] = { "block_size", "addr", "region_size", "usable_region_size", "plugged_size",
					    "requested_size" };
	uint64_t v[6];
	for (int i = 0; i < 6; i++)
		v[i] = vmmio_config(&d->t, off[i], 8);
	uint64_t node = vmmio_config(&d->t, 8, 2);
	uint64_t bs = v[0];
	if (!probe_check(bs != 0 && (bs & (bs - 1)) == 0, "%s: block_size 0x%llx is not a power of two", vdev_name(d),
			 (unsigned long long)bs))
		return;
	for (int i = 1; i < 6; i++)
		probe_check(v[i] % bs == 0, "%s: %s 0x%llx is not a multiple of block_size 0x%llx", vdev_name(d), name[i],
			    (unsigned long long)v[i], (unsigned long long)bs);
	probe_check(v[3] >= v[5], "%s: usable_region_size 0x%llx below requested_size 0x%llx", vdev_name(d),
		    (unsigned long long)v[3], (unsigned long long)v[5]);
	uint32_t st;
	vmmio_reset(&d->t, 100000, &st);
	probe_check(vmmio_config(&d->t, 0, 8) == v[0] && vmmio_config(&d->t, 8, 2) == node &&
		    vmmio_config(&d->t, 16, 8) == v[1] && vmmio_config(&d->t, 24, 8) == v[2],
		    "%s: block_size, node_id, addr or region_size changed across a device reset", vdev_name(d));
}

PROBE_CASE(rpmb_capacity, "virtio.rpmb.capacity_in_range", AVPS_CHECKS("an RPMB device's capacity (in 128 KiB units) is between 1 and 128, i.e. a multiple of 128 KiB up to 16 MiB"),
	   DT "RPMB Device / Device Initialization #1")
static void rpmb_capacity(void)
{
	struct vdev *d = present(VIRTIO_ID_RPMB, "RPMB device");
	if (!d)
		return;
	uint32_t units = (uint32_t)vmmio_config(&d->t, 0, 1);
	probe_check(units >= 1 && units <= 128, "%s: capacity %u x 128 KiB is outside 128 KiB..16 MiB", vdev_name(d), units);
}

PROBE_CASE(fs_queues, "virtio.fs.request_queues_present", AVPS_CHECKS("a file system device reports num_request_queues of at least 1"),
	   DT "File System Device / Device configuration layout #1")
static void fs_queues(void)
{
	struct vdev *d = present(VIRTIO_ID_FS, "file system device");
	if (!d)
		return;
	uint32_t n = (uint32_t)vmmio_config(&d->t, 36, 4);
	probe_check(n >= 1, "%s: num_request_queues %u", vdev_name(d), n);
}

#define VIRTIO_ID_PMEM 27
#define PMEM_F_SHMEM_REGION 0
#define PMEM_SHM_ID 0
#define SHM_ABSENT 0xffffffffffffffffull

static uint64_t shm_reg(const struct vmmio *t, uint32_t low)
{
	return (uint64_t)vmmio_read(t, low + 4) << 32 | vmmio_read(t, low);
}

PROBE_CASE(pmem_range, "virtio.pmem.range_announced",
	   AVPS_CHECKS("a PMEM device negotiated without SHMEM_REGION gives a non-zero start and size that do not wrap "
		       "the address space; negotiated with SHMEM_REGION (where offered) it presents shared memory "
		       "region 0 with a non-zero length and a base that does not wrap"),
	   DT "PMEM Device / Device Initialization #1", DT "PMEM Device / Device Initialization #2",
	   DT "PMEM Device / Device Initialization #4", DT "PMEM Device / Device Initialization #5")
static void pmem_range(void)
{
	struct vdev *d = present(VIRTIO_ID_PMEM, "PMEM device");
	struct vsession s;
	if (!d)
		return;
	if (vs_open(&s, d, 0, 0, VIRTQ_SPLIT, 8, VS_FEATURES_OK)) {
		uint64_t start = vmmio_config(s.t, 0, 8), size = vmmio_config(s.t, 8, 8);
		probe_check(start != 0 && size != 0 && start + size > start, "%s: without SHMEM_REGION: start 0x%llx size "
			    "0x%llx", vdev_name(d), (unsigned long long)start, (unsigned long long)size);
		vs_close(&s);
	}
	if (d->t.offered & VIRTIO_BIT(PMEM_F_SHMEM_REGION) &&
	    vs_open(&s, d, VIRTIO_BIT(PMEM_F_SHMEM_REGION), 0, VIRTQ_SPLIT, 8, VS_FEATURES_OK)) {
		vmmio_write(s.t, VMMIO_SHM_SEL, PMEM_SHM_ID);
		uint64_t len = shm_reg(s.t, VMMIO_SHM_LEN_LOW), base = shm_reg(s.t, VMMIO_SHM_BASE_LOW);
		probe_check(len != SHM_ABSENT && len != 0 && base != SHM_ABSENT && base + len > base, "%s: with "
			    "SHMEM_REGION: shared memory region 0 length 0x%llx base 0x%llx", vdev_name(d),
			    (unsigned long long)len, (unsigned long long)base);
		vs_close(&s);
	}
}

PROBE_CASE(pmem_flush, "virtio.pmem.flush_returns_zero_or_minus_one",
	   AVPS_CHECKS("two FLUSH requests on the PMEM device's request queue each come back with ret 0 (success) or "
		       "-1 (failure), nothing else"),
	   DT "PMEM Device / Device Operation / Virtqueue return #1")
static void pmem_flush(void)
{
	static uint32_t type __attribute__((aligned(16)));
	static volatile uint32_t ret __attribute__((aligned(16)));
	struct vdev *d = present(VIRTIO_ID_PMEM, "PMEM device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	for (int i = 0; i < 2; i++) {
		type = 0;   /* VIRTIO_PMEM_REQ_TYPE_FLUSH */
		ret = 0x5a5a5a5a;
		struct vbuf e[2] = { { &type, sizeof(type), false }, { (void *)&ret, sizeof(ret), true } };
		if (!vs_call(&s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "FLUSH") ||
		    !probe_check(ret == 0 || ret == 0xffffffffu, "%s: FLUSH %d: ret 0x%x, expected 0 or -1", vdev_name(d),
				 i, ret))
			break;
	}
	vs_close(&s);
}
