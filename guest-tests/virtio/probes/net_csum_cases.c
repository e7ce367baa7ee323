/* Network transmit checksum statement case (VIRTIO 1.2 §5.1.6.2.2): a frame sent without NEEDS_CSUM whose checksum is wrong is not treated as correct by the platform. */
#include "net_frames.h"
#include "probe.h"
#include "statements.h"

#define ECHO_WAIT_US 1000000
#define STRAGGLER_WAIT_US 2000
#define ICMP_CHECKSUM (14 + 20 + 2)
#define BAD_IDENT 0x6b01
#define GOOD_IDENT 0x6b02

static uint8_t frames[2][NETF_FRAME_MAX] __attribute__((aligned(16)));
static uint32_t lens[2];
static struct netf_rx got;

/* The echo reply's identifier, or -1 if r is not a whole echo reply from the gateway. */
static int echo_reply_ident(const struct netf_rx *r)
{
	const uint8_t *ip = r->frame + 14, *icmp = ip + 20;
	if (!netf_is_icmp_from_gateway(r) || (ip[0] & 15) != 5 || (ip[6] & 0x3f) || ip[7] || r->len < 14 + 28 ||
	    icmp[0] != 0)
		return -1;
	return icmp[4] << 8 | icmp[5];
}

PROBE_CASE(net_tx_bad_csum, "virtio.net.tx_wrong_checksum_not_trusted", AVPS_CHECKS("an ICMP echo request sent without NEEDS_CSUM whose ICMP checksum is wrong gets no echo reply from the gateway, while the same request with the right checksum, sent right after it, does"),
	   NET_OP("Packet Transmission #6"))
static void net_tx_bad_csum(void)
{
	struct vsession s;
	uint8_t own[6], gateway[6];
	struct vdev *d = netf_open(&s, 0, "VIRTIO_NET_F_MAC", own);
	if (!d)
		return;
	if (!netf_learn_gateway(&s, own, gateway))
		goto out;
	if (!probe_check(netf_icmp_echo(&frames[0], &lens[0], 1, own, gateway, 0x7b01, BAD_IDENT, 56, 64, false) == 1 &&
			 netf_icmp_echo(&frames[1], &lens[1], 1, own, gateway, 0x7b02, GOOD_IDENT, 56, 64, false) == 1,
			 "probe: echo requests not built"))
		goto out;
	frames[0][ICMP_CHECKSUM] ^= 0x5a;   /* the header says nothing about checksums: NEEDS_CSUM clear */
	if (!netf_send(&s, frames[0], lens[0]) || !netf_send(&s, frames[1], lens[1]))
		goto out;
	bool bad_answered = false, good_answered = false;
	uint64_t end = vmmio_now_us(s.t) + ECHO_WAIT_US;
	while (vmmio_now_us(s.t) < end) {
		int r = netf_receive(&s, 10000, &got);
		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		int ident = echo_reply_ident(&got);
		bad_answered |= ident == BAD_IDENT;
		if (ident == GOOD_IDENT && !good_answered) {
			good_answered = true;
			end = vmmio_now_us(s.t) + STRAGGLER_WAIT_US;
		}
	}
	if (probe_check(good_answered, "%s: no echo reply to a correct ICMP echo request within %u ms", vdev_name(d),
			ECHO_WAIT_US / 1000))
		probe_check(!bad_answered, "%s: the gateway answered an echo request whose ICMP checksum was wrong "
			    "(sent without NEEDS_CSUM): the platform relied on the checksum being right", vdev_name(d));
out:
	vs_close(&s);
}
