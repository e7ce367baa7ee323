/* The device's interrupt line at the GIC (SPI from the DT node): asserted by a used buffer, observed in GICD_ISPENDR with IRQs masked. */
#include "cpu.h"
#include "probe.h"
#include "session.h"
#include "statements.h"

#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define SPI_LOOKS 8   /* looks at an idle line: each after InterruptACK, judged only while InterruptStatus is 0 */

/* Distributor base of the GIC the DT names (GICv2 or GICv3: SPIs live in the distributor). */
static uintptr_t distributor(void)
{
	static const char *const compat[] = { "arm,gic-v3", "arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic" };
	for (unsigned i = 0; i < 4; i++) {
		int node = dt_next_compatible(-1, compat[i]);
		uint64_t base = 0;
		if (node >= 0 && dt_reg(node, 0, &base, NULL))
			return (uintptr_t)base;
	}
	return 0;
}

static bool spi_pending(uintptr_t gicd, unsigned intid)
{
	return mmio_read32(gicd + GICD_ISPENDR + (intid / 32) * 4) & (1u << (intid % 32));
}

static void spi_clear(uintptr_t gicd, unsigned intid)
{
	mmio_write32(gicd + GICD_ICPENDR + (intid / 32) * 4, 1u << (intid % 32));
}

PROBE_CASE(mmio_spi, "virtio.mmio.used_buffer_asserts_interrupt", AVPS_CHECKS("the entropy device's DT interrupt (a GIC SPI) is not pending while InterruptStatus is 0 and goes pending at the GIC when a used buffer sets InterruptStatus bit 0"),
	   "AVPS.VIRTIO.1")
static void mmio_spi(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	static uint8_t b[16] __attribute__((aligned(16)));
	if (!d)
		return;
	uint32_t type = 0, number = 0;
	uintptr_t gicd = distributor();
	if (!probe_check(dt_prop_u32(d->dt_node, "interrupts", 0, &type) && dt_prop_u32(d->dt_node, "interrupts", 1, &number) &&
			 type == 0 && gicd, "%s: no GIC SPI in the DT node's interrupts (type %u) or no GIC distributor",
			 vdev_name(d), type))
		return;
	unsigned intid = 32 + number;   /* GIC binding: type 0 = SPI, numbered from 32 */
	if (!vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	/* The line is judged only while InterruptStatus reads 0 on both sides of the GICD_ISPENDR read: an event
	 * the device raises in between (legitimately pending) is acknowledged and the look repeated. */
	uint32_t isr_before = 0, isr_after = 0;
	bool before = false;
	int look = 0;
	do {
		vmmio_ack(s.t, vmmio_read(s.t, VMMIO_INTERRUPT_STATUS));
		spi_clear(gicd, intid);
		isr_before = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
		before = spi_pending(gicd, intid);
		isr_after = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
	} while ((isr_before | isr_after) && ++look < SPI_LOOKS);
	if (isr_before | isr_after)   /* events nobody caused are virtio.mmio.interrupt_status_only_real_events' to judge */
		probe_diag("%s: idle line not judged: InterruptStatus 0x%x at each of %d looks after InterruptACK",
			   vdev_name(d), isr_before | isr_after, SPI_LOOKS);
	else
		probe_check(!before, "%s: SPI %u pending at the GIC while InterruptStatus reads 0", vdev_name(d), intid);
	struct vbuf e = { b, sizeof(b), true };
	if (vs_call(&s, 0, &e, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request")) {
		uint32_t isr = vmmio_wait_isr(s.t, VIRTIO_ISR_USED, 100000);
		bool raised = WAIT_FOR(spi_pending(gicd, intid), 10);
		probe_check(raised, "%s: InterruptStatus 0x%x after a used buffer, but SPI %u (DT interrupt) never went pending "
			    "at the GIC", vdev_name(d), isr, intid);
		vmmio_ack(s.t, isr);
	}
	spi_clear(gicd, intid);
	vs_close(&s);
}
