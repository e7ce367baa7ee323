/* Network control-queue statement cases (VIRTIO 1.2 §5.1.6.5): receive modes, MAC address, announcements. */
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "statements.h"
#include "text_format.h"

#define NET_F_MAC 5
#define NET_F_STATUS 16
#define NET_F_CTRL_VQ 17
#define NET_F_CTRL_RX 18
#define NET_F_CTRL_RX_EXTRA 20
#define NET_F_GUEST_ANNOUNCE 21
#define NET_F_CTRL_MAC_ADDR 23
#define NET_CTRL_RX 0
#define NET_CTRL_MAC 1
#define NET_CTRL_MAC_ADDR_SET 1
#define NET_CTRL_ANNOUNCE 3
#define NET_CTRL_ANNOUNCE_ACK 0
#define NET_OK 0
#define NET_S_ANNOUNCE 2u
#define CTRLQ 2   /* without VIRTIO_NET_F_MQ: receiveq1, transmitq1, controlq */

static uint8_t ctrl_hdr[2] __attribute__((aligned(16)));
static uint8_t ctrl_data[8] __attribute__((aligned(16)));
static volatile uint8_t ctrl_ack __attribute__((aligned(16)));

/* One control command; returns the ack byte (0xff: never written), -1 without a valid used entry. */
static int net_ctrl(struct vsession *s, uint8_t class, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	struct virtq_used u;
	ctrl_hdr[0] = class;
	ctrl_hdr[1] = cmd;
	for (uint32_t i = 0; i < len; i++)
		ctrl_data[i] = data[i];
	ctrl_ack = 0xff;
	struct vbuf e[3];
	int n = 0;
	e[n++] = (struct vbuf){ ctrl_hdr, 2, false };
	if (len)
		e[n++] = (struct vbuf){ ctrl_data, len, false };
	e[n++] = (struct vbuf){ (void *)&ctrl_ack, 1, true };
	return vs_call(s, CTRLQ, e, n, VIRTQ_CHAIN_DIRECT, &u, "control command") ? ctrl_ack : -1;
}

/* Opens the network device with its control queue and the given control features. */
static struct vdev *net_ctrl_open(struct vsession *s, uint64_t needed, const char *what)
{
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return NULL;
	if ((d->t.offered & needed) != needed) {
		probe_skip("%s does not offer %s", vdev_name(d), what);
		return NULL;
	}
	return vs_open(s, d, needed | VIRTIO_BIT(NET_F_CTRL_VQ), 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK) ? d : NULL;
}

PROBE_CASE(net_rx_modes, "virtio.net.ctrl_rx_modes_implemented", AVPS_CHECKS("with CTRL_RX (and CTRL_RX_EXTRA) negotiated, PROMISC, ALLMULTI (and ALLUNI, NOMULTI, NOUNI, NOBCAST) switched on and off are each acknowledged VIRTIO_NET_OK"),
	   NET_OP("Control Virtqueue / Packet Receive Filtering #1"), NET_OP("Control Virtqueue / Packet Receive Filtering #5"))
