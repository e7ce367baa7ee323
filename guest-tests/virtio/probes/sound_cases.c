/* Sound device statements (VIRTIO 1.2 §5.14): jack, stream and channel-map info, PCM release, and output/input completion rules seen through a device whose input hears its output. */
#include <string.h>

#include "probe.h"
#include "session.h"

#define VIRTIO_ID_SOUND 25
#define SND(label, n) "VIRTIO-1.2: Device Types / Sound Device / Device Operation / " label " #" #n

enum { CTLQ, EVTQ, TXQ, RXQ };
enum { R_JACK_INFO = 1, R_PCM_INFO = 0x100, R_PCM_SET_PARAMS, R_PCM_PREPARE, R_PCM_RELEASE, R_PCM_START, R_PCM_STOP,
       R_CHMAP_INFO = 0x200 };
#define S_OK 0x8000u
#define S_BAD_MSG 0x8001u
#define S_NOT_SUPP 0x8002u
#define FMT_S16 5
#define RATE_48000 7
#define CHANNELS 2
#define PERIOD 1024u              /* 256 frames of S16 stereo: 5.3 ms at 48 kHz */
#define PERIODS 4
#define MAX_ITEMS 8
#define IO_WAIT_US 500000         /* a period the device owes: 0.5 s (100 periods of time) */
#define QUIET_US 30000            /* a message that must stay pending: 30 ms (5 periods of time) */

struct snd {
	struct vsession s;
	struct vdev *d;
	const char *n;
	uint32_t jacks, streams, chmaps;
	int out, in;                  /* a 48 kHz S16 stereo output and input stream, or -1 */
};

struct pcm_info {
	uint32_t hda_fn_nid, features;
	uint64_t formats, rates;
	uint8_t direction, channels_min, channels_max, padding[5];
};

struct io_status {
	uint32_t status, latency_bytes;
};

static uint32_t ctl_req[8] __attribute__((aligned(16)));
static uint8_t ctl_resp[4 + MAX_ITEMS * 32] __attribute__((aligned(16)));
static uint32_t tx_hdr[PERIODS], rx_hdr[PERIODS] __attribute__((aligned(16)));
static uint8_t tx_data[PERIODS][PERIOD] __attribute__((aligned(16)));
static uint8_t rx_data[PERIODS][2 * PERIOD] __attribute__((aligned(16)));
static struct io_status tx_status[PERIODS] __attribute__((aligned(16)));

/* Opens the first sound device with its four queues, or SKIPs: absent. */
static bool snd_open(struct snd *a)
{
	a->d = vdev_find(VIRTIO_ID_SOUND);
	if (!a->d) {
		probe_skip("device absent: no sound device (DeviceID 25) on a version-2 virtio-mmio transport");
		return false;
	}
	a->n = vdev_name(a->d);
	if (!vs_open(&a->s, a->d, 0, 4, VIRTQ_SPLIT, 16, VS_DRIVER_OK))
		return false;
	a->jacks = (uint32_t)vmmio_config(a->s.t, 0, 4);
	a->streams = (uint32_t)vmmio_config(a->s.t, 4, 4);
	a->chmaps = (uint32_t)vmmio_config(a->s.t, 8, 4);
	a->out = a->in = -1;
	return true;
}

/* One control request of req_len bytes in ctl_req; the status, with the response in ctl_resp. */
static bool control(struct snd *a, uint32_t req_len, uint32_t resp_len, uint32_t *status, struct virtq_used *u)
{
	struct virtq_used local;
	memset(ctl_resp, 0xcc, resp_len);
	struct vbuf e[2] = { { ctl_req, req_len, false }, { ctl_resp, resp_len, true } };
	if (!vs_call(&a->s, CTLQ, e, 2, VIRTQ_CHAIN_DIRECT, u ? u : &local, "sound control request"))
		return false;
	memcpy(status, ctl_resp, 4);
	return true;
}

