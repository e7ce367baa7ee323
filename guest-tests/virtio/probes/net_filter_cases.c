/* Network MAC filtering statement cases (VIRTIO 1.2 §5.1.6.5.2): the gateway answers a foreign MAC, and the filter table decides whether that answer arrives. */
#include "net_frames.h"
#include "probe.h"
#include "statements.h"

#define NET_CTRL_RX 0
#define NET_CTRL_RX_PROMISC 0
#define NET_CTRL_MAC 1
#define NET_CTRL_MAC_TABLE_SET 0
#define NET_OK 0
#define MARKER_WAIT_US 1000000
#define STRAGGLER_WAIT_US 2000

#define MAC_FILTERING(n) NET_OP("Control Virtqueue / Setting MAC Address Filtering #" #n)

static uint8_t frame[64] __attribute__((aligned(16)));
static struct netf_rx got;
static uint8_t uni_table[4 + 6] __attribute__((aligned(16)));
static uint8_t multi_table[4] __attribute__((aligned(16)));
static uint8_t promisc_off __attribute__((aligned(16)));

/* A locally administered unicast address the platform never assigned: the device's own MAC
 * with the local bit set and the last byte changed. */
static void foreign_mac(const uint8_t own[6], uint8_t out[6])
{
	for (int i = 0; i < 6; i++)
		out[i] = own[i];
	out[0] = (uint8_t)((own[0] | 0x02) & ~0x01);
	out[5] ^= 0x3c;
}

/* The gateway answers an ARP request to its Ethernet source: one request from `foreign`,
 * then one from the device's own MAC as a marker. Sets *delivered when the answer to
 * `foreign` arrived before (or shortly after) the marker's. False if the marker's never did. */
static bool gateway_answers_foreign(struct vsession *s, const uint8_t own[6], const uint8_t foreign[6],
				    bool *delivered)
{
	*delivered = false;
	if (!netf_send(s, frame, netf_arp_request(frame, foreign)) || !netf_send(s, frame, netf_arp_request(frame, own)))
		return false;
	uint64_t end = vmmio_now_us(s->t) + MARKER_WAIT_US;
	bool marker = false;
	while (vmmio_now_us(s->t) < end) {
		int r = netf_receive(s, 10000, &got);
		if (r < 0)
			return false;
		if (r == 0)
			continue;
		if (netf_is_arp_reply_to(&got, foreign, NULL))
			*delivered = true;
		if (!marker && netf_is_arp_reply_to(&got, own, NULL)) {
			marker = true;
			end = vmmio_now_us(s->t) + STRAGGLER_WAIT_US;
		}
	}
	return probe_check(marker, "%s: no ARP reply from the gateway to the device's own MAC within %u ms",
			   vdev_name(s->d), MARKER_WAIT_US / 1000);
}

/* VIRTIO_NET_CTRL_RX_PROMISC off: QEMU (and the spec's legacy default) start promiscuous. */
static bool promiscuous_off(struct vsession *s)
{
	promisc_off = 0;
	struct vbuf b = { &promisc_off, 1, false };
	int ack = netf_ctrl(s, NET_CTRL_RX, NET_CTRL_RX_PROMISC, &b, 1);
	return ack >= 0 && probe_check(ack == NET_OK, "%s: RX PROMISC off: ack %d", vdev_name(s->d), ack);
}

/* MAC_TABLE_SET with no multicast entries and `mac` as the only unicast entry (none if NULL). */
static bool set_table(struct vsession *s, const uint8_t *mac)
{
	uint32_t n = mac ? 1 : 0;
	for (int i = 0; i < 4; i++)
		uni_table[i] = (uint8_t)(n >> (8 * i)), multi_table[i] = 0;
	for (int i = 0; mac && i < 6; i++)
		uni_table[4 + i] = mac[i];
	struct vbuf e[2] = { { uni_table, 4 + 6 * n, false }, { multi_table, 4, false } };
	int ack = netf_ctrl(s, NET_CTRL_MAC, NET_CTRL_MAC_TABLE_SET, e, 2);
	return ack >= 0 && probe_check(ack == NET_OK, "%s: MAC_TABLE_SET with %u unicast entries: ack %d",
				       vdev_name(s->d), n, ack);
}

