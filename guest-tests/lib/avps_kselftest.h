/* Wraps the kernel's kselftest_harness.h so each TEST also declares its case ID and requirement IDs. */
#ifndef AVPS_KSELFTEST_H
#define AVPS_KSELFTEST_H

#ifndef AVPS_SUITE
#error "define AVPS_SUITE (e.g. \"virtio.blk\") before including avps_kselftest.h"
#endif

#include "kselftest_harness.h" /* from linux-source-6.1, included with -isystem */
#include "avps_case.h"
#include "case_selection.h"

/*
 * AVPS_TEST(name, "REQ-ID", ...) { body }
 * is kselftest's TEST(name) plus one manifest record: case ID AVPS_SUITE "." #name,
 * printed by the 6.1 harness as "global.<name>". Use kselftest's ASSERT_* / EXPECT_*
 * checks and SKIP() in the body; SKIP only when a conditional feature is absent,
 * and say which.
 */
#define AVPS_TEST(name, ...)                                                        \
	AVPS_CASE_RECORD(avps_case_##name, AVPS_SUITE "." #name, "global." #name,   \
			 __VA_ARGS__)                                                \
	static struct __test_metadata _##name##_object;                             \
	static void __attribute__((constructor)) avps_select_##name(void)          \
	{                                                                           \
		if (!avps_case_selected(AVPS_SUITE "." #name))                      \
			_##name##_object.fn = avps_not_selected;                    \
	}                                                                           \
	TEST(name)

/* A case avps.cases leaves out (case_selection.h) runs nothing and reports SKIP AVPS_NOT_SELECTED,
 * which the harness takes as selected out, never as a result. */
static inline void avps_not_selected(struct __test_metadata *_metadata,
				     struct __fixture_variant_metadata *variant)
{
	(void)variant;
	_metadata->setup_completed = true;
	SKIP(return, AVPS_NOT_SELECTED);
}

/* kselftest 6.1 gives each case 30 s (TEST_TIMEOUT_DEFAULT); keep cases well inside it. */

#endif
