/* Memory balloon free page hinting statement cases (VIRTIO 1.2 §5.5.6.5): command IDs, stale hints, hinted pages after DONE. */
#include "cpu.h"
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "statements.h"
#include "text_format.h"

#define BALLOON_F_STATS_VQ 1
#define BALLOON_F_FREE_PAGE_HINT 3
#define CONFIG_CMD_ID 8       /* struct virtio_balloon_config: num_pages, actual, free_page_hint_cmd_id, poison_val */
#define CMD_ID_STOP 0u
#define CMD_ID_DONE 1u
#define PAGE 4096
#define POOL 8                /* pages the cases hint, in turn */
#define MAX_IDS 16
#define ROUND_WAIT_MS 500     /* for the first command ID after DRIVER_OK */
#define HOST_ROUND_WAIT_MS 2000 /* for a command ID once the host started a migration at the driver's request */
#define HOST_WAIT_MS 8000     /* for the host's answer to a migration request */
#define STALL_STEPS 8         /* steps (a page hinted, or a 1 ms wait at STOP) without a new value of
                                 free_page_hint_cmd_id before the driver asks the host to end its migration */
#define MIGRATION_PAGES 48    /* bounds of one followed migration */
#define MIGRATION_MS 3000
#define HINT_WAIT_US 1000000  /* for the device to use one free_page_vq buffer */
#define FPH(n) DT "Memory Balloon Device / Device Operation / Free Page Hinting #" #n

static uint32_t pool[POOL][PAGE / 4] __attribute__((aligned(PAGE)));
static uint32_t cmd_buffer __attribute__((aligned(16)));

struct hinting {
	struct vsession s;
	int vq;                   /* free_page_vq: 3 after statsq, else 2 */
	uint32_t seed;
	uint32_t written[POOL];   /* the pattern each pool page was last filled with (0: not yet) */
	bool host_driven;         /* the host migrates the VM at this driver's request */
	bool migrating;           /* such a migration is running */
};

/* The IDs a driver that never sends STOP saw, in order, while it followed one migration. */
struct migration {
	uint32_t ids[MAX_IDS];
	int n, hinted;
	int reissued;             /* index in ids of the first ID set again, -1 when none */
	uint32_t last;            /* free_page_hint_cmd_id when the following ended */
};

static uint32_t cmd_id(const struct hinting *h)
{
	return (uint32_t)vmmio_config(h->s.t, CONFIG_CMD_ID, 4);
}

/* Asks the platform's host over the host link to start or cancel a migration of the VM (on QEMU:
 * harness/avps_cts/host/migration.py); false, with the host's answer or the reason in reply, unless it did. */
static bool host_migration(const char *action, char *reply, size_t size)
{
	static unsigned nonce;
	char request[48], prefix[48];
	nonce++;
	text_format(request, sizeof(request), "AVPS-MIGRATE %u %s", nonce, action);
	text_format(prefix, sizeof(prefix), "AVPS-MIGRATE-REPLY %u %s ", nonce, action);
	if (!host_link_request(request, prefix, reply, size, HOST_WAIT_MS))
		return false;
	size_t n = 0;
	while (reply[n])
		n++;
	return n >= 3 && reply[n - 3] == ' ' && reply[n - 2] == 'o' && reply[n - 1] == 'k';
}

/* Waits (bounded) for a non-reserved command ID other than `not`; the last value read. */
static uint32_t wait_new_round(const struct hinting *h, uint32_t not, int ms)
{
	uint32_t id = CMD_ID_STOP;
	WAIT_FOR((id = cmd_id(h)) > CMD_ID_DONE && id != not, ms);
	return id;
}

/* Opens the device with FREE_PAGE_HINT (and STATS_VQ when offered: then free_page_vq is queue 3 everywhere) up to
 * DRIVER_OK and waits for the first command ID; false when the case ended (SKIP with the reason, or a failure). */
