/* Generic device statement cases (VIRTIO 1.2 §2.1-§2.5, §6): DRIVER_OK gate, feature prerequisites, config access before FEATURES_OK, reserved bits. */
#include "probe.h"
#include "session.h"
#include "statements.h"

PROBE_CASE(core_driver_ok_gate, "virtio.core.no_buffer_use_before_driver_ok", AVPS_CHECKS("a buffer made available on an enabled queue before DRIVER_OK is neither used nor notified for 20 ms, and is used once DRIVER_OK is set and the queue notified"),
	   DEVICE_STATUS(1))
static void core_driver_ok_gate(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	static uint8_t b[32] __attribute__((aligned(16)));
	if (!d || !vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_QUEUES_READY))
		return;
	for (int i = 0; i < 32; i++)
		b[i] = 0x5a;
	struct vbuf e = { b, sizeof(b), true };
	uint16_t id;
	virtq_add(&s.q[0], &e, 1, VIRTQ_CHAIN_DIRECT, &id);   /* no notification: §3.1.1 forbids it here */
	enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], 20000, &u);
	int touched = 0;
	for (int i = 0; i < 32; i++)
		touched += b[i] != 0x5a;
	uint32_t isr = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
	bool quiet = probe_check(r == VIRTQ_EMPTY && touched == 0 && !(isr & VIRTIO_ISR_USED),
				 "%s: before DRIVER_OK: used ring '%s' (used idx %u), %d bytes written, InterruptStatus 0x%x",
				 vdev_name(d), virtq_result_name(r), u.used_idx, touched, isr);
	if (quiet && vs_driver_ok(&s)) {
		vmmio_notify(s.t, &s.q[0]);
		r = vmmio_wait_used(s.t, &s.q[0], VS_WAIT_US, &u);
		vdev_used_ok(d, r, &u, "the same buffer after DRIVER_OK");
	}
	vs_close(&s);
}

/* Feature prerequisites the spec lists (§5.1.3.1 network, §5.9.3.1 crypto): bit -> needs one of. */
struct prerequisite { uint32_t device_id; int bit; uint64_t needs_any; const char *name; };
#define B(x) VIRTIO_BIT(x)
static const struct prerequisite prerequisites[] = {
	{ VIRTIO_ID_NET, 7, B(1), "GUEST_TSO4 needs GUEST_CSUM" },
	{ VIRTIO_ID_NET, 8, B(1), "GUEST_TSO6 needs GUEST_CSUM" },
	{ VIRTIO_ID_NET, 9, B(7) | B(8), "GUEST_ECN needs GUEST_TSO4 or GUEST_TSO6" },
	{ VIRTIO_ID_NET, 10, B(1), "GUEST_UFO needs GUEST_CSUM" },
	{ VIRTIO_ID_NET, 11, B(0), "HOST_TSO4 needs CSUM" },
	{ VIRTIO_ID_NET, 12, B(0), "HOST_TSO6 needs CSUM" },
	{ VIRTIO_ID_NET, 13, B(11) | B(12), "HOST_ECN needs HOST_TSO4 or HOST_TSO6" },
	{ VIRTIO_ID_NET, 14, B(0), "HOST_UFO needs CSUM" },
	{ VIRTIO_ID_NET, 56, B(0), "HOST_USO needs CSUM" },
	{ VIRTIO_ID_NET, 18, B(17), "CTRL_RX needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 19, B(17), "CTRL_VLAN needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 21, B(17), "GUEST_ANNOUNCE needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 22, B(17), "MQ needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 23, B(17), "CTRL_MAC_ADDR needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 61, B(11) | B(12), "RSC_EXT needs HOST_TSO4 or HOST_TSO6" },
	{ VIRTIO_ID_NET, 60, B(17), "RSS needs CTRL_VQ" },
	{ VIRTIO_ID_CRYPTO, 1, B(0), "CIPHER_STATELESS_MODE needs REVISION_1" },
	{ VIRTIO_ID_CRYPTO, 2, B(0), "HASH_STATELESS_MODE needs REVISION_1" },
	{ VIRTIO_ID_CRYPTO, 3, B(0), "MAC_STATELESS_MODE needs REVISION_1" },
	{ VIRTIO_ID_CRYPTO, 4, B(0), "AEAD_STATELESS_MODE needs REVISION_1" },
};

PROBE_CASE(core_prerequisites, "virtio.core.feature_prerequisites_offered", AVPS_CHECKS("no network or crypto device offers a feature without the feature the spec says it requires"),
	   FEATURE_BITS(1))
static void core_prerequisites(void)
{
	int checked = 0;
	vdev_discover();
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->version != 2)
			continue;
		for (unsigned i = 0; i < sizeof(prerequisites) / sizeof(prerequisites[0]); i++) {
			const struct prerequisite *p = &prerequisites[i];
			if (p->device_id != d->device_id)
				continue;
			checked++;
			if (d->t.offered & B(p->bit))
				probe_check(d->t.offered & p->needs_any, "%s: offers bit %d without its prerequisite (%s); "
					    "features 0x%llx", vdev_name(d), p->bit, p->name, (unsigned long long)d->t.offered);
		}
	}
	if (!checked)
		probe_skip("no network or crypto device: no feature with a listed prerequisite to check");
}

