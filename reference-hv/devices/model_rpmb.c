/* RPMB device model (VIRTIO 1.2 Device Types / RPMB Device): one-time key, monotonic write counter, HMAC-SHA256-authenticated data. */
#include "byte_order.h"
#include "hmac_sha256.h"
#include "rpmb_frame.h"
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_ID_RPMB 28
#define REQUESTQ 0

#define HALF_SECTOR 256
#define UNIT_HALF_SECTORS 512 /* capacity is counted in 128 KiB units */
#define MAX_CAPACITY_UNITS 0x80
#define MAX_BLOCKS 16         /* frames one request may carry (max_wr_cnt / max_rd_cnt up to this) */


enum rpmb_fault {
	RPMB_FAULT_COUNTER_NOT_INCREMENTED,
	RPMB_FAULT_MAC_WRONG_DATA,
	RPMB_FAULT_KEY_PROGRAMMABLE_TWICE,
	RPMB_FAULT_AUTH_FAILURE_WRONG_CODE,
	RPMB_FAULT_NO_KEY_WRONG_CODE,
	RPMB_FAULT_KEY_LOST_ON_RESET,
	RPMB_FAULT_COUNTER_RESET_ON_RESET,
	RPMB_FAULT_COUNTER_NOT_CHECKED,
	RPMB_FAULT_ADDRESS_UNCHECKED,
	RPMB_FAULT_CAPACITY_OUT_OF_RANGE,
	RPMB_FAULT_KEY_BLOCK_COUNT_UNCHECKED,
	RPMB_FAULT_COUNTER_ANSWER_TYPE_WRONG,
	RPMB_FAULT_RESULT_READ_COUNT_UNCHECKED,
	RPMB_FAULT_COUNT,
};

