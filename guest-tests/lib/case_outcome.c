/* The outcome of one freestanding test case (probes, EFI probe): what its checks said, reported as one KTAP result. */
#include "case_outcome.h"
#include "text_format.h"

static int severity(enum ktap_status status)
{
	switch (status) {
	case KTAP_ERROR:
	case KTAP_TIMEOUT:
		return 3;
	case KTAP_FAIL:
		return 2;
	case KTAP_SKIP:
		return 1;
	default:
		return 0;
	}
}

void case_outcome_start(struct case_outcome *o)
{
	o->status = KTAP_PASS;
	o->reason[0] = '\0';
}

void case_outcome_vset(struct case_outcome *o, enum ktap_status status, const char *fmt, va_list ap)
{
	if (severity(status) <= severity(o->status))
		return;
	o->status = status;
	text_vformat(o->reason, sizeof(o->reason), fmt, ap);
}

bool case_outcome_vcheck(struct case_outcome *o, struct ktap_writer *w, const char *case_id, bool cond,
			 const char *fmt, va_list ap)
{
	if (cond)
		return true;
	char detail[200];
	text_vformat(detail, sizeof(detail), fmt, ap);
	if (case_id)
		ktap_diag(w, "%s: %s", case_id, detail);
	else
		ktap_diag(w, "%s", detail); /* the result line that follows names the case */
	if (severity(KTAP_FAIL) > severity(o->status)) {
		o->status = KTAP_FAIL;
		text_format(o->reason, sizeof(o->reason), "%s", detail);
	}
	return false;
}

void case_outcome_host_check(const struct case_outcome *o, struct ktap_writer *w, const char *case_id,
			     const char *event)
{
	int level = severity(o->status);
	if (level < severity(KTAP_FAIL)) {
		ktap_diag(w, "host-check: %s expect=%s", case_id, event);
		return;
	}
	char reason[48];
	text_format(reason, sizeof(reason), "%s", o->reason);
	ktap_diag(w, "host-check: %s expect=%s guest=%s: %s", case_id, event, level == 3 ? "error" : "fail", reason);
}

void case_outcome_report(const struct case_outcome *o, struct ktap_writer *w, const char *case_id)
{
	/* Failure detail is already on a diagnostic line; SKIP/ERROR carry theirs as directive. */
	if (o->status == KTAP_PASS || o->status == KTAP_FAIL)
		ktap_result(w, o->status, case_id, NULL);
	else
		ktap_result(w, o->status, case_id, "%s", o->reason);
}
