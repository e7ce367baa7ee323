/* Physical GICv3 at EL2: affinity routing, group 1, split priority drop / deactivation (EOImode 1) for HW-linked virtual interrupts. */
#include "arch.h"
#include "gic_phys.h"
#include "layout.h"

#define GICD_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_STRIDE 0x20000
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400)
#define PRIORITY_DEFAULT 0xa0

static uint64_t dist_base, redist_base;
static uintptr_t redist_of[REFHV_MAX_PCPUS];

void gic_phys_set_base(uint64_t dist, uint64_t redist)
{
	dist_base = dist;
	redist_base = redist;
}

bool gic_phys_present(void)
{
	return dist_base != 0;
}

void gic_phys_init_distributor(void)
{
	/* EnableGrp0 | EnableGrp1 | ARE: one security state (QEMU virt without EL3). */
	mmio_write32(dist_base + GICD_CTLR, 0x13);
}

void gic_phys_init_cpu(int pcpu, uint64_t mpidr)
{
	uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
	for (uintptr_t rd = redist_base;; rd += GICR_STRIDE) {
		uint64_t typer = mmio_read32(rd + GICR_TYPER) | (uint64_t)mmio_read32(rd + GICR_TYPER + 4) << 32;
		if ((typer >> 32) == aff) {
			redist_of[pcpu] = rd;
			break;
		}
		if (typer & (1u << 4))
			return;
	}
	uintptr_t rd = redist_of[pcpu];
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~2u);
	for (int spin = 0; spin < 1000000 && (mmio_read32(rd + GICR_WAKER) & 4u); spin++)
		;
	mmio_write32(rd + GICR_IGROUPR0, 0xffffffff);          /* every SGI/PPI in group 1 */
	for (unsigned i = 0; i < 8; i++)
		mmio_write32(rd + GICR_IPRIORITYR + 4 * i, PRIORITY_DEFAULT * 0x01010101u);
	mmio_write32(rd + GICR_ISENABLER0, (1u << GIC_SGI_KICK) | (1u << GIC_PPI_HYP_TIMER));
	write_sysreg(S3_4_C12_C9_5, 0xf);                       /* ICC_SRE_EL2: SRE, DFB, DIB, Enable (EL1 too) */
	isb();
	write_sysreg(S3_0_C4_C6_0, 0xff);                       /* ICC_PMR_EL1 */
	write_sysreg(S3_0_C12_C12_4, 2);                        /* ICC_CTLR_EL1.EOImode: drop and deactivate apart */
	write_sysreg(S3_0_C12_C12_7, 1);                        /* ICC_IGRPEN1_EL1 */
	write_sysreg(S3_4_C12_C11_0, 1);                        /* ICH_HCR_EL2.En: the virtual CPU interface */
	isb();
}

void gic_phys_set_enabled(int pcpu, unsigned intid, bool enabled)
{
	if (!redist_of[pcpu] || intid > 31)
		return;
	mmio_write32(redist_of[pcpu] + (enabled ? GICR_ISENABLER0 : GICR_ICENABLER0), 1u << intid);
}

void gic_phys_send_sgi(uint64_t mpidr, unsigned intid)
{
	/* ICC_SGI1R_EL1: Aff3 [55:48], Aff2 [39:32], INTID [27:24], Aff1 [23:16], TargetList [15:0]. */
	uint64_t value = (((mpidr >> 32) & 0xff) << 48) | (((mpidr >> 16) & 0xff) << 32) | ((uint64_t)(intid & 0xf) << 24) |
			 (((mpidr >> 8) & 0xff) << 16) | (1ULL << (mpidr & 0xf));
	dsb_sy();
	write_sysreg(S3_0_C12_C11_5, value);
	isb();
}

uint32_t gic_phys_acknowledge(void)
{
	uint32_t intid = (uint32_t)read_sysreg(S3_0_C12_C12_0) & 0xffffff;   /* ICC_IAR1_EL1 */
	dsb_sy();
	return intid;
}

void gic_phys_priority_drop(uint32_t intid)
{
	write_sysreg(S3_0_C12_C12_1, intid);                    /* ICC_EOIR1_EL1 */
	isb();
}

void gic_phys_deactivate(uint32_t intid)
{
	write_sysreg(S3_0_C12_C11_1, intid);                    /* ICC_DIR_EL1 */
	isb();
}
