/* Host unit tests of the RPMB model: key programming, write counter, authenticated write/read, result codes, reset, and its faults. */
#include "../hmac_sha256.h"
#include "../rpmb_frame.h"
#include "host_driver.h"
#include "unit_check.h"

enum { PROGRAM_KEY = 1, GET_COUNTER, DATA_WRITE, DATA_READ, RESULT_READ };

static const uint8_t key[32] = "avps-cts rpmb unit test key 0123";

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set32(uint8_t *p, uint32_t v)
{
	set16(p, (uint16_t)(v >> 16));
	set16(p + 2, (uint16_t)v);
}

static void frame(uint8_t *f, uint16_t req, uint16_t count, uint16_t address, uint32_t counter)
{
	memset(f, 0, RPMB_FRAME_BYTES);
	set16(f + RPMB_OFF_REQ_RESP, req);
	set16(f + RPMB_OFF_BLOCK_COUNT, count);
	set16(f + RPMB_OFF_ADDRESS, address);
	set32(f + RPMB_OFF_COUNTER, counter);
	for (int i = 0; i < 16; i++)
		f[RPMB_OFF_NONCE + i] = (uint8_t)(0xa0 + i);
}

static void mac(uint8_t (*frames)[RPMB_FRAME_BYTES], unsigned n, uint8_t out[32])
{
	struct hmac_sha256 m;
	hmac_sha256_init(&m, key, sizeof(key));
	for (unsigned i = 0; i < n; i++)
		hmac_sha256_update(&m, frames[i] + RPMB_OFF_DATA, RPMB_FRAME_BYTES - RPMB_OFF_DATA);
	hmac_sha256_final(&m, out);
}

/* Sends n frames and takes `answers` frames back into resp; returns the used length. */
static uint32_t call(struct test_driver *td, uint8_t (*frames)[RPMB_FRAME_BYTES], unsigned n, uint8_t (*resp)[RPMB_FRAME_BYTES],
		     unsigned answers)
{
	uint64_t out = td_alloc(td, (size_t)n * RPMB_FRAME_BYTES), in = td_alloc(td, (size_t)answers * RPMB_FRAME_BYTES + 1);
	memcpy(td_host(td, out), frames, (size_t)n * RPMB_FRAME_BYTES);
	struct td_buffer b[2] = { { out, n * RPMB_FRAME_BYTES, false }, { in, answers * RPMB_FRAME_BYTES, true } };
	td_submit(td, 0, b, answers ? 2 : 1);
	uint16_t id;
	uint32_t len = 0xffffffffu;
	td_used(td, 0, &id, &len);
	if (answers)
		memcpy(resp, td_host(td, in), (size_t)answers * RPMB_FRAME_BYTES);
	return len;
}

/* A one-frame request answered by one frame: the result (0xffff when nothing came). */
static uint16_t simple(struct test_driver *td, uint16_t req, uint16_t count, uint16_t address, uint8_t *resp)
{
	uint8_t f[1][RPMB_FRAME_BYTES], r[1][RPMB_FRAME_BYTES];
	frame(f[0], req, count, address, 0);
	if (call(td, f, 1, r, 1) != RPMB_FRAME_BYTES)
		return 0xffff;
	if (resp)
		memcpy(resp, r[0], RPMB_FRAME_BYTES);
	return be16(r[0] + RPMB_OFF_RESULT);
}

static uint16_t program(struct test_driver *td, const uint8_t *k, uint16_t count, uint8_t *resp)
{
	uint8_t f[2][RPMB_FRAME_BYTES], r[1][RPMB_FRAME_BYTES];
	frame(f[0], PROGRAM_KEY, count, 0, 0);
	memcpy(f[0] + RPMB_OFF_KEY_MAC, k, 32);
	frame(f[1], RESULT_READ, 1, 0, 0);
	call(td, f, 2, r, 1);
	if (resp)
		memcpy(resp, r[0], RPMB_FRAME_BYTES);
	return be16(r[0] + RPMB_OFF_RESULT);
}

