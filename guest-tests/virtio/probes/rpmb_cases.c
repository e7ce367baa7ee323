/* RPMB device statements (VIRTIO 1.2 Device Types / RPMB Device): no-key answers, one-time key, write counter, authenticated writes and reads, reset. */
#include "probe.h"
#include "session.h"

#include <string.h>

/* The one SHA-256/HMAC of the tree (FIPS 180-4 / RFC 4231 vectors in reference-hv/devices/tests/test_hmac_sha256.c). */
#include "../../../reference-hv/devices/hmac_sha256.h"
/* The big-endian field helpers of the reference models (RPMB frames are big-endian). */
#include "../../../reference-hv/devices/byte_order.h"
#include "../../../reference-hv/devices/rpmb_frame.h"

#define VIRTIO_ID_RPMB 28
#define RPMB_OP(x) "VIRTIO-1.2: Device Types / RPMB Device / Device Operation" x
#define PROGRAM_KEY(n) RPMB_OP(" / Device Operation: Program Key #" #n)
#define GET_COUNTER(n) RPMB_OP(" / Device Operation: Get Write Counter #" #n)
#define DATA_WRITE(n) RPMB_OP(" / Device Operation: Data Write #" #n)
#define DATA_READ(n) RPMB_OP(" / Device Operation: Data Read #" #n)
#define RESULT_READ(n) RPMB_OP(" / Device Operation: Result Read #" #n)
#define DEVICE_OP(n) RPMB_OP(" #" #n)

#define MAX_FRAMES 4
#define WRITE_ADDRESS 2   /* half-sector the write cases use */

struct rpmb {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint8_t max_wr, max_rd;
	uint32_t half_sectors;
};

static uint8_t req[MAX_FRAMES][RPMB_FRAME_BYTES] __attribute__((aligned(16)));
static uint8_t resp[MAX_FRAMES][RPMB_FRAME_BYTES] __attribute__((aligned(16)));
/* The suite's test key: programming it is irreversible, so run these cases only on an RPMB meant for testing. */
static const uint8_t avps_key[32] = "avps-cts rpmb conformance key 01";
static const uint8_t other_key[32] = "avps-cts rpmb second key attempt";
static int key_state;       /* 0: not known yet; 1: the suite's key is programmed; -1: another key is */
static bool started_fresh;  /* the device had no key when the probe first asked */
static uint8_t nonce_seed = 0x40;

/* Resets the device unless the case never opened it (no device: nothing to close). */
static void rpmb_close(struct rpmb *c)
{
	if (c->s.t)
		vs_close(&c->s);
}

static struct vdev *rpmb_present(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_RPMB);
	if (!d)
		probe_skip("device absent: no RPMB device (DeviceID 28) on a version-2 virtio-mmio transport");
	return d;
}

static bool rpmb_open(struct rpmb *c)
{
	c->d = rpmb_present();
	if (!c->d)
		return false;
	c->n = vdev_name(c->d);
	c->half_sectors = (uint32_t)vmmio_config(&c->d->t, 0, 1) * 512u;
	c->max_wr = (uint8_t)vmmio_config(&c->d->t, 1, 1);
	c->max_rd = (uint8_t)vmmio_config(&c->d->t, 2, 1);
	return vs_open(&c->s, c->d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK);
}

/* Request frame i: type, block count, address, counter and a fresh nonce; zero elsewhere. */
static void frame(int i, uint16_t type, uint16_t count, uint16_t address, uint32_t counter)
{
	memset(req[i], 0, RPMB_FRAME_BYTES);
	put16(req[i] + RPMB_OFF_REQ_RESP, type);
	put16(req[i] + RPMB_OFF_BLOCK_COUNT, count);
	put16(req[i] + RPMB_OFF_ADDRESS, address);
	put32(req[i] + RPMB_OFF_COUNTER, counter);
	for (int b = 0; b < 16; b++)
		req[i][RPMB_OFF_NONCE + b] = (uint8_t)(nonce_seed + b);
	nonce_seed += 16;
}

