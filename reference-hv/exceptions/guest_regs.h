/* The guest register frame the vectors save on each trap (layout fixed by exceptions/vectors.S). */
#ifndef REFHV_GUEST_REGS_H
#define REFHV_GUEST_REGS_H

#include <stdint.h>

struct guest_regs {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t pad;
};

_Static_assert(sizeof(struct guest_regs) == 272, "struct guest_regs must match GUEST_FRAME_SIZE");

#endif
