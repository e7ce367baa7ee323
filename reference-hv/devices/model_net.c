/* Network device model (VIRTIO 1.2 Device Types / Network Device): config, features, control queue and transmit on an in-process switch whose other port is a gateway (model_net_responder.c); receive in model_net_rx.c, offloads in model_net_offload.c. */
#include "model_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LINK_UP 1
#define S_ANNOUNCE 2

#define CTRL_RX 0
#define CTRL_MAC 1
#define CTRL_MAC_TABLE_SET 0
#define CTRL_MAC_ADDR_SET 1
#define CTRL_ANNOUNCE 3
#define CTRL_ANNOUNCE_ACK 0
#define NET_OK 0
#define NET_ERR 1

#define CTRL_MQ 4
#define CTRL_MQ_VQ_PAIRS_SET 0

/* Config layout: mac[6], le16 status, le16 max_virtqueue_pairs, le16 mtu, le32 speed, u8 duplex,
 * u8 rss_max_key_size, le16 rss_max_indirection_table_length, le32 supported_hash_types. */
#define CFG_STATUS 6
#define CFG_PAIRS 8
#define CFG_MTU 10
#define CFG_SPEED 12
#define CFG_DUPLEX 16
#define CFG_RSS_KEY 17
#define CFG_RSS_TABLE 18
#define CFG_BYTES 24


#define OP(s) "VIRTIO-1.2: Device Types / Network Device / Device Operation / " s
static const struct vdev_fault net_faults[NET_FAULT_COUNT] = {
	[NET_FAULT_MAC_TABLE_IGNORED] = { "mac-table-ignored", OP("Control Virtqueue / Setting MAC Address Filtering #2") },
	[NET_FAULT_MAC_TABLE_KEPT_ON_RESET] = { "mac-table-kept-on-reset",
		OP("Control Virtqueue / Setting MAC Address Filtering #1") },
	[NET_FAULT_RX_MODE_ERR] = { "rx-mode-err", OP("Control Virtqueue / Packet Receive Filtering #1") },
	[NET_FAULT_MAC_ADDR_SET_STALE] = { "mac-addr-set-stale", OP("Control Virtqueue / Setting MAC Address Filtering #3") },
	[NET_FAULT_ANNOUNCE_KEPT] = { "announce-kept", OP("Control Virtqueue / Gratuitous Packet Sending #1") },
	[NET_FAULT_NUM_BUFFERS_UNWRITTEN] = { "num-buffers-unwritten", OP("Processing of Incoming Packets #1") },
	[NET_FAULT_RX_OFFLOAD_FLAGS] = { "rx-offload-flags", OP("Processing of Incoming Packets #5") },
	[NET_FAULT_TX_HINTS_APPLIED] = { "tx-hints-applied", OP("Packet Transmission #2") },
	[NET_FAULT_TX_DROPS_LARGE] = { "tx-drops-large",
		"VIRTIO-1.2: Device Types / Network Device / Device configuration layout #6" },
	[NET_FAULT_RX_FRAMES_OVER_MTU] = { "rx-frames-over-mtu",
		"VIRTIO-1.2: Device Types / Network Device / Device configuration layout #5" },
	[NET_FAULT_TX_CSUM_TRUSTED] = { "tx-csum-trusted", OP("Packet Transmission #6") },
	[NET_FAULT_MERGEABLE_MIDDLE_SHORT] = { "mergeable-middle-short", OP("Processing of Incoming Packets #3") },
	[NET_FAULT_MTU_CHANGES] = { "mtu-changes", "VIRTIO-1.2: Device Types / Network Device / Device configuration layout #4" },
	[NET_FAULT_DUPLEX_INVALID] = { "duplex-invalid",
		"VIRTIO-1.2: Device Types / Network Device / Device configuration layout #11" },
	[NET_FAULT_MQ_ZERO_PAIRS] = { "mq-zero-pairs", "VIRTIO-1.2: Device Types / Network Device / Device configuration layout #1" },
	[NET_FAULT_RSS_SMALL_KEY] = { "rss-small-key",
		"VIRTIO-1.2: Device Types / Network Device / Device configuration layout #7" },
	/* This one breaks the area: the platform's network link never comes up. */
	[NET_FAULT_LINK_DOWN] = { "link-down", "AVPS.NET.1 (status VIRTIO_NET_S_LINK_UP: the offered link is up)" },
	[NET_FAULT_RX_BEYOND_PAIRS] = { "rx-beyond-pairs",
		OP("Control Virtqueue / Automatic receive steering in multiqueue mode #1") },
	[NET_FAULT_DATA_VALID_ON_PARTIAL] = { "data-valid-on-partial", OP("Processing of Incoming Packets #23") },
	[NET_FAULT_NEEDS_CSUM_FULL_CHECKSUM] = { "needs-csum-full-checksum", OP("Processing of Incoming Packets #14") },
	[NET_FAULT_GSO_WITHOUT_NEEDS_CSUM] = { "gso-without-needs-csum", OP("Processing of Incoming Packets #17") },
	[NET_FAULT_RSC_INFO_MISSING] = { "rsc-info-missing", OP("Processing of Incoming Packets #19") },
};

