/* AArch64 system-register, barrier, MMIO and generic-timer helpers for probes (MMU off: all data is Device memory). */
#ifndef PROBE_CPU_H
#define PROBE_CPU_H

#include <stdint.h>

#define read_sysreg(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })

static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dmb_sy(void) { __asm__ volatile("dmb sy" ::: "memory"); }
static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void sev(void) { __asm__ volatile("sev" ::: "memory"); }
static inline void wfe(void) { __asm__ volatile("wfe" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v = *(volatile uint32_t *)addr;
	dmb_sy();
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
	dmb_sy();
	*(volatile uint32_t *)addr = value;
	dsb_sy();
}

/* MPIDR affinity fields only (Aff3..Aff0), as PSCI and the DT "reg" of a cpu node use them. */
static inline uint64_t cpu_mpidr(void)
{
	return read_sysreg(mpidr_el1) & 0xff00ffffffULL;
}

static inline uint64_t timer_count(void) { isb(); return read_sysreg(cntvct_el0); }
static inline uint64_t timer_freq(void) { return read_sysreg(cntfrq_el0); }

static inline uint64_t timer_us(uint64_t ticks)
{
	uint64_t f = timer_freq();
	return f ? ticks / (f / 1000000 ? f / 1000000 : 1) : 0;
}

/* Spins until cond is true or timeout_ms passes; evaluates to whether cond became true. */
#define WAIT_FOR(cond, timeout_ms) ({                                           \
	uint64_t end_ = timer_count() + timer_freq() / 1000 * (uint64_t)(timeout_ms); \
	int ok_ = 0;                                                             \
	for (;;) {                                                               \
		if (cond) { ok_ = 1; break; }                                    \
		if (timer_count() > end_) { ok_ = (cond) ? 1 : 0; break; }       \
	}                                                                        \
	ok_; })

#endif
