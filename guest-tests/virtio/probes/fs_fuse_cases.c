/* File system device statement cases over a FUSE session (VIRTIO 1.2 §5.11.6.6-7): hiprio served while the request queues hold requests the device cannot finish yet; DAX mappings that overlap, and past the window's end. */
#include "fuse_client.h"
#include "probe.h"

#include <string.h>

#define HIPRIO_WAIT_US 300000    /* shorter than the host's hold of avps-held-open (500 ms) */
#define HELD_SETTLE_US 50000     /* a request the device answers at once comes back well within this */
#define HELD_RELEASE_US 3000000  /* the host gives avps-held-open up 500 ms after the open began */

/* The seeded file under the root: its nodeid (looked up `times` times) and size; 0 after a SKIP or failed check. */
static uint64_t seed_file(struct fuse_client *c, int times, uint64_t *size)
{
	uint64_t node = 0;
	int32_t e = 0;
	for (int i = 0; i < times && e == 0; i++)
		node = fc_lookup(c, FS_SEED_FILE, size, &e);
	if (e == -FUSE_ENOENT)
		probe_skip("%s: no file %s at the root of the shared directory to open", c->n, FS_SEED_FILE);
	else if (e != FC_FAILED && e)
		probe_check(false, "%s: LOOKUP of %s answered error %ld", c->n, FS_SEED_FILE, (long)e);
	return e ? 0 : node;
}

/* The requests that keep the request queues busy: one per queue, each waiting for something the device gets only
 * later: the opening for writing of FS_HELD_FILE, which the host holds up, where the share has it; else a flock
 * another handle holds. */
struct load {
	bool flock;                      /* SETLKW waits, else FS_HELD_FILE opened for writing */
	uint64_t node, holder;
	struct fc_req held[VS_MAX_QUEUES];
	int count;
	const char *what;
};

/* Sets up and posts the load; false after a SKIP or a failed check. */
static bool occupy(struct fuse_client *c, struct load *l)
{
	uint64_t size = 0, fh[VS_MAX_QUEUES];
	uint8_t args[FUSE_LK_IN];
	int32_t e = 0;
	for (int i = 0; i < 2 && !e; i++)
		l->node = fc_lookup(c, FS_HELD_FILE, &size, &e);
	if (e == FC_FAILED || (e && e != -FUSE_ENOENT &&
			       !probe_check(false, "%s: LOOKUP of %s answered error %ld", c->n, FS_HELD_FILE, (long)e)))
		return false;
	l->flock = e == -FUSE_ENOENT;        /* no held file: a flock wait, where the device grants flock */
	l->what = l->flock ? "FUSE_SETLKW" : "FUSE_OPEN for writing";
	if (l->flock && !(c->flags & FUSE_FLOCK_LOCKS)) {
		probe_skip("%s: the share has no %s and FUSE_INIT did not grant FUSE_FLOCK_LOCKS: no request the device "
			   "holds pending", c->n, FS_HELD_FILE);
		return false;
	}
	if (l->flock) {
		if (!(l->node = seed_file(c, 2, &size)))
			return false;
		e = fc_open_file(c, l->node, &l->holder);
		for (int q = 0; q < c->request_queues && !e; q++)
			e = fc_open_file(c, l->node, &fh[q]);
		if (e == FC_FAILED || !probe_check(e == 0, "%s: OPEN of %s answered error %ld", c->n, FS_SEED_FILE, (long)e))
			return false;
		fc_flock_args(args, l->holder, FUSE_F_WRLCK);
		e = fc_call(c, FUSE_SETLK, l->node, args, sizeof(args), 0, "SETLK");
		if (e == FC_FAILED || !probe_check(e == 0, "%s: SETLK (flock, exclusive) of a fresh handle answered %ld",
						   c->n, (long)e))
			return false;
	}
	for (int q = 0; q < c->request_queues; q++) {
		uint8_t open_args[FUSE_OPEN_IN] = { FS_O_RDWR };
		if (l->flock)
			fc_flock_args(args, fh[q], FUSE_F_WRLCK);
		if (!(l->flock ? fc_post(c, &l->held[q], 1 + q, FUSE_SETLKW, l->node, args, sizeof(args), 0, false)
			       : fc_post(c, &l->held[q], 1 + q, FUSE_OPEN, l->node, open_args, sizeof(open_args), FUSE_OPEN_OUT,
					 false)))
			return false;
		l->count++;
	}
	for (int q = 0; q < l->count; q++) {
		int got = fc_wait(c, &l->held[q], HELD_SETTLE_US);
		if (got == 1) {
			e = fc_result(c, &l->held[q], l->what);
			if (e != FC_FAILED)
				probe_skip("%s: the %s on request queue %d was answered at once (error %ld): the device holds no "
					   "request pending", c->n, l->what, q, (long)e);
		}
		if (got)
			return false;
	}
	return true;
}

