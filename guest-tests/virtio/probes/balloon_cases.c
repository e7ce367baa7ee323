/* Memory balloon statement cases (VIRTIO 1.2 §5.5.6.3): the statistics buffer, read back by the host through QMP. */
#include "cpu.h"
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "statements.h"
#include "text_format.h"

#define BALLOON_F_STATS_VQ 1
#define STATSQ 2
#define TAG_SWAP_IN 0
#define TAG_FREE_MEMORY 4
#define TAG_UNKNOWN 0x7fff

struct balloon_stat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

static struct balloon_stat stats[3] __attribute__((aligned(16)));

/* Finds "<key>=" in a reply line and parses the decimal after it; false when absent. */
static bool reply_value(const char *line, const char *key, uint64_t *value)
{
	for (const char *p = line; *p; p++) {
		const char *k = key, *q = p;
		while (*k && *q == *k)
			k++, q++;
		if (*k || *q != '=')
			continue;
		uint64_t v = 0;
		for (q++; *q >= '0' && *q <= '9'; q++)
			v = v * 10 + (uint64_t)(*q - '0');
		*value = v;
		return true;
	}
	return false;
}

PROBE_CASE(balloon_stats, "virtio.balloon.stats_any_order_unknown_ignored", AVPS_CHECKS("a statistics buffer with an unknown tag first and known tags out of order is taken: the host (QMP guest-stats) sees exactly the known values"),
	   DT "Memory Balloon Device / Device Operation / Memory Statistics #1",
	   DT "Memory Balloon Device / Device Operation / Memory Statistics #2")
static void balloon_stats(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_BALLOON, "balloon device");
	struct vsession s;
	char reply[128];
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(BALLOON_F_STATS_VQ))) {
		probe_skip("%s does not offer VIRTIO_BALLOON_F_STATS_VQ", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(BALLOON_F_STATS_VQ), 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint64_t now = timer_count();
	uint64_t swap_in = 4000 + (now & 0xfff), free_memory = 0x10000000ULL + ((now >> 12) & 0xfff) * 4096;
	stats[0] = (struct balloon_stat){ TAG_UNKNOWN, 0xdeadbeefULL };
	stats[1] = (struct balloon_stat){ TAG_FREE_MEMORY, free_memory };
	stats[2] = (struct balloon_stat){ TAG_SWAP_IN, swap_in };
	uint16_t id;
	struct vbuf b = { stats, sizeof(stats), false };
	virtq_add(&s.q[STATSQ], &b, 1, VIRTQ_CHAIN_DIRECT, &id);   /* the device keeps it until it wants new stats */
	vmmio_notify(s.t, &s.q[STATSQ]);
	uint64_t got_swap = 0, got_free = 0, updated = 0;
	bool ok = host_link_request("AVPS-BALLOONSTATS 1", "AVPS-BALLOONSTATS-REPLY 1 ", reply, sizeof(reply), 5000);
	if (!(ok && reply_value(reply, "last-update", &updated))) {
		probe_skip("host cannot read the guest statistics: %s", reply);   /* no such host service here */
	} else {
		bool have_swap = reply_value(reply, "stat-swap-in", &got_swap);
		bool have_free = reply_value(reply, "stat-free-memory", &got_free);
		probe_check(updated != 0 && have_swap && have_free && got_swap == swap_in && got_free == free_memory,
			    "%s: sent swap-in %llu, free-memory %llu (after tag 0x%x); the host saw: %s", vdev_name(d),
			    (unsigned long long)swap_in, (unsigned long long)free_memory, TAG_UNKNOWN, reply);
	}
	vs_close(&s);
}