/* An info query of `count` items from 0; true with the items at ctl_resp + 4. */
static bool query(struct snd *a, uint32_t code, uint32_t count, uint32_t size)
{
	uint32_t status;
	struct virtq_used u;
	ctl_req[0] = code;
	ctl_req[1] = 0;
	ctl_req[2] = count;
	ctl_req[3] = size;
	return control(a, 16, 4 + count * size, &status, &u) &&
	       probe_check(status == S_OK, "%s: info request 0x%x for %u items answered status 0x%x", a->n, code, count,
			   status) &&
	       probe_check(u.len == 4 + count * size, "%s: info request 0x%x: used len %u, expected %u", a->n, code, u.len,
			   4 + count * size);
}

static bool pcm_cmd(struct snd *a, uint32_t code, int stream)
{
	uint32_t status;
	ctl_req[0] = code;
	ctl_req[1] = (uint32_t)stream;
	return control(a, 8, 4, &status, NULL) &&
	       probe_check(status == S_OK, "%s: PCM request 0x%x on stream %d answered status 0x%x", a->n, code, stream,
			   status);
}

/* Finds a 48 kHz S16 stereo output and input stream (PCM_INFO), sets both up: buffer PERIODS periods, prepared. */
static bool streams_prepared(struct snd *a)
{
	uint32_t count = a->streams < MAX_ITEMS ? a->streams : MAX_ITEMS;
	if (!count) {
		probe_skip("%s: the device has no PCM streams", a->n);
		return false;
	}
	if (!query(a, R_PCM_INFO, count, sizeof(struct pcm_info)))
		return false;
	for (uint32_t i = 0; i < count; i++) {
		struct pcm_info p;
		memcpy(&p, ctl_resp + 4 + i * sizeof(p), sizeof(p));
		bool fits = (p.formats & (1ull << FMT_S16)) && (p.rates & (1ull << RATE_48000)) &&
			    p.channels_min <= CHANNELS && p.channels_max >= CHANNELS;
		if (fits && p.direction == 0 && a->out < 0)
			a->out = (int)i;
		if (fits && p.direction == 1 && a->in < 0)
			a->in = (int)i;
	}
	if (a->out < 0 || a->in < 0) {
		probe_skip("%s: no output and input stream both taking 48 kHz S16 stereo", a->n);
		return false;
	}
	for (int k = 0; k < 2; k++) {
		int sid = k ? a->in : a->out;
		uint32_t status;
		uint8_t *p = (uint8_t *)ctl_req;
		memset(ctl_req, 0, sizeof(ctl_req));
		ctl_req[0] = R_PCM_SET_PARAMS;
		ctl_req[1] = (uint32_t)sid;
		ctl_req[2] = PERIODS * PERIOD;
		ctl_req[3] = PERIOD;
		p[20] = CHANNELS;
		p[21] = FMT_S16;
		p[22] = RATE_48000;
		if (!control(a, 24, 4, &status, NULL) ||
		    !probe_check(status == S_OK, "%s: SET_PARAMS of stream %d (48 kHz S16 stereo, buffer %u, period %u) "
				 "answered 0x%x", a->n, sid, PERIODS * PERIOD, PERIOD, status) ||
		    !pcm_cmd(a, R_PCM_PREPARE, sid))
			return false;
	}
	return true;
}

static void fill_pattern(unsigned slot, uint8_t seed)
{
	for (unsigned i = 0; i < PERIOD; i++)
		tx_data[slot][i] = (uint8_t)(seed * 37 + i * 13 + (i >> 8));
}

static bool holds_pattern(const uint8_t *data, uint8_t seed)
{
	for (unsigned i = 0; i < PERIOD; i++)
		if (data[i] != (uint8_t)(seed * 37 + i * 13 + (i >> 8)))
			return false;
	return true;
}

