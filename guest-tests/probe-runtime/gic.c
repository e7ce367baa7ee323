/* Minimal GICv2/GICv3 driver for probes: enable SGIs/PPIs per CPU and SPIs routed to this CPU, acknowledge, EOI, send SGIs. */
#include <libfdt.h>

#include "cpu.h"
#include "dt.h"
#include "gic.h"

#define GICD_CTLR           0x0000
#define GICD_ISENABLER0     0x0100
#define GICD_ICENABLER0     0x0180
#define GICD_ICPENDR0       0x0280
#define GICD_ITARGETSR      0x0800
#define GICD_IROUTER        0x6000
#define GICD_IGROUPR0       0x0080
#define GICD_IPRIORITYR     0x0400
#define GICC_CTLR           0x0000
#define GICC_PMR            0x0004
#define GICR_TYPER          0x0008
#define GICR_WAKER          0x0014
#define GICR_SGI_BASE       0x10000
#define GICR_STRIDE         0x20000
#define GICR_TYPER_LAST     (1ULL << 4)

#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)))

static void set_priority(uintptr_t priority_base, unsigned intid)
{
	/* Word access to IPRIORITYR: byte intid % 4 of word intid / 4. */
	uintptr_t word = priority_base + (intid / 4) * 4;
	uint32_t v = mmio_read32(word);
	v &= ~(0xffu << ((intid % 4) * 8));
	v |= 0xa0u << ((intid % 4) * 8);
	mmio_write32(word, v);
}

/* What the DT named, cached by the first enable (same for every CPU). */
static unsigned gic_arch;           /* 2 or 3 */
static uintptr_t gic_dist, gic_cpu; /* distributor; GICv2 CPU interface */

static bool gicv2_enable(int node, unsigned intid)
{
	uint64_t dist, cpu;
	if (!dt_reg(node, 0, &dist, NULL) || !dt_reg(node, 1, &cpu, NULL))
		return false;
	gic_arch = 2;
	gic_dist = (uintptr_t)dist;
	gic_cpu = (uintptr_t)cpu;
	mmio_write32(dist + GICD_CTLR, mmio_read32(dist + GICD_CTLR) | 1);
	set_priority(dist + GICD_IPRIORITYR, intid);
	if (intid >= 32) {
		/* An SPI: targeted at this CPU interface (ITARGETSR0 reads back its own bit). */
		uintptr_t word = (uintptr_t)dist + GICD_ITARGETSR + (intid / 4) * 4;
		uint32_t v = mmio_read32(word) & ~(0xffu << ((intid % 4) * 8));
		mmio_write32(word, v | ((mmio_read32(dist + GICD_ITARGETSR) & 0xffu) << ((intid % 4) * 8)));
	}
	mmio_write32(dist + GICD_ISENABLER0 + (intid / 32) * 4, 1u << (intid % 32));   /* banked per CPU for PPIs */
	mmio_write32(cpu + GICC_PMR, 0xff);
	mmio_write32(cpu + GICC_CTLR, mmio_read32(cpu + GICC_CTLR) | 1);
	return true;
}

static bool gicv3_enable(int node, unsigned intid)
{
	uint64_t dist, rdist, rsize;
	if (!dt_reg(node, 0, &dist, NULL) || !dt_reg(node, 1, &rdist, &rsize))
		return false;
	gic_arch = 3;
	gic_dist = (uintptr_t)dist;
	uint64_t mpidr = read_sysreg(mpidr_el1);
	uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
	uintptr_t rd = 0;
	for (uint64_t off = 0; off + GICR_STRIDE <= rsize; off += GICR_STRIDE) {
		uint64_t typer = (uint64_t)mmio_read32(rdist + off + GICR_TYPER + 4) << 32 |
				 mmio_read32(rdist + off + GICR_TYPER);
		if ((typer >> 32) == aff) {
			rd = (uintptr_t)(rdist + off);
			break;
		}
		if (typer & GICR_TYPER_LAST)
			break;
	}
	if (!rd)
		return false;
	/* Affinity routing on, both groups enabled (single security state view). */
	mmio_write32(dist + GICD_CTLR, mmio_read32(dist + GICD_CTLR) | 0x13);
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~2u);
	WAIT_FOR(!(mmio_read32(rd + GICR_WAKER) & 4u), 100);
	if (intid >= 32) {
		/* An SPI lives in the distributor: group 1, routed to this CPU's affinity. */
		uintptr_t group = (uintptr_t)dist + GICD_IGROUPR0 + (intid / 32) * 4;
		mmio_write32(group, mmio_read32(group) | (1u << (intid % 32)));
		set_priority(dist + GICD_IPRIORITYR, intid);
		mmio_write32(dist + GICD_IROUTER + intid * 8, (uint32_t)(mpidr & 0xffffff));
		mmio_write32(dist + GICD_IROUTER + intid * 8 + 4, (uint32_t)((mpidr >> 32) & 0xff));
		mmio_write32(dist + GICD_ISENABLER0 + (intid / 32) * 4, 1u << (intid % 32));
	} else {
		mmio_write32(rd + GICR_SGI_BASE + GICD_IGROUPR0,
			     mmio_read32(rd + GICR_SGI_BASE + GICD_IGROUPR0) | (1u << intid));
		set_priority(rd + GICR_SGI_BASE + GICD_IPRIORITYR, intid);
		mmio_write32(rd + GICR_SGI_BASE + GICD_ISENABLER0, 1u << intid);
	}
	write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1);   /* ICC_SRE_EL1.SRE */
	isb();
	write_sysreg(S3_0_C4_C6_0, 0xff);                                  /* ICC_PMR_EL1 */
	write_sysreg(S3_0_C12_C12_7, 1);                                   /* ICC_IGRPEN1_EL1 */
	isb();
	return true;
}

