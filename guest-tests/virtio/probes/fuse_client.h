/* A FUSE session on a virtio-fs device for the file-system probe cases: FUSE_INIT on the first request queue, requests posted and answered with every reply validated. */
#ifndef PROBE_VIRTIO_FUSE_CLIENT_H
#define PROBE_VIRTIO_FUSE_CLIENT_H

#include "session.h"

#include "../../../reference-hv/devices/fs_proto.h"

#define FC_SLOTS 8                       /* requests in flight at once */
#define FC_IN_BYTES 128
#define FC_OUT_BYTES (FUSE_OUT_HDR + FUSE_ENTRY_OUT)
#define FC_FAILED INT32_MIN              /* a request whose answer failed a check (already reported) */

/* One request in flight: its queue, unique, buffer id and out buffer; done once its used entry was taken, read
 * once fc_result looked at its answer (its buffers stay reserved until then). */
struct fc_req {
	int slot;
	int qi;
	uint64_t unique;
	uint16_t id;
	uint32_t out_len;                /* device-writable bytes (0: a hiprio request without reply) */
	bool done, read;
	uint32_t used_len;
};

struct fuse_client {
	struct vsession s;
	struct vdev *d;
	const char *n;
	int request_queues;              /* request queues enabled: queues 1 .. request_queues */
	uint32_t flags;                  /* FUSE_INIT reply flags */
	uint32_t map_alignment;          /* log2, from the FUSE_INIT reply (valid with FUSE_MAP_ALIGNMENT) */
	uint64_t next_unique;
	bool initialised;                /* FUSE_INIT answered: fc_close ends the session with FUSE_DESTROY */
	struct fc_req *inflight[FC_SLOTS];
	uint8_t *reply;                  /* the payload of the last fc_call answered without error */
	uint32_t reply_len;
};

/* The file-system device, or NULL after a SKIP "device absent". */
struct vdev *fc_device(void);
/* Shared memory region 0 (the DAX window): its length, ~0 when absent; *base its guest address. */
uint64_t fc_dax_window(struct vdev *d, uint64_t *base);
/* Resets d, enables hiprio and up to VS_MAX_QUEUES - 1 request queues, DRIVER_OK, FUSE_INIT asking for
 * init_flags; false after a failed check. */
bool fc_open(struct fuse_client *c, struct vdev *d, uint32_t init_flags);
/* Ends the session with FUSE_DESTROY (when no request is in flight), then resets the device unless the case
 * never opened it. */
void fc_close(struct fuse_client *c);
/* Makes a request available on queue qi (0: hiprio) with args_len argument bytes and room for out_len
 * payload bytes after the out header (no device-writable part at all when no_reply). */
bool fc_post(struct fuse_client *c, struct fc_req *r, int qi, uint32_t opcode, uint64_t nodeid, const void *args,
	     uint32_t args_len, uint32_t out_len, bool no_reply);
/* Waits up to timeout_us for r's used entry, validating every entry its queue gives: 1 answered, 0 not yet,
 * -1 after a failed check. */
int fc_wait(struct fuse_client *c, struct fc_req *r, uint32_t timeout_us);
/* The out header's error of an answered request (0 or a negated errno), FC_FAILED after a failed check;
 * a successful answer's payload in c->reply, c->reply_len bytes. */
int32_t fc_result(struct fuse_client *c, struct fc_req *r, const char *what);
/* Post, wait VS_WAIT_US and validate: the error, or FC_FAILED. */
int32_t fc_call(struct fuse_client *c, uint32_t opcode, uint64_t nodeid, const void *args, uint32_t args_len,
		uint32_t out_len, const char *what);
/* LOOKUP of name under the root: the nodeid (*size the file's size), 0 with *error set when refused. */
uint64_t fc_lookup(struct fuse_client *c, const char *name, uint64_t *size, int32_t *error);
/* OPEN read-only: 0 with *fh, else the error. */
int32_t fc_open_file(struct fuse_client *c, uint64_t nodeid, uint64_t *fh);
/* A whole-file flock request's arguments (fuse_lk_in with FUSE_LK_FLOCK). */
void fc_flock_args(uint8_t *args, uint64_t fh, uint32_t type);

#endif