static bool post_tx(struct snd *a, unsigned slot)
{
	tx_hdr[slot] = (uint32_t)a->out;
	memset(&tx_status[slot], 0xcc, sizeof(tx_status[slot]));
	struct vbuf e[3] = { { &tx_hdr[slot], 4, false }, { tx_data[slot], PERIOD, false },
			     { &tx_status[slot], sizeof(tx_status[slot]), true } };
	uint16_t id;
	enum virtq_result r = vmmio_post(a->s.t, &a->s.q[TXQ], e, 3, VIRTQ_CHAIN_DIRECT, &id);
	return probe_check(r == VIRTQ_OK, "%s: tx message not posted: %s", a->n, virtq_result_name(r));
}

static bool post_rx(struct snd *a, unsigned slot, uint32_t len)
{
	rx_hdr[slot] = (uint32_t)a->in;
	memset(rx_data[slot], 0xcc, len + sizeof(struct io_status));
	struct vbuf e[2] = { { &rx_hdr[slot], 4, false }, { rx_data[slot], len + (uint32_t)sizeof(struct io_status), true } };
	uint16_t id;
	enum virtq_result r = vmmio_post(a->s.t, &a->s.q[RXQ], e, 2, VIRTQ_CHAIN_DIRECT, &id);
	return probe_check(r == VIRTQ_OK, "%s: rx message not posted: %s", a->n, virtq_result_name(r));
}

/* 1: a used entry came (checked), 0: none within timeout, -1: a bad entry. */
static int io_used(struct snd *a, int q, uint32_t timeout_us, struct virtq_used *u)
{
	enum virtq_result r = vmmio_wait_used(a->s.t, &a->s.q[q], timeout_us, u);
	if (r == VIRTQ_EMPTY)
		return 0;
	return vdev_used_ok(a->d, r, u, q == TXQ ? "tx message" : "rx message") ? 1 : -1;
}

/* Both streams running; one period played and recorded: true when the input heard the output (else SKIP). */
static bool loopback_found(struct snd *a)
{
	struct virtq_used u;
	if (!streams_prepared(a) || !pcm_cmd(a, R_PCM_START, a->in) || !pcm_cmd(a, R_PCM_START, a->out))
		return false;
	fill_pattern(0, 0x5a);
	if (!post_rx(a, 0, PERIOD) || !post_tx(a, 0))
		return false;
	int tx = io_used(a, TXQ, IO_WAIT_US, &u);
	int rx = tx == 1 ? io_used(a, RXQ, IO_WAIT_US, &u) : 0;
	if (tx < 0 || rx < 0 || !probe_check(tx == 1, "%s: a period of output was not consumed within %u ms", a->n,
					     IO_WAIT_US / 1000))
		return false;
	if (rx == 0 || u.len != PERIOD + sizeof(struct io_status) || !holds_pattern(rx_data[0], 0x5a)) {
		probe_skip("%s: its input does not record what its output plays (no loopback): the completion rules "
			   "are checked through one", a->n);
		return false;
	}
	return true;
}

PROBE_CASE(snd_jack_info, "virtio.sound.jack_info_defined",
	   AVPS_CHECKS("JACK_INFO for every jack answers OK with only defined feature bits (REMAP) set and the 7 "
		       "padding bytes zero"),
	   "AVPS.AUDIO.1", SND("Jack Information", 1), SND("Jack Information", 2))
static void snd_jack_info(void)
{
	struct snd a;
	if (!snd_open(&a))
		return;
	uint32_t count = a.jacks < MAX_ITEMS ? a.jacks : MAX_ITEMS;
	if (!count)
		probe_skip("%s: the device has no jacks", a.n);
	else if (query(&a, R_JACK_INFO, count, 24))
		for (uint32_t i = 0; i < count; i++) {
			const uint8_t *j = ctl_resp + 4 + i * 24;
			uint32_t features;
			memcpy(&features, j + 4, 4);
			probe_check(!(features & ~1u), "%s: jack %u: features 0x%x has undefined bits", a.n, i, features);
			for (int p = 17; p < 24; p++)
				probe_check(j[p] == 0, "%s: jack %u: padding byte %d is 0x%02x", a.n, i, p - 17, j[p]);
		}
	vs_close(&a.s);
}

