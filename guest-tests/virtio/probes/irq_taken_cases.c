/* Used-buffer notifications taken as real interrupts: the device's SPI enabled at the GIC, taken through the IRQ vector, InterruptStatus read and acknowledged in the handler, interrupts counted. */
#include "cpu.h"
#include "irq.h"
#include "probe.h"
#include "session.h"
#include "statements.h"

#define REQUESTS 8
#define IRQ_WAIT_MS 100      /* an interrupt the device owes */
#define QUIET_MS 20          /* after InterruptACK: no further interrupt */
#define STORM_LIMIT 64       /* interrupts in one case beyond which the SPI is disabled (storm) */

static volatile uint32_t taken, isr_or, isr_zero, storm;
static unsigned dev_intid;
static const struct vmmio *dev_t;
static uint8_t buf[16] __attribute__((aligned(16)));

/* The handler: reads InterruptStatus, acknowledges what it read, counts; a storm disables the SPI. */
static void on_irq(uint32_t intid)
{
	if (intid != dev_intid)
		return;
	uint32_t isr = vmmio_read(dev_t, VMMIO_INTERRUPT_STATUS);
	taken++;
	isr_or |= isr;
	if (isr)
		vmmio_ack(dev_t, isr);
	else
		isr_zero++;
	if (taken > STORM_LIMIT) {
		storm = 1;
		gic_disable_spi(intid);
	}
}

/* Enables the device's DT SPI at the GIC, installs the handler, unmasks IRQs. */
static bool irq_begin(struct vsession *s)
{
	uint32_t type = 1, number = 0;
	if (!probe_check(dt_prop_u32(s->d->dt_node, "interrupts", 0, &type) &&
			 dt_prop_u32(s->d->dt_node, "interrupts", 1, &number) && type == 0,
			 "%s: no GIC SPI in the DT node's interrupts (type %u)", vdev_name(s->d), type))
		return false;
	dev_intid = 32 + number;
	dev_t = s->t;
	taken = isr_or = isr_zero = storm = 0;
	vmmio_ack(s->t, vmmio_read(s->t, VMMIO_INTERRUPT_STATUS));
	const char *gic = gic_enable_spi(dev_intid);
	if (!probe_check(gic != NULL, "%s: SPI %u: no GIC distributor in the DT", vdev_name(s->d), dev_intid))
		return false;
	/* An edge-triggered SPI (refhv's) keeps the pending latch of notifications earlier cases got
	 * with the SPI disabled; taking it here would blame this case's device for an old edge. */
	gic_clear_pending_spi(dev_intid);
	probe_irq_set_handler(on_irq);
	probe_irq_unmask();
	return true;
}

static void irq_end(void)
{
	probe_irq_mask();
	gic_disable_spi(dev_intid);
	probe_irq_set_handler(NULL);
}