unsigned net_ctrl_queue(const struct vdev *dev)
{
	const struct net_state *st = dev->state;
	return vdev_has_feature(dev, NET_F_MQ) ? 2u * st->max_pairs : 2u;
}

static void set_config_mac(struct vdev *dev, const uint8_t mac[6])
{
	memcpy(dev->config, mac, 6);
}

/* Receive filtering (Packet Receive Filtering, Setting MAC Address Filtering). */
static bool accepts(const struct vdev *dev, const struct net_state *st, const uint8_t *dst)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	if (st->promisc)
		return true;
	if (!memcmp(dst, broadcast, 6))
		return !st->nobcast;
	if (dst[0] & 1) {
		if (st->nomulti)
			return false;
		for (unsigned i = 0; i < st->multi_count; i++)
			if (!memcmp(dst, st->multi[i], 6))
				return true;
		return st->allmulti;
	}
	if (st->nouni)
		return false;   /* #10/#11: no unicast at all, ALLUNI or not */
	if (!memcmp(dst, dev->config, 6))
		return true;
	for (unsigned i = 0; i < st->uni_count; i++)
		if (!memcmp(dst, st->uni[i], 6))
			return true;
	return st->alluni;
}

static bool queue_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct net_state *st = ctx;
	if (len > NET_FRAME_MAX || !(st->dev->status & VIRTIO_STATUS_DRIVER_OK))
		return false;
	if (!accepts(st->dev, st, frame))
		return true;   /* filtered: gone, as on a real switch port */
	if (st->count == PENDING_FRAMES)
		return false;
	struct pending_frame *p = &st->pending[(st->head + st->count++) % PENDING_FRAMES];
	p->len = (uint16_t)len;
	p->pair = st->tx_pair;
	memcpy(p->bytes, frame, len);
	return true;
}

static unsigned frame_room(void *ctx)
{
	struct net_state *st = ctx;
	return PENDING_FRAMES - st->count;
}