/* HMAC-SHA256 with the suite's key over bytes 228..511 of `count` frames. */
static void mac_of(uint8_t (*frames)[RPMB_FRAME_BYTES], int count, uint8_t out[SHA256_BYTES])
{
	struct hmac_sha256 m;
	hmac_sha256_init(&m, avps_key, sizeof(avps_key));
	for (int i = 0; i < count; i++)
		hmac_sha256_update(&m, frames[i] + RPMB_OFF_DATA, RPMB_FRAME_BYTES - RPMB_OFF_DATA);
	hmac_sha256_final(&m, out);
}

static bool mac_ok(uint8_t (*frames)[RPMB_FRAME_BYTES], int count)
{
	uint8_t m[SHA256_BYTES];
	mac_of(frames, count, m);
	return !memcmp(m, frames[count - 1] + RPMB_OFF_KEY_MAC, SHA256_BYTES);
}

/* Sends req[0..n) (one descriptor per frame) and takes `answers` frames into resp; false after a failed check. */
static bool call(struct rpmb *c, int n, int answers, const char *what)
{
	struct vbuf e[2 * MAX_FRAMES];
	struct virtq_used u;
	for (int i = 0; i < n; i++)
		e[i] = (struct vbuf){ req[i], RPMB_FRAME_BYTES, false };
	for (int i = 0; i < answers; i++) {
		memset(resp[i], 0xcc, RPMB_FRAME_BYTES);
		e[n + i] = (struct vbuf){ resp[i], RPMB_FRAME_BYTES, true };
	}
	if (!vs_call(&c->s, 0, e, n + answers, VIRTQ_CHAIN_DIRECT, &u, what))
		return false;
	return probe_check(u.len >= RPMB_FRAME_BYTES || !answers, "%s: %s: used length %u, not one whole 512-byte frame", c->n, what,
			   u.len);
}

/* A one-frame request answered by one frame: the result, or -1 after a failed check. */
static int simple(struct rpmb *c, uint16_t type, uint16_t count, uint16_t address, const char *what)
{
	frame(0, type, count, address, 0);
	return call(c, 1, 1, what) ? be16(resp[0] + RPMB_OFF_RESULT) : -1;
}

/* PROGRAM_KEY + RESULT_READ; the result, or -1. */
static int program(struct rpmb *c, const uint8_t *key, uint16_t count)
{
	frame(0, RPMB_REQ_PROGRAM_KEY, count, 0, 0);
	memcpy(req[0] + RPMB_OFF_KEY_MAC, key, 32);
	frame(1, RPMB_REQ_RESULT_READ, 1, 0, 0);
	return call(c, 2, 1, "PROGRAM_KEY + RESULT_READ") ? be16(resp[0] + RPMB_OFF_RESULT) : -1;
}

/* DATA_WRITE of `count` blocks (data fill, fill+1, ...) with the suite's MAC (one bit flipped when `corrupt`)
 * + RESULT_READ; the result, or -1. */
static int write_blocks(struct rpmb *c, uint16_t address, uint16_t count, uint32_t counter, uint8_t fill, bool corrupt)
{
	int n = count ? count : 1;
	for (int i = 0; i < n; i++) {
		frame(i, RPMB_REQ_DATA_WRITE, count, address, counter);
		memset(req[i] + RPMB_OFF_DATA, fill + i, 256);
	}
	mac_of(req, n, req[n - 1] + RPMB_OFF_KEY_MAC);
	req[n - 1][RPMB_OFF_KEY_MAC] ^= corrupt ? 1 : 0;
	frame(n, RPMB_REQ_RESULT_READ, 1, 0, 0);
	return call(c, n + 1, 1, "DATA_WRITE + RESULT_READ") ? be16(resp[0] + RPMB_OFF_RESULT) : -1;
}

/* The device's write counter through an authenticated GET_WRITE_COUNTER; false after a failed check. */
static bool counter_of(struct rpmb *c, uint32_t *counter)
{
	int r = simple(c, RPMB_REQ_GET_WRITE_COUNTER, 1, 0, "GET_WRITE_COUNTER");
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: GET_WRITE_COUNTER answered result 0x%x, expected OK", c->n, r) ||
	    !probe_check(mac_ok(resp, 1), "%s: GET_WRITE_COUNTER answer's MAC does not verify with the programmed key", c->n))
		return false;
	*counter = be32(resp[0] + RPMB_OFF_COUNTER);
	return true;
}

