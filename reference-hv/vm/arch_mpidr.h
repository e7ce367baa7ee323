/* MPIDR affinity mask, usable on the host too (boot/arch.h holds the EL2-only helpers). */
#ifndef REFHV_ARCH_MPIDR_H
#define REFHV_ARCH_MPIDR_H

/* Aff3, Aff2, Aff1, Aff0: how PSCI and the DT name a CPU. */
#define MPIDR_AFFINITY_MASK 0xff00ffffffULL

#endif
