/* ESR_EL2 decoding (Arm ARM D19.2.x ESR_EL2): class names, data-abort ISS, load extension. */
#include "esr.h"

bool esr_decode_data_abort(uint64_t esr, struct mmio_access *access)
{
	if (!(esr & (1u << 24)))          /* ISV */
		return false;
	access->size = 1u << ((esr >> 22) & 3);    /* SAS */
	access->sign_extend = (esr >> 21) & 1;     /* SSE */
	access->reg = (unsigned)((esr >> 16) & 0x1f);   /* SRT */
	access->reg_is_64bit = (esr >> 15) & 1;    /* SF */
	access->write = (esr >> 6) & 1;            /* WnR */
	return true;
}

bool esr_abort_is_translation(uint64_t esr)
{
	unsigned fsc = (unsigned)(esr & 0x3f);
	/* 0b0001LL translation fault at level LL, 0b0010LL access flag fault. */
	return (fsc & 0x3c) == 0x04 || (fsc & 0x3c) == 0x08;
}

uint64_t mmio_load_value(const struct mmio_access *access, uint64_t raw)
{
	unsigned bits = access->size * 8;
	uint64_t value = bits == 64 ? raw : raw & ((1ULL << bits) - 1);

	if (access->sign_extend && bits < 64 && (value >> (bits - 1)) & 1)
		value |= ~0ULL << bits;
	if (!access->reg_is_64bit)
		value &= 0xffffffffULL;
	return value;
}

const char *esr_class_name(unsigned ec)
{
	switch (ec) {
	case ESR_EC_UNKNOWN: return "unknown reason";
	case ESR_EC_WFX: return "WFI/WFE";
	case ESR_EC_HVC64: return "HVC64";
	case ESR_EC_SMC64: return "SMC64";
	case ESR_EC_SYSREG: return "MSR/MRS/system instruction";
	case ESR_EC_IABT_LOWER: return "instruction abort (lower EL)";
	case ESR_EC_IABT_SAME: return "instruction abort (EL2)";
	case ESR_EC_DABT_LOWER: return "data abort (lower EL)";
	case ESR_EC_DABT_SAME: return "data abort (EL2)";
	case ESR_EC_SERROR: return "SError";
	case 0x07: return "FP/SIMD access";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC64";
	case 0x22: return "PC alignment";
	case 0x26: return "SP alignment";
	case 0x3c: return "BRK";
	default: return "other";
	}
}