/* Reads `count` blocks at address into resp; the first frame's result, or -1. */
static int read_blocks(struct rpmb *c, uint16_t address, uint16_t count)
{
	frame(0, RPMB_REQ_DATA_READ, count, address, 0);
	return call(c, 1, count ? count : 1, "DATA_READ") ? be16(resp[0] + RPMB_OFF_RESULT) : -1;
}

/* Whether the device has a key yet, asked once per boot (a case run on its own learns it too). */
static void learn_fresh(struct rpmb *c)
{
	static bool asked;
	if (asked || key_state)
		return;
	int r = simple(c, RPMB_REQ_GET_WRITE_COUNTER, 1, 0, "GET_WRITE_COUNTER");
	asked = r >= 0;
	if (r >= 0 && r != RPMB_RES_OK)
		started_fresh = true;
	else if (r == RPMB_RES_OK)
		key_state = mac_ok(resp, 1) ? 1 : -1;
}

/* Opens the device for a case that needs the suite's key (programming it on a device without one); SKIPs otherwise. */
static bool open_keyed(struct rpmb *c)
{
	if (!rpmb_open(c))
		return false;
	learn_fresh(c);
	if (key_state == 0 && started_fresh) {
		int r = program(c, avps_key, 1);
		if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: PROGRAM_KEY on a device without a key answered 0x%x", c->n, r))
			return false;
		key_state = 1;
	}
	if (key_state != 1) {
		probe_skip("%s: the suite's key is not programmed on this device (programmed with another key)", c->n);
		return false;
	}
	return true;
}

PROBE_CASE(rpmb_no_key, "virtio.rpmb.no_key_answers",
	   AVPS_CHECKS("before any key is programmed, GET_WRITE_COUNTER, DATA_READ and DATA_WRITE are each answered "
		       "with result NO_AUTH_KEY (0x0007)"),
	   "AVPS.RPMB.1", GET_COUNTER(1), DATA_WRITE(2), DATA_READ(1))
static void rpmb_no_key(void)
{
	struct rpmb c = { 0 };
	if (!rpmb_open(&c))
		goto out;
	int r = simple(&c, RPMB_REQ_GET_WRITE_COUNTER, 1, 0, "GET_WRITE_COUNTER");
	if (r < 0)
		goto out;
	if (r == RPMB_RES_OK) {
		probe_skip("%s: a key is already programmed: the no-key answers cannot be observed", c.n);
		goto out;
	}
	started_fresh = true;
	probe_check(r == RPMB_RES_NO_AUTH_KEY, "%s: GET_WRITE_COUNTER without a key answered 0x%x, expected NO_AUTH_KEY", c.n, r);
	r = read_blocks(&c, 0, 1);
	if (r >= 0)
		probe_check(r == RPMB_RES_NO_AUTH_KEY, "%s: DATA_READ without a key answered 0x%x, expected NO_AUTH_KEY", c.n, r);
	r = write_blocks(&c, 0, 1, 0, 0x11, false);
	if (r >= 0)
		probe_check(r == RPMB_RES_NO_AUTH_KEY, "%s: DATA_WRITE without a key answered 0x%x, expected NO_AUTH_KEY", c.n, r);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_program_key_count, "virtio.rpmb.program_key_block_count_refused",
	   AVPS_CHECKS("on a device without a key, PROGRAM_KEY with block_count 2 is answered GENERAL_FAILURE"),
	   "AVPS.RPMB.1", PROGRAM_KEY(2))
