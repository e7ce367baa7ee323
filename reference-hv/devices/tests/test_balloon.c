/* Host unit tests of the balloon model: inflate/deflate, the hinting rounds of a migration, which hinted pages it discards, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

#define INFLATEQ 0
#define FREE_PAGE_VQ 2
#define F_FREE_PAGE_HINT (1ull << 3)
#define PAGE 4096u
#define MARKER 0xd15ca4d0u
#define PATTERN 0x600d0000u
#define PAGES 16

struct hinting {
	struct test_driver td;
	uint64_t pages[PAGES];
};

static uint32_t cmd_id(struct test_driver *td)
{
	uint32_t v;
	vdev_read_config(&td->dev, 8, &v, 4);
	return v;
}

/* One chain on free_page_vq: a 4-byte command ID when out is set, else one writable page. */
static void post(struct test_driver *td, const struct td_buffer *b)
{
	uint16_t id;
	uint32_t len;
	td_submit(td, FREE_PAGE_VQ, b, 1);
	while (td_used(td, FREE_PAGE_VQ, &id, &len))
		;
}

static void send_id(struct test_driver *td, uint32_t value)
{
	uint64_t a = td_alloc(td, 4);
	memcpy(td_host(td, a), &value, 4);
	post(td, &(struct td_buffer){ a, 4, false });
}

/* Fills page k with its pattern and hints it. */
static void hint(struct hinting *h, int k)
{
	uint32_t *words = td_host(&h->td, h->pages[k]);
	for (unsigned i = 0; i < PAGE / 4; i++)
		words[i] = PATTERN + (uint32_t)k;
	post(&h->td, &(struct td_buffer){ h->pages[k], PAGE, true });
}

/* The first word of page k. */
static uint32_t word0(struct hinting *h, int k)
{
	return *(uint32_t *)td_host(&h->td, h->pages[k]);
}

