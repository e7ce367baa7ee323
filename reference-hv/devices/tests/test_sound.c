/* Host unit tests of the sound model: info replies, the PCM lifecycle, rate-paced playback into the loopback, capture, release, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

enum { CTLQ, EVTQ, TXQ, RXQ };
#define S_OK 0x8000u
#define S_BAD_MSG 0x8001u
#define S_NOT_SUPP 0x8002u
#define S_IO_ERR 0x8003u
#define PERIOD 1024u        /* 256 frames of S16 stereo: 5333 us at 48 kHz */
#define PERIOD_US 5334u

static uint64_t fake_now;

static uint64_t clock_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static bool start(struct test_driver *td, const char *options)
{
	fake_now = 1000;
	if (!td_start(td, "sound", options, ~0ULL, false))
		return false;
	td->dev.host.now_us = clock_now;
	return true;
}

/* One control request; returns the status code (0xdead when the device did not answer). */
static uint32_t ctl(struct test_driver *td, const void *req, uint32_t req_len, void *resp, uint32_t resp_len, uint32_t *used)
{
	uint64_t r = td_alloc(td, req_len), a = td_alloc(td, resp_len);
	memcpy(td_host(td, r), req, req_len);
	memset(td_host(td, a), 0xcc, resp_len);
	struct td_buffer b[2] = { { r, req_len, false }, { a, resp_len, true } };
	td_submit(td, CTLQ, b, 2);
	uint16_t id;
	uint32_t len = 0;
	if (!td_used(td, CTLQ, &id, &len))
		return 0xdead;
	if (resp)
		memcpy(resp, td_host(td, a), resp_len);
	if (used)
		*used = len;
	uint32_t status;
	memcpy(&status, td_host(td, a), 4);
	return status;
}

static uint32_t query(struct test_driver *td, uint32_t code, uint32_t start_id, uint32_t count, uint32_t size,
		      uint8_t *out, uint32_t *used)
{
	uint32_t q[4] = { code, start_id, count, size };
	return ctl(td, q, sizeof(q), out, 4 + count * size, used);
}

static uint32_t pcm(struct test_driver *td, uint32_t code, uint32_t stream)
{
	uint32_t h[2] = { code, stream };
	return ctl(td, h, sizeof(h), NULL, 4, NULL);
}

static uint32_t set_params(struct test_driver *td, uint32_t stream, uint32_t buffer, uint32_t period, uint8_t rate)
{
	uint8_t p[24] = { 0 };
	uint32_t words[5] = { 0x101, stream, buffer, period, 0 };
	memcpy(p, words, sizeof(words));
	p[20] = 2;      /* channels */
	p[21] = 5;      /* S16 */
	p[22] = rate;   /* 7: 48000 */
	return ctl(td, p, sizeof(p), NULL, 4, NULL);
}

/* Queues one tx message of PERIOD bytes (seeded pattern); returns its status part's guest address. */
static uint64_t post_tx(struct test_driver *td, uint8_t seed, uint64_t *data_out)
{
	uint64_t hdr = td_alloc(td, 4), data = td_alloc(td, PERIOD), status = td_alloc(td, 8);
	uint32_t sid = 0;
	memcpy(td_host(td, hdr), &sid, 4);
	for (unsigned i = 0; i < PERIOD; i++)
		((uint8_t *)td_host(td, data))[i] = (uint8_t)(seed * 31 + i * 7);
	memset(td_host(td, status), 0xcc, 8);
	struct td_buffer b[3] = { { hdr, 4, false }, { data, PERIOD, false }, { status, 8, true } };
	td_submit(td, TXQ, b, 3);
	if (data_out)
		*data_out = data;
	return status;
}

static uint64_t post_rx(struct test_driver *td, uint32_t len)
{
	uint64_t hdr = td_alloc(td, 4), data = td_alloc(td, len + 8);
	uint32_t sid = 1;
	memcpy(td_host(td, hdr), &sid, 4);
	memset(td_host(td, data), 0xcc, len + 8);
	struct td_buffer b[2] = { { hdr, 4, false }, { data, len + 8, true } };
	td_submit(td, RXQ, b, 2);
	return data;
}

