/* Abort injection: EL1 sees a synchronous external abort taken to its own vector (Arm ARM D1.10 exception entry). */
#include "arch.h"
#include "esr.h"
#include "inject.h"

#define SPSR_MODE_MASK 0xf
#define SPSR_EL1H_MASKED 0x3c5

void inject_external_abort(struct guest_regs *regs, bool instruction, uint64_t far)
{
	unsigned mode = (unsigned)(regs->spsr & SPSR_MODE_MASK);
	bool from_el0 = mode == 0;
	/* Vector offset: current EL with SP0 0x000, current EL with SPx 0x200, lower EL AArch64 0x400. */
	uint64_t offset = from_el0 ? 0x400 : mode == 0x5 ? 0x200 : 0x000;
	unsigned ec = instruction ? (from_el0 ? ESR_EC_IABT_LOWER : ESR_EC_IABT_SAME)
				  : (from_el0 ? ESR_EC_DABT_LOWER : ESR_EC_DABT_SAME);

	write_sysreg(esr_el1, ((uint64_t)ec << 26) | ESR_IL | ESR_FSC_SEA);
	write_sysreg(far_el1, far);
	write_sysreg(elr_el1, regs->elr);
	write_sysreg(spsr_el1, regs->spsr);
	regs->elr = read_sysreg(vbar_el1) + offset;
	regs->spsr = SPSR_EL1H_MASKED;
}