/* Lets the load finish (unlock, or the host's hold running out) and checks nothing about its answers. */
static void release(struct fuse_client *c, struct load *l)
{
	struct fc_req unlock;
	uint8_t args[FUSE_LK_IN];
	fc_flock_args(args, l->holder, FUSE_F_UNLCK);
	if (l->flock && fc_post(c, &unlock, 1, FUSE_SETLK, l->node, args, sizeof(args), 0, false) &&
	    fc_wait(c, &unlock, VS_WAIT_US) == 1)
		fc_result(c, &unlock, "SETLK unlock");
	for (int q = 0; q < l->count; q++) {
		if (l->held[q].read || fc_wait(c, &l->held[q], HELD_RELEASE_US) != 1 ||
		    fc_result(c, &l->held[q], l->what) != 0 || l->flock)
			continue;
		uint8_t rel[FUSE_RELEASE_IN] = { 0 };
		memcpy(rel, c->reply, 8);    /* the fh the held OPEN got */
		fc_call(c, FUSE_RELEASE, l->node, rel, sizeof(rel), 0, "RELEASE");
	}
}

PROBE_CASE_STANDALONE(fs_hiprio_not_paused, "virtio.fs.hiprio_served_while_requests_pending",
	   AVPS_CHECKS("with every request queue holding a request the device cannot finish yet (a FUSE_SETLKW waiting "
		       "for a flock the probe holds on another handle, or an OPEN for writing of avps-held-open where the "
		       "share has it: the host holds it up), a FUSE_FORGET on the hiprio queue is used within 300 ms"),
	   "AVPS.FS.1", FS_HIPRIO(1))
static void fs_hiprio_not_paused(void)
{
	struct fuse_client c;
	struct load l;
	struct fc_req forget;
	struct vdev *d = fc_device();
	memset(&c, 0, sizeof(c));
	memset(&l, 0, sizeof(l));
	if (!d || !fc_open(&c, d, FUSE_FLOCK_LOCKS))
		goto out;
	if (!occupy(&c, &l))
		goto drain;
	uint8_t nlookup[FUSE_FORGET_IN] = { 1 };
	if (!fc_post(&c, &forget, FS_HIPRIO_QUEUE, FUSE_FORGET, l.node, nlookup, sizeof(nlookup), 0, true))
		goto drain;
	uint64_t t0 = vmmio_now_us(c.s.t);
	int used = fc_wait(&c, &forget, HIPRIO_WAIT_US);
	uint64_t waited = vmmio_now_us(c.s.t) - t0;
	bool still_held = true;
	for (int q = 0; q < l.count; q++)
		still_held &= !virtq_has_used(&c.s.q[1 + q]);
	release(&c, &l);
	if (used < 0)
		goto out;
	if (used == 1 && !still_held) {
		probe_skip("%s: a %s was answered before the hiprio FORGET was seen used: the request queues were not kept "
			   "busy", c.n, l.what);
		goto out;
	}
	if (used == 1)
		probe_diag("%s: hiprio FORGET used after %llu us while %d request queue(s) each held a %s pending", c.n,
			   (unsigned long long)waited, l.count, l.what);
	probe_check(used == 1, "%s: FUSE_FORGET on the hiprio queue not used within %u ms while %d request queue(s) "
		    "each held a %s pending", c.n, HIPRIO_WAIT_US / 1000, l.count, l.what);
	goto out;
drain:
	release(&c, &l);
out:
	fc_close(&c);
}

