/* GICv3 distributor and redistributor register emulation (Arm IHI 0069 chapter 12), SGI/PPI and 32 SPIs. */
#include <stddef.h>

#include "vgic.h"

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GIC_PIDR2 0xffe8
#define GIC_PIDR2_ARCH_V3 0x30
#define GIC_PIDR2_ARCH_V2 0x20
#define GICD_CTLR_WRITABLE 0x13          /* EnableGrp0, EnableGrp1, ARE (single security state) */
#define IIDR_REFHV 0x0000043bu           /* implementer Arm (0x43b), product 0: as a GIC model ID */

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000

/* Byte-addressed registers (priorities) accept byte and word accesses. */
static void byte_register(uint8_t *bytes, unsigned count, uint64_t index, struct vgic_access *a)
{
	unsigned n = a->size > 4 ? 4 : a->size;
	if (index + n > count)
		return;
	if (a->write) {
		for (unsigned i = 0; i < n; i++)
			bytes[index + i] = (uint8_t)(a->value >> (8 * i));
		return;
	}
	a->value = 0;
	for (unsigned i = 0; i < n; i++)
		a->value |= (uint64_t)bytes[index + i] << (8 * i);
}

void vgic_dist_access(struct vgic_dist *d, struct vgic_access *a)
{
	uint64_t off = a->offset;
	uint64_t value = 0;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 32 + 32 * VGIC_SPI_WORDS) {
		if (off >= GICD_IPRIORITYR + 32)
			byte_register(d->priority, sizeof(d->priority), off - GICD_IPRIORITYR - 32, a);
		else if (!a->write)
			a->value = 0;          /* SGI/PPI priorities live in the redistributor (ARE = 1) */
		return;
	}
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * (32 + 32 * VGIC_SPI_WORDS) && a->size == 8) {
		uint64_t *route = &d->irouter[(off - GICD_IROUTER) / 8 - 32];
		if (a->write)
			*route = a->value & 0xff00ffffffULL;
		else
			a->value = *route;
		return;
	}
	uint64_t word = (off & 0x7f) / 4;           /* register n of a bank: n = 0 is SGIs/PPIs (RAZ/WI here) */
	if (off >= GICD_ISPENDR && off < GICD_ICPENDR + 0x80) {
		/* SPI pending state: a device sets it at any time from any CPU, so every change is atomic. */
		if (word == 0 || word > VGIC_SPI_WORDS || a->size != 4) {
			if (!a->write)
				a->value = 0;
			return;
		}
		uint32_t *reg = &d->pending[word - 1];
		if (!a->write)
			a->value = __atomic_load_n(reg, __ATOMIC_ACQUIRE);
		else if (off < GICD_ICPENDR)
			__atomic_fetch_or(reg, (uint32_t)a->value, __ATOMIC_ACQ_REL);
		else
			__atomic_fetch_and(reg, ~(uint32_t)a->value, __ATOMIC_ACQ_REL);
		return;
	}
	uint32_t *bank = NULL;
	if (off >= GICD_IGROUPR && off < GICD_IGROUPR + 0x80)
		bank = d->igroupr;
	else if (off >= GICD_ISENABLER && off < GICD_ICENABLER + 0x80)
		bank = d->enabled;
	else if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		word = (off - GICD_ICFGR) / 4;
		if (word >= 2 && word < 2 + 2 * VGIC_SPI_WORDS) {
			if (a->write)
				d->icfgr[word - 2] = (uint32_t)a->value;
			else
				a->value = d->icfgr[word - 2];
		} else if (!a->write) {
			a->value = 0;
		}
		return;
	}
	if (bank) {
		if (word == 0 || word > VGIC_SPI_WORDS) {
			if (!a->write)
				a->value = 0;
			return;
		}
		uint32_t *reg = &bank[word - 1];
		bool set = off < GICD_ICENABLER, clear = off >= GICD_ICENABLER && off < GICD_ICENABLER + 0x80;
		if (a->write)
			*reg = bank != d->enabled ? (uint32_t)a->value
			     : set ? *reg | (uint32_t)a->value : clear ? *reg & ~(uint32_t)a->value : *reg;
		else
			a->value = *reg;
		return;
	}
	switch (off) {
	case GICD_CTLR:
		if (a->write)
			d->ctlr = (uint32_t)a->value & GICD_CTLR_WRITABLE;
		value = d->ctlr | 0x10;                  /* ARE is always on: affinity routing only */
		break;
	case GICD_TYPER:
		/* IDbits 9 (10-bit INTIDs), no LPIs, no MBIS, ITLinesNumber = SPI words. */
		value = (9u << 19) | VGIC_SPI_WORDS;
		break;
	case GICD_IIDR:
		value = IIDR_REFHV;
		break;
	case GIC_PIDR2:
		value = d->pidr2_says_gicv2 ? GIC_PIDR2_ARCH_V2 : GIC_PIDR2_ARCH_V3;
		break;
	default:
		value = 0;                               /* reserved or unimplemented: RAZ/WI */
	}
	if (!a->write)
		a->value = value;
}

