/* SCMI device shared memory statement case (VIRTIO 1.2 §5.17.6.3): statistics regions only under the shmids the SCMI table assigns, and offered with VIRTIO_SCMI_F_SHARED_MEMORY. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_SCMI 32
#define VIRTIO_SCMI_F_SHARED_MEMORY 1
#define SHMID_STATS_FIRST 1     /* power state, performance domain, sensor values: 1..3 */
#define SHMID_STATS_LAST 3
#define SHMID_VENDOR_FIRST 0x80 /* vendor-specific statistics regions: 0x80..0xff */
#define SHMID_VENDOR_LAST 0xff
#define SHMID_SCANNED 0x200     /* 0x100 and up are reserved too: a sample of them is read */

static bool assigned(uint32_t id)
{
	return (id >= SHMID_STATS_FIRST && id <= SHMID_STATS_LAST) || (id >= SHMID_VENDOR_FIRST && id <= SHMID_VENDOR_LAST);
}

PROBE_CASE(scmi_shm_ids, "virtio.scmi.shm_regions_assigned_ids",
	   AVPS_CHECKS("the SCMI device exposes shared memory regions only under the shmids its table assigns (1-3, "
		       "0x80-0xff; SHMSel 0, 4-0x7f and 0x100-0x1ff read length 0xffffffffffffffff), and offers "
		       "VIRTIO_SCMI_F_SHARED_MEMORY whenever it exposes one"),
	   DT "SCMI Device / Feature bits #2", DT "SCMI Device / Device Operation / Shared Memory Operation #2")
static void scmi_shm_ids(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_SCMI);
	if (!d) {
		probe_skip("device absent: no SCMI device (DeviceID %u) on a version-2 virtio-mmio transport", VIRTIO_ID_SCMI);
		return;
	}
	int regions = 0;
	for (uint32_t id = 0; id < SHMID_SCANNED; id++) {
		vmmio_write(&d->t, VMMIO_SHM_SEL, id);
		uint64_t len = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_LEN_LOW);
		if (len == ~0ULL)
			continue;
		if (!probe_check(assigned(id), "%s: shared memory region under shmid 0x%x (reserved in the SCMI table) "
				 "has length 0x%llx", vdev_name(d), id, (unsigned long long)len))
			return;
		regions++;
	}
	if (regions)
		probe_check(d->t.offered & VIRTIO_BIT(VIRTIO_SCMI_F_SHARED_MEMORY), "%s: %d statistics shared memory "
			    "region(s) exposed but VIRTIO_SCMI_F_SHARED_MEMORY not offered (features 0x%llx)", vdev_name(d),
			    regions, (unsigned long long)d->t.offered);
	else
		probe_diag("%s: no statistics shared memory region", vdev_name(d));
}