static unsigned used_count(struct test_driver *td, unsigned q, uint32_t *last_len)
{
	unsigned n = 0;
	uint16_t id;
	uint32_t len;
	while (td_used(td, q, &id, &len)) {
		n++;
		if (last_len)
			*last_len = len;
	}
	return n;
}

static void tick(struct test_driver *td, uint64_t advance_us)
{
	fake_now += advance_us;
	vdev_tick(&td->dev);
}

static bool pattern_at(struct test_driver *td, uint64_t data, uint8_t seed)
{
	for (unsigned i = 0; i < PERIOD; i++)
		if (((uint8_t *)td_host(td, data))[i] != (uint8_t)(seed * 31 + i * 7))
			return false;
	return true;
}

static void test_info(void)
{
	struct test_driver td;
	uint8_t out[4 + 2 * 64];
	uint32_t used, config[3];
	CHECK(start(&td, ""), "start");
	vdev_read_config(&td.dev, 0, config, sizeof(config));
	CHECK(config[0] == 2 && config[1] == 2 && config[2] == 2, "config_jacks_streams_chmaps");
	CHECK(query(&td, 0x100, 0, 2, 32, out, &used) == S_OK && used == 4 + 64, "pcm_info_ok");
	uint64_t formats, rates;
	memcpy(&formats, out + 4 + 8, 8);
	memcpy(&rates, out + 4 + 16, 8);
	CHECK(formats == ((1ull << 5) | (1ull << 17)) && rates == ((1ull << 6) | (1ull << 7)), "pcm_formats_rates");
	CHECK(out[4 + 24] == 0 && out[4 + 32 + 24] == 1 && out[4 + 25] == 1 && out[4 + 26] == 2, "pcm_direction_channels");
	bool zero = true;
	for (int i = 27; i < 32; i++)
		zero &= out[4 + i] == 0 && out[4 + 32 + i] == 0;
	CHECK(zero, "pcm_padding_zero");
	CHECK(query(&td, 0x1, 0, 2, 24, out, &used) == S_OK && used == 4 + 48 && out[4 + 16] == 1, "jack_info_connected");
	CHECK(query(&td, 0x200, 1, 1, 24, out, &used) == S_OK && out[4 + 4] == 1 && out[4 + 5] == 2 && out[4 + 6] == 3 &&
	      out[4 + 7] == 4, "chmap_info_input_fl_fr");
	CHECK(query(&td, 0x100, 1, 2, 32, out, NULL) == S_BAD_MSG, "query_past_total_bad_msg");
	CHECK(query(&td, 0x100, 0, 1, 16, out, NULL) == S_BAD_MSG, "query_size_too_small_bad_msg");
	CHECK(query(&td, 0x100, 0, 1, 40, out, &used) == S_OK && used == 44 && out[4 + 32] == 0, "query_larger_stride");
	uint32_t remap[4] = { 2, 0, 1, 1 };
	CHECK(ctl(&td, remap, sizeof(remap), NULL, 4, NULL) == S_NOT_SUPP, "jack_remap_not_supported");
	td_stop(&td);
}

static void test_lifecycle(void)
{
	struct test_driver td;
	CHECK(start(&td, ""), "start");
	CHECK(pcm(&td, 0x104, 0) == S_BAD_MSG, "start_before_prepare_bad_msg");
	CHECK(pcm(&td, 0x102, 0) == S_BAD_MSG, "prepare_without_params_bad_msg");
	CHECK(set_params(&td, 0, 4 * PERIOD, PERIOD, 13) == S_NOT_SUPP, "unsupported_rate_not_supp");
	CHECK(set_params(&td, 0, 4 * PERIOD + 2, PERIOD, 7) == S_BAD_MSG, "period_not_divider_bad_msg");
	CHECK(set_params(&td, 0, 4 * PERIOD, PERIOD, 7) == S_OK, "set_params_ok");
	CHECK(pcm(&td, 0x102, 0) == S_OK && pcm(&td, 0x104, 0) == S_OK, "prepare_start");
	CHECK(set_params(&td, 0, 4 * PERIOD, PERIOD, 7) == S_BAD_MSG, "set_params_while_running_bad_msg");
	CHECK(pcm(&td, 0x103, 0) == S_BAD_MSG, "release_while_running_bad_msg");
	CHECK(pcm(&td, 0x105, 0) == S_OK && pcm(&td, 0x103, 0) == S_OK, "stop_release");
	CHECK(pcm(&td, 0x102, 0) == S_OK, "prepare_after_release");
	td_stop(&td);
}