/* INTID of the EL1 virtual timer from the DT (/timer, third interrupt), or 0. */
unsigned gic_virtual_timer_intid(void)
{
	int node = dt_next_compatible(-1, "arm,armv8-timer");
	uint32_t type = 0, number = 0;
	if (node < 0 || !dt_prop_u32(node, "interrupts", 6, &type) ||
	    !dt_prop_u32(node, "interrupts", 7, &number) || type != 1)
		return 0;
	return 16 + number;   /* GIC binding: type 1 = PPI, numbered from 16 */
}

/* Enables one interrupt (SGI/PPI for this CPU, or an SPI routed to it) at the GIC the DT names. */
static const char *gic_enable(unsigned intid)
{
	static const char *const v2[] = { "arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic" };
	int node = dt_next_compatible(-1, "arm,gic-v3");
	if (node >= 0)
		return gicv3_enable(node, intid) ? "GICv3" : NULL;
	for (int i = 0; i < 3; i++) {
		node = dt_next_compatible(-1, v2[i]);
		if (node >= 0)
			return gicv2_enable(node, intid) ? "GICv2" : NULL;
	}
	return NULL;
}

const char *gic_enable_ppi(unsigned intid)
{
	return intid > 31 ? NULL : gic_enable(intid);
}

const char *gic_enable_spi(unsigned intid)
{
	return intid < 32 || intid > 1019 ? NULL : gic_enable(intid);
}

void gic_disable_spi(unsigned intid)
{
	if (gic_dist && intid >= 32 && intid <= 1019)
		mmio_write32(gic_dist + GICD_ICENABLER0 + (intid / 32) * 4, 1u << (intid % 32));
}

void gic_clear_pending_spi(unsigned intid)
{
	if (gic_dist && intid >= 32 && intid <= 1019)
		mmio_write32(gic_dist + GICD_ICPENDR0 + (intid / 32) * 4, 1u << (intid % 32));
}

unsigned gic_version(void)
{
	return gic_arch;
}

uintptr_t gic_distributor(void)
{
	return gic_dist;
}

uint32_t gic_acknowledge(void)
{
	if (gic_arch == 3) {
		uint64_t iar = read_sysreg(S3_0_C12_C12_0);   /* ICC_IAR1_EL1 */
		return (uint32_t)iar;
	}
	return gic_arch == 2 ? mmio_read32(gic_cpu + 0x000c) : 1023;   /* GICC_IAR */
}

void gic_end_of_interrupt(uint32_t iar)
{
	if (gic_arch == 3) {
		write_sysreg(S3_0_C12_C12_1, iar);   /* ICC_EOIR1_EL1 */
		isb();
	} else if (gic_arch == 2) {
		mmio_write32(gic_cpu + 0x0010, iar);   /* GICC_EOIR */
	}
}

uint32_t gic_cpu_target_mask(void)
{
	/* GICv2: GICD_ITARGETSR0..7 read back the calling CPU interface's own bit. */
	return gic_arch == 2 ? mmio_read32(gic_dist + 0x0800) & 0xff : 0;
}

void gic_send_sgi(unsigned intid, uint64_t mpidr, uint32_t v2_target_mask)
{
	if (gic_arch == 3) {
		uint64_t v = (1ULL << (mpidr & 0xf)) | (((mpidr >> 8) & 0xff) << 16) |
			     ((uint64_t)(intid & 0xf) << 24) | (((mpidr >> 16) & 0xff) << 32) |
			     (((mpidr >> 32) & 0xff) << 48);
		write_sysreg(S3_0_C12_C11_5, v);   /* ICC_SGI1R_EL1 */
		isb();
	} else if (gic_arch == 2) {
		mmio_write32(gic_dist + 0x0f00, ((v2_target_mask & 0xff) << 16) | (intid & 0xf));   /* GICD_SGIR */
	}
}
