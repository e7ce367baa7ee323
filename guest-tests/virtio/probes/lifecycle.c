/* Used-buffer interrupts seen during the requests, then device reset (Status 0 clears status and QueueReady). */
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

PROBE_CASE(mmio_reset, "virtio.mmio.reset",
	   AVPS_CHECKS("after writing 0 to Status: Status reads 0, queue 0's QueueReady reads 0 and InterruptStatus "
	               "reads 0"),
	   "AVPS.VIRTIO.1", DEVICE_RESET(1), MMIO_LAYOUT(5))
static void mmio_reset(void)
{
	int tested = 0;
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->version != 2 || !d->ready)
			continue;
		tested++;
		vdev_write(d, VIRTIO_MMIO_STATUS, 0);
		uint32_t s = 0xff;
		probe_check(WAIT_FOR((s = vdev_read(d, VIRTIO_MMIO_STATUS)) == 0, 100),
			    "%s: Status after writing 0: expected 0, got 0x%x", vdev_name(d), s);
		vdev_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		uint32_t ready = vdev_read(d, VIRTIO_MMIO_QUEUE_READY);
		probe_check(ready == 0, "%s: QueueReady after reset: expected 0, got %u",
			    vdev_name(d), ready);
		uint32_t isr = vdev_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
		probe_check(isr == 0, "%s: InterruptStatus after reset: expected 0, got 0x%x",
			    vdev_name(d), isr);
		d->ready = false;
	}
	if (!tested)
		probe_check(false, "no device was set up, so reset could not be checked");
}
