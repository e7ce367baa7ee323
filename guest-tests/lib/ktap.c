/* KTAP version 1 emitter (plan, results, SKIP, diagnostics, nested subtests) over any character sink. */
#include "ktap.h"
#include "text_format.h"

#include <stdarg.h>

#define KTAP_LINE_MAX 512

static void emit_line(struct ktap_writer *w, const char *line)
{
	static const char indent[] = "                ";
	int spaces = w->depth * 4;

	if (spaces > 0)
		w->put(w->ctx, indent + (sizeof(indent) - 1 - (unsigned)spaces));
	w->put(w->ctx, line);
	w->put(w->ctx, "\n");
}

void ktap_init(struct ktap_writer *w, ktap_put_fn put, void *ctx)
{
	w->put = put;
	w->ctx = ctx;
	w->depth = 0;
	for (int i = 0; i < KTAP_MAX_DEPTH; i++) {
		w->next_number[i] = 1;
		w->failed[i] = 0;
	}
}

void ktap_header(struct ktap_writer *w)
{
	emit_line(w, "KTAP version 1");
}

void ktap_plan(struct ktap_writer *w, int count)
{
	char line[32];
	text_format(line, sizeof(line), "1..%d", count);
	emit_line(w, line);
}

void ktap_raw_line(struct ktap_writer *w, const char *line)
{
	emit_line(w, line);
}

/* Names must stay one token: KTAP ends the name at " #". */
static void copy_name(char *dst, int size, const char *name)
{
	int i = 0;
	for (; name[i] && i < size - 1; i++)
		dst[i] = (name[i] == '#' || name[i] == '\n') ? '_' : name[i];
	dst[i] = '\0';
}

static int vresult(struct ktap_writer *w, enum ktap_status status, const char *name,
		   const char *detail_fmt, va_list ap)
{
	static const char *const directive[] = {
		[KTAP_PASS] = "", [KTAP_FAIL] = "", [KTAP_SKIP] = " # SKIP ",
		[KTAP_ERROR] = " # ERROR ", [KTAP_TIMEOUT] = " # TIMEOUT ",
	};
	char safe_name[128], detail[KTAP_LINE_MAX / 2], line[KTAP_LINE_MAX];
	int number = w->next_number[w->depth]++;
	bool ok = status == KTAP_PASS || status == KTAP_SKIP;

	copy_name(safe_name, sizeof(safe_name), name);
	detail[0] = '\0';
	if (detail_fmt)
		text_vformat(detail, sizeof(detail), detail_fmt, ap);
	if (!ok)
		w->failed[w->depth]++;
	/* Failure detail goes on a diagnostic line before the result, so that
	 * parsers that read only the result line still see a clean name. */
	if ((status == KTAP_FAIL) && detail[0]) {
		text_format(line, sizeof(line), "# %s: %s", safe_name, detail);
		emit_line(w, line);
	}
	text_format(line, sizeof(line), "%s %d %s%s%s", ok ? "ok" : "not ok", number,
		    safe_name, directive[status],
		    status == KTAP_FAIL || status == KTAP_PASS ? "" : detail);
	emit_line(w, line);
	return number;
}

int ktap_result(struct ktap_writer *w, enum ktap_status status, const char *name,
		const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	int n = vresult(w, status, name, detail_fmt, ap);
	va_end(ap);
	return n;
}

bool ktap_check(struct ktap_writer *w, bool cond, const char *name, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	vresult(w, cond ? KTAP_PASS : KTAP_FAIL, name, detail_fmt, ap);
	va_end(ap);
	return cond;
}

void ktap_diag(struct ktap_writer *w, const char *fmt, ...)
{
	char body[KTAP_LINE_MAX - 4], line[KTAP_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	text_vformat(body, sizeof(body), fmt, ap);
	va_end(ap);
	text_format(line, sizeof(line), "# %s", body);
	emit_line(w, line);
}

void ktap_subtest_begin(struct ktap_writer *w)
{
	if (w->depth + 1 >= KTAP_MAX_DEPTH)
		return;
	w->depth++;
	w->next_number[w->depth] = 1;
	w->failed[w->depth] = 0;
}

int ktap_subtest_end(struct ktap_writer *w)
{
	int failed = w->failed[w->depth];
	if (w->depth > 0)
		w->depth--;
	return failed;
}
