/* Host unit tests of the SBSA Generic Watchdog rules: refreshes, WS0 then WS1, 32/64-bit halves, the fault switches. */
#include <stdbool.h>

#include "gwdt.h"
#include "unit_check.h"

static unsigned events;

static uint64_t rd(struct gwdt *w, enum gwdt_frame f, uint64_t offset, unsigned size, uint64_t now)
{
	return gwdt_read(w, f, offset, size, now, &events);
}

static void wr(struct gwdt *w, enum gwdt_frame f, uint64_t offset, unsigned size, uint64_t value, uint64_t now)
{
	gwdt_write(w, f, offset, size, value, now, &events);
}

int main(void)
{
	struct gwdt w = { 0 };
	printf("KTAP version 1\n");

	gwdt_reset(&w);
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_W_IIDR, 4, 0) == GWDT_W_IIDR_VALUE &&
	      rd(&w, GWDT_REFRESH_FRAME, GWDT_W_IIDR, 4, 0) == GWDT_W_IIDR_VALUE, "iidr_in_both_frames_version_1");
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, 0) == 0, "disabled_at_reset");
	CHECK(gwdt_advance(&w, 1000000) == 0, "disabled_never_times_out");

	/* WOR written as two 32-bit halves (Linux's lo_hi_writeq): each write is an explicit refresh. */
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WOR, 4, 1000, 100);
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WOR + 4, 4, 0, 100);
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 100) == 1000 && rd(&w, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 100) == 1100,
	      "wor_write_refreshes_wcv_count_plus_wor");
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WOR + 4, 4, 0xffffffff, 100);
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WOR + 4, 4, 100) == 0xffff, "wor_is_48_bits");
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 1000, 100);

	wr(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, GWDT_WCS_EN | GWDT_WCS_WS0 | GWDT_WCS_WS1, 200);
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, 200) == GWDT_WCS_EN && rd(&w, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 200) == 1200,
	      "wcs_write_enables_refreshes_and_ws_bits_are_read_only");
	events = 0;
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, 1200) == GWDT_WCS_EN && events == 0, "no_timeout_at_wcv");
	CHECK(gwdt_next_due(&w) == 1201, "next_due_is_first_count_past_wcv");
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, 1201) == (GWDT_WCS_EN | GWDT_WCS_WS0) && events == GWDT_EVENT_WS0 &&
	      rd(&w, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 1201) == 2200, "first_timeout_sets_ws0_and_timeout_refresh");
	events = 0;
	wr(&w, GWDT_REFRESH_FRAME, GWDT_WRR, 4, 0, 1500);
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, 1500) == GWDT_WCS_EN && rd(&w, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 1500) == 2500 &&
	      events == 0, "wrr_write_clears_ws0_and_refreshes");
	CHECK(rd(&w, GWDT_REFRESH_FRAME, GWDT_WRR, 4, 1500) == 0, "wrr_reads_zero");

	CHECK(gwdt_advance(&w, 2501) == GWDT_EVENT_WS0 && gwdt_advance(&w, 3501) == GWDT_EVENT_WS1 &&
	      w.wcs == (GWDT_WCS_EN | GWDT_WCS_WS0 | GWDT_WCS_WS1), "second_timeout_sets_ws1");
	CHECK(gwdt_advance(&w, 9000) == 0, "ws1_is_signalled_once");
	CHECK(gwdt_next_due(&w) == UINT64_MAX, "nothing_due_after_ws1");
	gwdt_reset(&w);
	w.wor = 100;
	w.wcs = GWDT_WCS_EN;
	w.wcv = 10000;
	CHECK(gwdt_advance(&w, 20000) == (GWDT_EVENT_WS0 | GWDT_EVENT_WS1), "one_late_evaluation_sees_ws0_and_ws1");

	gwdt_reset(&w);
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 1000, 0);
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, GWDT_WCS_EN, 0);
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WCV + 4, 4, 1, 10);
	CHECK(rd(&w, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 10) == (1ULL << 32 | 1000) && w.wcs == GWDT_WCS_EN,
	      "wcv_write_sets_compare_value_without_refresh");
	wr(&w, GWDT_CONTROL_FRAME, GWDT_WCS, 4, 0, 20);
	CHECK(gwdt_advance(&w, 1ULL << 40) == 0 && w.wcs == 0 && gwdt_next_due(&w) == UINT64_MAX, "wcs_en_clear_stops_it");

	/* Fault watchdog-refresh-ignored: WRR writes do not move WCV; WOR and WCS writes still refresh. */
	struct gwdt f = { .faults.refresh_ignored = true };
	gwdt_reset(&f);
	CHECK(f.faults.refresh_ignored, "reset_keeps_fault_switch");
	wr(&f, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 1000, 0);
	wr(&f, GWDT_CONTROL_FRAME, GWDT_WCS, 4, GWDT_WCS_EN, 0);
	wr(&f, GWDT_REFRESH_FRAME, GWDT_WRR, 4, 0, 500);
	CHECK(rd(&f, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 500) == 1000, "fault_refresh_ignored_wrr_keeps_wcv");
	wr(&f, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 1000, 600);
	CHECK(rd(&f, GWDT_CONTROL_FRAME, GWDT_WCV, 8, 600) == 1600, "fault_refresh_ignored_wor_still_refreshes");

	/* Fault watchdog-resets-at-ws0: the first timeout sets WS0 and WS1 and signals the reset at once. */
	struct gwdt early = { .faults.resets_at_ws0 = true };
	gwdt_reset(&early);
	CHECK(early.faults.resets_at_ws0, "reset_keeps_resets_at_ws0");
	wr(&early, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 1000, 0);
	wr(&early, GWDT_CONTROL_FRAME, GWDT_WCS, 4, GWDT_WCS_EN, 0);
	CHECK(gwdt_advance(&early, 1000) == 0, "fault_resets_at_ws0_nothing_before_the_offset");
	CHECK(gwdt_advance(&early, 1001) == (GWDT_EVENT_WS0 | GWDT_EVENT_WS1) &&
	      early.wcs == (GWDT_WCS_EN | GWDT_WCS_WS0 | GWDT_WCS_WS1), "fault_resets_at_ws0_first_timeout_resets");

	/* Fault watchdog-ws1-reset-lost: WS1 is asserted (WCS reads it) but no reset is signalled. */
	struct gwdt lost = { .faults.ws1_reset_lost = true };
	gwdt_reset(&lost);
	wr(&lost, GWDT_CONTROL_FRAME, GWDT_WOR, 8, 1000, 0);
	wr(&lost, GWDT_CONTROL_FRAME, GWDT_WCS, 4, GWDT_WCS_EN, 0);
	CHECK(gwdt_advance(&lost, 1001) == GWDT_EVENT_WS0, "fault_ws1_reset_lost_ws0_as_usual");
	CHECK(gwdt_advance(&lost, 2001) == 0 && lost.wcs == (GWDT_WCS_EN | GWDT_WCS_WS0 | GWDT_WCS_WS1) &&
	      gwdt_next_due(&lost) == UINT64_MAX, "fault_ws1_reset_lost_ws1_set_no_reset");
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