PROBE_CASE(snd_pcm_info, "virtio.sound.pcm_info_defined",
	   AVPS_CHECKS("PCM_INFO for every stream answers OK with only defined feature (bits 0-4), format (0-24) and "
		       "rate (0-13) bits, a defined direction, and the 5 padding bytes zero"),
	   "AVPS.AUDIO.1", SND("PCM Stream Information", 1), SND("PCM Stream Information", 2))
static void snd_pcm_info(void)
{
	struct snd a;
	if (!snd_open(&a))
		return;
	uint32_t count = a.streams < MAX_ITEMS ? a.streams : MAX_ITEMS;
	if (!count)
		probe_skip("%s: the device has no PCM streams", a.n);
	else if (query(&a, R_PCM_INFO, count, sizeof(struct pcm_info)))
		for (uint32_t i = 0; i < count; i++) {
			struct pcm_info p;
			memcpy(&p, ctl_resp + 4 + i * sizeof(p), sizeof(p));
			probe_check(!(p.features >> 5), "%s: stream %u: features 0x%x has undefined bits", a.n, i, p.features);
			probe_check(!(p.formats >> 25), "%s: stream %u: formats 0x%llx has undefined bits", a.n, i,
				    (unsigned long long)p.formats);
			probe_check(!(p.rates >> 14), "%s: stream %u: rates 0x%llx has undefined bits", a.n, i,
				    (unsigned long long)p.rates);
			probe_check(p.direction <= 1, "%s: stream %u: direction %u is undefined", a.n, i, p.direction);
			for (int b = 0; b < 5; b++)
				probe_check(p.padding[b] == 0, "%s: stream %u: padding byte %d is 0x%02x", a.n, i, b, p.padding[b]);
		}
	vs_close(&a.s);
}

PROBE_CASE(snd_chmap_info, "virtio.sound.chmap_info_defined",
	   AVPS_CHECKS("CHMAP_INFO for every channel map answers OK with a defined direction and at most 18 channels"),
	   "AVPS.AUDIO.1", SND("Channel Map Information", 1), SND("Channel Map Information", 2))
static void snd_chmap_info(void)
{
	struct snd a;
	if (!snd_open(&a))
		return;
	uint32_t count = a.chmaps < MAX_ITEMS ? a.chmaps : MAX_ITEMS;
	if (!count)
		probe_skip("%s: the device has no channel maps", a.n);
	else if (query(&a, R_CHMAP_INFO, count, 24))
		for (uint32_t i = 0; i < count; i++) {
			const uint8_t *c = ctl_resp + 4 + i * 24;
			probe_check(c[4] <= 1, "%s: channel map %u: direction %u is undefined", a.n, i, c[4]);
			probe_check(c[5] <= 18, "%s: channel map %u: channels %u exceeds VIRTIO_SND_CHMAP_MAX_SIZE (18)", a.n,
				    i, c[5]);
		}
	vs_close(&a.s);
}

/* Prepared output stream with two pre-buffered tx messages, then RELEASE: how many were used when it answered. */
static bool release_with_pending(struct snd *a, unsigned *used_at_answer)
{
	struct virtq_used u;
	fill_pattern(0, 1);
	fill_pattern(1, 2);
	if (!streams_prepared(a) || !post_tx(a, 0) || !post_tx(a, 1))
		return false;
	*used_at_answer = 0;
	if (io_used(a, TXQ, QUIET_US, &u) != 0) {
		probe_skip("%s: a tx message of a prepared, not started stream came back at once: nothing stays pending "
			   "for RELEASE", a->n);
		return false;
	}
	if (!pcm_cmd(a, R_PCM_RELEASE, a->out))
		return false;
	while (virtq_get_used(&a->s.q[TXQ], &u) == VIRTQ_OK)
		(*used_at_answer)++;
	return true;
}