static void rpmb_program_key_count(void)
{
	struct rpmb c = { 0 };
	if (!rpmb_open(&c))
		goto out;
	learn_fresh(&c);
	if (!started_fresh || key_state) {
		probe_skip("%s: a key is already programmed", c.n);
		goto out;
	}
	/* The suite's key: should a broken device program it anyway, the later cases can still use it. */
	int r = program(&c, avps_key, 2);
	if (r >= 0)
		probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: PROGRAM_KEY with block_count 2 answered 0x%x, expected "
			    "GENERAL_FAILURE", c.n, r);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_program_key_once, "virtio.rpmb.key_programmed_once",
	   AVPS_CHECKS("PROGRAM_KEY answers OK with req_resp RESP_PROGRAM_KEY; a second PROGRAM_KEY with another key "
		       "answers WRITE_FAILURE and the first key still authenticates the write counter"),
	   "AVPS.RPMB.1", DEVICE_OP(2), PROGRAM_KEY(3), PROGRAM_KEY(5))
static void rpmb_program_key_once(void)
{
	struct rpmb c = { 0 };
	uint32_t counter;
	if (!rpmb_open(&c))
		goto out;
	int r = simple(&c, RPMB_REQ_GET_WRITE_COUNTER, 1, 0, "GET_WRITE_COUNTER");
	if (r < 0)
		goto out;
	if (r == RPMB_RES_OK && !mac_ok(resp, 1)) {
		key_state = -1;
		probe_skip("%s: programmed with a key other than the suite's: nothing more can be authenticated", c.n);
		goto out;
	}
	if (r != RPMB_RES_OK) {
		r = program(&c, avps_key, 1);
		if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: PROGRAM_KEY on a device without a key answered 0x%x", c.n, r))
			goto out;
		probe_check(be16(resp[0] + RPMB_OFF_REQ_RESP) == RPMB_RESP_PROGRAM_KEY, "%s: PROGRAM_KEY answered req_resp 0x%x, expected "
			    "RESP_PROGRAM_KEY (0x0100)", c.n, be16(resp[0] + RPMB_OFF_REQ_RESP));
	}
	key_state = 1;
	r = program(&c, other_key, 1);
	if (r < 0)
		goto out;
	probe_check(r == RPMB_RES_WRITE_FAILURE, "%s: a second PROGRAM_KEY answered 0x%x, expected WRITE_FAILURE", c.n, r);
	probe_check(be16(resp[0] + RPMB_OFF_REQ_RESP) == RPMB_RESP_PROGRAM_KEY, "%s: the second PROGRAM_KEY answered req_resp 0x%x, "
		    "expected RESP_PROGRAM_KEY (0x0100)", c.n, be16(resp[0] + RPMB_OFF_REQ_RESP));
	counter_of(&c, &counter);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_write_counter, "virtio.rpmb.get_write_counter_answer",
	   AVPS_CHECKS("GET_WRITE_COUNTER answers req_resp RESP_GET_COUNTER with the request's nonce and a MAC that "
		       "verifies; with block_count 2 it answers GENERAL_FAILURE"),
	   "AVPS.RPMB.1", GET_COUNTER(2), GET_COUNTER(3))
static void rpmb_write_counter(void)
{
	struct rpmb c = { 0 };
	uint32_t counter;
	if (!open_keyed(&c) || !counter_of(&c, &counter))
		goto out;
	probe_check(be16(resp[0] + RPMB_OFF_REQ_RESP) == RPMB_RESP_GET_COUNTER, "%s: req_resp 0x%x, expected RESP_GET_COUNTER (0x0200)",
		    c.n, be16(resp[0] + RPMB_OFF_REQ_RESP));
	probe_check(!memcmp(resp[0] + RPMB_OFF_NONCE, req[0] + RPMB_OFF_NONCE, 16), "%s: the answer's nonce is not the request's",
		    c.n);
	int r = simple(&c, RPMB_REQ_GET_WRITE_COUNTER, 2, 0, "GET_WRITE_COUNTER with block_count 2");
	if (r >= 0)
		probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: GET_WRITE_COUNTER with block_count 2 answered 0x%x, expected "
			    "GENERAL_FAILURE", c.n, r);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_write_read, "virtio.rpmb.authenticated_write_and_read_back",
	   AVPS_CHECKS("an authenticated DATA_WRITE answers OK, RESP_DATA_WRITE, counter+1, its address and a valid MAC; "
		       "the counter reads one higher (0 before the first write); DATA_READ returns the data in frames "
		       "with RESP_DATA_READ, the nonce and a valid MAC"),
	   "AVPS.RPMB.1", DEVICE_OP(5), DEVICE_OP(7), DATA_WRITE(1), DATA_WRITE(10), DATA_WRITE(11), DATA_WRITE(14),
	   DATA_READ(6))
