/* Sound device model (VIRTIO 1.2 Device Types / Sound Device), control half: config, jack/stream/channel-map info, the PCM command lifecycle. */
#include "model_sound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SND(label, n) "VIRTIO-1.2: Device Types / Sound Device / Device Operation / " label " #" #n

#define R_JACK_INFO 1u
#define R_JACK_REMAP 2u
#define R_PCM_INFO 0x100u
#define R_PCM_SET_PARAMS 0x101u
#define R_PCM_PREPARE 0x102u
#define R_PCM_RELEASE 0x103u
#define R_PCM_START 0x104u
#define R_PCM_STOP 0x105u
#define R_CHMAP_INFO 0x200u

#define SND_JACKS 2
#define SND_CHMAPS 2
#define CHMAP_MAX_SIZE 18
#define CHMAP_FL 3
#define CHMAP_FR 4
/* HDA pin default configuration (HDA 7.3.3.31): line out / line in, jack, rear, connected. */
#define DEFCONF_LINE_OUT 0x01014010u
#define DEFCONF_LINE_IN 0x01813020u
#define PINCAP_OUT_IN_DETECT 0x00000034u

static const struct vdev_fault snd_faults[SND_FAULT_COUNT] = {
	[SND_FAULT_JACK_UNDEFINED_FEATURE] = { "jack-undefined-feature", SND("Jack Information", 1) },
	[SND_FAULT_JACK_PADDING_NONZERO] = { "jack-padding-nonzero", SND("Jack Information", 2) },
	[SND_FAULT_PCM_UNDEFINED_FORMAT] = { "pcm-undefined-format", SND("PCM Stream Information", 1) },
	[SND_FAULT_PCM_PADDING_NONZERO] = { "pcm-padding-nonzero", SND("PCM Stream Information", 2) },
	[SND_FAULT_CHMAP_UNDEFINED_DIRECTION] = { "chmap-undefined-direction", SND("Channel Map Information", 1) },
	[SND_FAULT_CHMAP_TOO_MANY_CHANNELS] = { "chmap-too-many-channels", SND("Channel Map Information", 2) },
	[SND_FAULT_BUFFER_SMALLER] = { "buffer-smaller", SND("PCM Stream Parameters", 1) },
	[SND_FAULT_RELEASE_KEEPS_IO] = { "release-keeps-io", SND("PCM Stream Release", 1) },
	[SND_FAULT_RELEASE_BEFORE_IO] = { "release-before-io", SND("PCM Stream Release", 2) },
	[SND_FAULT_TX_COMPLETE_BEFORE_CONSUMED] = { "tx-complete-before-consumed", SND("PCM Output Stream", 1) },
	[SND_FAULT_RX_PARTIAL] = { "rx-partial", SND("PCM Input Stream", 1) },
	/* These break the audio area, not a normative sentence of the chapter. */
	[SND_FAULT_CAPTURE_CORRUPT] = { "capture-corrupt", "AVPS.AUDIO.1 (the input stream records what the output played)" },
	[SND_FAULT_JACK_DISCONNECTED] = { "jack-disconnected", "AVPS.AUDIO.1 (JACK_INFO: both jacks are plugged)" },
	[SND_FAULT_UNSUPPORTED_REQUEST_OK] = { "unsupported-request-ok",
		"AVPS.AUDIO.1 (VIRTIO_SND_S_NOT_SUPP for a request the device does not support)" },
	[SND_FAULT_RATES_MISREPORTED] = { "rates-misreported", "AVPS.AUDIO.1 (PCM_INFO reports the stream's rates)" },
};

struct snd_query_info {
	uint32_t code, start_id, count, size;
};

struct snd_jack_info {
	uint32_t hda_fn_nid, features, hda_reg_defconf, hda_reg_caps;
	uint8_t connected, padding[7];
};

struct snd_pcm_info {
	uint32_t hda_fn_nid, features;
	uint64_t formats, rates;
	uint8_t direction, channels_min, channels_max, padding[5];
};

struct snd_chmap_info {
	uint32_t hda_fn_nid;
	uint8_t direction, channels, positions[CHMAP_MAX_SIZE];
};

