/* Host unit tests for a freestanding case's outcome: precedence of ERROR/FAIL/SKIP and the result line. */
#include "case_outcome.h"
#include "unit_check.h"

static char out[1024];
static size_t out_len;

static void capture(void *ctx, const char *text)
{
	(void)ctx;
	size_t n = strlen(text);
	if (out_len + n < sizeof(out)) {
		memcpy(out + out_len, text, n);
		out_len += n;
		out[out_len] = '\0';
	}
}

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

	ktap_init(&w, capture, NULL);
	case_outcome_start(&o);
	CHECK(check(&o, &w, true, "never printed"), "passing_check_returns_true");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("ok 1 x.case\n", out, "pass_reports_ok");

	out_len = 0;
	case_outcome_start(&o);
	set(&o, KTAP_SKIP, "no device %d", 7);
	CHECK(!check(&o, &w, false, "expected %d, got %d", 1, 2), "failing_check_returns_false");
	set(&o, KTAP_SKIP, "later skip");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("# x.case: expected 1, got 2\nnot ok 2 x.case\n", out, "skip_never_hides_a_failure");

	out_len = 0;
	case_outcome_start(&o);
	set(&o, KTAP_SKIP, "first reason");
	set(&o, KTAP_SKIP, "second reason");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("ok 3 x.case # SKIP first reason\n", out, "first_reason_at_a_level_wins");

	out_len = 0;
	case_outcome_start(&o);
	check(&o, &w, false, "bad");
	set(&o, KTAP_ERROR, "exception");
	case_outcome_report(&o, &w, "x.case");
	CHECK_STR("# x.case: bad\nnot ok 4 x.case # ERROR exception\n", out, "error_outranks_failure");
	return UNIT_DONE();
}