static void rpmb_write_read(void)
{
	struct rpmb c = { 0 };
	uint32_t before, after;
	if (!open_keyed(&c) || !counter_of(&c, &before))
		goto out;
	if (started_fresh && before == 0)
		probe_diag("%s: write counter 0 on a device the probe found without a key", c.n);
	else if (started_fresh)
		probe_check(false, "%s: write counter %u before any write, expected 0", c.n, before);
	uint16_t blocks = c.max_wr == 0 || c.max_wr >= 2 ? 2 : 1;
	if (c.max_rd && c.max_rd < blocks)
		blocks = c.max_rd;
	int r = write_blocks(&c, WRITE_ADDRESS, blocks, before, 0x5a, false);
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: authenticated DATA_WRITE of %u blocks answered 0x%x", c.n, blocks, r))
		goto out;
	probe_check(be16(resp[0] + RPMB_OFF_REQ_RESP) == RPMB_RESP_DATA_WRITE && be32(resp[0] + RPMB_OFF_COUNTER) == before + 1 &&
			    be16(resp[0] + RPMB_OFF_ADDRESS) == WRITE_ADDRESS && mac_ok(resp, 1),
		    "%s: write answer: req_resp 0x%x (expected 0x0300), counter %u (expected %u), address %u (expected %u), "
		    "MAC %s", c.n, be16(resp[0] + RPMB_OFF_REQ_RESP), be32(resp[0] + RPMB_OFF_COUNTER), before + 1,
		    be16(resp[0] + RPMB_OFF_ADDRESS), WRITE_ADDRESS, mac_ok(resp, 1) ? "verifies" : "does not verify");
	if (!counter_of(&c, &after) ||
	    !probe_check(after == before + 1, "%s: write counter %u after one write from %u", c.n, after, before))
		goto out;
	uint8_t nonce[16];
	r = read_blocks(&c, WRITE_ADDRESS, blocks);
	memcpy(nonce, req[0] + RPMB_OFF_NONCE, 16);
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: DATA_READ of %u blocks answered 0x%x", c.n, blocks, r))
		goto out;
	for (int i = 0; i < blocks; i++) {
		bool data_ok = true;
		for (int b = 0; b < 256; b++)
			data_ok &= resp[i][RPMB_OFF_DATA + b] == (uint8_t)(0x5a + i);
		probe_check(data_ok && be16(resp[i] + RPMB_OFF_REQ_RESP) == RPMB_RESP_DATA_READ && !memcmp(resp[i] + RPMB_OFF_NONCE, nonce, 16),
			    "%s: read frame %d: data %s, req_resp 0x%x (expected 0x0400), nonce %s", c.n, i,
			    data_ok ? "as written" : "differs from what was written", be16(resp[i] + RPMB_OFF_REQ_RESP),
			    memcmp(resp[i] + RPMB_OFF_NONCE, nonce, 16) ? "not the request's" : "copied");
	}
	probe_check(mac_ok(resp, blocks), "%s: the MAC of the %u read frames does not verify", c.n, blocks);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_write_auth, "virtio.rpmb.write_mac_checked",
	   AVPS_CHECKS("a DATA_WRITE whose MAC covers its frame is answered OK; one with a single MAC bit flipped is "
		       "answered AUTH_FAILURE, its data is not written and the counter does not move"),
	   "AVPS.RPMB.1", DATA_WRITE(7), DATA_WRITE(8))