static bool hint_open(struct hinting *h, uint32_t *first)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_BALLOON, "balloon device", BALLOON_F_FREE_PAGE_HINT, "VIRTIO_BALLOON_F_FREE_PAGE_HINT");
	if (!d)
		return false;
	uint64_t want = VIRTIO_BIT(BALLOON_F_FREE_PAGE_HINT);
	bool stats = d->t.offered & VIRTIO_BIT(BALLOON_F_STATS_VQ);
	if (stats)
		want |= VIRTIO_BIT(BALLOON_F_STATS_VQ);
	h->vq = stats ? 3 : 2;
	h->seed = 0x6b000000u | ((uint32_t)timer_count() & 0xfff0u) << 4;
	for (int k = 0; k < POOL; k++)
		h->written[k] = 0;
	h->host_driven = h->migrating = false;
	if (!vs_open(&h->s, d, want, h->vq + 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return false;
	uint32_t id = wait_new_round(h, CMD_ID_STOP, ROUND_WAIT_MS);
	if (id <= CMD_ID_DONE) {
		/* A platform may hint only while it migrates the VM: ask its host for a migration. */
		char reply[96];
		if (!host_migration("start", reply, sizeof(reply))) {
			probe_skip("%s started no hinting round within %d ms of DRIVER_OK (free_page_hint_cmd_id %u), and the "
				   "host migrates no VM on request: %s", vdev_name(d), ROUND_WAIT_MS, id, reply);
			vs_close(&h->s);
			return false;
		}
		h->host_driven = h->migrating = true;
		if ((id = wait_new_round(h, CMD_ID_STOP, HOST_ROUND_WAIT_MS)) <= CMD_ID_DONE) {
			probe_skip("%s started no hinting round within %d ms of the migration the host started "
				   "(free_page_hint_cmd_id %u)", vdev_name(d), HOST_ROUND_WAIT_MS, id);
			host_migration("cancel", reply, sizeof(reply));
			vs_close(&h->s);
			return false;
		}
	}
	*first = id;
	return true;
}

/* Ends the case: the host's migration (if the driver asked for one) is cancelled, the device reset. */
static void hint_close(struct hinting *h)
{
	char reply[96];
	if (h->migrating)
		host_migration("cancel", reply, sizeof(reply));
	vs_close(&h->s);
}

/* A host that migrates at the driver's request may keep one round (QEMU: until its next dirty-log pass) for the
 * case's whole time: after STALL_STEPS steps without a new value of free_page_hint_cmd_id the driver asks it to end
 * the migration, which the device answers with DONE. */
static bool end_host_migration(struct hinting *h, uint32_t id)
{
	char reply[96];
	if (!probe_check(host_migration("cancel", reply, sizeof(reply)), "%s: the host did not end its migration: %s",
			 vdev_name(h->s.d), reply))
		return false;
	h->migrating = false;
	WAIT_FOR(cmd_id(h) != id, HOST_ROUND_WAIT_MS);
	return true;
}

/* One step of a driver waiting while free_page_hint_cmd_id reads STOP: 1 ms, so the polling stays light. */
static void pause_1ms(void)
{
	uint64_t end = timer_count() + timer_freq() / 1000;
	while (timer_count() < end)
		;
}

/* Posts one free_page_vq buffer and waits (bounded) for its use; false when the case ended: a device that keeps it
 * past the wait is a SKIP (it may hold hints), a malformed used entry a failure with what was seen. */
static bool hint_post(struct hinting *h, const struct vbuf *b, const char *what)
{
	uint16_t id = 0;
	struct virtq_used u = { 0 };
	enum virtq_result r = vmmio_post(h->s.t, &h->s.q[h->vq], b, 1, VIRTQ_CHAIN_DIRECT, &id);
	if (r == VIRTQ_OK)
		r = vmmio_wait_used(h->s.t, &h->s.q[h->vq], HINT_WAIT_US, &u);
	if (r == VIRTQ_EMPTY && !(vmmio_status(h->s.t) & VIRTIO_STATUS_NEEDS_RESET)) {
		probe_skip("%s kept a free_page_vq buffer (%s) for over %d ms: the hints' effect is not observable in "
			   "the wait", vdev_name(h->s.d), what, HINT_WAIT_US / 1000);
		return false;
	}
	if (!vdev_used_ok(h->s.d, r, &u, what))
		return false;
	return probe_check(u.id == id, "%s: %s: used id %u, but the only buffer posted was %u", vdev_name(h->s.d), what,
			   u.id, id);
}

/* An output buffer with a command ID (the driver starts a round with it, or sends STOP). */
static bool send_cmd(struct hinting *h, uint32_t id)
{
	cmd_buffer = id;   /* little-endian: the probe runs little-endian */
	return hint_post(h, &(struct vbuf){ &cmd_buffer, 4, false }, "command ID buffer");
}

/* Fills pool page k with a fresh pattern (word i: pattern + i) and hints it as one input buffer. */
static bool hint_page(struct hinting *h, int k)
{
	h->seed += 0x10000u;
	h->written[k] = h->seed;
	for (int i = 0; i < PAGE / 4; i++)
		pool[k][i] = h->seed + (uint32_t)i;
	return hint_post(h, &(struct vbuf){ pool[k], PAGE, true }, "hinted page");
}

/* Pool page k still holds its pattern? On the first word that does not: its index and value. */
static bool page_kept(const struct hinting *h, int k, int *word, uint32_t *value)
{
	for (int i = 0; i < PAGE / 4; i++)
		if (pool[k][i] != h->written[k] + (uint32_t)i) {
			*word = i;
			*value = pool[k][i];
			return false;
		}
	return true;
}

/* Keeps the device running for a while: config reads over ~20 ms and a notification of free_page_vq. */
static void device_events(struct hinting *h)
{
	vmmio_notify(h->s.t, &h->s.q[h->vq]);
	for (int i = 0; i < 20; i++) {
		(void)cmd_id(h);
		pause_1ms();
	}
}

/* Follows one migration as a driver that never sends STOP: at each new command ID an output buffer with it, then
 * pages, until DONE or the bounds; records every ID set and the first one set a second time. */
static bool follow(struct hinting *h, uint32_t first, struct migration *m)
{
	uint64_t end = timer_count() + timer_freq() / 1000 * MIGRATION_MS;
	uint32_t prev = CMD_ID_STOP, id = first;
	int steps = 0;   /* since free_page_hint_cmd_id last changed */
	m->n = m->hinted = 0;
	m->reissued = -1;
	while (m->hinted < MIGRATION_PAGES && timer_count() < end && id != CMD_ID_DONE) {
		if (id != prev && id > CMD_ID_DONE) {
			steps = 0;
			for (int j = 0; j < m->n && m->reissued < 0; j++)
				if (m->ids[j] == id)
					m->reissued = j;
			if (m->n < MAX_IDS)
				m->ids[m->n++] = id;
			if (!send_cmd(h, id))
				return false;
		}
		if (id != prev && id <= CMD_ID_DONE)
			steps = 0;
		prev = id;
		if (id > CMD_ID_DONE && !hint_page(h, m->hinted++ % POOL))
			return false;
		if (id <= CMD_ID_DONE)
			pause_1ms();
		if (++steps == STALL_STEPS && h->migrating && !end_host_migration(h, prev))
			return false;
		id = cmd_id(h);
	}
	m->last = id;
	return true;
}

PROBE_CASE(balloon_hint_ids, "virtio.balloon.hint_cmd_id_not_reused_without_stop", AVPS_CHECKS("following a free page hinting migration as a driver that never sends CMD_ID_STOP (a command buffer at each new free_page_hint_cmd_id, pages until DONE; at most 48 pages, 3 s), no command ID is set twice"),
	   FPH(2))
static void balloon_hint_ids(void)
{
	struct hinting h;
	struct migration m;
	uint32_t first;
	if (!hint_open(&h, &first))
		return;
	if (!follow(&h, first, &m))
		goto out;
	if (m.reissued < 0 && m.last == CMD_ID_DONE && h.host_driven && m.n < MAX_IDS) {
		/* The host's migration ended: the next one's command ID must be new too (still no STOP sent). */
		char reply[96];
		if (!host_migration("start", reply, sizeof(reply))) {
			probe_skip("%s: the host started no second migration: %s", vdev_name(h.s.d), reply);
			goto out;
		}
		h.migrating = true;
		uint32_t id = wait_new_round(&h, CMD_ID_STOP, HOST_ROUND_WAIT_MS);
		for (int j = 0; j < m.n && id > CMD_ID_DONE && m.reissued < 0; j++)
			if (m.ids[j] == id)
				m.reissued = j;
		if (id > CMD_ID_DONE)
			m.ids[m.n++] = id;
		m.last = id;
	}
	char list[MAX_IDS * 12] = "";
	for (int j = 0, at = 0; j < m.n; j++)
		at += text_format(list + at, sizeof(list) - (unsigned)at, "%s%u", j ? " " : "", m.ids[j]);
	if (m.reissued >= 0) {
		probe_check(false, "%s: command ID %u set again (IDs in order: %s) though the driver sent no CMD_ID_STOP",
			    vdev_name(h.s.d), m.ids[m.reissued], list);
	} else if (m.n < 2) {
		probe_skip("%s set one command ID (%u) before free_page_hint_cmd_id %u after %d pages: no second round",
			   vdev_name(h.s.d), first, m.last, m.hinted);
	} else {
		probe_diag("%s: command IDs %s, then %u, after %d hinted pages", vdev_name(h.s.d), list, m.last, m.hinted);
	}
out:
	hint_close(&h);
}

PROBE_CASE(balloon_hint_stale, "virtio.balloon.hint_stale_id_pages_ignored", AVPS_CHECKS("pages hinted under the driver's command ID after free_page_hint_cmd_id moved on from it (the driver keeps hinting, no new command buffer) keep what the driver wrote, also after 20 ms of device activity"),
	   FPH(3))
static void balloon_hint_stale(void)
{
	struct hinting h;
	uint32_t a, now = 0;
	int k = 0, changed = 0, word = 0;
	uint32_t value = 0;
	if (!hint_open(&h, &a))
		return;
	if (!send_cmd(&h, a))
		goto out;
	/* Pages under the current ID until the device moves on (the device may discard these). */
	uint64_t end = timer_count() + timer_freq() / 1000 * MIGRATION_MS;
	while (k < MIGRATION_PAGES && timer_count() < end && (now = cmd_id(&h)) == a) {
		if (!hint_page(&h, k++ % POOL))
			goto out;
		if (k == STALL_STEPS && h.migrating && !end_host_migration(&h, a))
			goto out;
	}
	if (now == a) {
		probe_skip("%s kept command ID %u for %d hinted pages (at most %d pages / %d ms): no stale command ID to "
			   "hint under", vdev_name(h.s.d), a, k, MIGRATION_PAGES, MIGRATION_MS);
		goto out;
	}
	for (int p = 0; p < POOL && p < k; p++)
		changed += !page_kept(&h, p, &word, &value);
	/* Stale: the pages now follow command ID a, which free_page_hint_cmd_id no longer holds. */
	for (int p = 0; p < 4; p++)
		if (!hint_page(&h, p))
			goto out;
	now = cmd_id(&h);
	device_events(&h);
	for (int p = 0; p < 4; p++)
		if (!probe_check(page_kept(&h, p, &word, &value), "%s: a page hinted under stale command ID %u "
				 "(free_page_hint_cmd_id %u) changed: word %d reads 0x%08x, the driver wrote 0x%08x",
				 vdev_name(h.s.d), a, now, word, value, h.written[p] + (uint32_t)word))
			goto out;
	probe_diag("%s: %u -> %u after %d pages (%d of them changed by the device); 4 stale hints kept", vdev_name(h.s.d),
		   a, now, k, changed);
out:
	hint_close(&h);
}

PROBE_CASE(balloon_hint_done, "virtio.balloon.hinted_pages_untouched_after_done", AVPS_CHECKS("once free_page_hint_cmd_id reads CMD_ID_DONE after a followed migration, hinted pages the driver then writes keep what it wrote through 20 ms of device activity (config reads, a free_page_vq notification)"),
	   FPH(5))
static void balloon_hint_done(void)
{
	struct hinting h;
	struct migration m;
	uint32_t first;
	int word = 0;
	uint32_t value = 0;
	if (!hint_open(&h, &first))
		return;
	if (!follow(&h, first, &m))
		goto out;
	if (m.last != CMD_ID_DONE) {
		probe_skip("%s did not report CMD_ID_DONE within %d hinted pages / %d ms (free_page_hint_cmd_id %u)",
			   vdev_name(h.s.d), MIGRATION_PAGES, MIGRATION_MS, m.last);
		goto out;
	}
	/* DONE: the driver takes the hinted pages back and initializes them. */
	int pages = m.hinted < POOL ? m.hinted : POOL;
	for (int p = 0; p < pages; p++) {
		h.written[p] = (h.seed += 0x10000u);
		for (int i = 0; i < PAGE / 4; i++)
			pool[p][i] = h.written[p] + (uint32_t)i;
	}
	device_events(&h);
	for (int p = 0; p < pages; p++)
		if (!probe_check(page_kept(&h, p, &word, &value), "%s: hinted page %d changed after CMD_ID_DONE: word %d reads "
				 "0x%08x, the driver wrote 0x%08x", vdev_name(h.s.d), p, word, value,
				 h.written[p] + (uint32_t)word))
			goto out;
	probe_diag("%s: %d command IDs, DONE after %d hinted pages; %d pages kept", vdev_name(h.s.d), m.n, m.hinted, pages);
out:
	hint_close(&h);
}