/* Config fields that do not depend on anything the driver negotiates or writes. */
struct config_field { uint32_t device_id; uint32_t offset; unsigned size; int needs_bit; const char *name; };
static const struct config_field stable_fields[] = {
	{ VIRTIO_ID_BLOCK, 0, 8, -1, "capacity" },
	{ VIRTIO_ID_NET, 0, 4, 5, "mac[0..3]" },
	{ VIRTIO_ID_NET, 4, 2, 5, "mac[4..5]" },
	{ VIRTIO_ID_SCSI, 0, 4, -1, "num_queues" },
	{ VIRTIO_ID_SCSI, 12, 4, -1, "cmd_per_lun" },
	{ VIRTIO_ID_CRYPTO, 4, 4, -1, "max_dataqueues" },
	{ VIRTIO_ID_CRYPTO, 8, 4, -1, "crypto_services" },
	{ VIRTIO_ID_GPU, 8, 4, -1, "num_scanouts" },
	{ VIRTIO_ID_CONSOLE, 4, 4, 1, "max_nr_ports" },
};

PROBE_CASE(core_config_early, "virtio.core.config_readable_before_features_ok", AVPS_CHECKS("device-specific config fields read before FEATURES_OK equal what the same fields read after DRIVER_OK"),
	   CONFIG_SPACE(1))
static void core_config_early(void)
{
	int checked = 0;
	vdev_discover();
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->version != 2)
			continue;
		uint64_t early[8];
		int n = 0;
		const struct config_field *f[8];
		for (unsigned i = 0; i < sizeof(stable_fields) / sizeof(stable_fields[0]) && n < 8; i++)
			if (stable_fields[i].device_id == d->device_id &&
			    (stable_fields[i].needs_bit < 0 || (d->t.offered & B(stable_fields[i].needs_bit))))
				f[n++] = &stable_fields[i];
		if (!n)
			continue;
		uint64_t wanted = 0;
		for (int i = 0; i < n; i++)
			wanted |= f[i]->needs_bit >= 0 ? B(f[i]->needs_bit) : 0;
		/* Reset, ACKNOWLEDGE, DRIVER, features written: FEATURES_OK not yet set. */
		uint32_t st = 0;
		vmmio_reset(&d->t, 100000, &st);
		d->ready = false;
		vmmio_set_status(&d->t, VIRTIO_STATUS_ACKNOWLEDGE);
		vmmio_set_status(&d->t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		vmmio_driver_features(&d->t, (wanted | B(VIRTIO_F_VERSION_1)) & d->t.offered);
		for (int i = 0; i < n; i++)
			early[i] = vmmio_config(&d->t, f[i]->offset, f[i]->size);
		struct vsession s;
		if (!vs_open(&s, d, wanted, 0, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			continue;
		for (int i = 0; i < n; i++) {
			uint64_t late = vmmio_config(&d->t, f[i]->offset, f[i]->size);
			checked++;
			probe_check(early[i] == late, "%s: %s read 0x%llx before FEATURES_OK, 0x%llx after DRIVER_OK",
				    vdev_name(d), f[i]->name, (unsigned long long)early[i], (unsigned long long)late);
			if (d->device_id == VIRTIO_ID_BLOCK)
				probe_check(late != 0, "%s: capacity reads 0", vdev_name(d));
		}
		vs_close(&s);
	}
	if (!checked)
		probe_skip("no device with a config field the probe knows to be fixed");
}

PROBE_CASE(core_no_sr_iov, "virtio.core.no_sr_iov_over_mmio", AVPS_CHECKS("no virtio-mmio device offers VIRTIO_F_SR_IOV (bit 37), which belongs to PCI devices with an SR-IOV capability"),
	   RESERVED_FEATURES(9))
static void core_no_sr_iov(void)
{
	int checked = 0;
	vdev_discover();
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->version != 2)
			continue;
		checked++;
		probe_check(!(d->t.offered & B(VIRTIO_F_SR_IOV)), "%s: virtio-mmio device offers VIRTIO_F_SR_IOV "
			    "(features 0x%llx)", vdev_name(d), (unsigned long long)d->t.offered);
	}
	if (!checked)
		probe_check(false, "no device on a version-2 virtio-mmio transport");
}

