/* Injecting a synchronous external abort into the guest, as if its own memory system had answered with one. */
#ifndef REFHV_INJECT_H
#define REFHV_INJECT_H

#include <stdbool.h>

#include "guest_regs.h"

void inject_external_abort(struct guest_regs *regs, bool instruction, uint64_t far);

#endif
