/* KTAP version 1 emitter (plan, results, SKIP, diagnostics, nested subtests) over any character sink. */
#ifndef AVPS_KTAP_H
#define AVPS_KTAP_H

#include <stdbool.h>

/* Where KTAP text goes: a console, stdout, a buffer in a unit test. */
typedef void (*ktap_put_fn)(void *ctx, const char *text);

#define KTAP_MAX_DEPTH 4

struct ktap_writer {
	ktap_put_fn put;
	void *ctx;
	int depth;                         /* 0 = top-level document */
	int next_number[KTAP_MAX_DEPTH];   /* next test number at each depth */
	int failed[KTAP_MAX_DEPTH];        /* not-ok results seen at each depth */
};

enum ktap_status {
	KTAP_PASS,
	KTAP_FAIL,
	KTAP_SKIP,     /* condition absent: the reason must say which */
	KTAP_ERROR,    /* the test itself broke (emitted as not ok + "# ERROR") */
	KTAP_TIMEOUT,  /* emitted as not ok + "# TIMEOUT" */
};

void ktap_init(struct ktap_writer *w, ktap_put_fn put, void *ctx);
/* "KTAP version 1" at the current depth. */
void ktap_header(struct ktap_writer *w);
void ktap_plan(struct ktap_writer *w, int count);
/* One result line; returns the number it used. detail may be NULL. */
int ktap_result(struct ktap_writer *w, enum ktap_status status, const char *name,
		const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
/* "# ..." diagnostic line at the current depth. */
void ktap_diag(struct ktap_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Convenience: pass when cond holds, else fail with the detail. Returns cond. */
bool ktap_check(struct ktap_writer *w, bool cond, const char *name,
		const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
/* Nested subtest: begin indents later lines by four more spaces (the caller
 * prints the subtest's header and plan, or relays a child's); end returns to the
 * parent depth and gives the subtest's not-ok count. The caller then emits the
 * parent result line. */
void ktap_subtest_begin(struct ktap_writer *w);
int ktap_subtest_end(struct ktap_writer *w);
/* Write a line as-is (already formatted) at the current depth. */
void ktap_raw_line(struct ktap_writer *w, const char *line);

#endif