/* An authenticated write of `count` blocks filled with `fill`; corrupt flips one MAC bit. */
static uint16_t write_blocks(struct test_driver *td, uint16_t address, uint16_t count, uint32_t counter, uint8_t fill,
			     bool corrupt, uint8_t *resp)
{
	uint8_t f[4][RPMB_FRAME_BYTES], r[1][RPMB_FRAME_BYTES];
	for (unsigned i = 0; i < count; i++) {
		frame(f[i], DATA_WRITE, count, address, counter);
		memset(f[i] + RPMB_OFF_DATA, fill + i, 256);
	}
	unsigned n = count ? count : 1;
	if (!count)
		frame(f[0], DATA_WRITE, 0, address, counter);
	mac(f, n, f[n - 1] + RPMB_OFF_KEY_MAC);
	f[n - 1][RPMB_OFF_KEY_MAC] ^= corrupt;
	frame(f[n], RESULT_READ, 1, 0, 0);
	call(td, f, n + 1, r, 1);
	if (resp)
		memcpy(resp, r[0], RPMB_FRAME_BYTES);
	return be16(r[0] + RPMB_OFF_RESULT);
}

static uint32_t counter_of(struct test_driver *td)
{
	uint8_t r[RPMB_FRAME_BYTES];
	return simple(td, GET_COUNTER, 1, 0, r) == 0 ? be32(r + RPMB_OFF_COUNTER) : 0xdeadbeef;
}

static bool mac_ok(uint8_t (*frames)[RPMB_FRAME_BYTES], unsigned n)
{
	uint8_t m[32];
	mac(frames, n, m);
	return !memcmp(m, frames[n - 1] + RPMB_OFF_KEY_MAC, 32);
}

static void lifecycle(void)
{
	struct test_driver td;
	uint8_t r[RPMB_FRAME_BYTES];
	CHECK(td_start(&td, "rpmb", "", ~0ULL, false), "start");
	uint8_t cfg[3];
	vdev_read_config(&td.dev, 0, cfg, 3);
	CHECK(cfg[0] == 1 && cfg[1] == 2 && cfg[2] == 2, "config_capacity_and_limits");
	CHECK(simple(&td, GET_COUNTER, 1, 0, NULL) == 7 && simple(&td, DATA_READ, 1, 0, NULL) == 7 &&
	      write_blocks(&td, 0, 1, 0, 0x11, false, NULL) == 7, "no_key_answers_no_auth_key");
	CHECK(program(&td, key, 2, NULL) == 1, "program_key_block_count_2_general_failure");
	CHECK(simple(&td, GET_COUNTER, 1, 0, NULL) == 7, "failed_program_left_no_key");
	CHECK(program(&td, key, 1, r) == 0 && be16(r + RPMB_OFF_REQ_RESP) == 0x0100, "program_key_ok");
	uint8_t other[32] = { 1 };
	CHECK(program(&td, other, 1, r) == 5 && be16(r + RPMB_OFF_REQ_RESP) == 0x0100, "second_program_write_failure");
	uint8_t rr[1][RPMB_FRAME_BYTES];
	CHECK(simple(&td, GET_COUNTER, 1, 0, rr[0]) == 0 && be16(rr[0] + RPMB_OFF_REQ_RESP) == 0x0200 && be32(rr[0] + RPMB_OFF_COUNTER) == 0 &&
	      rr[0][RPMB_OFF_NONCE + 15] == 0xaf && mac_ok(rr, 1), "counter_zero_nonce_copied_mac_with_first_key");
	CHECK(simple(&td, GET_COUNTER, 2, 0, NULL) == 1, "get_counter_block_count_2_general_failure");
	CHECK(write_blocks(&td, 3, 2, 0, 0x40, false, rr[0]) == 0 && be16(rr[0] + RPMB_OFF_REQ_RESP) == 0x0300 &&
	      be32(rr[0] + RPMB_OFF_COUNTER) == 1 && be16(rr[0] + RPMB_OFF_ADDRESS) == 3 && mac_ok(rr, 1), "write_two_blocks");
	CHECK(counter_of(&td) == 1, "counter_incremented_by_one");
	uint8_t f[1][RPMB_FRAME_BYTES], data[2][RPMB_FRAME_BYTES];
	frame(f[0], DATA_READ, 2, 3, 0);
	CHECK(call(&td, f, 1, data, 2) == 2 * RPMB_FRAME_BYTES && be16(data[0] + RPMB_OFF_RESULT) == 0 && be16(data[1] + RPMB_OFF_REQ_RESP) == 0x0400 &&
	      data[0][RPMB_OFF_DATA] == 0x40 && data[1][RPMB_OFF_DATA + 255] == 0x41 && data[1][RPMB_OFF_NONCE] == 0xa0 && mac_ok(data, 2),
	      "read_back_two_blocks");
	CHECK(write_blocks(&td, 0, 1, 1, 0x50, true, NULL) == 2 && counter_of(&td) == 1, "bad_mac_auth_failure");
	CHECK(write_blocks(&td, 0, 1, 0, 0x50, false, NULL) == 3 && counter_of(&td) == 1, "stale_counter_count_failure");
	CHECK(write_blocks(&td, 0, 0, 1, 0x50, false, NULL) == 1 && write_blocks(&td, 0, 3, 1, 0x50, false, NULL) == 1,
	      "write_block_count_0_or_above_max_general_failure");
	CHECK(write_blocks(&td, 511, 2, 1, 0x50, false, NULL) == 4, "write_past_end_addr_failure");
	CHECK(simple(&td, DATA_READ, 0, 0, NULL) == 1 && simple(&td, DATA_READ, 3, 0, NULL) == 1 &&
	      simple(&td, DATA_READ, 1, 512, NULL) == 4, "read_limits");
	CHECK(simple(&td, RESULT_READ, 1, 0, r) == 4 && be16(r + RPMB_OFF_REQ_RESP) == 0x0300, "result_read_returns_last_write_result");
	CHECK(simple(&td, RESULT_READ, 2, 0, NULL) == 1, "result_read_block_count_2_general_failure");
	td_stop(&td);
}

