/* Network multiqueue statement cases (VIRTIO 1.2 §5.1.6.5.5): receive only on receiveq1 after reset, and on no queue beyond the pairs MQ_VQ_PAIRS_SET configured (SKIP with fewer than two queue pairs); MQ_HASH_CONFIG supported with HASH_REPORT; RSS steering by the indirection table and unclassified_queue. */
#include "net_frames.h"
#include "probe.h"
#include "statements.h"

#define NET_F_MQ 22
#define NET_CTRL_MQ 4
#define NET_CTRL_MQ_VQ_PAIRS_SET 0
#define NET_CTRL_MQ_RSS_CONFIG 1
#define NET_CTRL_MQ_HASH_CONFIG 2
#define NET_F_RSS 60
#define RSS_HASH_TYPE_IPV4 1u
#define NET_F_HASH_REPORT 57
#define HASH_KEY_MAX 255
#define RXQ2 2
#define RX_POSTED 4
#define RX_BYTES (NETF_HDR + 1536)
#define WINDOW_US 300000

static struct virtq ctrlq;
static struct virtq_storage ctrl_mem __attribute__((aligned(4096)));
static uint8_t rx[2][RX_POSTED][RX_BYTES] __attribute__((aligned(16)));
static uint8_t arp[64] __attribute__((aligned(16)));
static uint8_t ctrl_hdr[2] __attribute__((aligned(16)));
static uint16_t pairs_arg __attribute__((aligned(16)));
/* struct virtio_net_hash_config: hash_types, reserved[4], hash_key_length, hash_key_data */
static struct {
	uint32_t hash_types;
	uint16_t reserved[4];
	uint8_t key_length, key[HASH_KEY_MAX];
} __attribute__((packed)) hash_config __attribute__((aligned(16)));
static volatile uint8_t ack __attribute__((aligned(16)));

/* Posts RX_POSTED receive buffers on receive queue qi (0: receiveq1, 2: receiveq2). */
static bool post_rx(struct vsession *s, int qi)
{
	for (int i = 0; i < RX_POSTED; i++) {
		uint16_t id;
		struct vbuf b = { rx[qi / 2][i], RX_BYTES, true };
		if (!probe_check(virtq_add(&s->q[qi], &b, 1, VIRTQ_CHAIN_DIRECT, &id) == VIRTQ_OK,
				 "%s: receive buffer %d not added to queue %d", vdev_name(s->d), i, qi))
			return false;
	}
	virtq_kick_prepare(&s->q[qi]);
	vmmio_notify(s->t, &s->q[qi]);
	return true;
}

