/* virtio-mmio transport cases: magic, version, IDs, feature negotiation, status handshake, queue setup, config generation. */
#include "cpu.h"
#include "probe.h"
#include "statements.h"
#include "virtio_mmio.h"
#include "host_link.h"
#include "text_format.h"
#include "../../../reference-hv/devices/rtc_proto.h"

const char probe_name[] = "virtio-mmio";

/* Runs `body` for every device with a modern (version 2) transport. */
#define FOR_EACH_MODERN(d) \
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) if (d->version == 2)

static int modern_count(void)
{
	int n = 0;
	FOR_EACH_MODERN(d)
		n++;
	return n;
}

/* Cases that need a modern device say so once. */
static bool need_modern(void)
{
	vdev_discover();
	if (vdev_transports == 0) {
		probe_skip("no virtio,mmio node in the DT");
		return false;
	}
	return probe_check(modern_count() > 0, "no device on a version-2 virtio-mmio transport "
			   "(%d transports, %d with a device)", vdev_transports, vdev_count);
}

PROBE_CASE(mmio_magic, "virtio.mmio.magic",
	   AVPS_CHECKS("every virtio,mmio transport in the DT reads MagicValue 0x74726976"),
	   "AVPS.VIRTIO.1", MMIO_LAYOUT(1))
static void mmio_magic(void)
{
	vdev_discover();
	probe_diag("%d virtio,mmio transports in the DT, %d with a device", vdev_transports,
		   vdev_count);
	if (vdev_transports == 0) {
		probe_skip("no virtio,mmio node in the DT");
		return;
	}
	for (int i = 0; i < vdev_transports; i++) {
		uint32_t magic = mmio_read32(vdev_transport_base[i] + VIRTIO_MMIO_MAGIC_VALUE);
		probe_check(magic == VIRTIO_MMIO_MAGIC, "transport @0x%llx: MagicValue expected "
			    "0x74726976, got 0x%x", (unsigned long long)vdev_transport_base[i], magic);
	}
}

PROBE_CASE(mmio_version, "virtio.mmio.version",
	   AVPS_CHECKS("at least one transport has a device and every device reads Version 2"),
	   "AVPS.VIRTIO.1", MMIO_LAYOUT(2))
static void mmio_version(void)
{
	if (vdev_transports == 0) {
		probe_skip("no virtio,mmio node in the DT");
		return;
	}
	probe_check(vdev_count > 0, "no virtio,mmio transport has a device (all DeviceID 0)");
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++)
		probe_check(d->version == 2, "%s: Version expected 2, got %u%s", vdev_name(d),
			    d->version, d->version == 1 ? " (legacy interface)" : "");
}

/* Device IDs VIRTIO 1.2 §5 assigns, and the media device's 48 of VIRTIO 1.4 (bit n set: ID n is assigned). */
#define VIRTIO_ID_MEDIA 48
static const uint64_t assigned_ids = 0x7dfffff3ffeULL | 1ULL << VIRTIO_ID_MEDIA;

/* Virtqueues a device type defines, given the features that add queues (negotiated). */
static int queues_defined(struct vdev *d, uint64_t negotiated)
{
	switch (d->device_id) {
	case VIRTIO_ID_NET:
		return 2 + ((negotiated >> 17) & 1);          /* + controlq with CTRL_VQ */
	case VIRTIO_ID_BLOCK:
		return (negotiated >> 12) & 1 ? (int)vmmio_config(&d->t, 34, 2) : 1;   /* MQ: num_queues */
	case VIRTIO_ID_CONSOLE:
		return (negotiated >> 1) & 1 ? 4 : 2;          /* MULTIPORT: + control receive/transmit */
	case VIRTIO_ID_ENTROPY:
	case VIRTIO_ID_9P:
		return 1;
	case VIRTIO_ID_BALLOON:
		return 2;                                     /* inflateq, deflateq (more by feature) */
	case VIRTIO_ID_SCSI:
		return 2 + (int)vmmio_config(&d->t, 0, 4);     /* controlq, eventq, num_queues requestqs */
	case VIRTIO_ID_GPU:
	case VIRTIO_ID_INPUT:
		return 2;
	case VIRTIO_ID_CRYPTO:
		return 1 + (int)vmmio_config(&d->t, 4, 4);     /* max_dataqueues dataqs + controlq */
	case VIRTIO_ID_CAN:
		return 3;                                     /* txq, rxq, controlq */
	case VIRTIO_ID_MEDIA:
		return 2;                                     /* commandq, eventq */
	case VIRTIO_ID_RTC:
		return 1 + (int)((negotiated >> RTC_F_ALARM) & 1);   /* requestq, + alarmq with VIRTIO_RTC_F_ALARM */
	default:
		return 0;                                     /* the probe does not know this type */
	}
}

