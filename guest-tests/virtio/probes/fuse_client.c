/* The file-system probe cases' FUSE session: requests in per-slot buffers, used entries matched to them by id, out headers checked (len, unique, error) before a reply is trusted. */
#include "fuse_client.h"

#include "probe.h"

#include <string.h>

#define FC_QUEUE_SIZE 16

static uint8_t in_buf[FC_SLOTS][FC_IN_BYTES] __attribute__((aligned(16)));
static uint8_t out_buf[FC_SLOTS][FC_OUT_BYTES] __attribute__((aligned(16)));

struct vdev *fc_device(void)
{
	return vs_device(VIRTIO_ID_FS, "file system device");
}

uint64_t fc_dax_window(struct vdev *d, uint64_t *base)
{
	vmmio_write(&d->t, VMMIO_SHM_SEL, FS_SHM_DAX_WINDOW);
	uint64_t len = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_LEN_LOW);
	*base = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_BASE_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_BASE_LOW);
	return len;
}

bool fc_open(struct fuse_client *c, struct vdev *d, uint32_t init_flags)
{
	memset(c, 0, sizeof(*c));
	c->d = d;
	c->n = vdev_name(d);
	c->next_unique = 1;
	uint32_t rq = (uint32_t)vmmio_config(&d->t, FS_CFG_NUM_REQUEST_QUEUES, 4);
	if (!probe_check(rq >= 1, "%s: num_request_queues is %u", c->n, rq))
		return false;
	c->request_queues = rq < VS_MAX_QUEUES - 1 ? (int)rq : VS_MAX_QUEUES - 1;
	if (!vs_open(&c->s, d, 0, 1 + c->request_queues, VIRTQ_SPLIT, FC_QUEUE_SIZE, VS_DRIVER_OK))
		return false;
	uint8_t args[FUSE_INIT_IN] = { 0 };
	fs_put32(args, FUSE_KERNEL_VERSION);
	fs_put32(args + 4, FUSE_KERNEL_MINOR);
	fs_put32(args + 12, init_flags);
	int32_t e = fc_call(c, FUSE_INIT, 0, args, sizeof(args), FUSE_INIT_OUT, "FUSE_INIT");
	if (e == FC_FAILED || !probe_check(e == 0, "%s: FUSE_INIT answered error %ld", c->n, (long)e))
		return false;
	/* A 7.31 reply is 64 bytes; a server of an older minor may answer shorter, the fields used here come first. */
	if (!probe_check(c->reply_len >= FUSE_INIT_OUT_MAP_ALIGNMENT + 2 &&
			 fs_get32(c->reply + FUSE_INIT_OUT_MAJOR) == FUSE_KERNEL_VERSION,
			 "%s: FUSE_INIT reply of %u bytes, major %u", c->n, c->reply_len,
			 c->reply_len >= 4 ? fs_get32(c->reply) : 0))
		return false;
	c->initialised = true;
	c->flags = fs_get32(c->reply + FUSE_INIT_OUT_FLAGS);
	c->map_alignment = c->reply[FUSE_INIT_OUT_MAP_ALIGNMENT] | (uint32_t)c->reply[FUSE_INIT_OUT_MAP_ALIGNMENT + 1] << 8;
	return true;
}

void fc_close(struct fuse_client *c)
{
	bool idle = true;
	for (int i = 0; i < FC_SLOTS; i++)
		idle &= !c->inflight[i] || c->inflight[i]->qi == FS_HIPRIO_QUEUE;
	struct fc_req r;
	if (c->initialised && idle && fc_post(c, &r, 1, FUSE_DESTROY, 0, NULL, 0, 0, false))
		fc_wait(c, &r, VS_WAIT_US);   /* a server that keeps one session per device start wants it ended */
	c->initialised = false;
	if (c->s.t)
		vs_close(&c->s);
	memset(c->inflight, 0, sizeof(c->inflight));
}

bool fc_post(struct fuse_client *c, struct fc_req *r, int qi, uint32_t opcode, uint64_t nodeid, const void *args,
	     uint32_t args_len, uint32_t out_len, bool no_reply)
{
	int slot = -1;
	for (int i = 0; i < FC_SLOTS && slot < 0; i++)
		if (!c->inflight[i])
			slot = i;
	if (!probe_check(slot >= 0 && qi < c->s.queues && FUSE_IN_HDR + args_len <= FC_IN_BYTES &&
			 FUSE_OUT_HDR + out_len <= FC_OUT_BYTES, "%s: request %u does not fit the probe's buffers",
			 c->n, opcode))
		return false;
	uint8_t *in = in_buf[slot];
	memset(in, 0, FUSE_IN_HDR);
	fs_put32(in + FUSE_IN_LEN, FUSE_IN_HDR + args_len);
	fs_put32(in + FUSE_IN_OPCODE, opcode);
	fs_put64(in + FUSE_IN_UNIQUE, c->next_unique);
	fs_put64(in + FUSE_IN_NODEID, nodeid);
	if (args_len)
		memcpy(in + FUSE_IN_HDR, args, args_len);
	memset(out_buf[slot], 0xcc, FC_OUT_BYTES);
	*r = (struct fc_req){ .slot = slot, .qi = qi, .unique = c->next_unique,
			      .out_len = no_reply ? 0 : FUSE_OUT_HDR + out_len };
	c->next_unique += 2;
	struct vbuf e[2] = { { in, FUSE_IN_HDR + args_len, false }, { out_buf[slot], r->out_len, true } };
	enum virtq_result res = vmmio_post(c->s.t, &c->s.q[qi], e, no_reply ? 1 : 2, VIRTQ_CHAIN_DIRECT, &r->id);
	if (!probe_check(res == VIRTQ_OK, "%s: request %u not posted: %s", c->n, opcode, virtq_result_name(res)))
		return false;
	c->inflight[slot] = r;
	return true;
}