static bool net_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t mtu = 1500, port = 7777, max_pairs = 1;
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	if (vdev_option(options, "mtu", text, sizeof(text)) && (!vdev_parse_size(text, &mtu) || mtu < 1280 || mtu > 1500)) {
		snprintf(err, err_size, "net: mtu=%s is not 1280..1500 (configuration layout #3 asks for 1280 or more)", text);
		return false;
	}
	if (vdev_option(options, "echo_port", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &port) || port == 0 || port > 65535)) {
		snprintf(err, err_size, "net: echo_port=%s is not 1..65535", text);
		return false;
	}
	if (vdev_option(options, "pairs", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &max_pairs) || max_pairs < 1 || max_pairs > NET_PAIRS_MAX)) {
		snprintf(err, err_size, "net: pairs=%s is not 1..%d", text, NET_PAIRS_MAX);
		return false;
	}
	if (vdev_option(options, "mac", text, sizeof(text))) {
		char *p = text;
		for (int i = 0; i < 6; i++) {
			char *end;
			unsigned long long byte = strtoull(p, &end, 16);
			if (end == p || byte > 255 || (i < 5 && *end != ':') || (i == 5 && *end)) {
				snprintf(err, err_size, "net: mac=%s is not xx:xx:xx:xx:xx:xx", text);
				return false;
			}
			mac[i] = (uint8_t)byte;
			p = end + 1;
		}
		if (mac[0] & 1) {
			snprintf(err, err_size, "net: mac=%s is a multicast address", text);
			return false;
		}
	}
	struct net_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	dev->state = st;
	st->dev = dev;
	st->mtu = (uint16_t)mtu;
	st->max_pairs = (uint16_t)max_pairs;
	st->pairs = 1;
	st->promisc = true;   /* Packet Receive Filtering: promiscuous until the driver says otherwise */
	memcpy(st->default_mac, mac, 6);
	net_responder_init(&st->responder, (uint16_t)port, st->mtu);
	st->responder.ctx = st;
	st->responder.send = queue_frame;
	st->responder.room = frame_room;
	st->responder.trust_checksums = vdev_fault(dev, NET_FAULT_TX_CSUM_TRUSTED);
	st->responder.no_fragmenting = vdev_fault(dev, NET_FAULT_RX_FRAMES_OVER_MTU);
	dev->num_queues = 2 * st->max_pairs + 1;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) | VIRTIO_BIT(NET_F_CSUM) |
		       VIRTIO_BIT(NET_F_MTU) | VIRTIO_BIT(NET_F_MAC) | VIRTIO_BIT(NET_F_MRG_RXBUF) |
		       VIRTIO_BIT(NET_F_STATUS) | VIRTIO_BIT(NET_F_CTRL_VQ) | VIRTIO_BIT(NET_F_CTRL_RX) |
		       VIRTIO_BIT(NET_F_CTRL_RX_EXTRA) | VIRTIO_BIT(NET_F_GUEST_ANNOUNCE) |
		       VIRTIO_BIT(NET_F_CTRL_MAC_ADDR) | VIRTIO_BIT(NET_F_SPEED_DUPLEX);
	dev->config_size = CFG_BYTES;
	set_config_mac(dev, mac);
	uint16_t status = vdev_fault(dev, NET_FAULT_LINK_DOWN) ? 0 : S_LINK_UP, pairs = st->max_pairs, mtu16 = st->mtu;
	uint32_t speed = 1000;
	memcpy(dev->config + CFG_STATUS, &status, 2);
	memcpy(dev->config + CFG_PAIRS, &pairs, 2);
	memcpy(dev->config + CFG_MTU, &mtu16, 2);
	memcpy(dev->config + CFG_SPEED, &speed, 4);
	dev->config[CFG_DUPLEX] = vdev_fault(dev, NET_FAULT_DUPLEX_INVALID) ? 0x02 : 0x01;   /* #11: a defined value */
	if (st->max_pairs > 1)
		dev->offered |= VIRTIO_BIT(NET_F_MQ);
	/* offloads: receive checksum and TCP coalescing (GUEST_CSUM, GUEST_TSO4, RSC_EXT), HOST_TSO4 segmentation. */
	if (vdev_option(options, "offloads", text, sizeof(text)))
		dev->offered |= VIRTIO_BIT(NET_F_GUEST_CSUM) | VIRTIO_BIT(NET_F_GUEST_TSO4) | VIRTIO_BIT(NET_F_HOST_TSO4) |
				VIRTIO_BIT(NET_F_RSC_EXT);
	if (vdev_fault(dev, NET_FAULT_MQ_ZERO_PAIRS)) {
		dev->offered |= VIRTIO_BIT(NET_F_MQ);
		memset(dev->config + CFG_PAIRS, 0, 2);   /* fault: #1 wants 1..0x8000 */
	}
	if (vdev_fault(dev, NET_FAULT_RSS_SMALL_KEY)) {
		uint16_t table = 128;
		dev->offered |= VIRTIO_BIT(NET_F_RSS);
		dev->config[CFG_RSS_KEY] = 16;           /* fault: #7 wants at least 40 */
		memcpy(dev->config + CFG_RSS_TABLE, &table, 2);
	}
	return true;
}

