/* The network model's shared state between its files: feature bits, faults, queue layout, pending frames (model_net.c, model_net_rx.c, model_net_offload.c). */
#ifndef AVPS_DEVICES_MODEL_NET_H
#define AVPS_DEVICES_MODEL_NET_H

#include "model_net_responder.h"
#include "virtio_device.h"

#define NET_F_CSUM 0
#define NET_F_GUEST_CSUM 1
#define NET_F_MTU 3
#define NET_F_MAC 5
#define NET_F_GUEST_TSO4 7
#define NET_F_HOST_TSO4 11
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS 16
#define NET_F_CTRL_VQ 17
#define NET_F_CTRL_RX 18
#define NET_F_CTRL_RX_EXTRA 20
#define NET_F_GUEST_ANNOUNCE 21
#define NET_F_MQ 22
#define NET_F_CTRL_MAC_ADDR 23
#define NET_F_RSS 60
#define NET_F_RSC_EXT 61
#define NET_F_SPEED_DUPLEX 63

#define HDR_F_NEEDS_CSUM 1
#define HDR_F_DATA_VALID 2
#define HDR_F_RSC_INFO 4
#define GSO_NONE 0
#define GSO_TCPV4 1
#define NET_HDR 12               /* struct virtio_net_hdr with VIRTIO_F_VERSION_1 */

#define NET_PAIRS_MAX 3          /* 2 * 3 + 1 queues fit VDEV_MAX_QUEUES */
#define PENDING_FRAMES 96
#define MAC_TABLE_MAX 32
#define TSO_FRAME_MAX 65550      /* a HOST_TSO4 frame: 64 KiB IPv4 packet and its Ethernet header */
#define MRG_CHAINS 64
#define MRG_SEGMENTS 4
#define RX_PACKET_MAX 16384      /* a receive packet: one frame, or TCP segments coalesced (GUEST_TSO4) */

enum net_fault {
	NET_FAULT_MAC_TABLE_IGNORED,
	NET_FAULT_MAC_TABLE_KEPT_ON_RESET,
	NET_FAULT_RX_MODE_ERR,
	NET_FAULT_MAC_ADDR_SET_STALE,
	NET_FAULT_ANNOUNCE_KEPT,
	NET_FAULT_NUM_BUFFERS_UNWRITTEN,
	NET_FAULT_RX_OFFLOAD_FLAGS,
	NET_FAULT_TX_HINTS_APPLIED,
	NET_FAULT_TX_DROPS_LARGE,
	NET_FAULT_RX_FRAMES_OVER_MTU,
	NET_FAULT_TX_CSUM_TRUSTED,
	NET_FAULT_MERGEABLE_MIDDLE_SHORT,
	NET_FAULT_MTU_CHANGES,
	NET_FAULT_DUPLEX_INVALID,
	NET_FAULT_MQ_ZERO_PAIRS,
	NET_FAULT_RSS_SMALL_KEY,
	NET_FAULT_LINK_DOWN,
	NET_FAULT_RX_BEYOND_PAIRS,
	NET_FAULT_DATA_VALID_ON_PARTIAL,
	NET_FAULT_NEEDS_CSUM_FULL_CHECKSUM,
	NET_FAULT_GSO_WITHOUT_NEEDS_CSUM,
	NET_FAULT_RSC_INFO_MISSING,
	NET_FAULT_COUNT,
};

struct pending_frame {
	uint16_t len;
	uint8_t pair;                                   /* the queue pair of the transmit that caused it */
	uint8_t bytes[NET_FRAME_MAX];
};

struct held_chain {
	struct virtq_chain chain;
	struct virtq_segment segments[MRG_SEGMENTS];
};

struct net_state {
	struct net_responder responder;
	uint8_t default_mac[6];
	uint16_t mtu;
	uint16_t max_pairs;                             /* pairs=N: max_virtqueue_pairs (MQ offered when > 1) */
	uint16_t pairs;                                 /* enabled pairs: 1 after reset, MQ_VQ_PAIRS_SET */
	uint8_t tx_pair;                                /* the pair whose transmit queue is being processed */
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	uint8_t uni[MAC_TABLE_MAX][6], multi[MAC_TABLE_MAX][6];
	unsigned uni_count, multi_count;
	struct pending_frame pending[PENDING_FRAMES];   /* frames for the guest, waiting for receive buffers */
	unsigned head, count;
	struct held_chain held[MRG_CHAINS];             /* mergeable: buffers taken for the packet at the head */
	unsigned held_count, held_queue;
	uint8_t tx[TSO_FRAME_MAX];
	uint8_t segment[NET_FRAME_MAX + 64];            /* one segment of a HOST_TSO4 frame */
	uint8_t rx[NET_HDR + RX_PACKET_MAX];            /* the receive packet being delivered, header first */
	uint8_t ctrl[2 + 2 * (4 + 6 * MAC_TABLE_MAX)];
	struct vdev *dev;
};

/* The control queue's index: after the receive/transmit pairs when MQ is negotiated, else 2. */
unsigned net_ctrl_queue(const struct vdev *dev);

/* Receive path (model_net_rx.c): moves pending frames into the receive queues, steered per pair. */
void net_deliver(struct vdev *dev);
/* MQ_VQ_PAIRS_SET took effect: buffers held on a queue no longer enabled go back unused. */
void net_pairs_changed(struct vdev *dev);

/* Offloads (model_net_offload.c). Builds the receive packet for the pending frame at the head (and,
 * with GUEST_TSO4, the same flow's next segments coalesced, frame bytes at most `room`): header
 * (num_buffers left 0) and frame into out; *len gets header + frame bytes. Returns how many pending
 * frames it took (at least 1). */
unsigned net_rx_build(struct vdev *dev, uint32_t room, uint8_t *out, uint32_t *len);
/* Hands one transmitted frame (header hdr, frame in st->tx) to the gateway: checksum completed for
 * NEEDS_CSUM (CSUM), a TCPV4 GSO frame segmented into gso_size segments (HOST_TSO4). */
void net_tx_offload(struct vdev *dev, const uint8_t hdr[NET_HDR], size_t len);

#endif
