/* Ethernet frames for the network statement cases: receive ring, transmit, control commands, ARP and ICMP echo with the host's gateway. */
#ifndef PROBE_VIRTIO_NET_FRAMES_H
#define PROBE_VIRTIO_NET_FRAMES_H

#include "session.h"

#define NETF_F_MAC 5
#define NETF_F_MTU 3
#define NETF_F_CTRL_VQ 17
#define NETF_F_CTRL_RX 18
#define NETF_HDR 12            /* struct virtio_net_hdr with VIRTIO_F_VERSION_1 */
#define NETF_FRAME_MAX 2048    /* receive buffers hold frames beyond any mtu the probe checks */
#define NETF_RXQ 0
#define NETF_TXQ 1
#define NETF_CTRLQ 2           /* without VIRTIO_NET_F_MQ */

struct netf_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

/* One received packet, copied out of its receive buffer (which is posted again). */
struct netf_rx {
	struct netf_hdr hdr;
	uint32_t len;                      /* frame bytes after the header */
	uint8_t frame[NETF_FRAME_MAX];
};

/* The guest's and the gateway's addresses (QEMU user networking: 10.0.2.15 and 10.0.2.2). */
extern const uint8_t netf_guest_ip[4], netf_gateway_ip[4];

/* Opens the network device with VIRTIO_NET_F_MAC plus `features` (queues: receiveq1,
 * transmitq1 and, with CTRL_VQ, the control queue), posts every receive buffer and reads
 * the device's MAC into mac. SKIPs (returns NULL) without MAC or any of `features`. */
struct vdev *netf_open(struct vsession *s, uint64_t features, const char *what, uint8_t mac[6]);
/* Transmits one frame behind an all-zero header; false (a failed check) if it is not used. */
bool netf_send(struct vsession *s, const uint8_t *frame, uint32_t len);
/* Next received packet within timeout_us: 1 got one, 0 none, -1 a broken used entry (reported). */
int netf_receive(struct vsession *s, uint32_t timeout_us, struct netf_rx *out);
/* One control command: class, command, out elements; the ack byte (0xff: never written), -1 without a valid used entry. */
int netf_ctrl(struct vsession *s, uint8_t class_, uint8_t cmd, const struct vbuf *data, int n);

/* "who-has 10.0.2.2 tell 10.0.2.15" from `src` (Ethernet source and sender address); returns its length. */
uint32_t netf_arp_request(uint8_t *f, const uint8_t src[6]);
/* An ARP reply from the gateway sent to `dst`; *gateway_mac (if not NULL) gets the gateway's address. */
bool netf_is_arp_reply_to(const struct netf_rx *r, const uint8_t dst[6], uint8_t *gateway_mac);

/* One ARP exchange from `own`: the gateway's MAC into `gateway` (its ARP cache names `own` for
 * 10.0.2.15 afterwards). False, a failed check, when no answer comes within 1 s. */
bool netf_learn_gateway(struct vsession *s, const uint8_t own[6], uint8_t gateway[6]);

/* ICMP echo request 10.0.2.15 -> 10.0.2.2 with `payload_len` pattern bytes, as IPv4 fragments of at
 * most frag_data bytes of IP payload each (a multiple of 8; >= the whole message: one frame).
 * Fragment k (0-based) is written to frames[k] with its length in lens[k]; returns the count.
 * dont_fragment sets DF (only for a message sent in one frame). */
int netf_icmp_echo(uint8_t frames[][NETF_FRAME_MAX], uint32_t *lens, int max_frames, const uint8_t src[6],
		   const uint8_t gateway[6], uint16_t ip_id, uint16_t ident, uint32_t payload_len, uint32_t frag_data,
		   bool dont_fragment);
/* The pattern byte of payload offset i for an echo with identifier `ident`. */
uint8_t netf_echo_pattern(uint16_t ident, uint32_t i);
/* An IPv4 packet from the gateway to the guest carrying ICMP (whole or a fragment). */
bool netf_is_icmp_from_gateway(const struct netf_rx *r);

/* A TCP segment 10.0.2.15:sport -> 10.0.2.2:dport from `src` to `gateway` with `payload_len` pattern
 * bytes (netf_echo_pattern of sport), right checksums; mss (non-zero) adds an MSS option. Returns its
 * length, 0 when it would not fit in NETF_FRAME_MAX. */
uint32_t netf_tcp_segment(uint8_t *f, const uint8_t src[6], const uint8_t gateway[6], uint16_t sport, uint16_t dport,
			  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t mss, uint32_t payload_len);
/* A whole TCP segment from the gateway to the guest's port dport with exactly these flags: its sequence number into *seq. */
bool netf_is_tcp_from_gateway(const struct netf_rx *r, uint16_t dport, uint8_t flags, uint32_t *seq);

#endif
