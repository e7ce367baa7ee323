/* The network model's in-process peer: a gateway at 10.0.2.2 answering ARP, ICMP echo (fragments reassembled) and a TCP echo service. */
#ifndef AVPS_DEVICES_MODEL_NET_RESPONDER_H
#define AVPS_DEVICES_MODEL_NET_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_FRAME_MAX 1536             /* Ethernet frame without FCS, mtu 1500 plus header, rounded */
#define NET_DATAGRAM_MAX 8192          /* largest IPv4 datagram the gateway reassembles */
#define NET_TCP_CONNECTIONS 4

struct net_tcp_connection {
	bool used;
	uint8_t peer_mac[6];
	uint16_t peer_port;
	uint32_t rcv_nxt;                  /* next sequence number expected from the guest */
	uint32_t snd_nxt;                  /* our next sequence number */
	uint32_t snd_una;                  /* the guest acknowledged everything before this */
	uint32_t snd_wnd;                  /* the guest's receive window */
	uint16_t peer_mss;
	bool fin_sent;
};

struct net_responder {
	uint8_t mac[6];                    /* the gateway's own address */
	uint8_t ip[4], guest_ip[4];
	uint16_t echo_port;                /* the TCP echo service */
	uint16_t mtu;                      /* IP packets the gateway sends are at most this long */
	bool trust_checksums;              /* fault: answers without checking ICMP/TCP checksums */
	bool no_fragmenting;               /* fault: replies in one frame whatever its size */
	uint16_t ip_id;
	/* One datagram in reassembly. */
	uint8_t datagram[NET_DATAGRAM_MAX];
	uint8_t datagram_header[20];
	uint16_t datagram_id;
	uint32_t datagram_bytes, datagram_total;
	bool datagram_active;
	uint8_t reply[NET_DATAGRAM_MAX];   /* an ICMP echo reply being built */
	struct net_tcp_connection tcp[NET_TCP_CONNECTIONS];
	/* Where the gateway's frames go (the device's receive path); returns false when it has no room. */
	void *ctx;
	bool (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* How many frames the receive path can still take (the TCP echo waits rather than drop). */
	unsigned (*room)(void *ctx);
};

void net_responder_init(struct net_responder *r, uint16_t echo_port, uint16_t mtu);
/* A frame the guest transmitted (its Ethernet header first). */
void net_responder_receive(struct net_responder *r, const uint8_t *frame, size_t len);
/* The Internet checksum (RFC 1071) of bytes, starting from `sum` (folded, not inverted). */
uint32_t net_checksum_add(uint32_t sum, const uint8_t *bytes, size_t len);
uint16_t net_checksum_finish(uint32_t sum);

#endif