static void net_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

/* Feature bit requirements: the control features need the control queue, CTRL_RX_EXTRA needs CTRL_RX,
 * the segmentation offloads their checksum offload, RSC_EXT HOST_TSO4. */
static bool net_accept_features(struct vdev *dev, uint64_t f)
{
	uint64_t needs_ctrl = VIRTIO_BIT(NET_F_CTRL_RX) | VIRTIO_BIT(NET_F_CTRL_RX_EXTRA) |
			      VIRTIO_BIT(NET_F_GUEST_ANNOUNCE) | VIRTIO_BIT(NET_F_CTRL_MAC_ADDR) | VIRTIO_BIT(NET_F_MQ);
	if ((f & needs_ctrl) && !(f & VIRTIO_BIT(NET_F_CTRL_VQ)))
		return false;
	if ((f & VIRTIO_BIT(NET_F_CTRL_RX_EXTRA)) && !(f & VIRTIO_BIT(NET_F_CTRL_RX)))
		return false;
	if ((f & VIRTIO_BIT(NET_F_GUEST_ANNOUNCE)) && !(f & VIRTIO_BIT(NET_F_STATUS)))
		return false;
	if (((f & VIRTIO_BIT(NET_F_GUEST_TSO4)) && !(f & VIRTIO_BIT(NET_F_GUEST_CSUM))) ||
	    ((f & VIRTIO_BIT(NET_F_HOST_TSO4)) && !(f & VIRTIO_BIT(NET_F_CSUM))) ||
	    ((f & VIRTIO_BIT(NET_F_RSC_EXT)) && !(f & VIRTIO_BIT(NET_F_HOST_TSO4))))
		return false;
	if (vdev_fault(dev, NET_FAULT_MTU_CHANGES)) {
		struct net_state *st = dev->state;
		uint16_t changed = (uint16_t)(st->mtu - 8);   /* fault: #3 wants mtu fixed once read */
		memcpy(dev->config + CFG_MTU, &changed, 2);
	}
	return true;
}

static void net_reset(struct vdev *dev)
{
	struct net_state *st = dev->state;
	st->head = st->count = st->held_count = 0;
	st->pairs = 1;   /* Automatic receive steering #1: receiveq1 only after reset */
	st->promisc = true;
	st->allmulti = st->alluni = st->nomulti = st->nouni = st->nobcast = false;
	/* Setting MAC Address Filtering #1: the table is empty after a reset. */
	if (!vdev_fault(dev, NET_FAULT_MAC_TABLE_KEPT_ON_RESET))
		st->uni_count = st->multi_count = 0;
	set_config_mac(dev, st->default_mac);
	uint16_t status = vdev_fault(dev, NET_FAULT_LINK_DOWN) ? 0 : S_LINK_UP, mtu = st->mtu;
	memcpy(dev->config + CFG_STATUS, &status, 2);
	memcpy(dev->config + CFG_MTU, &mtu, 2);
}