static void net_rx_modes(void)
{
	struct vsession s;
	struct vdev *d = net_ctrl_open(&s, VIRTIO_BIT(NET_F_CTRL_RX), "VIRTIO_NET_F_CTRL_RX");
	if (!d)
		return;
	bool extra = d->t.offered & VIRTIO_BIT(NET_F_CTRL_RX_EXTRA);
	if (extra) {
		vs_close(&s);
		if (!vs_open(&s, d, VIRTIO_BIT(NET_F_CTRL_VQ) | VIRTIO_BIT(NET_F_CTRL_RX) | VIRTIO_BIT(NET_F_CTRL_RX_EXTRA),
			     3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			return;
	} else {
		probe_diag("%s: CTRL_RX_EXTRA not offered: ALLUNI/NOMULTI/NOUNI/NOBCAST not checked", vdev_name(d));
	}
	static const char *const names[] = { "PROMISC", "ALLMULTI", "ALLUNI", "NOMULTI", "NOUNI", "NOBCAST" };
	for (uint8_t cmd = 0; cmd < (extra ? 6 : 2); cmd++) {
		for (uint8_t on = 1;; on = 0) {
			int ack = net_ctrl(&s, NET_CTRL_RX, cmd, &on, 1);
			if (ack < 0)
				goto out;
			probe_check(ack == NET_OK, "%s: RX %s %s: ack %d, expected VIRTIO_NET_OK", vdev_name(d), names[cmd],
				    on ? "on" : "off", ack);
			if (!on)
				break;
		}
	}
out:
	vs_close(&s);
}

PROBE_CASE(net_mac_addr_set, "virtio.net.mac_addr_set_updates_config", AVPS_CHECKS("with VIRTIO_NET_F_MAC and CTRL_MAC_ADDR negotiated, once MAC_ADDR_SET is used the config mac reads the new address (and the old one after setting it back)"),
	   NET_OP("Control Virtqueue / Setting MAC Address Filtering #3"))
static void net_mac_addr_set(void)
{
	struct vsession s;
	struct vdev *d = net_ctrl_open(&s, VIRTIO_BIT(NET_F_MAC) | VIRTIO_BIT(NET_F_CTRL_MAC_ADDR),
				       "VIRTIO_NET_F_MAC and VIRTIO_NET_F_CTRL_MAC_ADDR");
	if (!d)
		return;
	uint8_t old[6], want[6];
	for (int i = 0; i < 6; i++)
		old[i] = (uint8_t)vmmio_config(&d->t, (uint32_t)i, 1);
	for (int i = 0; i < 6; i++)
		want[i] = old[i];
	want[5] ^= 0x5a;   /* same OUI, another address */
	for (int round = 0; round < 2; round++) {
		const uint8_t *mac = round ? old : want;
		int ack = net_ctrl(&s, NET_CTRL_MAC, NET_CTRL_MAC_ADDR_SET, mac, 6);
		if (ack < 0)
			break;
		uint8_t now[6];
		bool same = true;
		for (int i = 0; i < 6; i++) {
			now[i] = (uint8_t)vmmio_config(&d->t, (uint32_t)i, 1);
			same &= now[i] == mac[i];
		}
		probe_check(ack == NET_OK && same, "%s: MAC_ADDR_SET %02x:%02x:%02x:%02x:%02x:%02x: ack %d, config mac "
			    "then %02x:%02x:%02x:%02x:%02x:%02x", vdev_name(d), mac[0], mac[1], mac[2], mac[3], mac[4],
			    mac[5], ack, now[0], now[1], now[2], now[3], now[4], now[5]);
	}
	vs_close(&s);
}

PROBE_CASE(net_announce_ack, "virtio.net.announce_ack_clears_status", AVPS_CHECKS("after the host asks for an announcement (QMP announce-self), the config status shows ANNOUNCE, and once ANNOUNCE_ACK is used it reads clear"),
	   NET_OP("Control Virtqueue / Gratuitous Packet Sending #1"))
static void net_announce_ack(void)
{
	struct vsession s;
	uint64_t need = VIRTIO_BIT(NET_F_STATUS) | VIRTIO_BIT(NET_F_GUEST_ANNOUNCE);
	struct vdev *d = net_ctrl_open(&s, need, "VIRTIO_NET_F_STATUS and VIRTIO_NET_F_GUEST_ANNOUNCE");
	char reply[120];
	if (!d)
		return;
	vmmio_ack(s.t, vmmio_read(s.t, VMMIO_INTERRUPT_STATUS));
	bool asked = host_link_request("AVPS-ANNOUNCE 1", "AVPS-ANNOUNCE-REPLY 1 ", reply, sizeof(reply), 5000);
	if (!(asked && reply[sizeof("AVPS-ANNOUNCE-REPLY 1 ") - 1] == 'o')) {
		probe_skip("host cannot trigger an announcement: %s", reply);   /* no such host service here */
		goto out;
	}
	/* The announcement sets the status bit and raises a config change. */
	uint32_t isr = vmmio_wait_isr(s.t, VIRTIO_ISR_CONFIG, 2000000);
	uint32_t status = (uint32_t)vmmio_config(&d->t, 6, 2);
	if (!probe_check(status & NET_S_ANNOUNCE, "%s: no VIRTIO_NET_S_ANNOUNCE after the host's announce-self "
			 "(status 0x%x, InterruptStatus 0x%x)", vdev_name(d), status, isr))
		goto out;
	int ack = net_ctrl(&s, NET_CTRL_ANNOUNCE, NET_CTRL_ANNOUNCE_ACK, NULL, 0);
	status = (uint32_t)vmmio_config(&d->t, 6, 2);
	if (ack >= 0)
		probe_check(ack == NET_OK && !(status & NET_S_ANNOUNCE), "%s: ANNOUNCE_ACK used with ack %d, status then "
			    "0x%x (ANNOUNCE must be clear)", vdev_name(d), ack, status);
out:
	vs_close(&s);
}