static void rpmb_write_auth(void)
{
	struct rpmb c = { 0 };
	uint32_t counter, after;
	if (!open_keyed(&c) || !counter_of(&c, &counter))
		goto out;
	int r = write_blocks(&c, WRITE_ADDRESS, 1, counter, 0x21, false);
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: a write with a correct MAC answered 0x%x, expected OK", c.n, r))
		goto out;
	counter++;
	r = write_blocks(&c, WRITE_ADDRESS, 1, counter, 0x77, true);
	if (r < 0 || !probe_check(r == RPMB_RES_AUTH_FAILURE, "%s: a write with a corrupted MAC answered 0x%x, expected "
				  "AUTH_FAILURE (0x0002)", c.n, r))
		goto out;
	if (!counter_of(&c, &after) ||
	    !probe_check(after == counter, "%s: counter %u after a refused write, expected %u", c.n, after, counter))
		goto out;
	r = read_blocks(&c, WRITE_ADDRESS, 1);
	if (r >= 0)
		probe_check(r == RPMB_RES_OK && resp[0][RPMB_OFF_DATA] == 0x21, "%s: after the refused write DATA_READ answered 0x%x "
			    "with data 0x%02x, expected OK and 0x21", c.n, r, resp[0][RPMB_OFF_DATA]);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_write_stale_counter, "virtio.rpmb.write_counter_checked",
	   AVPS_CHECKS("a DATA_WRITE with a correct MAC but the previous write counter is answered COUNT_FAILURE, and "
		       "its data is not written"),
	   "AVPS.RPMB.1", DATA_WRITE(9))
static void rpmb_write_stale_counter(void)
{
	struct rpmb c = { 0 };
	uint32_t counter;
	if (!open_keyed(&c) || !counter_of(&c, &counter))
		goto out;
	int r = write_blocks(&c, WRITE_ADDRESS, 1, counter, 0x31, false);
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: a write with the current counter answered 0x%x", c.n, r))
		goto out;
	r = write_blocks(&c, WRITE_ADDRESS, 1, counter, 0x99, false);
	if (r < 0 || !probe_check(r == RPMB_RES_COUNT_FAILURE, "%s: a replayed write (counter %u, device at %u) answered "
				  "0x%x, expected COUNT_FAILURE (0x0003)", c.n, counter, counter + 1, r))
		goto out;
	r = read_blocks(&c, WRITE_ADDRESS, 1);
	if (r >= 0)
		probe_check(r == RPMB_RES_OK && resp[0][RPMB_OFF_DATA] == 0x31, "%s: after the replayed write DATA_READ answered 0x%x "
			    "with data 0x%02x, expected OK and 0x31", c.n, r, resp[0][RPMB_OFF_DATA]);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_write_limits, "virtio.rpmb.write_block_count_and_address_refused",
	   AVPS_CHECKS("DATA_WRITE with block_count 0 or max_wr_cnt+1 answers GENERAL_FAILURE, and one that ends past "
		       "the capacity answers ADDR_FAILURE"),
	   "AVPS.RPMB.1", DATA_WRITE(3), DATA_WRITE(6))
static void rpmb_write_limits(void)
{
	struct rpmb c = { 0 };
	uint32_t counter;
	if (!open_keyed(&c) || !counter_of(&c, &counter))
		goto out;
	int r = write_blocks(&c, WRITE_ADDRESS, 0, counter, 0x41, false);
	if (r >= 0)
		probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: DATA_WRITE with block_count 0 answered 0x%x, expected "
			    "GENERAL_FAILURE", c.n, r);
	if (c.max_wr && c.max_wr + 1 < MAX_FRAMES) {
		r = write_blocks(&c, WRITE_ADDRESS, (uint16_t)(c.max_wr + 1), counter, 0x41, false);
		if (r >= 0)
			probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: DATA_WRITE of max_wr_cnt+1 = %u blocks answered 0x%x, "
				    "expected GENERAL_FAILURE", c.n, c.max_wr + 1, r);
	}
	r = write_blocks(&c, (uint16_t)c.half_sectors, 1, counter, 0x41, false);
	if (r >= 0)
		probe_check(r == RPMB_RES_ADDR_FAILURE, "%s: DATA_WRITE at half-sector %u (capacity %u) answered 0x%x, expected "
			    "ADDR_FAILURE (0x0004)", c.n, c.half_sectors, c.half_sectors, r);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_read_limits, "virtio.rpmb.read_block_count_and_address_refused",
	   AVPS_CHECKS("DATA_READ with block_count 0 or max_rd_cnt+1 answers GENERAL_FAILURE, and one past the capacity "
		       "answers ADDR_FAILURE"),
	   "AVPS.RPMB.1", DATA_READ(2), DATA_READ(3))