/* A frame from a transmit queue: its header and bytes go to the offload stage, then the gateway. */
static void transmit(struct vdev *dev, struct virtq_chain *chain)
{
	struct net_state *st = dev->state;
	uint8_t hdr[NET_HDR];
	if (chain->readable_bytes < NET_HDR + 14 || chain->readable_bytes > NET_HDR + sizeof(st->tx) ||
	    virtq_chain_read(chain, &dev->mem, 0, hdr, NET_HDR) != NET_HDR)
		return;   /* no frame, or longer than any this device forwards */
	size_t len = (size_t)chain->readable_bytes - NET_HDR;
	virtq_chain_read(chain, &dev->mem, NET_HDR, st->tx, len);
	net_tx_offload(dev, hdr, len);
}

/* MQ_VQ_PAIRS_SET: 1..max_virtqueue_pairs pairs enabled from the moment the command is used (#2). */
static uint8_t mq_command(struct vdev *dev, uint8_t cmd, const uint8_t *data, size_t len)
{
	struct net_state *st = dev->state;
	uint16_t pairs;
	if (!vdev_has_feature(dev, NET_F_MQ) || cmd != CTRL_MQ_VQ_PAIRS_SET || len != 2)
		return NET_ERR;
	memcpy(&pairs, data, 2);
	if (pairs < 1 || pairs > st->max_pairs)
		return NET_ERR;
	st->pairs = pairs;
	net_pairs_changed(dev);
	return NET_OK;
}

static uint8_t rx_command(struct vdev *dev, uint8_t cmd, const uint8_t *data, size_t len)
{
	struct net_state *st = dev->state;
	bool *modes[] = { &st->promisc, &st->allmulti, &st->alluni, &st->nomulti, &st->nouni, &st->nobcast };
	bool extra = vdev_has_feature(dev, NET_F_CTRL_RX_EXTRA);
	if (!vdev_has_feature(dev, NET_F_CTRL_RX) || len != 1 || cmd >= 6 || (cmd >= 2 && !extra))
		return NET_ERR;
	if (vdev_fault(dev, NET_FAULT_RX_MODE_ERR))
		return NET_ERR;
	*modes[cmd] = data[0] != 0;
	return NET_OK;
}

/* One table of MAC_TABLE_SET at data[*at]: le32 entries, then the addresses; false when malformed. */
static bool read_table(const uint8_t *data, size_t len, size_t *at, uint8_t table[][6], unsigned *count)
{
	uint32_t entries;
	if (*at + 4 > len)
		return false;
	memcpy(&entries, data + *at, 4);
	if (entries > MAC_TABLE_MAX || *at + 4 + 6ull * entries > len)
		return false;
	memcpy(table, data + *at + 4, 6 * entries);
	*count = entries;
	*at += 4 + 6 * entries;
	return true;
}

static uint8_t mac_command(struct vdev *dev, uint8_t cmd, const uint8_t *data, size_t len)
{
	struct net_state *st = dev->state;
	if (cmd == CTRL_MAC_ADDR_SET) {
		if (!vdev_has_feature(dev, NET_F_CTRL_MAC_ADDR) || len != 6 || (data[0] & 1))
			return NET_ERR;
		/* Setting MAC Address Filtering #3: the config mac shows it once the command is used. */
		if (!vdev_fault(dev, NET_FAULT_MAC_ADDR_SET_STALE))
			set_config_mac(dev, data);
		return NET_OK;
	}
	if (cmd != CTRL_MAC_TABLE_SET || !vdev_has_feature(dev, NET_F_CTRL_RX))
		return NET_ERR;
	uint8_t uni[MAC_TABLE_MAX][6], multi[MAC_TABLE_MAX][6];
	unsigned uni_count, multi_count;
	size_t at = 0;
	if (!read_table(data, len, &at, uni, &uni_count) || !read_table(data, len, &at, multi, &multi_count) || at != len)
		return NET_ERR;
	if (vdev_fault(dev, NET_FAULT_MAC_TABLE_IGNORED))
		return NET_OK;   /* fault: acknowledged, the old table kept */
	memcpy(st->uni, uni, sizeof(uni));
	memcpy(st->multi, multi, sizeof(multi));
	st->uni_count = uni_count, st->multi_count = multi_count;
	return NET_OK;
}

