/* IRQ dispatch of the probe runtime: the EL1h IRQ vector acknowledges the GIC, calls the installed handler, signals EOI. */
#include "cpu.h"
#include "gic.h"
#include "irq.h"

void exception_report(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr, uint64_t spsr)
	__attribute__((noreturn));
void probe_irq_entry(void);

static probe_irq_handler irq_handler;
static volatile uint32_t spurious;

void probe_irq_set_handler(probe_irq_handler handler)
{
	irq_handler = handler;
	dsb_sy();
}

uint32_t probe_irq_spurious(void)
{
	return spurious;
}

/* Called from vectors.S (IRQ, current EL with SP_ELx) with the interrupted context saved. */
void probe_irq_entry(void)
{
	if (!irq_handler)
		exception_report(5, read_sysreg(esr_el1), read_sysreg(far_el1), read_sysreg(elr_el1),
				 read_sysreg(spsr_el1));
	uint32_t iar = gic_acknowledge();
	uint32_t intid = gic_version() == 3 ? iar & 0xffffff : iar & 0x3ff;
	if (intid >= 1020 && intid <= 1023) {
		spurious++;
		return;
	}
	irq_handler(intid);
	gic_end_of_interrupt(iar);
}
