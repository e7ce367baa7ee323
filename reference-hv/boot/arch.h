/* AArch64 system-register, barrier and MMIO helpers for code running at EL2 (MMU off: data accesses are Device-nGnRnE). */
#ifndef REFHV_ARCH_H
#define REFHV_ARCH_H

#include <stdint.h>

#include "arch_mpidr.h"

#define read_sysreg(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })
#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)) : "memory")

static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void sev(void) { __asm__ volatile("sev" ::: "memory"); }
static inline void wfe(void) { __asm__ volatile("wfe" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v = *(volatile uint32_t *)addr;
	dsb_sy();
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
	dsb_sy();
	*(volatile uint32_t *)addr = value;
	dsb_sy();
}


/* Counter ticks to microseconds. */
static inline uint64_t counter_us(uint64_t ticks)
{
	uint64_t freq = read_sysreg(cntfrq_el0);
	return freq ? ticks * 1000000 / freq : 0;
}

#endif