/* One entropy request; then waits for an interrupt beyond `before`: whether one was taken. */
static bool request(struct vsession *s, bool *ok)
{
	struct virtq_used u;
	struct vbuf e = { buf, sizeof(buf), true };
	*ok = vs_call(s, 0, &e, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request");
	return *ok;
}

PROBE_CASE(irq_taken, "virtio.mmio.used_buffer_interrupt_taken",
	   AVPS_CHECKS("with the entropy device's SPI enabled and IRQs unmasked, each of 8 requests (split, and packed "
		       "where offered) is followed by an interrupt taken whose handler reads InterruptStatus bit 0 set; "
		       "after InterruptACK it reads 0 and no further interrupt comes for 20 ms"),
	   "AVPS.VIRTIO.1", MMIO_LAYOUT(3), MMIO_LAYOUT(4), VQ_USED_NOTIF(3))
static void irq_taken(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	enum virtq_layout layouts[2];
	bool ok = true;
	if (!d)
		return;
	int nl = vs_layouts(d, layouts);
	for (int l = 0; l < nl && ok; l++) {
		const char *ring = vs_layout_name(layouts[l]);
		if (!vs_open(&s, d, 0, 1, layouts[l], 8, VS_DRIVER_OK))
			return;
		if (!irq_begin(&s)) {
			vs_close(&s);
			return;
		}
		for (int i = 0; i < REQUESTS && ok; i++) {
			uint32_t before = taken;
			if (!request(&s, &ok))
				break;
			bool got = WAIT_FOR(taken != before, IRQ_WAIT_MS);
			ok = probe_check(got, "%s: %s ring, request %d: used entry seen, but no interrupt taken within %d ms "
					 "(InterruptStatus 0x%x)", vdev_name(d), ring, i, IRQ_WAIT_MS,
					 vmmio_read(s.t, VMMIO_INTERRUPT_STATUS));
		}
		uint32_t settled = taken;
		WAIT_FOR(storm, QUIET_MS);
		uint32_t after = taken, isr = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
		irq_end();
		probe_diag("%s: %s ring: %d requests, %u interrupts taken, InterruptStatus seen 0x%x", vdev_name(d), ring,
			   REQUESTS, settled, isr_or);
		if (ok) {
			probe_check(isr_zero == 0 && (isr_or & VIRTIO_ISR_USED), "%s: %s ring: %u of %u interrupts found "
				    "InterruptStatus 0 (bits seen 0x%x)", vdev_name(d), ring, isr_zero, settled, isr_or);
			probe_check(after == settled && !storm && isr == 0, "%s: %s ring: after InterruptACK %u more "
				    "interrupts in %d ms%s, InterruptStatus 0x%x", vdev_name(d), ring, after - settled, QUIET_MS,
				    storm ? " (a storm: SPI disabled)" : "", isr);
		}
		vs_close(&s);
	}
}

/* The entropy device with EVENT_IDX and interrupts taken, or a SKIP/failed check. */
static struct vdev *event_idx_begin(struct vsession *s)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_ENTROPY, "entropy device", VIRTIO_F_EVENT_IDX, "VIRTIO_F_EVENT_IDX");
	if (!d)
		return NULL;
	if (!vs_open(s, d, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return NULL;
	if (!irq_begin(s)) {
		vs_close(s);
		return NULL;
	}
	return d;
}

PROBE_CASE(irq_event_idx, "virtio.vq.event_idx_interrupt_at_used_event",
	   AVPS_CHECKS("with VIRTIO_F_EVENT_IDX and used_event set three entries ahead, the fourth request's used entry "
		       "is followed by an interrupt taken (twice over; interrupts for the first three are only counted)"),
	   VQ_USED_NOTIF(5))
static void irq_event_idx(void)
{
	struct vsession s;
	bool ok = true;
	struct vdev *d = event_idx_begin(&s);
	if (!d)
		return;
	for (int round = 0; round < 2 && ok; round++) {
		virtq_set_used_event(&s.q[0], 3);
		uint32_t start = taken, before = taken;
		for (int i = 0; i < 4 && ok; i++) {
			before = taken;
			request(&s, &ok);
		}
		if (!ok)
			break;
		bool got = WAIT_FOR(taken != before, IRQ_WAIT_MS);
		ok = probe_check(got, "%s: round %d: no interrupt taken within %d ms after used entry %u = used_event",
				 vdev_name(d), round, IRQ_WAIT_MS, (unsigned)(s.q[0].last_used - 1));
		probe_diag("%s: round %d: %u interrupts for the three entries before used_event (suppression: advisory)",
			   vdev_name(d), round, before - start);
	}
	irq_end();
	vs_close(&s);
}

PROBE_CASE(irq_event_idx_flags, "virtio.vq.event_idx_interrupt_despite_no_interrupt",
	   AVPS_CHECKS("with VIRTIO_F_EVENT_IDX, avail flags VIRTQ_AVAIL_F_NO_INTERRUPT set and used_event naming the "
		       "next entry, each of 4 requests is followed by an interrupt taken"),
	   VQ_USED_NOTIF(4))
static void irq_event_idx_flags(void)
{
	struct vsession s;
	bool ok = true;
	struct vdev *d = event_idx_begin(&s);
	if (!d)
		return;
	for (int i = 0; i < 4 && ok; i++) {
		virtq_set_no_interrupt(&s.q[0], true);
		virtq_set_used_event(&s.q[0], 0);
		uint32_t before = taken;
		if (!request(&s, &ok))
			break;
		bool got = WAIT_FOR(taken != before, IRQ_WAIT_MS);
		ok = probe_check(got, "%s: request %d: no interrupt taken within %d ms for used entry %u = used_event "
				 "(avail flags 1)", vdev_name(d), i, IRQ_WAIT_MS, (unsigned)(s.q[0].last_used - 1));
	}
	irq_end();
	vs_close(&s);
}