struct dax {
	struct fuse_client c;
	uint64_t base, window, align, fh, node, size;
};

/* Device, DAX window, FUSE session with MAP_ALIGNMENT, the seeded file open; false after a SKIP or failed check. */
static bool dax_open(struct dax *x, uint64_t pages_needed)
{
	memset(x, 0, sizeof(*x));
	struct vdev *d = fc_device();
	if (!d)
		return false;
	x->window = fc_dax_window(d, &x->base);
	if (x->window == ~0ull) {
		probe_skip("%s: no DAX window (shared memory region 0 absent)", vdev_name(d));
		return false;
	}
	if (!fc_open(&x->c, d, FUSE_MAP_ALIGNMENT))
		return false;
	x->align = 4096;
	if ((x->c.flags & FUSE_MAP_ALIGNMENT) && x->c.map_alignment > 12 && x->c.map_alignment < 32)
		x->align = 1ull << x->c.map_alignment;
	if (!(x->node = seed_file(&x->c, 1, &x->size)))
		return false;
	int32_t e = fc_open_file(&x->c, x->node, &x->fh);
	if (e == FC_FAILED || !probe_check(e == 0, "%s: OPEN of %s answered error %ld", x->c.n, FS_SEED_FILE, (long)e))
		return false;
	if (x->window < pages_needed * x->align || x->size < pages_needed * x->align) {
		probe_skip("%s: the DAX window (0x%llx bytes) or %s (%llu bytes) is smaller than %llu mapping units of 0x%llx",
			   x->c.n, (unsigned long long)x->window, FS_SEED_FILE, (unsigned long long)x->size,
			   (unsigned long long)pages_needed, (unsigned long long)x->align);
		return false;
	}
	return true;
}

static int32_t setup(struct dax *x, uint64_t foffset, uint64_t len, uint64_t moffset)
{
	uint8_t args[FUSE_SETUPMAPPING_IN] = { 0 };
	fs_put64(args + FUSE_SM_FH, x->fh);
	fs_put64(args + FUSE_SM_FOFFSET, foffset);
	fs_put64(args + FUSE_SM_LEN, len);
	fs_put64(args + FUSE_SM_FLAGS, FUSE_SETUPMAPPING_FLAG_READ);
	fs_put64(args + FUSE_SM_MOFFSET, moffset);
	return fc_call(&x->c, FUSE_SETUPMAPPING, x->node, args, sizeof(args), 0, "SETUPMAPPING");
}

static void unmap(struct dax *x, uint64_t moffset, uint64_t len)
{
	uint8_t args[FUSE_REMOVEMAPPING_IN + FUSE_REMOVEMAPPING_ONE] = { 1 };
	fs_put64(args + FUSE_REMOVEMAPPING_IN, moffset);
	fs_put64(args + FUSE_REMOVEMAPPING_IN + 8, len);
	fc_call(&x->c, FUSE_REMOVEMAPPING, x->node, args, sizeof(args), 0, "REMOVEMAPPING");
}

/* Whether window bytes at moffset read as the file's bytes at foffset (16 bytes through FUSE_READ). */
static bool shows(struct dax *x, uint64_t moffset, uint64_t foffset, const char *what)
{
	uint8_t args[40] = { 0 };
	fs_put64(args, x->fh);
	fs_put64(args + 8, foffset);
	fs_put32(args + 16, 16);
	int32_t e = fc_call(&x->c, FUSE_READ, x->node, args, sizeof(args), 16, "READ");
	if (e == FC_FAILED || !probe_check(e == 0 && x->c.reply_len == 16, "%s: READ of 16 bytes at 0x%llx answered %ld, "
					   "%u bytes", x->c.n, (unsigned long long)foffset, (long)e, x->c.reply_len))
		return false;
	for (unsigned i = 0; i < 16; i++) {
		uint8_t b = *(volatile uint8_t *)(uintptr_t)(x->base + moffset + i);
		if (!probe_check(b == x->c.reply[i], "%s: %s: DAX window byte 0x%llx reads 0x%02x, file byte 0x%llx is "
				 "0x%02x", x->c.n, what, (unsigned long long)(moffset + i), b,
				 (unsigned long long)(foffset + i), x->c.reply[i]))
			return false;
	}
	return true;
}