PROBE_CASE(snd_unknown_request, "virtio.sound.unknown_request_not_supported",
	   AVPS_CHECKS("a control request with a code the chapter does not define (0x0300) is answered NOT_SUPP or "
		       "BAD_MSG, never OK, with a 4-byte used length"),
	   "AVPS.AUDIO.1")
static void snd_unknown_request(void)
{
	struct snd a;
	struct virtq_used u;
	uint32_t status;
	if (!snd_open(&a))
		return;
	memset(ctl_req, 0, sizeof(ctl_req));
	ctl_req[0] = 0x0300;
	if (control(&a, 8, 4, &status, &u))
		probe_check((status == S_NOT_SUPP || status == S_BAD_MSG) && u.len == 4,
			    "%s: undefined request 0x0300 answered status 0x%x (used len %u): not NOT_SUPP/BAD_MSG", a.n,
			    status, u.len);
	vs_close(&a.s);
}

PROBE_CASE(snd_release_completes, "virtio.sound.release_completes_pending_io",
	   AVPS_CHECKS("after PCM_RELEASE of an output stream with two pre-buffered tx messages, both messages come "
		       "back (within 0.5 s)"),
	   "AVPS.AUDIO.1", SND("PCM Stream Release", 1))
static void snd_release_completes(void)
{
	struct snd a;
	struct virtq_used u;
	unsigned used = 0;
	if (!snd_open(&a))
		return;
	if (release_with_pending(&a, &used)) {
		while (used < 2 && io_used(&a, TXQ, IO_WAIT_US, &u) == 1)
			used++;
		probe_check(used == 2, "%s: %u of 2 pending tx messages completed after PCM_RELEASE", a.n, used);
	}
	vs_close(&a.s);
}

PROBE_CASE(snd_release_waits, "virtio.sound.release_answered_after_io",
	   AVPS_CHECKS("when the PCM_RELEASE of an output stream with two pre-buffered tx messages is answered, both "
		       "messages are already in the tx used ring"),
	   "AVPS.AUDIO.1", SND("PCM Stream Release", 2))
static void snd_release_waits(void)
{
	struct snd a;
	unsigned used = 0;
	if (!snd_open(&a))
		return;
	if (release_with_pending(&a, &used))
		probe_check(used == 2, "%s: PCM_RELEASE answered while %u of 2 tx messages were still pending", a.n,
			    2 - used);
	vs_close(&a.s);
}

PROBE_CASE(snd_output_consumed, "virtio.sound.output_consumed_before_completion",
	   AVPS_CHECKS("a tx period overwritten by the driver right after it completes is still recorded as played "
		       "(the device read all of it before completing), through the device's output-to-input loopback"),
	   "AVPS.AUDIO.1", SND("PCM Output Stream", 1))
static void snd_output_consumed(void)
{
	struct snd a;
	struct virtq_used u;
	if (!snd_open(&a))
		return;
	if (loopback_found(&a)) {
		fill_pattern(1, 0x21);
		if (post_rx(&a, 1, PERIOD) && post_tx(&a, 1) && io_used(&a, TXQ, IO_WAIT_US, &u) == 1) {
			memset(tx_data[1], 0xee, PERIOD);     /* the driver may reuse a completed buffer at once */
			int rx = io_used(&a, RXQ, IO_WAIT_US, &u);
			if (probe_check(rx == 1, "%s: the played period was never recorded", a.n))
				probe_check(holds_pattern(rx_data[1], 0x21), "%s: the recorded period is not the one played "
					    "(first byte 0x%02x): the tx message completed before its frames were consumed",
					    a.n, rx_data[1][0]);
		}
	}
	vs_close(&a.s);
}

PROBE_CASE(snd_input_filled, "virtio.sound.input_filled_before_completion",
	   AVPS_CHECKS("an rx message of two periods stays pending while one period is played, and completes full "
		       "(used len 2 periods + status) once the second is played, through the device's loopback"),
	   "AVPS.AUDIO.1", SND("PCM Input Stream", 1))
