/* Block requests (VIRTIO 1.2 §5.2.6) over a driver session, in several descriptor layouts. */
#ifndef PROBE_BLK_REQUEST_H
#define PROBE_BLK_REQUEST_H

#include "session.h"

#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_CONFIG_WCE   11
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u
#define BLK_SECTOR 512

enum blk_layout {
	BLK_PLAIN,             /* header, data, status: one descriptor each */
	BLK_PIECES,            /* header in two, data in two, status: five descriptors */
	BLK_INDIRECT,          /* everything behind one INDIRECT descriptor */
	BLK_INDIRECT_WRITE,    /* the same, with WRITE also set on the INDIRECT descriptor */
	BLK_CHAIN_THEN_INDIRECT, /* header direct, data and status behind an INDIRECT descriptor */
};

struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* discard / write-zeroes segment (device-readable data of those requests) */
struct blk_segment {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

extern struct blk_header blk_hdr;
extern volatile uint8_t blk_status;

/* One request on queue 0; returns the status byte (0xff: the device never wrote it), -1 when
 * no valid used entry came back (already a failed check). */
int blk_call(struct vsession *s, uint32_t type, uint64_t sector, void *data, uint32_t len,
	     enum blk_layout layout);
/* A block device without VIRTIO_BLK_F_RO (first one), or a failed check. */
struct vdev *blk_writable_device(void);
uint64_t blk_capacity(const struct vdev *d);

#endif
