/* Memory balloon model (VIRTIO 1.2 Device Types / Memory Balloon Device): inflate/deflate queues and the free page hinting of a simulated migration. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BALLOON_F_FREE_PAGE_HINT 3
#define INFLATEQ 0
#define DEFLATEQ 1
#define FREE_PAGE_VQ 2
#define CONFIG_NUM_PAGES 0
#define CONFIG_ACTUAL 4
#define CONFIG_CMD_ID 8
#define CONFIG_POISON_VAL 12
#define CONFIG_SIZE 16
#define CMD_ID_STOP 0u
#define CMD_ID_DONE 1u
#define CMD_ID_FIRST 2u            /* the first non-reserved command ID */
#define PAGE_BYTES 4096u
#define DISCARD_MARKER 0xd15ca4d0u /* every 32-bit word of a page the host discarded */
#define MAX_HINTED 64              /* hinted ranges the host remembers per migration */
#define MAX_ROUNDS 8

enum balloon_fault {
	BALLOON_FAULT_REUSE_ID_WITHOUT_STOP,
	BALLOON_FAULT_HONOUR_STALE_ID,
	BALLOON_FAULT_MODIFY_AFTER_DONE,
	BALLOON_FAULT_COUNT,
};

#define FPH "VIRTIO-1.2: Device Types / Memory Balloon Device / Device Operation / Free Page Hinting #"
static const struct vdev_fault balloon_faults[BALLOON_FAULT_COUNT] = {
	/* Round k >= 3 of a migration gets round k-2's command ID back, STOP from the driver or not. */
	[BALLOON_FAULT_REUSE_ID_WITHOUT_STOP] = { "reuse-id-without-stop", FPH "2" },
	/* Pages hinted after a command ID that is not the current free_page_hint_cmd_id are discarded too. */
	[BALLOON_FAULT_HONOUR_STALE_ID] = { "honour-stale-id", FPH "3" },
	/* After DONE, every later device event (refhv: register access, interrupt tick) discards the
	 * migration's hinted pages again. */
	[BALLOON_FAULT_MODIFY_AFTER_DONE] = { "modify-after-done", FPH "5" },
};

struct hinted_range {
	uint64_t addr;
	uint32_t len;
};

/* The host side of one migration: `rounds` hinting rounds, each ending after `round_pages` pages taken under its
 * command ID or at the driver's STOP; after the last round the device reports DONE. */
struct balloon_state {
	unsigned rounds, round_pages;      /* options */
	uint32_t next_id;                  /* next fresh command ID: kept across resets, so never reused */
	bool started;                      /* the migration of this DRIVER_OK has begun */
	bool done;                         /* DONE reported: the hinted pages are the guest's again */
	unsigned round;                    /* rounds issued so far */
	uint32_t round_ids[MAX_ROUNDS];
	uint32_t cmd_id;                   /* what free_page_hint_cmd_id reads */
	uint32_t driver_id;                /* the command ID of the driver's last output buffer (STOP: none) */
	unsigned round_taken;              /* pages taken under the current command ID */
	struct hinted_range hinted[MAX_HINTED];
	unsigned hinted_count;
	uint64_t inflated, deflated;       /* page frame numbers received (no memory is taken away) */
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_cmd_id(struct vdev *dev, uint32_t id)
{
	struct balloon_state *st = dev->state;
	st->cmd_id = id;
	put_le32(dev->config + CONFIG_CMD_ID, id);
	vdev_config_changed(dev);
}

static uint32_t fresh_id(struct balloon_state *st)
{
	uint32_t id = st->next_id;
	st->next_id = st->next_id == UINT32_MAX ? CMD_ID_FIRST : st->next_id + 1;
	return id;
}

/* Ends the current round (or starts the first): the next round's command ID, or DONE after the last round. */
static void next_round(struct vdev *dev)
{
	struct balloon_state *st = dev->state;
	st->round_taken = 0;
	if (st->round >= st->rounds) {
		st->done = true;
		set_cmd_id(dev, CMD_ID_DONE);
		return;
	}
	/* Free Page Hinting #2: a command ID is used once (a 32-bit counter that skips the reserved values). */
	uint32_t id = vdev_fault(dev, BALLOON_FAULT_REUSE_ID_WITHOUT_STOP) && st->round >= 2 ? st->round_ids[st->round - 2]
											       : fresh_id(st);
	st->round_ids[st->round++] = id;
	set_cmd_id(dev, id);
}

/* The host no longer migrates the page's content: every word of [addr, addr + len) becomes the marker. */
static void discard(struct vdev *dev, uint64_t addr, uint32_t len)
{
	uint8_t marker[256];
	for (unsigned i = 0; i < sizeof(marker); i += 4)
		put_le32(marker + i, DISCARD_MARKER);
	for (uint32_t off = 0; off < len; off += sizeof(marker)) {
		uint32_t n = len - off < sizeof(marker) ? len - off : (uint32_t)sizeof(marker);
		if (!guest_write(&dev->mem, addr + off, marker, n))
			return;   /* not guest RAM: nothing to discard */
	}
}

static void start_migration(struct vdev *dev)
{
	struct balloon_state *st = dev->state;
	if (st->started || !vdev_has_feature(dev, BALLOON_F_FREE_PAGE_HINT))
		return;
	st->started = true;
	next_round(dev);
}

static void clear_migration(struct balloon_state *st)
{
	st->started = st->done = false;
	st->round = st->round_taken = st->hinted_count = 0;
	st->driver_id = CMD_ID_STOP;
}

static bool balloon_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	struct balloon_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	char text[16];
	st->rounds = 3;
	st->round_pages = 4;
	if (vdev_option(options, "rounds", text, sizeof(text)))
		st->rounds = (unsigned)strtoull(text, NULL, 0);
	if (vdev_option(options, "round_pages", text, sizeof(text)))
		st->round_pages = (unsigned)strtoull(text, NULL, 0);
	if (st->rounds < 1 || st->rounds > MAX_ROUNDS || st->round_pages < 1 || st->round_pages > MAX_HINTED) {
		snprintf(err, err_size, "rounds must be 1..%d and round_pages 1..%d", MAX_ROUNDS, MAX_HINTED);
		free(st);
		return false;
	}
	st->next_id = CMD_ID_FIRST;
	clear_migration(st);
	st->cmd_id = CMD_ID_DONE;   /* no migration yet: nothing to hint, nothing held */
	dev->state = st;
	dev->num_queues = 3;        /* inflateq, deflateq, free_page_vq (no statsq, no reporting_vq) */
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(BALLOON_F_FREE_PAGE_HINT);
	dev->config_size = CONFIG_SIZE;
	put_le32(dev->config + CONFIG_CMD_ID, st->cmd_id);
	return true;
}