int fc_wait(struct fuse_client *c, struct fc_req *r, uint32_t timeout_us)
{
	uint64_t end = vmmio_now_us(c->s.t) + timeout_us;
	while (!r->done) {
		uint64_t now = vmmio_now_us(c->s.t);
		if (now >= end)
			return 0;
		struct virtq_used u;
		enum virtq_result res = vmmio_wait_used(c->s.t, &c->s.q[r->qi], (uint32_t)(end - now), &u);
		if (res == VIRTQ_EMPTY && !(vmmio_status(c->s.t) & VIRTIO_STATUS_NEEDS_RESET))
			return 0;
		if (!vdev_used_ok(c->d, res, &u, "FUSE request"))
			return -1;
		struct fc_req *hit = NULL;
		for (int i = 0; i < FC_SLOTS && !hit; i++)
			if (c->inflight[i] && !c->inflight[i]->done && c->inflight[i]->qi == r->qi && c->inflight[i]->id == u.id)
				hit = c->inflight[i];
		if (!probe_check(hit != NULL, "%s: queue %d used id %u, which names no request in flight", c->n, r->qi, u.id))
			return -1;
		hit->done = true;
		hit->used_len = u.len;
		if (!hit->out_len)
			c->inflight[hit->slot] = NULL;   /* nothing to read: the buffers are free again */
	}
	return 1;
}

int32_t fc_result(struct fuse_client *c, struct fc_req *r, const char *what)
{
	const uint8_t *out = out_buf[r->slot];
	r->read = true;
	if (c->inflight[r->slot] == r)
		c->inflight[r->slot] = NULL;     /* c->reply stays valid until the next fc_post */
	uint32_t len = fs_get32(out + FUSE_OUT_LEN);
	int32_t error = (int32_t)fs_get32(out + FUSE_OUT_ERROR);
	uint64_t unique = fs_get64(out + FUSE_OUT_UNIQUE);
	if (!probe_check(r->used_len >= FUSE_OUT_HDR && len == r->used_len && unique == r->unique,
			 "%s: %s: used length %u, out header len %u, unique 0x%llx (sent 0x%llx)", c->n, what, r->used_len,
			 len, (unsigned long long)unique, (unsigned long long)r->unique) ||
	    !probe_check(error <= 0 && error > -4096 && (error == 0 || len == FUSE_OUT_HDR),
			 "%s: %s: out header error %ld with len %u: neither 0 nor a negated errno alone", c->n, what,
			 (long)error, len))
		return FC_FAILED;
	c->reply = out_buf[r->slot] + FUSE_OUT_HDR;
	c->reply_len = len - FUSE_OUT_HDR;
	return error;
}

int32_t fc_call(struct fuse_client *c, uint32_t opcode, uint64_t nodeid, const void *args, uint32_t args_len,
		uint32_t out_len, const char *what)
{
	struct fc_req r;
	if (!fc_post(c, &r, 1, opcode, nodeid, args, args_len, out_len, false))
		return FC_FAILED;
	static struct fc_req abandoned[FC_SLOTS];
	int got = fc_wait(c, &r, VS_WAIT_US);
	if (got != 1 && c->inflight[r.slot] == &r) {
		abandoned[r.slot] = r;       /* still in flight: its used entry may come later */
		c->inflight[r.slot] = &abandoned[r.slot];
	}
	if (got < 0 || !probe_check(got == 1, "%s: %s: no answer within %u ms", c->n, what, VS_WAIT_US / 1000))
		return FC_FAILED;
	return fc_result(c, &r, what);
}

uint64_t fc_lookup(struct fuse_client *c, const char *name, uint64_t *size, int32_t *error)
{
	uint32_t len = (uint32_t)strlen(name) + 1;
	*error = fc_call(c, FUSE_LOOKUP, FUSE_ROOT_ID, name, len, FUSE_ENTRY_OUT, "LOOKUP");
	if (*error)
		return 0;
	if (!probe_check(c->reply_len >= FUSE_ENTRY_OUT && fs_get64(c->reply + FUSE_ENTRY_NODEID) != 0,
			 "%s: LOOKUP of %s: reply of %u bytes, nodeid 0", c->n, name, c->reply_len)) {
		*error = FC_FAILED;
		return 0;
	}
	*size = fs_get64(c->reply + FUSE_ATTR_OFFSET + FUSE_ATTR_SIZE);
	return fs_get64(c->reply + FUSE_ENTRY_NODEID);
}

int32_t fc_open_file(struct fuse_client *c, uint64_t nodeid, uint64_t *fh)
{
	uint8_t args[FUSE_OPEN_IN] = { 0 };   /* O_RDONLY */
	int32_t e = fc_call(c, FUSE_OPEN, nodeid, args, sizeof(args), FUSE_OPEN_OUT, "OPEN");
	if (e)
		return e;
	if (!probe_check(c->reply_len >= FUSE_OPEN_OUT, "%s: OPEN reply of %u bytes", c->n, c->reply_len))
		return FC_FAILED;
	*fh = fs_get64(c->reply);
	return 0;
}

void fc_flock_args(uint8_t *args, uint64_t fh, uint32_t type)
{
	memset(args, 0, FUSE_LK_IN);
	fs_put64(args + FUSE_LK_FH, fh);
	fs_put64(args + FUSE_LK_OWNER, fh + 1);
	fs_put64(args + FUSE_LK_END, ~0ull);
	fs_put32(args + FUSE_LK_TYPE, type);
	fs_put32(args + FUSE_LK_FLAGS, FUSE_LK_FLOCK);
}