static void rpmb_read_limits(void)
{
	struct rpmb c = { 0 };
	if (!open_keyed(&c))
		goto out;
	int r = read_blocks(&c, 0, 0);
	if (r >= 0)
		probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: DATA_READ with block_count 0 answered 0x%x, expected "
			    "GENERAL_FAILURE", c.n, r);
	if (c.max_rd && c.max_rd + 1 <= MAX_FRAMES) {
		r = read_blocks(&c, 0, (uint16_t)(c.max_rd + 1));
		if (r >= 0)
			probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: DATA_READ of max_rd_cnt+1 = %u blocks answered 0x%x, "
				    "expected GENERAL_FAILURE", c.n, c.max_rd + 1, r);
	}
	r = read_blocks(&c, (uint16_t)c.half_sectors, 1);
	if (r >= 0)
		probe_check(r == RPMB_RES_ADDR_FAILURE, "%s: DATA_READ at half-sector %u (capacity %u) answered 0x%x, expected "
			    "ADDR_FAILURE (0x0004)", c.n, c.half_sectors, c.half_sectors, r);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_result_read_count, "virtio.rpmb.result_read_block_count_refused",
	   AVPS_CHECKS("a RESULT_READ of its own with block_count 2 answers GENERAL_FAILURE"),
	   "AVPS.RPMB.1", RESULT_READ(1))
static void rpmb_result_read_count(void)
{
	struct rpmb c = { 0 };
	if (!open_keyed(&c))
		goto out;
	int r = simple(&c, RPMB_REQ_RESULT_READ, 2, 0, "RESULT_READ with block_count 2");
	if (r >= 0)
		probe_check(r == RPMB_RES_GENERAL_FAILURE, "%s: RESULT_READ with block_count 2 answered 0x%x, expected "
			    "GENERAL_FAILURE", c.n, r);
out:
	rpmb_close(&c);
}

PROBE_CASE(rpmb_survives_reset, "virtio.rpmb.state_survives_device_reset",
	   AVPS_CHECKS("after a device reset the write counter is unchanged, the suite's key still authenticates it, and "
		       "the data written before reads back"),
	   "AVPS.RPMB.1", DEVICE_OP(3), DEVICE_OP(4), DEVICE_OP(6))
static void rpmb_survives_reset(void)
{
	struct rpmb c = { 0 };
	uint32_t counter, after;
	if (!open_keyed(&c) || !counter_of(&c, &counter))
		goto out;
	int r = write_blocks(&c, WRITE_ADDRESS, 1, counter, 0x66, false);
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: authenticated write answered 0x%x", c.n, r))
		goto out;
	rpmb_close(&c);
	if (!rpmb_open(&c))
		goto out;
	r = simple(&c, RPMB_REQ_GET_WRITE_COUNTER, 1, 0, "GET_WRITE_COUNTER after reset");
	if (r < 0 || !probe_check(r == RPMB_RES_OK, "%s: after a device reset GET_WRITE_COUNTER answered 0x%x (NO_AUTH_KEY is "
				  "0x0007): the key is gone", c.n, r) ||
	    !probe_check(mac_ok(resp, 1), "%s: after a device reset the counter's MAC does not verify with the key", c.n))
		goto out;
	after = be32(resp[0] + RPMB_OFF_COUNTER);
	probe_check(after == counter + 1, "%s: write counter %u after a device reset, expected %u", c.n, after, counter + 1);
	r = read_blocks(&c, WRITE_ADDRESS, 1);
	if (r >= 0)
		probe_check(r == RPMB_RES_OK && resp[0][RPMB_OFF_DATA] == 0x66, "%s: after a device reset DATA_READ answered 0x%x with "
			    "data 0x%02x, expected OK and 0x66", c.n, r, resp[0][RPMB_OFF_DATA]);
out:
	rpmb_close(&c);
}