PROBE_CASE(mmio_ids, "virtio.mmio.ids",
	   AVPS_CHECKS("every device's DT node has an interrupt, its DeviceID is one VIRTIO assigns, its VendorID "
	               "reads, and the transport presents every virtqueue that device type defines"),
	   "AVPS.VIRTIO.1")
static void mmio_ids(void)
{
	if (!need_modern())
		return;
	FOR_EACH_MODERN(d) {
		const char *n = vdev_name(d);
		probe_diag("%s: DeviceID %u VendorID 0x%x Version %u", n, d->device_id, d->vendor_id, d->version);
		/* DT: the node that names this transport also gives it an interrupt. */
		uint32_t irq = 0;
		probe_check(dt_prop_u32(d->dt_node, "interrupts", 0, &irq), "%s: DT node has no interrupts property", n);
		/* Transport: the DeviceID is one VIRTIO 1.2 assigns; VendorID is readable. */
		probe_check(d->device_id < 64 && ((assigned_ids >> d->device_id) & 1), "%s: DeviceID %u is not an "
			    "assigned VIRTIO device ID", n, d->device_id);
		probe_check(d->vendor_id != 0xffffffffu, "%s: VendorID reads all ones", n);
		/* Device: the transport presents every virtqueue that device type defines. */
		uint64_t queue_features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(17) | VIRTIO_BIT(12) |
					  (d->device_id == VIRTIO_ID_CONSOLE ? VIRTIO_BIT(1) : 0);
		if (d->device_id != VIRTIO_ID_NET && d->device_id != VIRTIO_ID_BLOCK)
			queue_features &= ~(VIRTIO_BIT(17) | VIRTIO_BIT(12));
		if (d->device_id == VIRTIO_ID_I2C)
			queue_features |= VIRTIO_BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST);   /* kept only when offered */
		if (d->device_id == VIRTIO_ID_CAN)
			queue_features |= VIRTIO_CAN_FRAME_TYPES;                         /* kept only when offered */
		if (d->device_id == VIRTIO_ID_RTC)
			queue_features |= VIRTIO_BIT(RTC_F_ALARM);        /* adds the alarmq; kept only when offered */
		uint32_t st = vmmio_negotiate(&d->t, queue_features);
		int want = queues_defined(d, d->t.negotiated);
		if (!probe_check(st & VIRTIO_STATUS_FEATURES_OK, "%s: FEATURES_OK refused for 0x%llx", n,
				 (unsigned long long)d->t.negotiated))
			continue;
		if (want == 0) {
			probe_diag("%s: DeviceID %u: virtqueue count not known to the probe, not checked", n, d->device_id);
			continue;
		}
		int missing = -1;
		for (int q = 0; q < want && q < 64 && missing < 0; q++) {
			vdev_write(d, VIRTIO_MMIO_QUEUE_SEL, (uint32_t)q);
			if (vdev_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0)
				missing = q;
		}
		probe_check(missing < 0, "%s: DeviceID %u defines %d virtqueues (features 0x%llx), queue %d has "
			    "QueueNumMax 0", n, d->device_id, want, (unsigned long long)d->t.negotiated, missing);
		vmmio_reset(&d->t, 100000, &st);
	}
}

PROBE_CASE(mmio_version_1, "virtio.mmio.feature_version_1",
	   AVPS_CHECKS("every modern device offers VIRTIO_F_VERSION_1 (bit 32) in DeviceFeatures"),
	   "AVPS.VIRTIO.1", RESERVED_FEATURES(1))
static void mmio_version_1(void)
{
	if (!need_modern())
		return;
	FOR_EACH_MODERN(d) {
		d->features = vdev_device_features(d);
		probe_diag("%s: device features 0x%llx", vdev_name(d), (unsigned long long)d->features);
		probe_check(d->features & (1ULL << VIRTIO_F_VERSION_1),
			    "%s: VIRTIO_F_VERSION_1 (bit 32) not offered", vdev_name(d));
	}
}

/* reset -> ACKNOWLEDGE -> DRIVER, checking each value reads back. */
static bool status_begin(struct vdev *d)
{
	const char *n = vdev_name(d);
	vdev_write(d, VIRTIO_MMIO_STATUS, 0);
	uint32_t s = 0xff;
	bool ok = probe_check(WAIT_FOR((s = vdev_read(d, VIRTIO_MMIO_STATUS)) == 0, 100),
			      "%s: status after reset expected 0, got 0x%x", n, s);
	vdev_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	s = vdev_read(d, VIRTIO_MMIO_STATUS);
	ok &= probe_check(s == VIRTIO_STATUS_ACKNOWLEDGE, "%s: after ACKNOWLEDGE status 0x%x", n, s);
	vdev_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	s = vdev_read(d, VIRTIO_MMIO_STATUS);
	ok &= probe_check(s == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER),
			  "%s: after DRIVER status expected 0x3, got 0x%x", n, s);
	return ok;
}

