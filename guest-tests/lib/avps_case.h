/* Declares a test case's stable name and requirement IDs once, kept in the ELF section the harness reads. */
#ifndef AVPS_CASE_H
#define AVPS_CASE_H

/*
 * Each record is one NUL-terminated string in section ".avps_manifest":
 *   "avps-case" FS <case id> FS <name printed in KTAP> FS "at=" <file>:<line>
 *               FS "checks=" <what the case checks> FS <req id> [FS <req id>]...
 * with FS = 0x1f (ASCII unit separator). The harness reads these records from
 * the built binaries (harness/avps_cts/manifest.py), so the manifest is exactly
 * what was built. Requirement IDs follow requirements/README.md.
 *
 * The case contract: every declaration carries one AVPS_CHECKS("...") line saying,
 * in one sentence, what behaviour of the platform the case observes, followed by the
 * requirement IDs it verifies (only those it exercises). The build fails, naming the
 * declaration's file:line, on a case without it or with an unknown requirement ID.
 */
#define AVPS_MANIFEST_SECTION ".avps_manifest"
#define AVPS_FS "\x1f"

/* The case contract's one line: what the case checks (see above). */
#define AVPS_CHECKS(text) "checks=" text

#define AVPS_STRINGIFY_(x) #x
#define AVPS_STRINGIFY(x) AVPS_STRINGIFY_(x)
#define AVPS_DECLARED_AT "at=" __FILE__ ":" AVPS_STRINGIFY(__LINE__)

#define AVPS_JOIN_1(a) a
#define AVPS_JOIN_2(a, ...) a AVPS_FS AVPS_JOIN_1(__VA_ARGS__)
#define AVPS_JOIN_3(a, ...) a AVPS_FS AVPS_JOIN_2(__VA_ARGS__)
#define AVPS_JOIN_4(a, ...) a AVPS_FS AVPS_JOIN_3(__VA_ARGS__)
#define AVPS_JOIN_5(a, ...) a AVPS_FS AVPS_JOIN_4(__VA_ARGS__)
#define AVPS_JOIN_6(a, ...) a AVPS_FS AVPS_JOIN_5(__VA_ARGS__)
#define AVPS_JOIN_7(a, ...) a AVPS_FS AVPS_JOIN_6(__VA_ARGS__)
#define AVPS_JOIN_8(a, ...) a AVPS_FS AVPS_JOIN_7(__VA_ARGS__)
#define AVPS_JOIN_9(a, ...) a AVPS_FS AVPS_JOIN_8(__VA_ARGS__)
#define AVPS_JOIN_10(a, ...) a AVPS_FS AVPS_JOIN_9(__VA_ARGS__)
#define AVPS_JOIN_11(a, ...) a AVPS_FS AVPS_JOIN_10(__VA_ARGS__)
#define AVPS_JOIN_12(a, ...) a AVPS_FS AVPS_JOIN_11(__VA_ARGS__)
#define AVPS_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, n, ...) n
#define AVPS_COUNT(...) AVPS_COUNT_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define AVPS_PASTE_(a, b) a##b
#define AVPS_PASTE(a, b) AVPS_PASTE_(a, b)
/* Joins 1..12 string literals (the checks line, requirement IDs) into one literal. */
#define AVPS_REQS(...) AVPS_PASTE(AVPS_JOIN_, AVPS_COUNT(__VA_ARGS__))(__VA_ARGS__)

#define AVPS_CASE_RECORD(variable, case_id, ktap_name, ...)                        \
	__attribute__((section(AVPS_MANIFEST_SECTION), used, aligned(1)))           \
	static const char variable[] =                                               \
		"avps-case" AVPS_FS case_id AVPS_FS ktap_name AVPS_FS AVPS_DECLARED_AT   \
		AVPS_FS AVPS_REQS(__VA_ARGS__);

#endif