static bool start(struct hinting *h, const char *options)
{
	if (!td_start(&h->td, "balloon", options, ~0ull, false))
		return false;
	for (int k = 0; k < PAGES; k++)
		h->pages[k] = (td_alloc(&h->td, 2 * PAGE) + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	vdev_tick(&h->td.dev);   /* the first event after DRIVER_OK starts the migration */
	return true;
}

/* Follows a whole migration without STOP: a command buffer at each new ID, pages until DONE; the IDs seen. */
static int follow(struct hinting *h, uint32_t ids[8])
{
	int n = 0, k = 0;
	while (cmd_id(&h->td) >= 2 && k < PAGES) {
		if (!n || ids[n - 1] != cmd_id(&h->td)) {
			ids[n++] = cmd_id(&h->td);
			send_id(&h->td, ids[n - 1]);
		}
		hint(h, k++);
	}
	return n;
}

static void rounds(void)
{
	struct hinting h;
	CHECK(start(&h, "rounds=3,round_pages=4"), "create");
	CHECK(h.td.dev.negotiated & F_FREE_PAGE_HINT, "free_page_hint_offered");
	CHECK(h.td.dev.num_queues == 3, "three_queues");
	uint32_t first = cmd_id(&h.td);
	CHECK(first >= 2 && h.td.config_notifications == 1, "round_starts_at_driver_ok");
	uint32_t ids[8];
	int n = follow(&h, ids);
	CHECK(n == 3 && ids[0] == first && ids[1] != ids[0] && ids[2] != ids[1] && ids[2] != ids[0], "three_fresh_ids");
	CHECK(cmd_id(&h.td) == 1, "done_after_last_round");
	CHECK(word0(&h, 0) == MARKER && word0(&h, 11) == MARKER, "current_id_pages_discarded");
	/* After DONE the pages are the guest's: written, then device events, then still the guest's. */
	*(uint32_t *)td_host(&h.td, h.pages[0]) = PATTERN;
	for (int i = 0; i < 4; i++)
		vdev_tick(&h.td.dev);
	CHECK(word0(&h, 0) == PATTERN, "hinted_page_kept_after_done");
	/* A reset and a new DRIVER_OK: a new migration, IDs continue. */
	td_stop(&h.td);
	td_start(&h.td, "balloon", "rounds=3,round_pages=4", ~0ull, false);
	CHECK(cmd_id(&h.td) == 1, "done_before_driver_ok_event");
	td_stop(&h.td);
}

static void stop_and_stale(void)
{
	struct hinting h;
	start(&h, "rounds=2,round_pages=4");
	uint32_t a = cmd_id(&h.td);
	send_id(&h.td, a);
	hint(&h, 0);
	send_id(&h.td, 0);   /* STOP: the round ends, the next one starts */
	uint32_t b = cmd_id(&h.td);
	CHECK(b >= 2 && b != a, "stop_starts_next_round");
	hint(&h, 1);        /* after STOP: no command ID, ignored */
	CHECK(word0(&h, 0) == MARKER && word0(&h, 1) == PATTERN + 1, "pages_after_stop_ignored");
	send_id(&h.td, a);  /* the old ID: stale */
	hint(&h, 2);
	CHECK(word0(&h, 2) == PATTERN + 2, "stale_id_pages_ignored");
	send_id(&h.td, b);
	hint(&h, 3);
	CHECK(word0(&h, 3) == MARKER, "current_id_after_stale_discarded");
	send_id(&h.td, 0);
	CHECK(cmd_id(&h.td) == 1, "stop_in_last_round_done");
	td_stop(&h.td);

	/* Without FREE_PAGE_HINT negotiated no migration starts. */
	td_start(&h.td, "balloon", "", ~F_FREE_PAGE_HINT, false);
	vdev_tick(&h.td.dev);
	CHECK(cmd_id(&h.td) == 1 && h.td.config_notifications == 0, "no_hint_feature_no_round");
	uint64_t pfns = td_alloc(&h.td, 8);
	uint16_t id;
	uint32_t len;
	td_submit(&h.td, INFLATEQ, &(struct td_buffer){ pfns, 8, false }, 1);
	CHECK(td_used(&h.td, INFLATEQ, &id, &len) && len == 0, "inflate_used");
	uint32_t w = 7;
	vdev_write_config(&h.td.dev, 8, &w, 4);
	CHECK(cmd_id(&h.td) == 1, "cmd_id_read_only");
	td_stop(&h.td);
	char err[160];
	static struct vdev dev;
	CHECK(!vdev_create(&dev, "balloon", "rounds=9", (struct guest_memory){ 0 }, (struct vdev_host){ 0 }, err,
			   sizeof(err)), "rounds_bounded");
}

static void faults(void)
{
	struct hinting h;
	uint32_t ids[8];
	start(&h, "fault=reuse-id-without-stop");
	int n = follow(&h, ids);
	CHECK(n == 3 && ids[2] == ids[0], "fault_reuse_id_without_stop");
	td_stop(&h.td);

	start(&h, "fault=honour-stale-id,rounds=2");
	uint32_t a = cmd_id(&h.td);
	send_id(&h.td, a);
	for (int k = 0; k < 4; k++)
		hint(&h, k);
	CHECK(cmd_id(&h.td) != a, "fault_honour_stale_id_round_moved");
	hint(&h, 4);        /* still under a: stale */
	CHECK(word0(&h, 4) == MARKER, "fault_honour_stale_id");
	td_stop(&h.td);

	start(&h, "fault=modify-after-done");
	follow(&h, ids);
	CHECK(cmd_id(&h.td) == 1, "fault_modify_after_done_reached_done");
	*(uint32_t *)td_host(&h.td, h.pages[0]) = PATTERN;
	vdev_tick(&h.td.dev);
	CHECK(word0(&h, 0) == MARKER, "fault_modify_after_done");
	td_stop(&h.td);
}

int main(void)
{
	printf("KTAP version 1\n");
	rounds();
	stop_and_stale();
	faults();
	return UNIT_DONE();
}