struct snd_set_params {
	uint32_t code, stream_id, buffer_bytes, period_bytes, features;
	uint8_t channels, format, rate, padding;
};

_Static_assert(sizeof(struct snd_jack_info) == 24, "jack info layout");
_Static_assert(sizeof(struct snd_pcm_info) == 32, "pcm info layout");
_Static_assert(sizeof(struct snd_chmap_info) == 24, "chmap info layout");
_Static_assert(sizeof(struct snd_set_params) == 24, "set params layout");

static bool snd_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	(void)options;
	struct snd_state_all *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->stream[0].direction = SND_D_OUTPUT;
	st->stream[1].direction = SND_D_INPUT;
	dev->state = st;
	dev->num_queues = 4;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* config: le32 jacks, le32 streams, le32 chmaps */
	uint32_t config[3] = { SND_JACKS, SND_STREAMS, SND_CHMAPS };
	dev->config_size = sizeof(config);
	memcpy(dev->config, config, sizeof(config));
	return true;
}

static void snd_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

static void snd_reset(struct vdev *dev)
{
	struct snd_state_all *st = dev->state;
	for (unsigned i = 0; i < SND_STREAMS; i++) {
		uint8_t direction = st->stream[i].direction;
		memset(&st->stream[i], 0, sizeof(st->stream[i]));
		st->stream[i].direction = direction;
		st->release_due_us[i] = 0;
	}
	st->loop_capacity = st->loop_first = st->loop_fill = 0;
}

/* One item of an info reply, laid out at the driver's stride (size >= the item's own size, the rest zero). */
static void info_item(struct vdev *dev, uint32_t id, uint32_t code, uint8_t *item)
{
	if (code == R_JACK_INFO) {
		struct snd_jack_info j = { 0 };
		j.hda_reg_defconf = id == 0 ? DEFCONF_LINE_OUT : DEFCONF_LINE_IN;
		j.hda_reg_caps = PINCAP_OUT_IN_DETECT;
		j.connected = vdev_fault(dev, SND_FAULT_JACK_DISCONNECTED) ? 0 : 1;
		if (vdev_fault(dev, SND_FAULT_JACK_UNDEFINED_FEATURE))
			j.features |= 1u << 5;          /* Jack Information #1: only REMAP (bit 0) is defined */
		if (vdev_fault(dev, SND_FAULT_JACK_PADDING_NONZERO))
			j.padding[3] = 0xa5;             /* Jack Information #2 */
		memcpy(item, &j, sizeof(j));
	} else if (code == R_PCM_INFO) {
		struct snd_pcm_info p = { 0 };
		p.formats = SND_FORMATS;
		p.rates = vdev_fault(dev, SND_FAULT_RATES_MISREPORTED) ? (1ull << 6) : SND_RATES;
		p.direction = id == 0 ? SND_D_OUTPUT : SND_D_INPUT;
		p.channels_min = SND_CHANNELS_MIN;
		p.channels_max = SND_CHANNELS_MAX;
		if (vdev_fault(dev, SND_FAULT_PCM_UNDEFINED_FORMAT))
			p.formats |= 1ull << 40;         /* Stream Information #1: formats end at bit 24 */
		if (vdev_fault(dev, SND_FAULT_PCM_PADDING_NONZERO))
			p.padding[2] = 0x5a;             /* Stream Information #2 */
		memcpy(item, &p, sizeof(p));
	} else {
		struct snd_chmap_info c = { 0 };
		c.direction = id == 0 ? SND_D_OUTPUT : SND_D_INPUT;
		c.channels = 2;
		c.positions[0] = CHMAP_FL;
		c.positions[1] = CHMAP_FR;
		if (vdev_fault(dev, SND_FAULT_CHMAP_UNDEFINED_DIRECTION))
			c.direction = 2;                 /* Channel Map Information #1: only OUTPUT/INPUT */
		if (vdev_fault(dev, SND_FAULT_CHMAP_TOO_MANY_CHANNELS))
			c.channels = CHMAP_MAX_SIZE + 1; /* Channel Map Information #2 */
		memcpy(item, &c, sizeof(c));
	}
}