/* Advisory only: a driver MUST NOT accept a feature the device did not offer (§2.2), and
 * the device's answer to such a set is not defined there (its MUST covers valid subsets it
 * cannot accept). The probe still shows what the device did, as a diagnostic that never
 * decides a verdict. */
static void advise_unoffered_feature(struct vdev *d)
{
	int bit = 23;   /* a device-specific bit (0..23) the device does not offer */
	while (bit >= 0 && (d->features & (1ULL << bit)))
		bit--;
	if (bit < 0)
		return;
	status_begin(d);
	vdev_driver_features(d, (d->features & (1ULL << VIRTIO_F_VERSION_1)) | (1ULL << bit));
	vdev_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK);
	uint32_t s = vdev_read(d, VIRTIO_MMIO_STATUS);
	probe_diag("advisory, no verdict: %s took unoffered bit %d: FEATURES_OK %s (VIRTIO 1.2 2.2: undefined)",
		   vdev_name(d), bit, (s & VIRTIO_STATUS_FEATURES_OK) ? "kept" : "refused");
	vdev_write(d, VIRTIO_MMIO_STATUS, 0);
}

/* Features the probe's driver accepts: VERSION_1, for blk RO (informational), for I2C and CAN the ones a driver must take. */
static uint64_t driver_features(const struct vdev *d)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1;
	if (d->device_id == VIRTIO_ID_BLOCK)
		f |= 1ULL << 5;
	if (d->device_id == VIRTIO_ID_I2C)
		f |= 1ULL << VIRTIO_I2C_F_ZERO_LENGTH_REQUEST;
	if (d->device_id == VIRTIO_ID_CAN)
		f |= VIRTIO_CAN_FRAME_TYPES;
	return d->features & f;
}

PROBE_CASE(mmio_handshake, "virtio.mmio.status_handshake",
	   AVPS_CHECKS("writing 0 to Status reads back 0, and ACKNOWLEDGE, DRIVER, then FEATURES_OK with the offered "
	               "features read back as written"),
	   "AVPS.VIRTIO.1", DEVICE_RESET(1))
static void mmio_handshake(void)
{
	if (!need_modern())
		return;
	FOR_EACH_MODERN(d) {
		advise_unoffered_feature(d);
		bool ok = status_begin(d);
		vdev_driver_features(d, driver_features(d));
		uint32_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK;
		vdev_write(d, VIRTIO_MMIO_STATUS, want);
		uint32_t s = vdev_read(d, VIRTIO_MMIO_STATUS);
		ok &= probe_check(s == want, "%s: accepted offered features 0x%llx, status expected "
				  "0x%x, got 0x%x", vdev_name(d),
				  (unsigned long long)driver_features(d), want, s);
		d->ready = ok;   /* queue setup and DRIVER_OK follow */
	}
}

PROBE_CASE(mmio_queue_setup, "virtio.mmio.queue_setup",
	   AVPS_CHECKS("after queue setup, DRIVER_OK reads back in Status"),
	   "AVPS.VIRTIO.1")
static void mmio_queue_setup(void)
{
	if (!need_modern())
		return;
	FOR_EACH_MODERN(d) {
		if (!probe_check(d->ready, "%s: not tested, the status handshake failed", vdev_name(d)))
			continue;
		d->ready = vdev_queue_setup(d);
		uint32_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
		vdev_write(d, VIRTIO_MMIO_STATUS, want);
		uint32_t s = vdev_read(d, VIRTIO_MMIO_STATUS);
		d->ready &= probe_check(s == want, "%s: after DRIVER_OK status expected 0x%x, got 0x%x",
					vdev_name(d), want, s);
	}
}

#define BALLOON_NUM_PAGES 0   /* virtio_balloon_config.num_pages: the host's target, in 4 KiB pages */
#define BALLOON_MIB 16

static bool text_ends_with(const char *s, const char *suffix)
{
	size_t n = 0, m = 0;
	while (s[n])
		n++;
	while (suffix[m])
		m++;
	for (size_t i = 0; i < m; i++)
		if (n < m || s[n - m + i] != suffix[i])
			return false;
	return true;
}

/* Asks the host to set a balloon of `mib` MiB (QMP 'balloon'); false (the case SKIPs with the reason)
 * when the host cannot. */
