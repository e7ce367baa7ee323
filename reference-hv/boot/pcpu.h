/* Per physical CPU state: its stack, its MPIDR, the one vCPU pinned to it. */
#ifndef REFHV_PCPU_H
#define REFHV_PCPU_H

#include <stdint.h>

#include "guest_regs.h"
#include "layout.h"
#include "vm.h"

struct pcpu {
	uint64_t stack_top;        /* first field: boot/head.S reads it */
	int index;
	uint64_t mpidr;
	struct vcpu *vcpu;         /* NULL: this CPU runs no guest */
};

extern struct pcpu pcpus[REFHV_MAX_PCPUS];
extern int n_pcpus;

static inline struct pcpu *this_pcpu(void)
{
	struct pcpu *p;
	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(p));
	return p;
}

/* This CPU's guest frame: the registers of the vCPU it runs, saved by every trap. */
static inline struct guest_regs *pcpu_guest_frame(struct pcpu *p)
{
	return (struct guest_regs *)(uintptr_t)(p->stack_top - GUEST_FRAME_SIZE);
}

/* Runs fn on this CPU's emptied stack (boot/head.S); never returns. */
void pcpu_restart_on_fresh_stack(void (*fn)(void)) __attribute__((noreturn));
void park_forever(void) __attribute__((noreturn));

/* A trapped CNTPCT_EL0 read of v (FAULT_PHYSICAL_COUNTER_RUNS_BACK): every 2nd one 1 ms behind. */
uint64_t vcpu_physical_count(struct vcpu *v);

/* The vCPU loop of this CPU (vm/vcpu_run.c): waits for a start, enters the guest. */
void vcpu_run_loop(void) __attribute__((noreturn));

#endif