/* JACK_INFO / PCM_INFO / CHMAP_INFO: the status, then count items of the driver's size. */
static uint32_t query_info(struct vdev *dev, struct virtq_chain *chain, uint32_t code, uint32_t *written)
{
	struct snd_query_info q;
	uint32_t total = code == R_JACK_INFO ? SND_JACKS : code == R_PCM_INFO ? SND_STREAMS : SND_CHMAPS;
	uint32_t own = code == R_JACK_INFO ? sizeof(struct snd_jack_info)
		     : code == R_PCM_INFO ? sizeof(struct snd_pcm_info) : sizeof(struct snd_chmap_info);
	if (virtq_chain_read(chain, &dev->mem, 0, &q, sizeof(q)) != sizeof(q))
		return SND_S_BAD_MSG;
	/* Item Information Request (driver side): start_id + count within the total, size at least the item's,
	 * a response buffer of 4 + count * size bytes. Anything else is a malformed message. */
	if (q.start_id > total || q.count > total - q.start_id || q.size < own || q.size > 256 ||
	    chain->writable_bytes < 4 + (uint64_t)q.count * q.size)
		return SND_S_BAD_MSG;
	uint8_t item[256];
	for (uint32_t i = 0; i < q.count; i++) {
		memset(item, 0, sizeof(item));
		info_item(dev, q.start_id + i, code, item);
		virtq_chain_write(chain, &dev->mem, 4 + (uint64_t)i * q.size, item, q.size);
	}
	*written = 4 + q.count * q.size;
	return SND_S_OK;
}

static uint32_t set_params(struct vdev *dev, struct virtq_chain *chain)
{
	struct snd_state_all *st = dev->state;
	struct snd_set_params p;
	if (virtq_chain_read(chain, &dev->mem, 0, &p, sizeof(p)) != sizeof(p) || p.stream_id >= SND_STREAMS)
		return SND_S_BAD_MSG;
	struct snd_stream *s = &st->stream[p.stream_id];
	if (s->state == SND_RUNNING || s->state == SND_STOPPED)
		return SND_S_BAD_MSG;                 /* lifecycle: set parameters only before START or after RELEASE */
	if (p.features || p.format >= 64 || !(SND_FORMATS & (1ull << p.format)) || p.rate >= 64 ||
	    !(SND_RATES & (1ull << p.rate)) || p.channels < SND_CHANNELS_MIN || p.channels > SND_CHANNELS_MAX)
		return SND_S_NOT_SUPP;                /* nothing outside what PCM_INFO reported */
	s->channels = p.channels;
	s->format = p.format;
	s->rate = p.rate;
	if (!p.period_bytes || p.buffer_bytes % p.period_bytes || p.period_bytes % snd_frame_bytes(s))
		return SND_S_BAD_MSG;
	if (p.buffer_bytes > SND_LOOP_MAX)
		return SND_S_NOT_SUPP;                /* Stream Parameters #1: no intermediate buffer that small */
	s->buffer_bytes = p.buffer_bytes;
	s->period_bytes = p.period_bytes;
	s->features = p.features;
	s->params_set = true;
	s->state = SND_PARAMS_SET;
	return SND_S_OK;
}

