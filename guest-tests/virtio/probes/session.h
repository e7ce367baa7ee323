/* A driver session on one device for the statement cases: negotiate, enable queues (split or packed), post and check requests, reset. */
#ifndef PROBE_VIRTIO_SESSION_H
#define PROBE_VIRTIO_SESSION_H

#include "virtio_mmio.h"

#define VS_MAX_QUEUES 4
#define VS_WAIT_US 1000000   /* a request gets 1 s (QEMU TCG answers in well under 1 ms) */

struct vsession {
	struct vdev *d;
	struct vmmio *t;
	struct virtq q[VS_MAX_QUEUES];
	int queues;
	uint64_t features;          /* negotiated */
};

enum vs_stage { VS_FEATURES_OK, VS_QUEUES_READY, VS_DRIVER_OK };

/* Resets d, negotiates VERSION_1 plus `features` (masked by what d offers), enables
 * `queues` queues of `size` entries in `layout`, then sets DRIVER_OK unless `stage` stops
 * earlier. Failures are reported as checks of the current case. */
bool vs_open(struct vsession *s, struct vdev *d, uint64_t features, int queues,
	     enum virtq_layout layout, uint16_t size, enum vs_stage stage);
/* Sets DRIVER_OK after vs_open stopped before it. */
bool vs_driver_ok(struct vsession *s);
/* Posts one buffer on queue qi, notifies if asked to, waits for and validates its used entry. */
bool vs_call(struct vsession *s, int qi, const struct vbuf *e, int n, enum virtq_chain chain,
	     struct virtq_used *u, const char *what);
/* Resets the device (and acknowledges nothing: a reset clears InterruptStatus itself). */
void vs_close(struct vsession *s);

/* The first modern device of a type that is not read-only (blk) / any; NULL after SKIP "device absent". */
struct vdev *vs_device(uint32_t device_id, const char *what);
/* The same, offering feature bit feature_bit (named 'feature'); NULL after SKIP "<device> does not offer <feature>". */
struct vdev *vs_device_offering(uint32_t device_id, const char *what, unsigned feature_bit, const char *feature);
/* Layouts the device offers: split always, packed with VIRTIO_F_RING_PACKED. */
int vs_layouts(const struct vdev *d, enum virtq_layout out[2]);
const char *vs_layout_name(enum virtq_layout l);

#endif