static const struct vdev_fault rpmb_faults[RPMB_FAULT_COUNT] = {
	[RPMB_FAULT_COUNTER_NOT_INCREMENTED] = { "counter-not-incremented",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation #5" },
	[RPMB_FAULT_MAC_WRONG_DATA] = { "mac-wrong-data",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Data Write #7" },
	[RPMB_FAULT_KEY_PROGRAMMABLE_TWICE] = { "key-programmable-twice",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation #2" },
	[RPMB_FAULT_AUTH_FAILURE_WRONG_CODE] = { "auth-failure-wrong-code",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Data Write #8" },
	[RPMB_FAULT_NO_KEY_WRONG_CODE] = { "no-key-wrong-code",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Get Write Counter #1" },
	[RPMB_FAULT_KEY_LOST_ON_RESET] = { "key-lost-on-reset",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation #3" },
	[RPMB_FAULT_COUNTER_RESET_ON_RESET] = { "counter-reset-on-reset",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation #6" },
	[RPMB_FAULT_COUNTER_NOT_CHECKED] = { "counter-not-checked",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Data Write #9" },
	/* Also breaks Data Read #3: an address past the end wraps around instead of failing. */
	[RPMB_FAULT_ADDRESS_UNCHECKED] = { "address-unchecked",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Data Write #6" },
	[RPMB_FAULT_CAPACITY_OUT_OF_RANGE] = { "capacity-out-of-range",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Initialization #1" },
	[RPMB_FAULT_KEY_BLOCK_COUNT_UNCHECKED] = { "key-block-count-unchecked",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Program Key #2" },
	[RPMB_FAULT_COUNTER_ANSWER_TYPE_WRONG] = { "counter-answer-type-wrong",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Get Write Counter #3" },
	[RPMB_FAULT_RESULT_READ_COUNT_UNCHECKED] = { "result-read-count-unchecked",
		"VIRTIO-1.2: Device Types / RPMB Device / Device Operation / Device Operation: Result Read #1" },
};

struct rpmb_state {
	bool key_programmed;
	uint8_t key[SHA256_BYTES];
	uint32_t write_counter;
	uint8_t max_wr, max_rd;
	uint32_t half_sectors;
	uint8_t *data;
	uint8_t result_frame[RPMB_FRAME_BYTES]; /* answer of the last program-key / data-write, for RESULT_READ */
	uint8_t frames[MAX_BLOCKS + 1][RPMB_FRAME_BYTES];
};

/* The MAC of `count` frames: HMAC-SHA256 with the key over bytes 228..511 of each (data_only: the data fields). */
static void frames_mac(const struct rpmb_state *st, uint8_t (*frames)[RPMB_FRAME_BYTES], unsigned count, bool data_only,
		       uint8_t mac[SHA256_BYTES])
{
	struct hmac_sha256 m;
	hmac_sha256_init(&m, st->key, sizeof(st->key));
	for (unsigned i = 0; i < count; i++)
		hmac_sha256_update(&m, frames[i] + RPMB_OFF_DATA, data_only ? HALF_SECTOR : RPMB_FRAME_BYTES - RPMB_OFF_DATA);
	hmac_sha256_final(&m, mac);
}

/* Half-sectors [address, address + blocks) inside the capacity? (The fault wraps them around instead.) */
static bool address_ok(const struct vdev *dev, const struct rpmb_state *st, uint16_t address, uint16_t blocks)
{
	return (uint32_t)address + blocks <= st->half_sectors || vdev_fault(dev, RPMB_FAULT_ADDRESS_UNCHECKED);
}

static uint8_t *half_sector(const struct rpmb_state *st, uint32_t n)
{
	return st->data + (size_t)(n % st->half_sectors) * HALF_SECTOR;
}

static bool rpmb_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t capacity = 1, max_wr = 2, max_rd = 2, counter = 0;
	if (vdev_option(options, "capacity", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &capacity) || capacity < 1 || capacity > MAX_CAPACITY_UNITS)) {
		/* Device Initialization #1: a multiple of 128 KiB, at most 16 MiB. */
		snprintf(err, err_size, "rpmb: capacity=%s is not 1..128 (units of 128 KiB)", text);
		return false;
	}
	if ((vdev_option(options, "max_wr", text, sizeof(text)) && (!vdev_parse_size(text, &max_wr) || max_wr > MAX_BLOCKS)) ||
	    (vdev_option(options, "max_rd", text, sizeof(text)) && (!vdev_parse_size(text, &max_rd) || max_rd > MAX_BLOCKS)) ||
	    max_wr == 0 || max_rd == 0) {
		snprintf(err, err_size, "rpmb: max_wr and max_rd are 1..%d blocks", MAX_BLOCKS);
		return false;
	}
	/* Test hook only: a counter that starts elsewhere than 0 (Device Operation #5) shows expiry in the unit tests. */
	if (vdev_option(options, "initial_counter", text, sizeof(text)) && !vdev_parse_size(text, &counter)) {
		snprintf(err, err_size, "rpmb: initial_counter=%s is not a number", text);
		return false;
	}
	struct rpmb_state *st = calloc(1, sizeof(*st));
	uint8_t *data = st ? calloc(capacity * UNIT_HALF_SECTORS, HALF_SECTOR) : NULL;
	if (!data) {
		free(st);
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->data = data;
	st->half_sectors = (uint32_t)capacity * UNIT_HALF_SECTORS;
	st->max_wr = (uint8_t)max_wr;
	st->max_rd = (uint8_t)max_rd;
	st->write_counter = (uint32_t)counter;
	dev->state = st;
	dev->num_queues = 1;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* config: u8 capacity, u8 max_wr_cnt, u8 max_rd_cnt */
	dev->config_size = 3;
	/* Device Initialization #1: the fault claims 0x81 units (above 16 MiB); the medium keeps its real size. */
	dev->config[0] = vdev_fault(dev, RPMB_FAULT_CAPACITY_OUT_OF_RANGE) ? MAX_CAPACITY_UNITS + 1 : (uint8_t)capacity;
	dev->config[1] = st->max_wr;
	dev->config[2] = st->max_rd;
	return true;
}

static void rpmb_destroy(struct vdev *dev)
{
	struct rpmb_state *st = dev->state;
	if (st)
		free(st->data);
	free(st);
	dev->state = NULL;
}

/* Device Operation #3/#6: key, counter and data survive a device reset; only the pending result goes. */
static void rpmb_reset(struct vdev *dev)
{
	struct rpmb_state *st = dev->state;
	memset(st->result_frame, 0, sizeof(st->result_frame));
	if (vdev_fault(dev, RPMB_FAULT_KEY_LOST_ON_RESET))
		st->key_programmed = false;
	if (vdev_fault(dev, RPMB_FAULT_COUNTER_RESET_ON_RESET))
		st->write_counter = 0;
}

/* A one-frame answer with result and response type (and the MAC when a key is there). */
static void answer(struct vdev *dev, uint8_t *frame, uint16_t resp, uint16_t result)
{
	struct rpmb_state *st = dev->state;
	if (result == RPMB_RES_NO_AUTH_KEY && vdev_fault(dev, RPMB_FAULT_NO_KEY_WRONG_CODE))
		result = RPMB_RES_GENERAL_FAILURE;
	put16(frame + RPMB_OFF_RESULT, result);
	put16(frame + RPMB_OFF_REQ_RESP, resp);
	if (st->key_programmed)
		frames_mac(st, (uint8_t(*)[RPMB_FRAME_BYTES])frame, 1, false, frame + RPMB_OFF_KEY_MAC);
}

/* Program Key #1..#5 and Device Operation #2: the key is written once; a second attempt fails to program. */
static void program_key(struct vdev *dev, const uint8_t *req, uint8_t *resp)
{
	struct rpmb_state *st = dev->state;
	uint16_t result = RPMB_RES_OK;
	if (be16(req + RPMB_OFF_BLOCK_COUNT) != 1 && !vdev_fault(dev, RPMB_FAULT_KEY_BLOCK_COUNT_UNCHECKED))
		result = RPMB_RES_GENERAL_FAILURE;
	else if (st->key_programmed && !vdev_fault(dev, RPMB_FAULT_KEY_PROGRAMMABLE_TWICE))
		result = RPMB_RES_WRITE_FAILURE;
	else {
		memcpy(st->key, req + RPMB_OFF_KEY_MAC, sizeof(st->key));
		st->key_programmed = true;
	}
	answer(dev, resp, RPMB_RESP_PROGRAM_KEY, result);
}

static void get_write_counter(struct vdev *dev, const uint8_t *req, uint8_t *resp)
{
	struct rpmb_state *st = dev->state;
	uint16_t result = RPMB_RES_OK;
	if (!st->key_programmed)
		result = RPMB_RES_NO_AUTH_KEY;
	else if (be16(req + RPMB_OFF_BLOCK_COUNT) != 1)
		result = RPMB_RES_GENERAL_FAILURE;
	memcpy(resp + RPMB_OFF_NONCE, req + RPMB_OFF_NONCE, 16);
	put32(resp + RPMB_OFF_COUNTER, st->write_counter);
	/* Get Write Counter #3: answered as RPMB_RESP_GET_COUNTER (the fault echoes the request type). */
	answer(dev, resp, vdev_fault(dev, RPMB_FAULT_COUNTER_ANSWER_TYPE_WRONG) ? RPMB_REQ_GET_WRITE_COUNTER : RPMB_RESP_GET_COUNTER,
	       result);
}

/* Data Write #1..#14 in the order the spec lists the checks; frames holds the `count` frames received. */
static void data_write(struct vdev *dev, unsigned count, uint8_t *resp)
{
	struct rpmb_state *st = dev->state;
	const uint8_t *first = st->frames[0];
	uint16_t blocks = be16(first + RPMB_OFF_BLOCK_COUNT), address = be16(first + RPMB_OFF_ADDRESS);
	uint16_t result = RPMB_RES_OK;
	uint8_t mac[SHA256_BYTES];
	if (!st->key_programmed)
		result = RPMB_RES_NO_AUTH_KEY;
	else if (blocks == 0 || blocks > st->max_wr)
		result = RPMB_RES_GENERAL_FAILURE;
	else if (st->write_counter == 0xffffffffu)
		result = RPMB_RES_WRITE_COUNTER_EXPIRED;
	else if (!address_ok(dev, st, address, blocks))
		result = RPMB_RES_ADDR_FAILURE;
	else if (count < blocks)
		result = RPMB_RES_GENERAL_FAILURE; /* fewer data frames than block_count: "some other error" */
	else {
		/* #7: the MAC over every frame's bytes 228..511; the fault checks the data fields only. */
		frames_mac(st, st->frames, blocks, vdev_fault(dev, RPMB_FAULT_MAC_WRONG_DATA), mac);
		if (memcmp(mac, st->frames[blocks - 1] + RPMB_OFF_KEY_MAC, sizeof(mac)))
			result = vdev_fault(dev, RPMB_FAULT_AUTH_FAILURE_WRONG_CODE) ? RPMB_RES_COUNT_FAILURE : RPMB_RES_AUTH_FAILURE;
		else if (be32(first + RPMB_OFF_COUNTER) != st->write_counter && !vdev_fault(dev, RPMB_FAULT_COUNTER_NOT_CHECKED))
			result = RPMB_RES_COUNT_FAILURE;
	}
	if (result == RPMB_RES_OK) {
		for (unsigned i = 0; i < blocks; i++)
			memcpy(half_sector(st, (uint32_t)address + i), st->frames[i] + RPMB_OFF_DATA, HALF_SECTOR);
		if (!vdev_fault(dev, RPMB_FAULT_COUNTER_NOT_INCREMENTED))
			st->write_counter++;
	}
	put32(resp + RPMB_OFF_COUNTER, st->write_counter);
	put16(resp + RPMB_OFF_ADDRESS, address);
	answer(dev, resp, RPMB_RESP_DATA_WRITE, result);
}

/* Data Read #1..#6: block_count frames with data, nonce, address, result; the MAC in the last one covers all. */
static uint32_t data_read(struct vdev *dev, const uint8_t *req, uint64_t room, struct virtq_chain *chain)
{
	struct rpmb_state *st = dev->state;
	uint16_t blocks = be16(req + RPMB_OFF_BLOCK_COUNT), address = be16(req + RPMB_OFF_ADDRESS);
	uint16_t result = RPMB_RES_OK;
	if (!st->key_programmed)
		result = RPMB_RES_NO_AUTH_KEY;
	else if (blocks == 0 || blocks > st->max_rd)
		result = RPMB_RES_GENERAL_FAILURE;
	else if (!address_ok(dev, st, address, blocks))
		result = RPMB_RES_ADDR_FAILURE;
	else if (room < (uint64_t)blocks * RPMB_FRAME_BYTES)
		result = RPMB_RES_GENERAL_FAILURE; /* no room for the answer: "some other error" */
	unsigned count = result == RPMB_RES_OK ? blocks : 1;
	uint8_t(*out)[RPMB_FRAME_BYTES] = st->frames;
	memset(out, 0, (size_t)count * RPMB_FRAME_BYTES);
	for (unsigned i = 0; i < count; i++) {
		if (result == RPMB_RES_OK)
			memcpy(out[i] + RPMB_OFF_DATA, half_sector(st, (uint32_t)address + i), HALF_SECTOR);
		memcpy(out[i] + RPMB_OFF_NONCE, req + RPMB_OFF_NONCE, 16);
		put16(out[i] + RPMB_OFF_ADDRESS, address);
		put16(out[i] + RPMB_OFF_BLOCK_COUNT, blocks);
		put16(out[i] + RPMB_OFF_RESULT, result == RPMB_RES_NO_AUTH_KEY && vdev_fault(dev, RPMB_FAULT_NO_KEY_WRONG_CODE)
						      ? RPMB_RES_GENERAL_FAILURE : result);
		put16(out[i] + RPMB_OFF_REQ_RESP, RPMB_RESP_DATA_READ);
	}
	if (st->key_programmed)
		frames_mac(st, out, count, false, out[count - 1] + RPMB_OFF_KEY_MAC);
	return (uint32_t)virtq_chain_write(chain, &dev->mem, 0, out, (size_t)count * RPMB_FRAME_BYTES);
}

static void handle_request(struct vdev *dev, struct virtq_chain *chain)
{
	struct rpmb_state *st = dev->state;
	uint64_t in_frames = chain->readable_bytes / RPMB_FRAME_BYTES;
	if (!in_frames || chain->readable_bytes % RPMB_FRAME_BYTES || in_frames > MAX_BLOCKS + 1) {
		vdev_needs_reset(dev, "rpmb request is not 1..17 whole 512-byte frames");
		return;
	}
	for (unsigned i = 0; i < in_frames; i++)
		virtq_chain_read(chain, &dev->mem, (uint64_t)i * RPMB_FRAME_BYTES, st->frames[i], RPMB_FRAME_BYTES);
	uint16_t type = be16(st->frames[0] + RPMB_OFF_REQ_RESP);
	/* A RESULT_READ frame last asks for the answer of the program-key / data-write in front of it. */
	bool result_read = in_frames > 1 && be16(st->frames[in_frames - 1] + RPMB_OFF_REQ_RESP) == RPMB_REQ_RESULT_READ;
	uint8_t resp[RPMB_FRAME_BYTES] = { 0 };
	uint32_t written = 0;
	switch (type) {
	case RPMB_REQ_PROGRAM_KEY:
	case RPMB_REQ_DATA_WRITE:
		if (type == RPMB_REQ_PROGRAM_KEY)
			program_key(dev, st->frames[0], resp);
		else
			data_write(dev, (unsigned)in_frames - result_read, resp);
		memcpy(st->result_frame, resp, RPMB_FRAME_BYTES);
		if (result_read && chain->writable_bytes >= RPMB_FRAME_BYTES) {
			/* Result Read #1 */
			if (be16(st->frames[in_frames - 1] + RPMB_OFF_BLOCK_COUNT) != 1)
				answer(dev, resp, be16(resp + RPMB_OFF_REQ_RESP), RPMB_RES_GENERAL_FAILURE);
			written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, resp, RPMB_FRAME_BYTES);
		}
		break;
	case RPMB_REQ_GET_WRITE_COUNTER:
		get_write_counter(dev, st->frames[0], resp);
		written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, resp, RPMB_FRAME_BYTES);
		break;
	case RPMB_REQ_DATA_READ: {
		uint8_t req[RPMB_FRAME_BYTES];
		memcpy(req, st->frames[0], RPMB_FRAME_BYTES);
		written = data_read(dev, req, chain->writable_bytes, chain);
		break;
	}
	case RPMB_REQ_RESULT_READ:
		/* A result read of its own returns the last program-key / data-write answer. */
		memcpy(resp, st->result_frame, RPMB_FRAME_BYTES);
		if (be16(st->frames[0] + RPMB_OFF_BLOCK_COUNT) != 1 && !vdev_fault(dev, RPMB_FAULT_RESULT_READ_COUNT_UNCHECKED))
			answer(dev, resp, be16(resp + RPMB_OFF_REQ_RESP), RPMB_RES_GENERAL_FAILURE);
		written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, resp, RPMB_FRAME_BYTES);
		break;
	default:
		answer(dev, resp, 0, RPMB_RES_GENERAL_FAILURE);
		written = (uint32_t)virtq_chain_write(chain, &dev->mem, 0, resp, RPMB_FRAME_BYTES);
		break;
	}
	vdev_complete(dev, REQUESTQ, chain, written);
}

static void rpmb_process(struct vdev *dev, unsigned queue)
{
	struct virtq_chain *chain = &dev->scratch;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN)
		handle_request(dev, chain);
	vdev_notify_used(dev, queue);
}

const struct vdev_model model_rpmb = {
	.name = "rpmb",
	.device_id = VIRTIO_ID_RPMB,
	.faults = rpmb_faults,
	.fault_count = RPMB_FAULT_COUNT,
	.create = rpmb_create,
	.destroy = rpmb_destroy,
	.reset = rpmb_reset,
	.process_queue = rpmb_process,
};