/* With an empty table the answer to `foreign` must not arrive: the device filters at all
 * (a SHOULD). Otherwise what the table holds cannot be seen: SKIP with the reason. */
static bool device_filters(struct vsession *s, const uint8_t own[6], const uint8_t foreign[6], bool *ok)
{
	bool delivered;
	*ok = set_table(s, NULL) && gateway_answers_foreign(s, own, foreign, &delivered);
	if (*ok && delivered)
		probe_skip("%s delivers frames whose destination is neither its MAC nor in the (empty) filter table "
			   "(the SHOULD to drop them is not followed): the table's effect cannot be observed", vdev_name(s->d));
	return *ok && !delivered;
}

PROBE_CASE(net_mac_table_set, "virtio.net.mac_table_set_applied", AVPS_CHECKS("with promiscuous mode off, the gateway's answer to a foreign unicast MAC is dropped while the table is empty and arrives once a MAC_TABLE_SET naming that MAC has been used"),
	   MAC_FILTERING(2))
static void net_mac_table_set(void)
{
	struct vsession s;
	uint8_t own[6], foreign[6];
	bool ok, delivered = false;
	struct vdev *d = netf_open(&s, VIRTIO_BIT(NETF_F_CTRL_VQ) | VIRTIO_BIT(NETF_F_CTRL_RX),
				   "VIRTIO_NET_F_MAC, CTRL_VQ and CTRL_RX", own);
	if (!d)
		return;
	foreign_mac(own, foreign);
	if (promiscuous_off(&s) && device_filters(&s, own, foreign, &ok) && set_table(&s, foreign) &&
	    gateway_answers_foreign(&s, own, foreign, &delivered))
		probe_check(delivered, "%s: MAC_TABLE_SET {%02x:%02x:%02x:%02x:%02x:%02x} was used, but the gateway's "
			    "answer to that MAC was not delivered", vdev_name(d), foreign[0], foreign[1], foreign[2],
			    foreign[3], foreign[4], foreign[5]);
	netf_send(&s, frame, netf_arp_request(frame, own));   /* the gateway's ARP cache names our MAC again */
	vs_close(&s);
}

PROBE_CASE(net_mac_table_reset, "virtio.net.mac_table_empty_after_reset", AVPS_CHECKS("a foreign unicast MAC that was in the filter table (its frames delivered) is no longer accepted after a device reset: with promiscuous mode off again, the gateway's answer to it is dropped"),
	   MAC_FILTERING(1))
static void net_mac_table_reset(void)
{
	struct vsession s;
	uint8_t own[6], foreign[6];
	bool ok, delivered = false;
	struct vdev *d = netf_open(&s, VIRTIO_BIT(NETF_F_CTRL_VQ) | VIRTIO_BIT(NETF_F_CTRL_RX),
				   "VIRTIO_NET_F_MAC, CTRL_VQ and CTRL_RX", own);
	if (!d)
		return;
	foreign_mac(own, foreign);
	if (!(promiscuous_off(&s) && device_filters(&s, own, foreign, &ok) && set_table(&s, foreign) &&
	      gateway_answers_foreign(&s, own, foreign, &delivered)))
		goto out;
	if (!delivered) {
		probe_skip("%s ignores a MAC_TABLE_SET naming the foreign MAC (virtio.net.mac_table_set_applied): "
			   "an emptied table cannot be told from a kept one", vdev_name(d));
		goto out;
	}
	vs_close(&s);
	if (!netf_open(&s, VIRTIO_BIT(NETF_F_CTRL_VQ) | VIRTIO_BIT(NETF_F_CTRL_RX), "CTRL_RX", own))
		return;
	if (promiscuous_off(&s) && gateway_answers_foreign(&s, own, foreign, &delivered))
		probe_check(!delivered, "%s: after a reset (no MAC_TABLE_SET since), the gateway's answer to "
			    "%02x:%02x:%02x:%02x:%02x:%02x, which the table held before the reset, was delivered",
			    vdev_name(d), foreign[0], foreign[1], foreign[2], foreign[3], foreign[4], foreign[5]);
out:
	netf_send(&s, frame, netf_arp_request(frame, own));
	vs_close(&s);
}