/* One VIRTIO_NET_CTRL_MQ command with `len` bytes of data; the ack byte, or -1 without a valid used entry. */
static int mq_command(struct vsession *s, uint8_t cmd, const void *data, uint32_t len, const char *what)
{
	struct virtq_used u;
	uint16_t id;
	ctrl_hdr[0] = NET_CTRL_MQ;
	ctrl_hdr[1] = cmd;
	ack = 0xff;
	struct vbuf e[3] = { { ctrl_hdr, 2, false }, { (void *)data, len, false }, { (void *)&ack, 1, true } };
	if (virtq_add(&ctrlq, e, 3, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK)
		return -1;
	virtq_kick_prepare(&ctrlq);
	vmmio_notify(s->t, &ctrlq);
	return vdev_used_ok(s->d, vmmio_wait_used(s->t, &ctrlq, VS_WAIT_US, &u), &u, what) ? ack : -1;
}

static int vq_pairs_set(struct vsession *s, uint16_t pairs)
{
	pairs_arg = pairs;
	return mq_command(s, NET_CTRL_MQ_VQ_PAIRS_SET, &pairs_arg, 2, "MQ_VQ_PAIRS_SET");
}

/* Enables the control queue (index 2 * max_virtqueue_pairs with MQ) and sets DRIVER_OK. */
static bool ctrlq_enable(struct vsession *s, uint32_t index)
{
	const char *why = "";
	__builtin_memset(&ctrl_mem, 0, sizeof(ctrl_mem));
	return probe_check(virtq_init(&ctrlq, &ctrl_mem, VIRTQ_SPLIT, 8, (uint16_t)index, false) &&
			   vmmio_queue_enable(s->t, &ctrlq, &why), "%s: control queue %u: %s", vdev_name(s->d), index,
			   why) && vs_driver_ok(s);
}

/* struct virtio_net_rss_config with a one-entry indirection table (mask 0) */
static struct {
	uint32_t hash_types;
	uint16_t table_mask, unclassified, table[1], max_tx_vq;
	uint8_t key_length, key[HASH_KEY_MAX];
} __attribute__((packed)) rss_config __attribute__((aligned(16)));
static uint8_t echo[1][NETF_FRAME_MAX] __attribute__((aligned(16)));

/* Sends `len` bytes of `frame`, then counts for WINDOW_US what receiveq1 and receiveq2 get, by kind:
 * ARP (not hashed by an IPv4 hash type) and IPv4; the gateway's MAC from an ARP reply into gateway. */
static bool rx_by_kind(struct vsession *s, const uint8_t *frame, uint32_t len, int arp_on[2], int ip_on[2],
		       uint8_t gateway[6])
{
	arp_on[0] = arp_on[1] = ip_on[0] = ip_on[1] = 0;
	if (!netf_send(s, frame, len))
		return false;
	uint64_t end = vmmio_now_us(s->t) + WINDOW_US;
	while (vmmio_now_us(s->t) < end) {
		for (int k = 0; k < 2; k++) {
			struct virtq *q = &s->q[2 * k];
			struct virtq_used u;
			enum virtq_result r = virtq_get_used(q, &u);
			if (r == VIRTQ_EMPTY)
				continue;
			if (!vdev_used_ok(s->d, r, &u, k ? "receiveq2" : "receiveq1"))
				return false;
			const uint8_t *f = rx[k][u.id % RX_POSTED] + NETF_HDR;
			if (u.len >= NETF_HDR + 14 && f[12] == 0x08 && f[13] == 0x06) {
				arp_on[k]++;
				__builtin_memcpy(gateway, f + 6, 6);
			} else if (u.len >= NETF_HDR + 14 && f[12] == 0x08 && f[13] == 0x00) {
				ip_on[k]++;
			}
			struct vbuf b = { rx[k][u.id % RX_POSTED], RX_BYTES, true };
			uint16_t id;
			virtq_add(q, &b, 1, VIRTQ_CHAIN_DIRECT, &id);
			virtq_kick_prepare(q);
			vmmio_notify(s->t, q);
		}
	}
	return true;
}

/* Sends an ARP request to the gateway, then counts for WINDOW_US what receiveq1 and receiveq2 get
 * (each used buffer is posted again). False (a failed check) on a broken used entry. */
static bool count_rx(struct vsession *s, const uint8_t own[6], int got[2])
{
	got[0] = got[1] = 0;
	if (!netf_send(s, arp, netf_arp_request(arp, own)))
		return false;
	uint64_t end = vmmio_now_us(s->t) + WINDOW_US;
	while (vmmio_now_us(s->t) < end) {
		for (int k = 0; k < 2; k++) {
			struct virtq *q = &s->q[2 * k];
			struct virtq_used u;
			enum virtq_result r = virtq_get_used(q, &u);
			if (r == VIRTQ_EMPTY)
				continue;
			if (!vdev_used_ok(s->d, r, &u, k ? "receiveq2" : "receiveq1"))
				return false;
			got[k]++;
			struct vbuf b = { rx[k][u.id % RX_POSTED], RX_BYTES, true };
			uint16_t id;
			virtq_add(q, &b, 1, VIRTQ_CHAIN_DIRECT, &id);
			virtq_kick_prepare(q);
			vmmio_notify(s->t, q);
		}
	}
	return true;
}

PROBE_CASE(net_mq_receiveq1, "virtio.net.mq_receive_within_configured_pairs",
	   AVPS_CHECKS("with MQ negotiated and buffers on receiveq1 and receiveq2, the gateway's ARP replies arrive "
		       "on receiveq1 only, both right after reset and after MQ_VQ_PAIRS_SET 2 then 1 (SKIP with fewer "
		       "than two queue pairs)"),
	   NET_OP("Control Virtqueue / Automatic receive steering in multiqueue mode #1"),
	   NET_OP("Control Virtqueue / Automatic receive steering in multiqueue mode #2"))
static void net_mq_receiveq1(void)
{
	struct vsession s;
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return;
	uint64_t need = VIRTIO_BIT(NETF_F_MAC) | VIRTIO_BIT(NETF_F_CTRL_VQ) | VIRTIO_BIT(NET_F_MQ);
	uint32_t pairs = (uint32_t)vmmio_config(&d->t, 8, 2);
	if ((d->t.offered & need) != need || pairs < 2) {
		probe_skip("%s: MQ %s, max_virtqueue_pairs %u: no second receive queue to watch", vdev_name(d),
			   (d->t.offered & need) == need ? "offered" : "not offered with MAC and CTRL_VQ", pairs);
		return;
	}
	uint8_t own[6];
	int got[2];
	/* receiveq1, transmitq1, receiveq2, transmitq2, and the control queue at 2 * max_virtqueue_pairs */
	if (!vs_open(&s, d, need, 4, VIRTQ_SPLIT, 8, VS_QUEUES_READY))
		return;
	if (!ctrlq_enable(&s, 2 * pairs) || !post_rx(&s, 0) || !post_rx(&s, RXQ2))
		goto out;
	for (int i = 0; i < 6; i++)
		own[i] = (uint8_t)vmmio_config(s.t, (uint32_t)i, 1);
	if (!count_rx(&s, own, got))
		goto out;
	if (!probe_check(got[0] > 0 && got[1] == 0, "%s: after reset (no MQ_VQ_PAIRS_SET): %d packets on receiveq1, "
			 "%d on receiveq2", vdev_name(d), got[0], got[1]))
		goto out;
	int a2 = vq_pairs_set(&s, 2), a1 = a2 < 0 ? -1 : vq_pairs_set(&s, 1);
	if (a1 < 0 || !probe_check(a2 == 0 && a1 == 0, "%s: MQ_VQ_PAIRS_SET 2 ack %d, then 1 ack %d", vdev_name(d),
				   a2, a1))
		goto out;
	if (count_rx(&s, own, got))
		probe_check(got[0] > 0 && got[1] == 0, "%s: after MQ_VQ_PAIRS_SET 1: %d packets on receiveq1, %d on "
			    "receiveq2", vdev_name(d), got[0], got[1]);
out:
	vs_close(&s);
}

PROBE_CASE(net_mq_hash_config, "virtio.net.mq_hash_config_supported",
	   AVPS_CHECKS("with HASH_REPORT, MQ and CTRL_VQ negotiated (automatic receive steering), MQ_HASH_CONFIG with "
		       "every supported hash type and a key of rss_max_key_size bytes is acknowledged OK, as is one "
		       "that disables every hash type (SKIP without HASH_REPORT and MQ)"),
	   NET_OP("Control Virtqueue / Automatic receive steering in multiqueue mode #4"))
static void net_mq_hash_config(void)
{
	struct vsession s;
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return;
	uint64_t need = VIRTIO_BIT(NETF_F_CTRL_VQ) | VIRTIO_BIT(NET_F_MQ) | VIRTIO_BIT(NET_F_HASH_REPORT);
	if ((d->t.offered & need) != need) {
		probe_skip("%s: HASH_REPORT, MQ and CTRL_VQ not all offered (features 0x%llx)", vdev_name(d),
			   (unsigned long long)d->t.offered);
		return;
	}
	/* max_virtqueue_pairs at 8, rss_max_key_size at 17, supported_hash_types at 20 */
	uint32_t pairs = (uint32_t)vmmio_config(&d->t, 8, 2), key = (uint32_t)vmmio_config(&d->t, 17, 1);
	uint32_t types = (uint32_t)vmmio_config(&d->t, 20, 4);
	if (!vs_open(&s, d, need, 2, VIRTQ_SPLIT, 8, VS_QUEUES_READY))
		return;
	if (!ctrlq_enable(&s, 2 * pairs))
		goto out;
	__builtin_memset(&hash_config, 0, sizeof(hash_config));
	hash_config.hash_types = types;
	hash_config.key_length = (uint8_t)key;
	for (uint32_t i = 0; i < key; i++)
		hash_config.key[i] = (uint8_t)(0x6d + 13 * i);
	int all = mq_command(&s, NET_CTRL_MQ_HASH_CONFIG, &hash_config, 11 + key, "MQ_HASH_CONFIG");
	if (all < 0 || !probe_check(all == 0, "%s: MQ_HASH_CONFIG hash_types 0x%x key %u bytes: ack %d, expected OK (0)",
				    vdev_name(d), types, key, all))
		goto out;
	hash_config.hash_types = 0;
	int none = mq_command(&s, NET_CTRL_MQ_HASH_CONFIG, &hash_config, 11 + key, "MQ_HASH_CONFIG");
	if (none >= 0)
		probe_check(none == 0, "%s: MQ_HASH_CONFIG hash_types 0 (hashing off): ack %d, expected OK (0)",
			    vdev_name(d), none);
out:
	vs_close(&s);
}

/* RSS_CONFIG with hash type IPv4, indirection table [to_queue] and unclassified_queue other; then an ARP
 * request and an ICMP echo: the echo reply (hashed) must come on to_queue, the ARP reply (not hashed) on other. */
static bool rss_round(struct vsession *s, const uint8_t own[6], uint8_t gateway[6], uint16_t to_queue, uint32_t key)
{
	int arp_on[2], ip_on[2];
	uint16_t other = (uint16_t)(1 - to_queue);
	rss_config.hash_types = RSS_HASH_TYPE_IPV4;
	rss_config.table_mask = 0;
	rss_config.unclassified = other;
	rss_config.table[0] = to_queue;
	rss_config.max_tx_vq = 1;
	rss_config.key_length = (uint8_t)key;
	for (uint32_t i = 0; i < key; i++)
		rss_config.key[i] = (uint8_t)(0x3b + 29 * i);
	int ack = mq_command(s, NET_CTRL_MQ_RSS_CONFIG, &rss_config, 13 + key, "MQ_RSS_CONFIG");
	if (ack < 0 || !probe_check(ack == 0, "%s: MQ_RSS_CONFIG (IPv4, table [%u], unclassified %u): ack %d",
				    vdev_name(s->d), to_queue, other, ack))
		return false;
	if (!rx_by_kind(s, arp, netf_arp_request(arp, own), arp_on, ip_on, gateway))
		return false;
	uint32_t len;
	int n = netf_icmp_echo(echo, &len, 1, own, gateway, 0x7c21, 0x6c21, 32, 1024, false);
	int ip2[2], arp2[2];
	if (n != 1 || !rx_by_kind(s, echo[0], len, arp2, ip2, gateway))
		return false;
	return probe_check(arp_on[other] > 0 && arp_on[to_queue] == 0 && ip2[to_queue] > 0 && ip2[other] == 0,
			   "%s: RSS table [receiveq%u], unclassified receiveq%u: ARP replies (not hashed) on receiveq1/2 "
			   "%d/%d, ICMP echo replies (IPv4 hash) on receiveq1/2 %d/%d", vdev_name(s->d), to_queue + 1u,
			   other + 1u, arp_on[0], arp_on[1], ip2[0], ip2[1]);
}

PROBE_CASE(net_rss_steering, "virtio.net.rss_steers_by_table",
	   AVPS_CHECKS("with RSS and CTRL_VQ negotiated and two queue pairs, after RSS_CONFIG with hash type IPv4, a "
		       "one-entry indirection table and the other receive queue as unclassified_queue, the gateway's "
		       "ICMP echo replies arrive on the table's queue and its ARP replies on unclassified_queue, both ways "
		       "round (SKIP without RSS, IPv4 hashing or two queue pairs)"),
	   NET_OP("Control Virtqueue / Receive-side scaling (RSS) / RSS processing #1"))
static void net_rss_steering(void)
{
	struct vsession s;
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return;
	uint64_t need = VIRTIO_BIT(NETF_F_MAC) | VIRTIO_BIT(NETF_F_CTRL_VQ) | VIRTIO_BIT(NET_F_RSS);
	uint32_t pairs = (uint32_t)vmmio_config(&d->t, 8, 2), key = (uint32_t)vmmio_config(&d->t, 17, 1);
	uint32_t types = (uint32_t)vmmio_config(&d->t, 20, 4);
	if ((d->t.offered & need) != need || pairs < 2 || !(types & RSS_HASH_TYPE_IPV4)) {
		probe_skip("%s: RSS %s, max_virtqueue_pairs %u, supported_hash_types 0x%x", vdev_name(d),
			   (d->t.offered & need) == need ? "offered" : "not offered with MAC and CTRL_VQ", pairs, types);
		return;
	}
	uint8_t own[6], gateway[6] = { 0 };
	if (!vs_open(&s, d, need, 4, VIRTQ_SPLIT, 8, VS_QUEUES_READY))
		return;
	if (!ctrlq_enable(&s, 2 * pairs) || !post_rx(&s, 0) || !post_rx(&s, RXQ2))
		goto out;
	for (int i = 0; i < 6; i++)
		own[i] = (uint8_t)vmmio_config(s.t, (uint32_t)i, 1);
	if (rss_round(&s, own, gateway, 1, key))
		rss_round(&s, own, gateway, 0, key);
out:
	vs_close(&s);
}