/* Device reset, then the same queues again from index 0 (fresh ring memory) and DRIVER_OK. */
static void reset_and_restart(struct test_driver *td)
{
	struct vdev *dev = &td->dev;
	vdev_set_status(dev, 0);
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdev_set_driver_features(dev, dev->offered & ~VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	struct td_queue *q = &td->q[0];
	struct virtq *vq = &dev->queues[0];
	*q = (struct td_queue){ .size = TD_QUEUE_SIZE, .avail_wrap = true, .used_wrap = true };
	q->desc = td_alloc(td, 16u * q->size);
	q->driver = td_alloc(td, 6 + 2u * q->size);
	q->device = td_alloc(td, 6 + 8u * q->size);
	vq->size = q->size;
	vq->desc_addr = q->desc;
	vq->driver_addr = q->driver;
	vq->device_addr = q->device;
	vq->ready = true;
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			     VIRTIO_STATUS_DRIVER_OK);
}

static void persistence(void)
{
	struct test_driver td;
	uint8_t r[1][RPMB_FRAME_BYTES], f[1][RPMB_FRAME_BYTES];
	CHECK(td_start(&td, "rpmb", "", ~0ULL, false), "start_persistence");
	program(&td, key, 1, NULL);
	write_blocks(&td, 7, 1, 0, 0x60, false, NULL);
	reset_and_restart(&td);
	CHECK(simple(&td, GET_COUNTER, 1, 0, r[0]) == 0 && be32(r[0] + RPMB_OFF_COUNTER) == 1 && mac_ok(r, 1),
	      "key_and_counter_survive_reset");
	frame(f[0], DATA_READ, 1, 7, 0);
	CHECK(call(&td, f, 1, r, 1) == RPMB_FRAME_BYTES && r[0][RPMB_OFF_DATA] == 0x60, "data_survives_reset");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=key-lost-on-reset", ~0ULL, false);
	program(&td, key, 1, NULL);
	reset_and_restart(&td);
	CHECK(simple(&td, GET_COUNTER, 1, 0, NULL) == 7, "fault_key_lost_on_reset");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=counter-reset-on-reset", ~0ULL, false);
	program(&td, key, 1, NULL);
	write_blocks(&td, 7, 1, 0, 0x60, false, NULL);
	reset_and_restart(&td);
	CHECK(counter_of(&td) == 0, "fault_counter_reset_on_reset");
	td_stop(&td);
	CHECK(td_start(&td, "rpmb", "initial_counter=0xffffffff", ~0ULL, false), "start_expired");
	program(&td, key, 1, NULL);
	CHECK(write_blocks(&td, 0, 1, 0xffffffff, 0x60, false, NULL) == 0x80, "expired_counter_reported");
	td_stop(&td);
}