static void test_loopback(void)
{
	struct test_driver td;
	uint32_t len = 0;
	uint64_t status[4];
	CHECK(start(&td, ""), "start");
	set_params(&td, 0, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 0);
	for (uint8_t i = 0; i < 4; i++)
		status[i] = post_tx(&td, i, NULL);
	CHECK(used_count(&td, TXQ, NULL) == 0, "prebuffered_tx_held");
	pcm(&td, 0x104, 0);
	tick(&td, PERIOD_US - 100);
	CHECK(used_count(&td, TXQ, NULL) == 0, "tx_not_done_before_its_time");
	tick(&td, 100);
	CHECK(used_count(&td, TXQ, &len) == 1 && len == 8, "one_period_played_after_one_period");
	for (int i = 0; i < 3; i++)
		tick(&td, PERIOD_US);
	CHECK(used_count(&td, TXQ, NULL) == 3, "all_played");
	CHECK(*(uint32_t *)td_host(&td, status[3]) == S_OK, "tx_status_ok");
	set_params(&td, 1, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 1);
	uint64_t rx[4];
	for (int i = 0; i < 4; i++)
		rx[i] = post_rx(&td, PERIOD);
	CHECK(used_count(&td, RXQ, NULL) == 0, "rx_held_until_start");
	pcm(&td, 0x104, 1);
	tick(&td, 1);
	CHECK(used_count(&td, RXQ, &len) == 4 && len == PERIOD + 8, "rx_filled_from_loopback");
	bool same = true;
	for (uint8_t i = 0; i < 4; i++)
		same &= pattern_at(&td, rx[i], i);
	CHECK(same, "captured_equals_played");
	uint64_t partial = post_rx(&td, 2 * PERIOD);
	post_tx(&td, 9, NULL);
	tick(&td, PERIOD_US);
	CHECK(used_count(&td, TXQ, NULL) == 1 && used_count(&td, RXQ, NULL) == 0, "rx_not_completed_half_full");
	post_tx(&td, 10, NULL);
	tick(&td, PERIOD_US);
	CHECK(used_count(&td, RXQ, &len) == 1 && len == 2 * PERIOD + 8 && pattern_at(&td, partial + PERIOD, 10),
	      "rx_completed_when_full");
	used_count(&td, TXQ, NULL);
	/* A tick that comes 10 periods late plays 2 messages, then the clock starts again: no burst. */
	for (uint8_t i = 0; i < 4; i++)
		post_tx(&td, i, NULL);
	tick(&td, 10 * PERIOD_US);
	CHECK(used_count(&td, TXQ, NULL) == 2, "late_tick_catches_up_two_periods");
	tick(&td, PERIOD_US);
	CHECK(used_count(&td, TXQ, NULL) == 1, "then_one_period_per_period");
	tick(&td, PERIOD_US);
	used_count(&td, TXQ, NULL);
	used_count(&td, RXQ, NULL);
	/* Release: pending messages come back before the RELEASE's own answer. */
	pcm(&td, 0x105, 0);
	uint64_t pending = post_tx(&td, 11, NULL);
	CHECK(used_count(&td, TXQ, NULL) == 0, "stopped_stream_holds_tx");
	CHECK(pcm(&td, 0x103, 0) == S_OK && used_count(&td, TXQ, NULL) == 1 &&
	      *(uint32_t *)td_host(&td, pending) == S_IO_ERR, "release_returns_unplayed_tx_io_err");
	post_tx(&td, 12, NULL);
	CHECK(used_count(&td, TXQ, &len) == 1 && *(uint32_t *)td_host(&td, td.next_free - 8) == S_IO_ERR,
	      "tx_for_released_stream_io_err");
	td_stop(&td);
}

