/* Declares a test case's stable name and requirement IDs once, kept in the ELF section the harness reads. */
#ifndef AVPS_CASE_H
#define AVPS_CASE_H

/*
 * Each record is one NUL-terminated string in section ".avps_manifest":
 *   "avps-case" FS <case id> FS <name printed in KTAP> FS <req id> [FS <req id>]...
 * with FS = 0x1f (ASCII unit separator). The harness reads these records from
 * the built binaries (harness/avps_cts/manifest.py), so the manifest is exactly
 * what was built. Requirement IDs follow requirements/README.md.
 */
#define AVPS_MANIFEST_SECTION ".avps_manifest"
#define AVPS_FS "\x1f"

#define AVPS_JOIN_1(a) a
#define AVPS_JOIN_2(a, ...) a AVPS_FS AVPS_JOIN_1(__VA_ARGS__)
#define AVPS_JOIN_3(a, ...) a AVPS_FS AVPS_JOIN_2(__VA_ARGS__)
#define AVPS_JOIN_4(a, ...) a AVPS_FS AVPS_JOIN_3(__VA_ARGS__)
#define AVPS_JOIN_5(a, ...) a AVPS_FS AVPS_JOIN_4(__VA_ARGS__)
#define AVPS_JOIN_6(a, ...) a AVPS_FS AVPS_JOIN_5(__VA_ARGS__)
#define AVPS_JOIN_7(a, ...) a AVPS_FS AVPS_JOIN_6(__VA_ARGS__)
#define AVPS_JOIN_8(a, ...) a AVPS_FS AVPS_JOIN_7(__VA_ARGS__)
#define AVPS_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, n, ...) n
#define AVPS_COUNT(...) AVPS_COUNT_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define AVPS_PASTE_(a, b) a##b
#define AVPS_PASTE(a, b) AVPS_PASTE_(a, b)
/* Joins 1..8 requirement-ID string literals into one literal. */
#define AVPS_REQS(...) AVPS_PASTE(AVPS_JOIN_, AVPS_COUNT(__VA_ARGS__))(__VA_ARGS__)

#define AVPS_CASE_RECORD(variable, case_id, ktap_name, ...)                        \
	__attribute__((section(AVPS_MANIFEST_SECTION), used, aligned(1)))           \
	static const char variable[] =                                               \
		"avps-case" AVPS_FS case_id AVPS_FS ktap_name AVPS_FS AVPS_REQS(__VA_ARGS__);

#endif
