/* Virtual GICv3 state of a VM: distributor registers and one redistributor per vCPU (SGIs and PPIs). */
#ifndef REFHV_VGIC_H
#define REFHV_VGIC_H

#include <stdbool.h>
#include <stdint.h>

/* Guest-physical frames, as on QEMU virt: distributor 64 KiB, redistributors 2 x 64 KiB per vCPU. */
#define VGIC_DIST_IPA 0x08000000ULL
#define VGIC_DIST_SIZE 0x10000ULL
#define VGIC_REDIST_IPA 0x080a0000ULL
#define VGIC_REDIST_STRIDE 0x20000ULL
/* SPIs 32..63 are described (ITLinesNumber 1); the virtio-mmio transports raise SPIs 48.. (edge). */
#define VGIC_SPI_WORDS 1
#define VGIC_VTIMER_PPI 27
#define VGIC_PTIMER_PPI 30
/* The PPIs forwarded HW-linked from the physical GIC: the EL1 virtual and physical timers. */
#define VGIC_FORWARDED_PPIS ((1u << VGIC_VTIMER_PPI) | (1u << VGIC_PTIMER_PPI))

struct vgic_dist {
	uint32_t ctlr;
	uint32_t igroupr[VGIC_SPI_WORDS], enabled[VGIC_SPI_WORDS], icfgr[2 * VGIC_SPI_WORDS];
	uint8_t priority[32 * VGIC_SPI_WORDS];
	uint64_t irouter[32 * VGIC_SPI_WORDS];
	uint32_t pending[VGIC_SPI_WORDS];   /* SPIs raised, not yet in a list register (atomic) */
	bool pidr2_says_gicv2;              /* FAULT_GICD_PIDR2_GICV2: GICD_PIDR2.ArchRev reads 2 */
};

struct vgic_cpu {
	uint32_t sgis_pending;          /* SGIs sent to this vCPU, not yet in a list register (atomic) */
	uint32_t waker;                 /* ProcessorSleep (bit 1) */
	uint32_t igroupr0, enabled0, pending0, icfgr1, igrpmodr0;
	uint8_t priority[32];
};

struct vgic_access {
	uint64_t offset;                /* within the frame set (distributor, or this vCPU's 128 KiB) */
	unsigned size;                  /* 1, 2, 4 or 8 bytes */
	bool write;
	uint64_t value;                 /* in for writes, out for reads */
};

/* Distributor register access. */
void vgic_dist_access(struct vgic_dist *dist, struct vgic_access *a);

/*
 * Redistributor access of vCPU `index` (of n_vcpus, MPIDR mpidr). Returns a bitmask of the
 * PPIs/SGIs whose enable bit changed, so the caller can mirror them on the physical GIC.
 */
uint32_t vgic_redist_access(struct vgic_cpu *cpu, int index, int n_vcpus, uint64_t mpidr, struct vgic_access *a);

/*
 * The vCPUs an ICC_SGI1R_EL1 value names (Arm IHI 0069 12.11.19): a bitmask over mpidr[0..n-1];
 * IRM = 1 means every vCPU but the sender. *intid gets the SGI number.
 */
uint32_t vgic_sgi_targets(uint64_t sgi1r, const uint64_t *mpidr, int n, int sender, unsigned *intid);

/* ICH_LR<n>_EL2 value of a pending group-1 interrupt; hw links it to physical INTID pintid. */
uint64_t vgic_lr_value(uint32_t vintid, uint32_t pintid, uint8_t priority, bool hw);

/* The first empty list register (ICH_ELRSR_EL2 bit set) among count, or -1. */
int vgic_lr_pick(uint64_t elrsr, unsigned count);

#endif