uint32_t vgic_redist_access(struct vgic_cpu *c, int index, int n_vcpus, uint64_t mpidr, struct vgic_access *a)
{
	uint64_t off = a->offset;
	uint32_t before = c->enabled0;
	uint64_t value = 0;

	if (off >= GICR_SGI + GICD_IPRIORITYR && off < GICR_SGI + GICD_IPRIORITYR + 32) {
		byte_register(c->priority, sizeof(c->priority), off - GICR_SGI - GICD_IPRIORITYR, a);
		return 0;
	}
	uint32_t v32 = (uint32_t)a->value;
	switch (off) {
	case GICR_CTLR:
		value = 0;
		break;
	case GICR_IIDR:
		value = IIDR_REFHV;
		break;
	case GICR_TYPER:
	case GICR_TYPER + 4: {
		/* Affinity [63:32], Processor_Number [23:8], Last [4]. */
		uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
		uint64_t typer = (aff << 32) | ((uint64_t)index << 8) | (index == n_vcpus - 1 ? 1u << 4 : 0);
		value = off == GICR_TYPER ? (a->size == 8 ? typer : (uint32_t)typer) : typer >> 32;
		break;
	}
	case GICR_WAKER:
		if (a->write)
			c->waker = v32 & 2;
		value = c->waker ? 6 : 0;                /* ChildrenAsleep follows ProcessorSleep */
		break;
	case GIC_PIDR2:
		value = GIC_PIDR2_ARCH_V3;
		break;
	case GICR_SGI + GICD_IGROUPR:
		if (a->write)
			c->igroupr0 = v32;
		value = c->igroupr0;
		break;
	case GICR_SGI + GICD_ISENABLER:
		if (a->write)
			c->enabled0 |= v32;
		value = c->enabled0;
		break;
	case GICR_SGI + GICD_ICENABLER:
		if (a->write)
			c->enabled0 &= ~v32;
		value = c->enabled0;
		break;
	case GICR_SGI + 0x200:                            /* ISPENDR0 */
		if (a->write)
			c->pending0 |= v32;
		value = c->pending0;
		break;
	case GICR_SGI + 0x280:                            /* ICPENDR0 */
		if (a->write)
			c->pending0 &= ~v32;
		value = c->pending0;
		break;
	case GICR_SGI + GICD_ICFGR + 4:                   /* ICFGR1: PPIs (SGIs are fixed edge) */
		if (a->write)
			c->icfgr1 = v32;
		value = c->icfgr1;
		break;
	case GICR_SGI + GICD_ICFGR:
		value = 0xaaaaaaaa;
		break;
	case GICR_SGI + 0xd00:                            /* IGRPMODR0 */
		if (a->write)
			c->igrpmodr0 = v32;
		value = c->igrpmodr0;
		break;
	default:
		value = 0;
	}
	if (!a->write)
		a->value = value;
	return before ^ c->enabled0;
}

uint32_t vgic_sgi_targets(uint64_t sgi1r, const uint64_t *mpidr, int n, int sender, unsigned *intid)
{
	uint32_t targets = 0;
	uint64_t upper = (((sgi1r >> 48) & 0xff) << 24) | (((sgi1r >> 32) & 0xff) << 16) | (((sgi1r >> 16) & 0xff) << 8);
	*intid = (unsigned)((sgi1r >> 24) & 0xf);
	for (int i = 0; i < n && i < 32; i++) {
		uint64_t aff = (mpidr[i] & 0xffffff) | ((mpidr[i] >> 8) & 0xff000000);
		if ((sgi1r >> 40) & 1)
			targets |= i != sender ? 1u << i : 0;
		else if ((aff & ~0xffULL) == upper && (aff & 0xff) < 16 && ((sgi1r >> (aff & 0xff)) & 1))
			targets |= 1u << i;
	}
	return targets;
}

uint64_t vgic_lr_value(uint32_t vintid, uint32_t pintid, uint8_t priority, bool hw)
{
	uint64_t lr = (1ULL << 62) | (1ULL << 60) | ((uint64_t)priority << 48) | vintid;   /* pending, group 1 */
	if (hw)
		lr |= (1ULL << 61) | ((uint64_t)(pintid & 0x3ff) << 32);
	return lr;
}

int vgic_lr_pick(uint64_t elrsr, unsigned count)
{
	for (unsigned i = 0; i < count && i < 16; i++)
		if (elrsr & (1ULL << i))
			return (int)i;
	return -1;
}