static bool host_sets_balloon(unsigned mib)
{
	static unsigned nonce;
	char request[48], prefix[40], reply[120];
	nonce++;
	text_format(request, sizeof(request), "AVPS-BALLOON %u %u", nonce, mib);
	text_format(prefix, sizeof(prefix), "AVPS-BALLOON-REPLY %u ", nonce);
	bool ok = host_link_request(request, prefix, reply, sizeof(reply), 5000) && text_ends_with(reply, " ok");
	if (!ok)   /* the platform's host offers no such service: nothing to decide, not a failure */
		probe_skip("host cannot change the balloon configuration: %s", reply);
	return ok;
}

/* One config change made by the host: ConfigGeneration must move, and num_pages must show it. */
static void observe_change(struct vdev *d, unsigned mib)
{
	uint32_t g1 = vdev_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
	uint64_t before = vmmio_config(&d->t, BALLOON_NUM_PAGES, 4);
	vmmio_ack(&d->t, vmmio_read(&d->t, VMMIO_INTERRUPT_STATUS));
	if (!host_sets_balloon(mib))
		return;
	uint32_t isr = vmmio_wait_isr(&d->t, VIRTIO_ISR_CONFIG, 1000000);
	uint64_t after = 0;
	uint32_t g2 = 0;
	bool stable = vmmio_config_stable(&d->t, BALLOON_NUM_PAGES, 4, &after, 8, &g2);
	probe_diag("%s: balloon %u MiB: num_pages %llu -> %llu, ConfigGeneration %u -> %u, InterruptStatus 0x%x",
		   vdev_name(d), mib, (unsigned long long)before, (unsigned long long)after, g1, g2, isr);
	if (!probe_check(stable && after == (uint64_t)mib * 256, "%s: num_pages %llu after the host set a %u MiB "
			 "balloon (expected %u)%s", vdev_name(d), (unsigned long long)after, mib, mib * 256,
			 stable ? "" : ", ConfigGeneration never held still"))
		return;
	probe_check(before == after || g1 != g2, "%s: num_pages changed %llu -> %llu but ConfigGeneration stayed %u",
		    vdev_name(d), (unsigned long long)before, (unsigned long long)after, g1);
	vmmio_ack(&d->t, isr);
}

PROBE_CASE(mmio_config_generation, "virtio.mmio.config_generation",
	   AVPS_CHECKS("when the host changes the balloon target at run time (QMP), the balloon's num_pages follows "
	               "and ConfigGeneration changes, both ways"),
	   "AVPS.VIRTIO.1", MMIO_LAYOUT(6))
static void mmio_config_generation(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_BALLOON);
	if (!d) {
		probe_skip("no balloon device (DeviceID 5): no configuration the host can change at run time");
		return;
	}
	/* DRIVER_OK: a device raises configuration changes only to a live driver. */
	uint32_t st = vmmio_negotiate(&d->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vmmio_set_status(&d->t, st | VIRTIO_STATUS_DRIVER_OK);
	observe_change(d, BALLOON_MIB);
	observe_change(d, 0);     /* and back: the guest keeps all its RAM */
	vmmio_reset(&d->t, 100000, &st);
}

PROBE_CASE(mmio_config_change_isr, "virtio.mmio.config_change_interrupt",
	   AVPS_CHECKS("a host-made config change on a balloon with no virtqueue enabled sets InterruptStatus bit 1 "
	               "until acknowledged, and not bit 0 (no buffer was used)"),
	   MMIO_LAYOUT(3), MMIO_LAYOUT(4))
static void mmio_config_change_isr(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_BALLOON);
	if (!d) {
		probe_skip("no balloon device (DeviceID 5): no configuration the host can change at run time");
		return;
	}
	uint32_t st = vmmio_negotiate(&d->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vmmio_set_status(&d->t, st | VIRTIO_STATUS_DRIVER_OK);
	uint32_t isr = vmmio_read(&d->t, VMMIO_INTERRUPT_STATUS);
	if (!probe_check(isr == 0, "%s: InterruptStatus 0x%x before any event", vdev_name(d), isr) ||
	    !host_sets_balloon(8))
		goto out;
	isr = vmmio_wait_isr(&d->t, VIRTIO_ISR_CONFIG, 1000000);
	uint32_t again = vmmio_read(&d->t, VMMIO_INTERRUPT_STATUS);
	probe_check((isr & VIRTIO_ISR_CONFIG) && (again & VIRTIO_ISR_CONFIG), "%s: config change: InterruptStatus "
		    "0x%x, then 0x%x before any InterruptACK (bit 1 expected both times)", vdev_name(d), isr, again);
	probe_check(!(isr & VIRTIO_ISR_USED), "%s: config change with no virtqueue enabled: InterruptStatus 0x%x "
		    "sets bit 0 (used buffer), which did not happen", vdev_name(d), isr);
	vmmio_ack(&d->t, isr);
	host_sets_balloon(0);
out:
	vmmio_reset(&d->t, 100000, &st);
}
