/* Host unit tests for the KTAP emitter: exact output for plans, results, directives, nesting. */
#include "ktap.h"
#include "unit_check.h"

static void reset(struct ktap_writer *w)
{
	unit_capture_reset();
	ktap_init(w, unit_capture, NULL);
}

int main(void)
{
	struct ktap_writer w;
	printf("KTAP version 1\n");

	reset(&w);
	ktap_header(&w);
	ktap_plan(&w, 2);
	ktap_result(&w, KTAP_PASS, "a.first", NULL);
	ktap_result(&w, KTAP_FAIL, "a.second", "expected %d, got %d", 1, 2);
	CHECK_STR("KTAP version 1\n1..2\nok 1 a.first\n# a.second: expected 1, got 2\nnot ok 2 a.second\n",
		  unit_output, "pass_and_fail_lines");

	reset(&w);
	ktap_result(&w, KTAP_SKIP, "gpu.present", "no virtio-gpu device");
	ktap_result(&w, KTAP_TIMEOUT, "slow", "after %d s", 30);
	ktap_result(&w, KTAP_ERROR, "broken", "signal %d", 11);
	CHECK_STR("ok 1 gpu.present # SKIP no virtio-gpu device\nnot ok 2 slow # TIMEOUT after 30 s\n"
		  "not ok 3 broken # ERROR signal 11\n", unit_output, "directives");

	reset(&w);
	ktap_header(&w);
	ktap_plan(&w, 1);
	ktap_subtest_begin(&w);
	ktap_header(&w);
	ktap_plan(&w, 1);
	ktap_check(&w, false, "inner", "x=%s", "y");
	int failed = ktap_subtest_end(&w);
	ktap_result(&w, failed ? KTAP_FAIL : KTAP_PASS, "outer", NULL);
	CHECK_STR("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    # inner: x=y\n    not ok 1 inner\n"
		  "not ok 1 outer\n", unit_output, "nested_subtest_indents_and_counts");
	CHECK(failed == 1, "subtest_end_returns_failures");

	reset(&w);
	ktap_result(&w, KTAP_PASS, "name # with hash", NULL);
	CHECK_STR("ok 1 name _ with hash\n", unit_output, "hash_in_name_cannot_start_a_directive");

	reset(&w);
	ktap_diag(&w, "value 0x%08x %s", 0xbeefu, "text");
	CHECK_STR("# value 0x0000beef text\n", unit_output, "diagnostic_line");

	return UNIT_DONE();
}
