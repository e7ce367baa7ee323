/* Memory balloon free page reporting statement case (VIRTIO 1.2 §5.5.6.7): pages reported with PAGE_POISON negotiated keep poison_val. */
#include "cpu.h"
#include "probe.h"
#include "session.h"
#include "statements.h"

#define BALLOON_F_STATS_VQ 1
#define BALLOON_F_FREE_PAGE_HINT 3
#define BALLOON_F_PAGE_POISON 4
#define BALLOON_F_PAGE_REPORTING 5
#define BALLOON_POISON_VAL 12   /* struct virtio_balloon_config: num_pages, actual, free_page_hint_cmd_id, poison_val */
#define PAGE 4096
#define PAGES 4

static uint32_t pages[PAGES][PAGE / 4] __attribute__((aligned(PAGE)));

PROBE_CASE(balloon_reported_pages, "virtio.balloon.reported_pages_keep_poison", AVPS_CHECKS("with PAGE_REPORTING and PAGE_POISON negotiated and a non-zero poison_val, four pages filled with poison_val and reported on reporting_vq read back as poison_val everywhere once the device used the report"),
	   DT "Memory Balloon Device / Device Operation / Free Page Reporting #2")
static void balloon_reported_pages(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_BALLOON, "balloon device");
	struct vsession s;
	struct virtq_used u;
	if (!d)
		return;
	uint64_t need = VIRTIO_BIT(BALLOON_F_PAGE_REPORTING) | VIRTIO_BIT(BALLOON_F_PAGE_POISON);
	if ((d->t.offered & need) != need) {
		probe_skip("%s does not offer VIRTIO_BALLOON_F_PAGE_REPORTING and VIRTIO_BALLOON_F_PAGE_POISON", vdev_name(d));
		return;
	}
	/* Virtqueues present are numbered in order: inflateq, deflateq, statsq (with STATS_VQ),
	 * free_page_vq (with FREE_PAGE_HINT, not negotiated here), reporting_vq. */
	bool stats = d->t.offered & VIRTIO_BIT(BALLOON_F_STATS_VQ);
	if (stats)
		need |= VIRTIO_BIT(BALLOON_F_STATS_VQ);
	int reporting_vq = stats ? 3 : 2;
	if (!vs_open(&s, d, need, reporting_vq + 1, VIRTQ_SPLIT, 8, VS_FEATURES_OK))
		return;
	uint32_t poison = 0x5aa50000u | ((uint32_t)timer_count() & 0xfff0u) | 0x3u;   /* never 0 */
	vmmio_write(s.t, VMMIO_CONFIG + BALLOON_POISON_VAL, poison);
	if (!vs_driver_ok(&s))
		goto out;
	for (int p = 0; p < PAGES; p++)
		for (int i = 0; i < PAGE / 4; i++)
			pages[p][i] = poison;
	struct vbuf e[PAGES];
	for (int p = 0; p < PAGES; p++)
		e[p] = (struct vbuf){ pages[p], PAGE, true };
	if (!vs_call(&s, reporting_vq, e, PAGES, VIRTQ_CHAIN_DIRECT, &u, "free page report"))
		goto out;
	for (int p = 0; p < PAGES; p++)
		for (int i = 0; i < PAGE / 4; i++)
			if (!probe_check(pages[p][i] == poison, "%s: reported page %d, word %d reads 0x%08x after the report "
					 "was used; poison_val 0x%08x", vdev_name(d), p, i, pages[p][i], poison))
				goto out;
	probe_diag("%s: %d reported pages kept poison_val 0x%08x", vdev_name(d), PAGES, poison);
out:
	vs_close(&s);
}