static void faults(void)
{
	struct test_driver td;
	uint8_t other[32] = { 1 };
	td_start(&td, "rpmb", "fault=counter-not-incremented", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(write_blocks(&td, 0, 1, 0, 1, false, NULL) == 0 && counter_of(&td) == 0, "fault_counter_not_incremented");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=mac-wrong-data", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(write_blocks(&td, 0, 1, 0, 1, false, NULL) == 2, "fault_mac_wrong_data");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=key-programmable-twice", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(program(&td, other, 1, NULL) == 0, "fault_key_programmable_twice");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=auth-failure-wrong-code", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(write_blocks(&td, 0, 1, 0, 1, true, NULL) == 3, "fault_auth_failure_wrong_code");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=counter-not-checked", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(write_blocks(&td, 0, 1, 5, 1, false, NULL) == 0, "fault_counter_not_checked");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=address-unchecked", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(write_blocks(&td, 512, 1, 0, 1, false, NULL) == 0 && simple(&td, DATA_READ, 1, 512, NULL) == 0,
	      "fault_address_unchecked");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=capacity-out-of-range", ~0ULL, false);
	uint8_t capacity;
	vdev_read_config(&td.dev, 0, &capacity, 1);
	CHECK(capacity == 0x81, "fault_capacity_out_of_range");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=key-block-count-unchecked", ~0ULL, false);
	CHECK(program(&td, key, 2, NULL) == 0, "fault_key_block_count_unchecked");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=counter-answer-type-wrong", ~0ULL, false);
	program(&td, key, 1, NULL);
	uint8_t r[RPMB_FRAME_BYTES];
	CHECK(simple(&td, GET_COUNTER, 1, 0, r) == 0 && be16(r + RPMB_OFF_REQ_RESP) == GET_COUNTER, "fault_counter_answer_type_wrong");
	CHECK(simple(&td, RESULT_READ, 2, 0, NULL) == 1, "result_read_count_checked_without_fault");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=result-read-count-unchecked", ~0ULL, false);
	program(&td, key, 1, NULL);
	CHECK(simple(&td, RESULT_READ, 2, 0, NULL) == 0, "fault_result_read_count_unchecked");
	td_stop(&td);
	td_start(&td, "rpmb", "fault=no-key-wrong-code", ~0ULL, false);
	CHECK(simple(&td, GET_COUNTER, 1, 0, NULL) == 1, "fault_no_key_wrong_code");
	td_stop(&td);
}

static void malformed(void)
{
	struct test_driver td;
	td_start(&td, "rpmb", "", ~0ULL, false);
	uint64_t half = td_alloc(&td, 256);
	struct td_buffer b = { half, 256, false };
	td_submit(&td, 0, &b, 1);
	CHECK((td.dev.status & VIRTIO_STATUS_NEEDS_RESET) && td.config_notifications == 1, "partial_frame_needs_reset");
	td_stop(&td);
	char err[160];
	struct vdev dev;
	struct flat_memory flat = { TD_RAM_BASE, NULL, 0 };
	CHECK(!vdev_create(&dev, "rpmb", "capacity=129", flat_memory_accessor(&flat), (struct vdev_host){ 0 }, err,
			   sizeof(err)), "capacity_above_16_mib_refused");
}

int main(void)
{
	printf("KTAP version 1\n");
	lifecycle();
	persistence();
	faults();
	malformed();
	return UNIT_DONE();
}