/* PREPARE / START / STOP / RELEASE: the transitions the PCM Command Lifecycle lists, BAD_MSG otherwise. */
static uint32_t lifecycle(struct vdev *dev, struct virtq_chain *chain, uint32_t code, bool *release_of, uint32_t *sid)
{
	struct snd_state_all *st = dev->state;
	uint32_t hdr[2];
	if (virtq_chain_read(chain, &dev->mem, 0, hdr, sizeof(hdr)) != sizeof(hdr) || hdr[1] >= SND_STREAMS)
		return SND_S_BAD_MSG;
	struct snd_stream *s = &st->stream[hdr[1]];
	enum snd_state from = s->state;
	bool ok;
	switch (code) {
	case R_PCM_PREPARE:
		ok = s->params_set && (from == SND_PARAMS_SET || from == SND_PREPARED || from == SND_RELEASED);
		if (ok) {
			s->state = SND_PREPARED;
			if (s->direction == SND_D_OUTPUT)
				snd_loop_prepare(dev, s);
		}
		return ok ? SND_S_OK : SND_S_BAD_MSG;
	case R_PCM_START:
		ok = from == SND_PREPARED || from == SND_STOPPED;
		if (ok) {
			s->state = SND_RUNNING;
			s->clock_start_us = dev->host.now_us ? dev->host.now_us(dev->host.ctx) : 0;
			s->clock_bytes = 0;
		}
		return ok ? SND_S_OK : SND_S_BAD_MSG;
	case R_PCM_STOP:
		if (from != SND_RUNNING)
			return SND_S_BAD_MSG;
		s->state = SND_STOPPED;
		return SND_S_OK;
	default: /* R_PCM_RELEASE */
		if (from != SND_PREPARED && from != SND_STOPPED)
			return SND_S_BAD_MSG;
		s->state = SND_RELEASED;
		*release_of = true;
		*sid = hdr[1];
		return SND_S_OK;
	}
}

static void handle_control(struct vdev *dev, struct virtq_chain *chain)
{
	uint32_t code;
	if (virtq_chain_read(chain, &dev->mem, 0, &code, sizeof(code)) != sizeof(code) || chain->writable_bytes < 4) {
		vdev_needs_reset(dev, "sound control request without a header or a response status");
		return;
	}
	uint32_t status, written = 4, sid = 0;
	bool release = false;
	switch (code) {
	case R_JACK_INFO:
	case R_PCM_INFO:
	case R_CHMAP_INFO:
		status = query_info(dev, chain, code, &written);
		break;
	case R_PCM_SET_PARAMS:
		status = set_params(dev, chain);
		break;
	case R_PCM_PREPARE:
	case R_PCM_RELEASE:
	case R_PCM_START:
	case R_PCM_STOP:
		status = lifecycle(dev, chain, code, &release, &sid);
		break;
	default:
		/* JACK_REMAP (no jack offers VIRTIO_SND_JACK_F_REMAP) and unknown codes are not supported. */
		status = vdev_fault(dev, SND_FAULT_UNSUPPORTED_REQUEST_OK) ? SND_S_OK : SND_S_NOT_SUPP;
		break;
	}
	/* PCM Stream Release #1/#2: the stream's I/O messages return before the RELEASE itself. */
	if (release && !vdev_fault(dev, SND_FAULT_RELEASE_BEFORE_IO)) {
		snd_release_io(dev, sid);
		vdev_notify_used(dev, SND_TXQ);
		vdev_notify_used(dev, SND_RXQ);
	}
	virtq_chain_write(chain, &dev->mem, 0, &status, 4);
	vdev_complete(dev, SND_CONTROLQ, chain, status == SND_S_OK ? written : 4);
	if (release && vdev_fault(dev, SND_FAULT_RELEASE_BEFORE_IO))   /* owed 200 ms after the answer */
		((struct snd_state_all *)dev->state)->release_due_us[sid] =
			dev->host.now_us ? dev->host.now_us(dev->host.ctx) + 200000 : 1;
}

static void snd_process(struct vdev *dev, unsigned queue)
{
	if (queue == SND_CONTROLQ) {
		while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, &dev->scratch) == VIRTQ_TAKEN)
			handle_control(dev, &dev->scratch);
		vdev_notify_used(dev, queue);
	} else if (queue == SND_TXQ || queue == SND_RXQ) {
		snd_io_process(dev, queue);
	}
	/* The eventq: the model raises no events (jacks never change, no optional PCM feature is offered),
	 * so its buffers stay available to the device. */
}

const struct vdev_model model_sound = {
	.name = "sound",
	.device_id = VIRTIO_ID_SOUND,
	.faults = snd_faults,
	.fault_count = SND_FAULT_COUNT,
	.create = snd_create,
	.destroy = snd_destroy,
	.reset = snd_reset,
	.process_queue = snd_process,
	.tick = snd_io_tick,
};