/* The buffer-smaller fault keeps a period less than buffer_bytes: the first played period is lost. */
static void test_faults(void)
{
	struct test_driver td;
	uint8_t out[4 + 64];
	CHECK(start(&td, "fault=buffer-smaller"), "start_buffer_smaller");
	set_params(&td, 0, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 0);
	for (uint8_t i = 0; i < 4; i++)
		post_tx(&td, i, NULL);
	pcm(&td, 0x104, 0);
	for (int i = 0; i < 4; i++)
		tick(&td, PERIOD_US);
	set_params(&td, 1, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 1);
	uint64_t rx = post_rx(&td, PERIOD);
	pcm(&td, 0x104, 1);
	tick(&td, 1);
	CHECK(used_count(&td, RXQ, NULL) == 1 && !pattern_at(&td, rx, 0) && pattern_at(&td, rx, 1),
	      "buffer_smaller_loses_first_period");
	td_stop(&td);

	CHECK(start(&td, "fault=tx-complete-before-consumed"), "start_tx_early");
	set_params(&td, 0, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 0);
	post_tx(&td, 0, NULL);
	CHECK(used_count(&td, TXQ, NULL) == 1, "tx_early_completed_before_played");
	td_stop(&td);

	CHECK(start(&td, "fault=release-before-io"), "start_release_before_io");
	set_params(&td, 0, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 0);
	post_tx(&td, 0, NULL);
	CHECK(pcm(&td, 0x103, 0) == S_OK && used_count(&td, TXQ, NULL) == 0, "release_answered_with_io_pending");
	tick(&td, 100000);
	CHECK(used_count(&td, TXQ, NULL) == 0, "release_before_io_still_owed_after_100ms");
	tick(&td, 100000);
	CHECK(used_count(&td, TXQ, NULL) == 1, "release_before_io_returns_after_200ms");
	td_stop(&td);

	CHECK(start(&td, "fault=release-keeps-io"), "start_release_keeps_io");
	set_params(&td, 0, 4 * PERIOD, PERIOD, 7);
	pcm(&td, 0x102, 0);
	post_tx(&td, 0, NULL);
	pcm(&td, 0x103, 0);
	tick(&td, 100000);
	CHECK(used_count(&td, TXQ, NULL) == 0, "release_keeps_io");
	td_stop(&td);

	CHECK(start(&td, "fault=jack-padding-nonzero,fault=pcm-undefined-format,fault=chmap-too-many-channels"),
	      "start_info_faults");
	query(&td, 0x1, 0, 1, 24, out, NULL);
	CHECK(out[4 + 20] != 0, "jack_padding_fault");
	query(&td, 0x100, 0, 1, 32, out, NULL);
	uint64_t formats;
	memcpy(&formats, out + 12, 8);
	CHECK(formats >> 25, "pcm_undefined_format_fault");
	query(&td, 0x200, 0, 1, 24, out, NULL);
	CHECK(out[4 + 5] > 18, "chmap_channels_fault");
	td_stop(&td);

	CHECK(start(&td, "fault=jack-disconnected,fault=unsupported-request-ok"), "start_answer_faults");
	query(&td, 0x1, 0, 1, 24, out, NULL);
	CHECK(out[4 + 16] == 0, "jack_disconnected_fault");
	uint32_t remap[4] = { 2, 0, 1, 1 };
	CHECK(ctl(&td, remap, sizeof(remap), NULL, 4, NULL) == S_OK, "remap_answered_ok");
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	test_info();
	test_lifecycle();
	test_loopback();
	test_faults();
	return UNIT_DONE();
}
