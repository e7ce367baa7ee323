/* virtio-media: a declared virtio-media device (ID 48) is enumerated on the virtio bus; Linux 6.1 has no driver, so its behaviour is checked by the probes. */
#define AVPS_SUITE "virtio.media"
#include "avps_kselftest.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

/*
 * VIRTIO chapter: Media Device (VIRTIO 1.4). Linux 6.1 has no driver for this device: no Kconfig
 * option of linux-source-6.1 (the suite kernel's source) names it, so no guest kernel the
 * suite builds or boots can bind it, feature-negotiate with it or drive its queues. Linux
 * only enumerates the device on the virtio bus (its ID in /sys/bus/virtio/devices), which
 * is all this file checks. Where the device is checked instead:
 *  - the bare-metal virtio-mmio probe (guest-tests/virtio/probes/, build/probes/virtio-mmio.img)
 *    drives every virtio,mmio transport of the DT, this device included: magic, version 2,
 *    VIRTIO_F_VERSION_1, the FEATURES_OK rules, status handshake, queue setup and reset;
 *  - the device-side statements of its chapter (AVPS.MEDIA.1 in requirements/avps-v2.0.yaml has
 *    verify: probe) are checked by the statement cases of that probe (probes/media_cases.c),
 *    which pass on refhv's reference media model (profile virtio-can-rpmb) and SKIP 'device
 *    absent' elsewhere: virtio.media.session_ids_distinct, ioctl_payload_written,
 *    unsupported_ioctls_enotty, planes_pointer_returned, mmap_len_is_buffer_length,
 *    mapping_valid_until_munmap, shared_pages_userptr_returned, expbuf_fd_placeholder_kept and
 *    errored_session_id_not_recycled.
 * Absent device: SKIP, unless the platform declares avps.offers_media=1, then not ok.
 */
#define DEVICE_ID 48
#define DEVICE_WHAT "virtio-media device (ID 48)"

AVPS_TEST(device_present,
	  AVPS_CHECKS("a declared virtio-media device (ID 48) is enumerated on the virtio bus (no Linux 6.1 driver exists; the virtio-mmio probe checks its transport)"),
	  "AVPS.MEDIA.1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "media", DEVICE_WHAT);
	if (dev.driver[0])
		TH_LOG("%s is bound to '%s' although Linux 6.1 has no media driver", dev.path, dev.driver);
}

TEST_HARNESS_MAIN
