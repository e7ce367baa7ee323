/* File system device shared memory statement case (VIRTIO 1.2 §5.11.6.7): a DAX window, if any, is region 0, so no other region ID exists. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_FS 26
#define FS_SHM_DAX_WINDOW 0

PROBE_CASE(fs_dax_region_id, "virtio.fs.dax_window_region_0", AVPS_CHECKS("the file system device exposes no shared memory region under an ID other than 0, the DAX window's: SHMSel 1..255 all read length 0xffffffffffffffff"),
	   DT "File System Device / Device Operation / Device Operation: DAX Window #2")
static void fs_dax_region_id(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_FS);
	if (!d) {
		probe_skip("device absent: no file system device (DeviceID %u) on a version-2 virtio-mmio transport",
			   VIRTIO_ID_FS);
		return;
	}
	vmmio_write(&d->t, VMMIO_SHM_SEL, FS_SHM_DAX_WINDOW);
	uint64_t dax = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_LEN_LOW);
	for (uint32_t id = 1; id < 256; id++) {
		vmmio_write(&d->t, VMMIO_SHM_SEL, id);
		uint64_t len = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_LEN_LOW);
		if (!probe_check(len == ~0ULL, "%s: shared memory region %u (the DAX window must be region 0) has length "
				 "0x%llx", vdev_name(d), id, (unsigned long long)len))
			return;
	}
	probe_diag("%s: region 0 (DAX window) %s", vdev_name(d), dax == ~0ULL ? "absent" : "present");
}