static void snd_input_filled(void)
{
	struct snd a;
	struct virtq_used u;
	if (!snd_open(&a))
		return;
	if (loopback_found(&a)) {
		fill_pattern(1, 0x31);
		fill_pattern(2, 0x32);
		if (post_rx(&a, 1, 2 * PERIOD) && post_tx(&a, 1) && io_used(&a, TXQ, IO_WAIT_US, &u) == 1) {
			int early = io_used(&a, RXQ, QUIET_US, &u);
			if (probe_check(early == 0, "%s: the two-period rx message completed after one period was played "
					"(used len %u)", a.n, early == 1 ? u.len : 0) &&
			    post_tx(&a, 2) && io_used(&a, TXQ, IO_WAIT_US, &u) == 1) {
				int rx = io_used(&a, RXQ, IO_WAIT_US, &u);
				if (probe_check(rx == 1, "%s: the rx message never completed after two periods were played", a.n))
					probe_check(u.len == 2 * PERIOD + sizeof(struct io_status) &&
						    holds_pattern(rx_data[1], 0x31) && holds_pattern(rx_data[1] + PERIOD, 0x32),
						    "%s: rx message: used len %u, expected %u holding both played periods", a.n,
						    u.len, (unsigned)(2 * PERIOD + sizeof(struct io_status)));
			}
		}
	}
	vs_close(&a.s);
}

PROBE_CASE(snd_buffer_bytes, "virtio.sound.intermediate_buffer_holds_buffer_bytes",
	   AVPS_CHECKS("buffer_bytes (4 periods) played while the input is stopped are all recorded once it starts: "
		       "the loopback's intermediate buffer holds no less than buffer_bytes"),
	   "AVPS.AUDIO.1", SND("PCM Stream Parameters", 1))
static void snd_buffer_bytes(void)
{
	struct snd a;
	struct virtq_used u;
	if (!snd_open(&a))
		return;
	if (!loopback_found(&a) || !pcm_cmd(&a, R_PCM_STOP, a.out) || !pcm_cmd(&a, R_PCM_STOP, a.in) ||
	    !pcm_cmd(&a, R_PCM_RELEASE, a.out) || !pcm_cmd(&a, R_PCM_RELEASE, a.in) ||
	    !pcm_cmd(&a, R_PCM_PREPARE, a.out) || !pcm_cmd(&a, R_PCM_PREPARE, a.in) ||
	    !pcm_cmd(&a, R_PCM_START, a.out)) {
		vs_close(&a.s);
		return;
	}
	for (unsigned i = 0; i < PERIODS; i++)
		fill_pattern(i, (uint8_t)(0x40 + i));
	bool played = true;
	for (unsigned i = 0; i < PERIODS && played; i++)
		played = post_tx(&a, i);
	for (unsigned i = 0; i < PERIODS && played; i++)
		played = probe_check(io_used(&a, TXQ, IO_WAIT_US, &u) == 1, "%s: tx period %u not consumed", a.n, i);
	if (played && pcm_cmd(&a, R_PCM_START, a.in)) {
		for (unsigned i = 0; i < PERIODS; i++)
			if (!post_rx(&a, i, PERIOD))
				break;
		for (unsigned i = 0; i < PERIODS; i++) {
			int rx = io_used(&a, RXQ, IO_WAIT_US, &u);
			if (!probe_check(rx == 1, "%s: only %u of the %u periods played before the input started were "
					 "recorded", a.n, i, PERIODS))
				break;
			if (!probe_check(holds_pattern(rx_data[i], (uint8_t)(0x40 + i)),
					 "%s: recorded period %u is not played period %u (buffer_bytes %u not all kept)", a.n,
					 i, i, PERIODS * PERIOD))
				break;
		}
	}
	vs_close(&a.s);
}
