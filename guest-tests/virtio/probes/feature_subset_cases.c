/* Feature subsets (VIRTIO 1.2 §2.2.1): a device keeps FEATURES_OK only for a subset it then works with. */
#include "blk_request.h"
#include "probe.h"
#include "statements.h"

static uint8_t entropy[64] __attribute__((aligned(16)));
static uint8_t sector[BLK_SECTOR] __attribute__((aligned(16)));

/* Transport bits the driver core handles on a split ring (INDIRECT_DESC, EVENT_IDX) plus every
 * device-type bit (0..23): a valid subset whenever the offer itself is (Feature Bits #1). */
#define SUBSET_FULL (0xffffffull | VIRTIO_BIT(28) | VIRTIO_BIT(29))

/* One request the device type defines: true when it completed as the type says. */
static bool request_works(struct vsession *s)
{
	struct virtq_used u;
	if (s->d->device_id == VIRTIO_ID_ENTROPY) {
		struct vbuf b = { entropy, sizeof(entropy), true };
		return vs_call(s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request") &&
		       probe_check(u.len >= 1 && u.len <= sizeof(entropy), "%s: entropy request used len %u",
				   vdev_name(s->d), u.len);
	}
	int st = blk_call(s, VIRTIO_BLK_T_IN, 0, sector, BLK_SECTOR, BLK_PLAIN);
	return st >= 0 && probe_check(st == VIRTIO_BLK_S_OK, "%s: read of sector 0: status %d", vdev_name(s->d), st);
}

/* Negotiates VERSION_1 | (offered & extra): FEATURES_OK clear is a refusal the statement allows;
 * FEATURES_OK kept means accepted, so the status must be exact and a request must complete. */
static void try_subset(struct vdev *d, uint64_t extra, const char *label)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | (d->t.offered & extra);
	uint32_t st = vmmio_negotiate(&d->t, want);
	d->ready = false;
	if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
		probe_diag("%s: %s (0x%llx) refused: status 0x%x", vdev_name(d), label, (unsigned long long)want, st);
		probe_check(!(st & VIRTIO_STATUS_NEEDS_RESET), "%s: refusing %s set DEVICE_NEEDS_RESET (status 0x%x)",
			    vdev_name(d), label, st);
		return;
	}
	struct vsession s;
	if (vs_open(&s, d, want, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		probe_check(request_works(&s) && vmmio_status(s.t) == (VIRTIO_STATUS_DRIVER_OK | 0xb),
			    "%s: kept FEATURES_OK for %s (0x%llx) but does not work with it: status 0x%x", vdev_name(d),
			    label, (unsigned long long)s.features, vmmio_status(s.t));
	vs_close(&s);
}

PROBE_CASE(core_feature_subset, "virtio.core.accepted_subset_works",
	   AVPS_CHECKS("for the entropy and block devices, the smallest valid feature set (VERSION_1 alone) and the "
		       "largest one (every offered device-type bit plus INDIRECT_DESC/EVENT_IDX) are each either refused "
		       "(FEATURES_OK reads clear) or kept and then served: a request completes and status reads 0xf"),
	   FEATURE_BITS(3))
static void core_feature_subset(void)
{
	static const uint32_t types[] = { VIRTIO_ID_ENTROPY, VIRTIO_ID_BLOCK };
	int tried = 0;
	vdev_discover();
	for (unsigned k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		struct vdev *d = vdev_find(types[k]);
		if (!d)
			continue;
		tried++;
		try_subset(d, 0, "VERSION_1 alone");
		try_subset(d, SUBSET_FULL, "every offered device-type bit");
		uint32_t st = 0;
		vmmio_reset(&d->t, 100000, &st);
	}
	if (!tried)
		probe_skip("no entropy or block device on a version-2 virtio-mmio transport");
}