static void control(struct vdev *dev, struct virtq_chain *chain)
{
	struct net_state *st = dev->state;
	uint8_t ack = NET_ERR;
	size_t len = chain->readable_bytes < sizeof(st->ctrl) ? (size_t)chain->readable_bytes : sizeof(st->ctrl);
	if (chain->writable_bytes < 1) {
		vdev_needs_reset(dev, "net control command without an ack byte");
		return;
	}
	if (chain->readable_bytes >= 2 && chain->readable_bytes <= sizeof(st->ctrl) &&
	    virtq_chain_read(chain, &dev->mem, 0, st->ctrl, len) == len) {
		const uint8_t *data = st->ctrl + 2;
		size_t data_len = len - 2;
		if (st->ctrl[0] == CTRL_RX)
			ack = rx_command(dev, st->ctrl[1], data, data_len);
		else if (st->ctrl[0] == CTRL_MAC)
			ack = mac_command(dev, st->ctrl[1], data, data_len);
		else if (st->ctrl[0] == CTRL_MQ)
			ack = mq_command(dev, st->ctrl[1], data, data_len);
		else if (st->ctrl[0] == CTRL_ANNOUNCE && st->ctrl[1] == CTRL_ANNOUNCE_ACK &&
			 vdev_has_feature(dev, NET_F_GUEST_ANNOUNCE) && !data_len) {
			/* Gratuitous Packet Sending #1: ANNOUNCE_ACK clears the status bit. */
			if (!vdev_fault(dev, NET_FAULT_ANNOUNCE_KEPT))
				dev->config[CFG_STATUS] &= (uint8_t)~S_ANNOUNCE;
			ack = NET_OK;
		}
	}
	virtq_chain_write(chain, &dev->mem, chain->writable_bytes - 1, &ack, 1);
	vdev_complete(dev, net_ctrl_queue(dev), chain, 1);
}

/* Queues: receiveqN at 2(N-1), transmitqN at 2(N-1)+1, the control queue after them (net_ctrl_queue). */
static void net_process(struct vdev *dev, unsigned queue)
{
	struct net_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	unsigned ctrlq = net_ctrl_queue(dev), pair_queues = vdev_has_feature(dev, NET_F_MQ) ? 2u * st->max_pairs : 2u;
	bool tx = queue % 2 == 1 && queue < pair_queues;
	if (tx || queue == ctrlq) {
		if (queue == ctrlq && !vdev_has_feature(dev, NET_F_CTRL_VQ))
			return;
		while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN) {
			if (tx) {
				st->tx_pair = (uint8_t)(queue / 2);   /* replies steered to this pair's receive queue */
				transmit(dev, chain);
				st->tx_pair = 0;
				vdev_complete(dev, queue, chain, 0);
			} else {
				control(dev, chain);
			}
		}
		vdev_notify_used(dev, queue);
	}
	net_deliver(dev);
}

/* The host asks for an announcement (QEMU's announce-self): with GUEST_ANNOUNCE the status bit and a config change. */
static bool net_host_request(struct vdev *dev, const char *request, char *reply, size_t size)
{
	if (strcmp(request, "announce"))
		return false;
	if (vdev_has_feature(dev, NET_F_GUEST_ANNOUNCE) && (dev->status & VIRTIO_STATUS_DRIVER_OK)) {
		dev->config[CFG_STATUS] |= S_ANNOUNCE;
		vdev_config_changed(dev);
	}
	snprintf(reply, size, "ok");
	return true;
}

const struct vdev_model model_net = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.faults = net_faults,
	.fault_count = NET_FAULT_COUNT,
	.create = net_create,
	.destroy = net_destroy,
	.accept_features = net_accept_features,
	.reset = net_reset,
	.process_queue = net_process,
	.host_request = net_host_request,
};
