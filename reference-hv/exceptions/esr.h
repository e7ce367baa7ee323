/* ESR_EL2 decoding: exception class names and the data-abort syndrome (ISV) an MMIO emulation needs. */
#ifndef REFHV_ESR_H
#define REFHV_ESR_H

#include <stdbool.h>
#include <stdint.h>

#define ESR_EC_UNKNOWN     0x00
#define ESR_EC_WFX         0x01
#define ESR_EC_HVC64       0x16
#define ESR_EC_SMC64       0x17
#define ESR_EC_SYSREG      0x18
#define ESR_EC_IABT_LOWER  0x20
#define ESR_EC_IABT_SAME   0x21
#define ESR_EC_DABT_LOWER  0x24
#define ESR_EC_DABT_SAME   0x25
#define ESR_EC_SERROR      0x2f

#define ESR_IL             (1u << 25)
/* ISS of a trapped MSR/MRS without Rt: Op0, Op2, Op1, CRn, CRm, Direction (Arm ARM D19.2 ISS for EC 0x18). */
#define ESR_SYSREG_MASK    0x3ffc1fULL
#define ESR_SYSREG(op0, op1, crn, crm, op2, read) \
	(((uint64_t)(op0) << 20) | ((uint64_t)(op2) << 17) | ((uint64_t)(op1) << 14) | ((uint64_t)(crn) << 10) | \
	 ((uint64_t)(crm) << 1) | (read))
#define ESR_SYSREG_ICC_SGI1R_WRITE ESR_SYSREG(3, 0, 12, 11, 5, 0)
#define ESR_SYSREG_CNTPCT_READ ESR_SYSREG(3, 3, 14, 0, 1, 1)
/* Fault status code for a synchronous external abort, not on a table walk. */
#define ESR_FSC_SEA        0x10

static inline unsigned esr_class(uint64_t esr)
{
	return (unsigned)((esr >> 26) & 0x3f);
}

/* One MMIO access as the ISS of a data abort with ISV = 1 describes it. */
struct mmio_access {
	bool write;
	unsigned size;          /* bytes: 1, 2, 4, 8 */
	unsigned reg;           /* Xt; 31 means XZR (reads are discarded, writes store 0) */
	bool sign_extend;       /* SSE */
	bool reg_is_64bit;      /* SF */
};

/* Fills *access from the ISS; false when ISV = 0 (the instruction cannot be emulated from the syndrome). */
bool esr_decode_data_abort(uint64_t esr, struct mmio_access *access);

/* True for a translation or access-flag fault (the IPA is not mapped), from the DFSC/IFSC. */
bool esr_abort_is_translation(uint64_t esr);

/* Value to write to Xt for a load of `raw` (size bytes), honouring SSE and SF. */
uint64_t mmio_load_value(const struct mmio_access *access, uint64_t raw);

/* A short name of the exception class, for reports ("HVC64", "data abort (lower EL)", ...). */
const char *esr_class_name(unsigned ec);

#endif