PROBE_CASE(core_silent_after_reset, "virtio.core.silent_after_reset", AVPS_CHECKS("once Status reads 0 after a reset, a buffer made available on the old queue (just before the reset, or after it if the device took that one while resetting) is not used, and no interrupt is raised, for 20 ms, even when the old queue is notified"),
	   DEVICE_RESET(2))
static void core_silent_after_reset(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	static uint8_t b[2][32] __attribute__((aligned(16)));
	if (!d || !vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	for (int i = 0; i < 32; i++)
		b[0][i] = b[1][i] = 0x5a;
	struct vbuf e = { b[0], sizeof(b[0]), true };
	uint16_t id;
	virtq_add(&s.q[0], &e, 1, VIRTQ_CHAIN_DIRECT, &id);   /* available, not notified */
	uint32_t st = 0;
	if (!probe_check(vmmio_reset(s.t, 100000, &st), "%s: Status reads 0x%x after writing 0", vdev_name(d), st))
		return;
	/* A device may take an available buffer before it has finished resetting (a vhost-user back end
	 * drains its ring when QEMU stops it); only what happens after Status reads 0 counts. */
	uint16_t used_at_reset = *virtq_used_idx_field(&s.q[0]);
	int watched = 0;
	if (used_at_reset != 0) {
		probe_diag("%s: the buffer made available before the reset was used while resetting; watching a "
			   "second one made available after it", vdev_name(d));
		e.addr = b[1];
		virtq_add(&s.q[0], &e, 1, VIRTQ_CHAIN_DIRECT, &id);
		watched = 1;
	}
	vmmio_notify(s.t, &s.q[0]);
	uint64_t end = vmmio_now_us(s.t) + 20000;
	while (vmmio_now_us(s.t) < end && *virtq_used_idx_field(&s.q[0]) == used_at_reset)
		;
	uint16_t used_now = *virtq_used_idx_field(&s.q[0]);
	int touched = 0;
	for (int i = 0; i < 32; i++)
		touched += b[watched][i] != 0x5a;
	uint32_t isr = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
	probe_check(used_now == used_at_reset && touched == 0 && isr == 0, "%s: after Status read 0: used idx %u -> %u, "
		    "%d buffer bytes written, InterruptStatus 0x%x", vdev_name(d), used_at_reset, used_now, touched, isr);
}

PROBE_CASE(core_needs_reset_notifies, "virtio.core.needs_reset_notifies", AVPS_CHECKS("when a device sets DEVICE_NEEDS_RESET while DRIVER_OK is set (here after a block read laid out as header + INDIRECT), InterruptStatus shows a configuration change"),
	   DEVICE_STATUS(3))
static void core_needs_reset_notifies(void)
{
	struct vdev *d = NULL;
	struct vsession s;
	struct virtq_used u;
	static struct { uint32_t type, reserved; uint64_t sector; } hdr __attribute__((aligned(16)));
	static uint8_t data[512] __attribute__((aligned(16)));
	static volatile uint8_t status __attribute__((aligned(16)));
	vdev_discover();
	for (int i = 0; i < vdev_count && !d; i++)
		if (vdevs[i].device_id == VIRTIO_ID_BLOCK && vdevs[i].version == 2 &&
		    (vdevs[i].t.offered & B(VIRTIO_F_INDIRECT_DESC)))
			d = &vdevs[i];
	if (!d) {
		probe_skip("no block device with VIRTIO_F_INDIRECT_DESC to run the request on");
		return;
	}
	if (!vs_open(&s, d, B(VIRTIO_F_INDIRECT_DESC), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	vmmio_ack(s.t, vmmio_read(s.t, VMMIO_INTERRUPT_STATUS));
	hdr.type = 0;
	hdr.sector = 0;
	status = 0xff;
	struct vbuf e[3] = { { &hdr, sizeof(hdr), false }, { data, sizeof(data), true }, { (void *)&status, 1, true } };
	uint16_t id;
	virtq_add(&s.q[0], e, 3, VIRTQ_CHAIN_THEN_INDIRECT, &id);
	vmmio_notify(s.t, &s.q[0]);
	enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], VS_WAIT_US, &u);
	uint32_t st = vmmio_status(s.t);
	if (!(st & VIRTIO_STATUS_NEEDS_RESET)) {
		probe_skip("%s kept working (status 0x%x, used ring '%s'): no DEVICE_NEEDS_RESET to check", vdev_name(d), st,
			   virtq_result_name(r));
		vs_close(&s);
		return;
	}
	uint32_t isr = vmmio_wait_isr(s.t, VIRTIO_ISR_CONFIG, 100000);
	probe_check(isr & VIRTIO_ISR_CONFIG, "%s: status 0x%x (DEVICE_NEEDS_RESET with DRIVER_OK) but InterruptStatus 0x%x "
		    "has no configuration change", vdev_name(d), st, isr);
	vs_close(&s);
}
