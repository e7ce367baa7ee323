/* Host unit tests for a freestanding case's outcome: precedence of ERROR/FAIL/SKIP and the result line. */
#include "case_outcome.h"
#include "unit_check.h"

static void set(struct case_outcome *o, enum ktap_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	case_outcome_vset(o, status, fmt, ap);
	va_end(ap);
}

static bool check(struct case_outcome *o, struct ktap_writer *w, bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = case_outcome_vcheck(o, w, "x.case", cond, fmt, ap);
	va_end(ap);
	return ok;
}

int main(void)
{
	struct ktap_writer w;
	struct case_outcome o;
	printf("KTAP version 1\n");

	ktap_init(&w, unit_capture, NULL);
	case_outcome_start(&o);
	CHECK(check(&o, &w, true, "never printed"), "passing_check_returns_true");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("ok 1 x.case\n", unit_output, "pass_reports_ok");

	unit_capture_reset();
	case_outcome_start(&o);
	set(&o, KTAP_SKIP, "no device %d", 7);
	CHECK(!check(&o, &w, false, "expected %d, got %d", 1, 2), "failing_check_returns_false");
	set(&o, KTAP_SKIP, "later skip");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("# x.case: expected 1, got 2\nnot ok 2 x.case\n", unit_output, "skip_never_hides_a_failure");

	unit_capture_reset();
	case_outcome_start(&o);
	set(&o, KTAP_SKIP, "first reason");
	set(&o, KTAP_SKIP, "second reason");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("ok 3 x.case # SKIP first reason\n", unit_output, "first_reason_at_a_level_wins");

	unit_capture_reset();
	case_outcome_start(&o);
	check(&o, &w, false, "bad");
	set(&o, KTAP_ERROR, "exception");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("# x.case: bad\nnot ok 4 x.case # ERROR exception\n", unit_output, "error_outranks_failure");

	unit_capture_reset();
	case_outcome_start(&o);
	case_outcome_host_check(&o, &w, "x.case", "guest-reset");
	CHECK_STR("# host-check: x.case expect=guest-reset\n", unit_output, "host_check_of_a_clean_case");

	unit_capture_reset();
	case_outcome_start(&o);
	check(&o, &w, false, "SYSTEM_RESET2 returned %d before the reset", -1);
	unit_capture_reset();
	case_outcome_host_check(&o, &w, "x.case", "guest-reset");
	CHECK_STR("# host-check: x.case expect=guest-reset guest=fail: SYSTEM_RESET2 returned -1 before the reset\n",
		  unit_output, "host_check_carries_the_guest_failure");

	unit_capture_reset();
	case_outcome_start(&o);
	set(&o, KTAP_ERROR, "%s", "an exception in the case, reported with a reason far longer than one console line allows");
	case_outcome_host_check(&o, &w, "x.case", "guest-shutdown");
	CHECK_STR("# host-check: x.case expect=guest-shutdown guest=error: an exception in the case, reported with a reaso\n",
		  unit_output, "host_check_carries_an_error_cut_short");
	return UNIT_DONE();
}