static void balloon_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void balloon_reset(struct vdev *dev)
{
	struct balloon_state *st = dev->state;
	clear_migration(st);
	st->cmd_id = CMD_ID_DONE;
	memset(dev->config, 0, CONFIG_SIZE);
	put_le32(dev->config + CONFIG_CMD_ID, st->cmd_id);
}

/* num_pages and free_page_hint_cmd_id are the device's: a driver write does not change them. */
static void balloon_config_written(struct vdev *dev, uint32_t offset, uint32_t len)
{
	(void)offset;
	(void)len;
	struct balloon_state *st = dev->state;
	put_le32(dev->config + CONFIG_NUM_PAGES, 0);
	put_le32(dev->config + CONFIG_CMD_ID, st->cmd_id);
}

/* Inflate/deflate: arrays of 32-bit page frame numbers; the host asks for none (num_pages 0) and keeps count. */
static void pfn_queue(struct vdev *dev, unsigned queue)
{
	struct balloon_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	while (vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
		uint64_t pfns = chain->readable_bytes / 4;
		if (queue == INFLATEQ)
			st->inflated += pfns;
		else
			st->deflated += pfns;
		vdev_complete(dev, queue, chain, 0);
	}
	vdev_notify_used(dev, queue);
}

/* One page range the driver hinted: discarded when hinted under the current command ID (Free Page Hinting #4:
 * the driver treats a hinted page's content as uninitialized), ignored otherwise (#3). */
static void hinted_range(struct vdev *dev, uint64_t addr, uint32_t len)
{
	struct balloon_state *st = dev->state;
	bool current = !st->done && st->cmd_id >= CMD_ID_FIRST && st->driver_id == st->cmd_id;
	bool stale = st->driver_id >= CMD_ID_FIRST && !current;
	if (!current && !(stale && vdev_fault(dev, BALLOON_FAULT_HONOUR_STALE_ID)))
		return;
	discard(dev, addr, len);
	if (st->hinted_count < MAX_HINTED)
		st->hinted[st->hinted_count++] = (struct hinted_range){ addr, len };
	if (current)
		st->round_taken += (len + PAGE_BYTES - 1) / PAGE_BYTES;
}

static void free_page_queue(struct vdev *dev)
{
	struct balloon_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	start_migration(dev);
	while (vdev_take(dev, FREE_PAGE_VQ, chain) == VIRTQ_TAKEN) {
		uint8_t id_bytes[4];
		if (chain->readable_bytes >= 4 && virtq_chain_read(chain, &dev->mem, 0, id_bytes, 4) == 4) {
			st->driver_id = get_le32(id_bytes);
			/* The driver cannot supply more pages: the round ends, the next one (or DONE) follows. */
			if (st->driver_id == CMD_ID_STOP && !st->done && st->cmd_id >= CMD_ID_FIRST)
				next_round(dev);
		}
		for (unsigned i = 0; i < chain->count; i++)
			if (chain->segments[i].device_writable)
				hinted_range(dev, chain->segments[i].addr, chain->segments[i].len);
		vdev_complete(dev, FREE_PAGE_VQ, chain, 0);
		if (!st->done && st->cmd_id >= CMD_ID_FIRST && st->round_taken >= st->round_pages)
			next_round(dev);   /* the host's next dirty-log pass: a new round under a fresh ID */
	}
	vdev_notify_used(dev, FREE_PAGE_VQ);
}

static void balloon_process(struct vdev *dev, unsigned queue)
{
	if (queue == FREE_PAGE_VQ)
		free_page_queue(dev);
	else
		pfn_queue(dev, queue);
}

/* The migration begins at the first device event after DRIVER_OK (refhv: the next register access). */
static void balloon_tick(struct vdev *dev, uint64_t now_us)
{
	(void)now_us;
	struct balloon_state *st = dev->state;
	start_migration(dev);
	if (st->done && vdev_fault(dev, BALLOON_FAULT_MODIFY_AFTER_DONE))
		for (unsigned i = 0; i < st->hinted_count; i++)
			discard(dev, st->hinted[i].addr, st->hinted[i].len);
}

const struct vdev_model model_balloon = {
	.name = "balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.faults = balloon_faults,
	.fault_count = BALLOON_FAULT_COUNT,
	.create = balloon_create,
	.destroy = balloon_destroy,
	.process_queue = balloon_process,
	.reset = balloon_reset,
	.tick = balloon_tick,
	.config_written = balloon_config_written,
};
