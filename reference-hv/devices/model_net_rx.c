/* Network model receive path (VIRTIO 1.2 Network Device / Processing of Incoming Packets, Automatic receive steering in multiqueue mode): pending frames into the receive queues, one buffer or merged buffers, steered to the enabled pairs. */
#include "model_net.h"

#include <string.h>

static void drop_held(struct net_state *st)
{
	st->held_count = 0;
}

/* The receive queue for the frame at the head: the pair whose transmit queue caused it while that
 * pair is enabled, else receiveq1 (steering #1, #2); buffers already taken for it keep their queue. */
static unsigned target_queue(struct vdev *dev, const struct pending_frame *p)
{
	struct net_state *st = dev->state;
	if (st->held_count)
		return st->held_queue;
	unsigned pair = p->pair < st->pairs ? p->pair : 0;
	if (vdev_fault(dev, NET_FAULT_RX_BEYOND_PAIRS) && vdev_has_feature(dev, NET_F_MQ)) {
		/* fault: the last ready receive queue of max_virtqueue_pairs, whatever is enabled (breaks #1) */
		for (pair = st->max_pairs - 1u; pair && !dev->queues[2 * pair].ready; pair--)
			;
	}
	return 2 * pair;
}

/* Without MRG_RXBUF: the packet goes into one buffer; returns the pending frames it took (0: no buffer). */
static unsigned deliver_single(struct vdev *dev, unsigned queue)
{
	struct net_state *st = dev->state;
	struct virtq_chain *chain = &dev->scratch;
	if (vdev_take(dev, queue, chain) != VIRTQ_TAKEN)
		return 0;
	if (chain->writable_bytes < NET_HDR + (uint64_t)st->pending[st->head].len) {
		vdev_complete(dev, queue, chain, 0);   /* a buffer too small for the frame: the frame is dropped */
		return 1;
	}
	uint32_t len;
	uint64_t room = chain->writable_bytes - NET_HDR;
	unsigned taken = net_rx_build(dev, room > RX_PACKET_MAX ? RX_PACKET_MAX : (uint32_t)room, st->rx, &len);
	uint16_t one = 1;
	memcpy(st->rx + NET_HDR - 2, &one, 2);
	/* Processing of Incoming Packets #1: num_buffers is 1; the fault leaves it unwritten. */
	size_t header_bytes = vdev_fault(dev, NET_FAULT_NUM_BUFFERS_UNWRITTEN) ? NET_HDR - 2 : NET_HDR;
	virtq_chain_write(chain, &dev->mem, 0, st->rx, header_bytes);
	virtq_chain_write(chain, &dev->mem, NET_HDR, st->rx + NET_HDR, len - NET_HDR);
	vdev_complete(dev, queue, chain, len);
	return taken;
}

/* With MRG_RXBUF: buffers are taken until the packet fits, then all are used together (Incoming #2-#4). */
static unsigned deliver_merged(struct vdev *dev, unsigned queue)
{
	struct net_state *st = dev->state;
	uint32_t need;
	unsigned taken = net_rx_build(dev, RX_PACKET_MAX, st->rx, &need);
	uint64_t have = 0;
	for (unsigned i = 0; i < st->held_count; i++)
		have += st->held[i].chain.writable_bytes;
	while (have < need) {
		if (st->held_count == MRG_CHAINS) {
			drop_held(st);   /* buffers too small to ever hold the packet: give up on it */
			return taken;
		}
		struct held_chain *h = &st->held[st->held_count];
		struct virtq_chain *chain = &dev->scratch;
		if (vdev_take(dev, queue, chain) != VIRTQ_TAKEN)
			return 0;   /* the taken buffers wait for more */
		if (chain->count > MRG_SEGMENTS || !chain->writable_bytes) {
			vdev_complete(dev, queue, chain, 0);
			continue;
		}
		h->chain = *chain;
		h->chain.segments = h->segments;
		h->chain.capacity = MRG_SEGMENTS;
		memcpy(h->segments, chain->segments, chain->count * sizeof(chain->segments[0]));
		have += chain->writable_bytes;
		st->held_queue = queue;
		st->held_count++;
	}
	uint16_t buffers = (uint16_t)st->held_count;
	memcpy(st->rx + NET_HDR - 2, &buffers, 2);
	uint64_t offset = 0;
	for (unsigned i = 0; i < st->held_count; i++) {
		struct virtq_chain *chain = &st->held[i].chain;
		uint32_t n = (uint32_t)(need - offset < chain->writable_bytes ? need - offset : chain->writable_bytes);
		virtq_chain_write(chain, &dev->mem, 0, st->rx + offset, n);
		offset += n;
		bool last = i + 1 == st->held_count;
		/* #3: every buffer but the last is full; the fault reports one byte short. */
		vdev_complete(dev, queue, chain, n - (!last && vdev_fault(dev, NET_FAULT_MERGEABLE_MIDDLE_SHORT) ? 1 : 0));
	}
	drop_held(st);
	return taken;
}

void net_deliver(struct vdev *dev)
{
	struct net_state *st = dev->state;
	if (!(dev->status & VIRTIO_STATUS_DRIVER_OK) || (dev->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	unsigned used = 0;
	while (st->count) {
		unsigned queue = target_queue(dev, &st->pending[st->head]);
		if (!dev->queues[queue].ready)
			break;
		unsigned taken = vdev_has_feature(dev, NET_F_MRG_RXBUF) ? deliver_merged(dev, queue) : deliver_single(dev, queue);
		if (!taken)
			break;
		st->head = (st->head + taken) % PENDING_FRAMES;
		st->count -= taken;
		used |= 1u << queue;
	}
	for (unsigned q = 0; q < dev->num_queues; q++)
		if (used & (1u << q))
			vdev_notify_used(dev, q);
}

void net_pairs_changed(struct vdev *dev)
{
	struct net_state *st = dev->state;
	if (!st->held_count || st->held_queue < 2u * st->pairs)
		return;
	for (unsigned i = 0; i < st->held_count; i++)
		vdev_complete(dev, st->held_queue, &st->held[i].chain, 0);   /* no packet in them: back unused */
	vdev_notify_used(dev, st->held_queue);
	drop_held(st);
}
