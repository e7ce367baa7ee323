/* Host unit tests of ESR decoding: data-abort syndrome (ISV, size, register, sign extension) and fault status. */
#include "esr.h"
#include "unit_check.h"

/* A data abort from a lower EL with ISS fields given. */
static uint64_t dabt(unsigned isv, unsigned sas, unsigned sse, unsigned srt, unsigned sf, unsigned wnr, unsigned dfsc)
{
	return ((uint64_t)ESR_EC_DABT_LOWER << 26) | ESR_IL | (isv << 24) | (sas << 22) | (sse << 21) | (srt << 16) |
	       (sf << 15) | (wnr << 6) | dfsc;
}

int main(void)
{
	struct mmio_access a;
	printf("KTAP version 1\n");

	CHECK(esr_class(dabt(1, 2, 0, 3, 0, 1, 0x07)) == ESR_EC_DABT_LOWER, "class_of_data_abort");
	CHECK(esr_decode_data_abort(dabt(1, 2, 0, 3, 0, 1, 0x07), &a) && a.write && a.size == 4 && a.reg == 3 &&
	      !a.reg_is_64bit, "str_w3_word");
	CHECK(esr_decode_data_abort(dabt(1, 0, 1, 30, 1, 0, 0x06), &a) && !a.write && a.size == 1 && a.reg == 30 &&
	      a.sign_extend && a.reg_is_64bit, "ldrsb_x30");
	CHECK(mmio_load_value(&a, 0x80) == 0xffffffffffffff80ULL, "sign_extended_to_64");
	a.reg_is_64bit = false;
	CHECK(mmio_load_value(&a, 0x80) == 0xffffff80ULL, "sign_extended_to_32");
	CHECK(esr_decode_data_abort(dabt(1, 3, 0, 31, 1, 0, 0x05), &a) && a.size == 8 && a.reg == 31, "ldr_xzr_8_bytes");
	CHECK(mmio_load_value(&a, 0x1122334455667788ULL) == 0x1122334455667788ULL, "load_64_unchanged");
	CHECK(!esr_decode_data_abort(dabt(0, 2, 0, 3, 0, 1, 0x07), &a), "no_isv_not_decoded");
	CHECK(esr_abort_is_translation(dabt(1, 0, 0, 0, 0, 0, 0x04)) && esr_abort_is_translation(dabt(1, 0, 0, 0, 0, 0, 0x0b)),
	      "translation_and_access_flag_faults");
	CHECK(!esr_abort_is_translation(dabt(1, 0, 0, 0, 0, 0, 0x0f)) && !esr_abort_is_translation(dabt(1, 0, 0, 0, 0, 0, 0x10)),
	      "permission_and_external_not_translation");
	CHECK(strcmp(esr_class_name(ESR_EC_HVC64), "HVC64") == 0 && strcmp(esr_class_name(0x3f), "other") == 0,
	      "class_names");
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