PROBE_CASE_STANDALONE(fs_dax_overlap, "virtio.fs.dax_overlapping_mappings_allowed",
	   AVPS_CHECKS("FUSE_SETUPMAPPING of 2 units at window offset 0, then 2 other file units perfectly over it, then "
		       "2 units at offset 1 unit (partly over it) all answer 0, and the window shows each new mapping's "
		       "file bytes"),
	   "AVPS.FS.1", FS_DAX(4))
static void fs_dax_overlap(void)
{
	struct dax x;
	if (!dax_open(&x, 4))
		goto out;
	uint64_t a = x.align;
	int32_t e = setup(&x, 0, 2 * a, 0);
	if (e == FC_FAILED || !probe_check(e == 0, "%s: SETUPMAPPING of file 0+0x%llx at window offset 0 (nothing mapped "
					   "yet) answered %ld", x.c.n, (unsigned long long)(2 * a), (long)e) ||
	    !shows(&x, 0, 0, "first mapping"))
		goto unmap;
	e = setup(&x, 2 * a, 2 * a, 0);
	if (e == FC_FAILED || !probe_check(e == 0, "%s: SETUPMAPPING of file 0x%llx+0x%llx exactly over the mapping at "
					   "window offset 0 answered %ld", x.c.n, (unsigned long long)(2 * a),
					   (unsigned long long)(2 * a), (long)e) ||
	    !shows(&x, 0, 2 * a, "perfectly overlapping mapping"))
		goto unmap;
	e = setup(&x, 0, 2 * a, a);
	if (e == FC_FAILED || !probe_check(e == 0, "%s: SETUPMAPPING of file 0+0x%llx at window offset 0x%llx, partly over "
					   "the mapping at 0, answered %ld", x.c.n, (unsigned long long)(2 * a),
					   (unsigned long long)a, (long)e))
		goto unmap;
	shows(&x, a, 0, "partly overlapping mapping");
unmap:
	if (x.c.s.t)
		unmap(&x, 0, 3 * a);
out:
	fc_close(&x.c);
}

PROBE_CASE_STANDALONE(fs_dax_past_end, "virtio.fs.dax_past_end_refused",
	   AVPS_CHECKS("FUSE_SETUPMAPPING of 2 units at the window's last unit, and of 1 unit at the window's length, "
		       "answer an error, while 1 unit at the last unit answers 0"),
	   "AVPS.FS.1", FS_DAX(5))
static void fs_dax_past_end(void)
{
	struct dax x;
	if (!dax_open(&x, 2))
		goto out;
	uint64_t a = x.align, last = (x.window / a - 1) * a;
	int32_t e = setup(&x, 0, a, last);
	if (e == FC_FAILED)
		goto out;
	if (e) {
		probe_skip("%s: SETUPMAPPING of one unit at the window's last unit (0x%llx) answered %ld: refusals past "
			   "the end cannot be told from refusals of any mapping", x.c.n, (unsigned long long)last, (long)e);
		goto out;
	}
	unmap(&x, last, a);
	e = setup(&x, 0, 2 * a, last);
	if (e == FC_FAILED || !probe_check(e != 0, "%s: SETUPMAPPING of 0x%llx bytes at window offset 0x%llx (past the "
					   "window's end 0x%llx) answered 0", x.c.n, (unsigned long long)(2 * a),
					   (unsigned long long)last, (unsigned long long)x.window)) {
		if (e == 0)
			unmap(&x, last, a);
		goto out;
	}
	e = setup(&x, 0, a, x.window);
	if (e != FC_FAILED)
		probe_check(e != 0, "%s: SETUPMAPPING of 0x%llx bytes at window offset 0x%llx (the window's end) answered 0",
			    x.c.n, (unsigned long long)a, (unsigned long long)x.window);
out:
	fc_close(&x.c);
}
