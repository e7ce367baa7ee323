/* Host unit tests of the emulated PL011: whole lines out, flags, ID registers, flood limit. */
#include <stdbool.h>

#include "unit_check.h"
#include "vuart.h"

static char lines[8][VUART_LINE_MAX + 1];
static int n_lines;

static void collect(void *ctx, const char *line)
{
	(void)ctx;
	if (n_lines < 8)
		strcpy(lines[n_lines], line);
	n_lines++;
}

static void put(struct vuart *u, const char *text)
{
	for (; *text; text++) {
		uint64_t v = (uint8_t)*text;
		vuart_access(u, 0, true, &v);
	}
}

int main(void)
{
	struct vuart u = { .emit_line = collect };
	uint64_t v = 0;
	printf("KTAP version 1\n");

	put(&u, "hello\r\nwor");
	CHECK(n_lines == 1 && strcmp(lines[0], "hello") == 0, "line_emitted_at_newline_without_cr");
	vuart_flush(&u);
	CHECK(n_lines == 2 && strcmp(lines[1], "wor") == 0, "partial_line_flushed");
	CHECK(vuart_access(&u, 0x18, false, &v) && v == 0x90, "flags_tx_empty_rx_empty");
	v = 0x301;
	vuart_access(&u, 0x30, true, &v);
	v = 0;
	CHECK(vuart_access(&u, 0x30, false, &v) && v == 0x301, "control_register_kept");
	CHECK(vuart_access(&u, 0xfe0, false, &v) && v == 0x11 && vuart_access(&u, 0xffc, false, &v) && v == 0xb1,
	      "primecell_ids");
	CHECK(vuart_access(&u, 0x000, false, &v) && v == 0, "no_input");
	n_lines = 0;
	for (int i = 0; i < VUART_LINE_MAX + 5; i++)
		put(&u, "x");
	CHECK(n_lines == 1 && strlen(lines[0]) == VUART_LINE_MAX, "long_line_split");
	bool ok = true;
	u.bytes = VUART_FLOOD_LIMIT - 1;
	v = 'a';
	ok = vuart_access(&u, 0, true, &v);
	CHECK(ok && !vuart_access(&u, 0, true, &v), "flood_limit_reported");
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
