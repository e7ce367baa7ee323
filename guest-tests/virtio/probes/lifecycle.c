/* Used-buffer interrupts seen during the requests, then device reset with an unacknowledged interrupt pending (Status 0 clears status, InterruptStatus, QueueReady). */
#include "cpu.h"
#include "probe.h"
#include "statements.h"
#include "virtio_mmio.h"

PROBE_CASE(mmio_interrupt, "virtio.mmio.interrupt_status",
	   AVPS_CHECKS("every used buffer the probe's requests got came with InterruptStatus bit 0 set"),
	   "AVPS.VIRTIO.1", MMIO_LAYOUT(3))
static void mmio_interrupt(void)
{
	int devices = 0;
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->interrupts_seen + d->interrupts_missing == 0)
			continue;
		devices++;
		probe_check(d->interrupts_missing == 0, "%s: %d of %d used buffers came without "
			    "InterruptStatus bit 0", vdev_name(d), d->interrupts_missing,
			    d->interrupts_seen + d->interrupts_missing);
	}
	if (devices == 0)
		probe_check(false, "no request completed, so no interrupt could be checked");
}

/* Leaves InterruptStatus bit 0 set on d (a used buffer, not acknowledged); returns the value read. */
static uint32_t raise_used_interrupt(struct vdev *d)
{
	static uint8_t buf[16] __attribute__((aligned(16)));
	struct vbuf b = { buf, sizeof(buf), true };
	struct virtq_used u;
	uint16_t id;
	if (virtq_add(&d->vq, &b, 1, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK)
		return 0;
	vmmio_notify(&d->t, &d->vq);
	if (vmmio_wait_used(&d->t, &d->vq, 1000000, &u) != VIRTQ_OK)
		return 0;
	return vmmio_wait_isr(&d->t, VIRTIO_ISR_USED, 100000);
}

PROBE_CASE(mmio_reset, "virtio.mmio.reset",
	   AVPS_CHECKS("with a used-buffer interrupt left unacknowledged, writing 0 to Status: Status, queue 0's "
	               "QueueReady and InterruptStatus read 0"),
	   "AVPS.VIRTIO.1", DEVICE_RESET(1), MMIO_LAYOUT(5))
static void mmio_reset(void)
{
	int tested = 0, pending = 0;
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->version != 2 || !d->ready)
			continue;
		tested++;
		/* An event the driver never acknowledges: reset itself must clear it. */
		uint32_t before = d->device_id == VIRTIO_ID_ENTROPY ? raise_used_interrupt(d)
								 : vdev_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
		if (before)
			pending++;
		vdev_write(d, VIRTIO_MMIO_STATUS, 0);
		uint32_t s = 0xff;
		probe_check(WAIT_FOR((s = vdev_read(d, VIRTIO_MMIO_STATUS)) == 0, 100),
			    "%s: Status after writing 0: expected 0, got 0x%x", vdev_name(d), s);
		vdev_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		uint32_t ready = vdev_read(d, VIRTIO_MMIO_QUEUE_READY);
		probe_check(ready == 0, "%s: QueueReady after reset: expected 0, got %u",
			    vdev_name(d), ready);
		uint32_t isr = vdev_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
		probe_check(isr == 0, "%s: InterruptStatus after reset: expected 0, got 0x%x (0x%x before, "
			    "not acknowledged)", vdev_name(d), isr, before);
		d->ready = false;
	}
	if (!tested)
		probe_check(false, "no device was set up, so reset could not be checked");
	else
		probe_check(pending > 0, "no device had an unacknowledged InterruptStatus bit before reset, so "
			    "its clearing could not be observed");
}
