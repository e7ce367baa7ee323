/* Sound device model, PCM I/O half: tx/rx messages held per stream, played at the stream's rate into a loopback that the input stream records. */
#include "model_sound.h"

#include <string.h>

#define STATUS_BYTES 8   /* struct virtio_snd_pcm_status: le32 status, le32 latency_bytes */
#define XFER_BYTES 4     /* struct virtio_snd_pcm_xfer: le32 stream_id */
#define CATCH_UP_MESSAGES 2 /* output messages one tick may complete (a late tick catches up this much) */

static const uint32_t rate_hz[] = { 5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000,
				    64000, 88200, 96000, 176400, 192000, 384000 };

unsigned snd_frame_bytes(const struct snd_stream *s)
{
	unsigned sample = s->format == 17 ? 4 : 2;   /* S32 or S16, the formats PCM_INFO reports */
	return sample * (s->channels ? s->channels : 1);
}

static uint64_t bytes_per_second(const struct snd_stream *s)
{
	return (uint64_t)snd_frame_bytes(s) * (s->rate < 14 ? rate_hz[s->rate] : 48000);
}

static struct snd_message *head(struct snd_stream *s)
{
	return s->held_count ? &s->held[s->held_first] : NULL;
}

static void pop(struct snd_stream *s)
{
	s->held_first = (s->held_first + 1) % SND_HELD_MESSAGES;
	s->held_count--;
}

void snd_drop_held(struct snd_stream *s)
{
	s->held_first = s->held_count = 0;
}

/* Returns a message: the status part sits in the last 8 writable bytes, after `frames` recorded bytes. */
static void give(struct vdev *dev, unsigned queue, const struct virtq_chain *chain, uint32_t status, uint32_t frames)
{
	uint32_t part[2] = { status, 0 };
	virtq_chain_write(chain, &dev->mem, chain->writable_bytes - STATUS_BYTES, part, sizeof(part));
	vdev_complete(dev, queue, chain, frames + STATUS_BYTES);
}

/* Appends played frames; a full loopback drops its oldest frames (the input stream overran). */
static void loop_push(struct snd_state_all *st, const uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len && st->loop_capacity; i++) {
		if (st->loop_fill == st->loop_capacity) {
			st->loop_first = (st->loop_first + 1) % st->loop_capacity;
			st->loop_fill--;
		}
		st->loop[(st->loop_first + st->loop_fill) % st->loop_capacity] = data[i];
		st->loop_fill++;
	}
}

static void loop_pop(struct snd_state_all *st, uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		data[i] = st->loop[st->loop_first];
		st->loop_first = (st->loop_first + 1) % st->loop_capacity;
		st->loop_fill--;
	}
}

void snd_loop_prepare(struct vdev *dev, const struct snd_stream *output)
{
	struct snd_state_all *st = dev->state;
	/* Stream Parameters #1: the intermediate buffer holds buffer_bytes; the fault keeps a period less. */
	st->loop_capacity = output->buffer_bytes;
	if (vdev_fault(dev, SND_FAULT_BUFFER_SMALLER) && output->buffer_bytes > output->period_bytes)
		st->loop_capacity -= output->period_bytes;
	st->loop_first = st->loop_fill = 0;
}

/* Plays one tx message: its frames go into the loopback. */
static void play(struct vdev *dev, struct snd_message *m)
{
	struct snd_state_all *st = dev->state;
	uint8_t chunk[512];
	for (uint32_t done = 0; done < m->data_bytes;) {
		uint32_t n = m->data_bytes - done < sizeof(chunk) ? m->data_bytes - done : (uint32_t)sizeof(chunk);
		size_t got = virtq_chain_read(&m->chain, &dev->mem, XFER_BYTES + done, chunk, n);
		loop_push(st, chunk, (uint32_t)got);
		done += n;
	}
	if (!m->completed)
		give(dev, SND_TXQ, &m->chain, SND_S_OK, 0);
}

/* Records into one rx message from the loopback (the caller checked enough frames are there). */
static void record(struct vdev *dev, struct snd_message *m, uint32_t len)
{
	struct snd_state_all *st = dev->state;
	uint8_t chunk[512];
	for (uint32_t done = 0; done < len;) {
		uint32_t n = len - done < sizeof(chunk) ? len - done : (uint32_t)sizeof(chunk);
		loop_pop(st, chunk, n);
		if (done == 0 && vdev_fault(dev, SND_FAULT_CAPTURE_CORRUPT))
			chunk[0] ^= 0xff;                 /* fault: not the frames that were played */
		virtq_chain_write(&m->chain, &dev->mem, done, chunk, n);
		done += n;
	}
	give(dev, SND_RXQ, &m->chain, SND_S_OK, len);
}

/* Does what came due: output messages at the stream's rate, input messages once the loopback fills them. */
static void pump(struct vdev *dev, uint64_t now_us, bool *gave_tx, bool *gave_rx)
{
	struct snd_state_all *st = dev->state;
	struct snd_stream *out = &st->stream[0], *in = &st->stream[1];
	struct snd_message *m;
	for (unsigned sid = 0; sid < SND_STREAMS; sid++)
		if (st->release_due_us[sid] && now_us >= st->release_due_us[sid]) {
			st->release_due_us[sid] = 0;        /* release-before-io: the messages come after the RELEASE */
			snd_release_io(dev, sid);
			*gave_tx = *gave_rx = true;
		}
	if (out->state == SND_RUNNING) {
		uint64_t bps = bytes_per_second(out);
		uint64_t allowed = now_us == UINT64_MAX ? UINT64_MAX
				 : now_us > out->clock_start_us ? (now_us - out->clock_start_us) * bps / 1000000 : 0;
		/* Output Stream #1: a message completes once all of its frames were consumed at the stream's rate. */
		unsigned played = 0;
		while ((m = head(out)) && out->clock_bytes + m->data_bytes <= allowed &&
		       (now_us == UINT64_MAX || played < CATCH_UP_MESSAGES)) {
			play(dev, m);
			out->clock_bytes += m->data_bytes;
			*gave_tx |= !m->completed;
			pop(out);
			played++;
		}
		/* Nothing to play (an underrun), or the host did not tick for longer than a period (the VM was not
		 * running): time does not pile up, so playback never bursts. */
		bool behind = (m = head(out)) && allowed > out->clock_bytes + 2ull * m->data_bytes;
		if ((!out->held_count || behind) && now_us != UINT64_MAX) {
			out->clock_start_us = now_us;
			out->clock_bytes = 0;
		}
	}
	if (in->state == SND_RUNNING && st->loop_capacity) {
		/* Input Stream #1: a message completes only when the loopback fills all of it. */
		while ((m = head(in))) {
			uint32_t len = m->data_bytes;
			if (st->loop_fill < len) {
				if (!vdev_fault(dev, SND_FAULT_RX_PARTIAL) || !st->loop_fill)
					break;
				len = st->loop_fill;              /* fault: returned part-filled */
			}
			record(dev, m, len);
			*gave_rx = true;
			pop(in);
		}
	}
}

static void notify(struct vdev *dev, bool gave_tx, bool gave_rx)
{
	if (gave_tx)
		vdev_notify_used(dev, SND_TXQ);
	if (gave_rx)
		vdev_notify_used(dev, SND_RXQ);
}

void snd_release_io(struct vdev *dev, unsigned stream_id)
{
	struct snd_state_all *st = dev->state;
	struct snd_stream *s = &st->stream[stream_id];
	struct snd_message *m;
	if (vdev_fault(dev, SND_FAULT_RELEASE_KEEPS_IO))
		return;                                /* fault: PCM Stream Release #1 */
	/* Release #1: every pending message completes; frames not played are an I/O error, an input
	 * message ends the stream without frames. */
	while ((m = head(s))) {
		if (!m->completed)
			give(dev, s->direction == SND_D_OUTPUT ? SND_TXQ : SND_RXQ, &m->chain,
			     s->direction == SND_D_OUTPUT ? SND_S_IO_ERR : SND_S_OK, 0);
		pop(s);
	}
}

/* Takes one I/O message: held by its stream, or answered IO_ERR at once when it cannot be. */
static void take_message(struct vdev *dev, unsigned queue, struct virtq_chain *chain, bool *gave)
{
	struct snd_state_all *st = dev->state;
	uint32_t stream_id;
	if (virtq_chain_read(chain, &dev->mem, 0, &stream_id, sizeof(stream_id)) != sizeof(stream_id) ||
	    chain->writable_bytes < STATUS_BYTES) {
		vdev_needs_reset(dev, "sound I/O message without its header or its status part");
		return;
	}
	uint8_t direction = queue == SND_TXQ ? SND_D_OUTPUT : SND_D_INPUT;
	struct snd_stream *s = stream_id < SND_STREAMS ? &st->stream[stream_id] : NULL;
	bool holds = s && s->direction == direction && chain->count <= SND_HELD_SEGMENTS &&
		     s->held_count < SND_HELD_MESSAGES &&
		     (s->state == SND_PREPARED || s->state == SND_RUNNING || s->state == SND_STOPPED);
	if (!holds) {
		give(dev, queue, chain, SND_S_IO_ERR, 0);
		*gave = true;
		return;
	}
	struct snd_message *m = &s->held[(s->held_first + s->held_count) % SND_HELD_MESSAGES];
	m->chain = *chain;
	m->chain.segments = m->segments;
	m->chain.capacity = SND_HELD_SEGMENTS;
	memcpy(m->segments, chain->segments, chain->count * sizeof(chain->segments[0]));
	m->data_bytes = (uint32_t)(direction == SND_D_OUTPUT ? chain->readable_bytes - XFER_BYTES
							 : chain->writable_bytes - STATUS_BYTES);
	m->completed = false;
	s->held_count++;
	if (direction == SND_D_OUTPUT && vdev_fault(dev, SND_FAULT_TX_COMPLETE_BEFORE_CONSUMED)) {
		give(dev, queue, &m->chain, SND_S_OK, 0);   /* fault: returned before its frames are read */
		m->completed = true;
		*gave = true;
	}
}

void snd_io_process(struct vdev *dev, unsigned queue)
{
	bool gave_tx = false, gave_rx = false;
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, &dev->scratch) == VIRTQ_TAKEN)
		take_message(dev, queue, &dev->scratch, queue == SND_TXQ ? &gave_tx : &gave_rx);
	if (!(dev->status & VIRTIO_STATUS_NEEDS_RESET))
		pump(dev, dev->host.now_us ? dev->host.now_us(dev->host.ctx) : UINT64_MAX, &gave_tx, &gave_rx);
	notify(dev, gave_tx, gave_rx);
}

void snd_io_tick(struct vdev *dev, uint64_t now_us)
{
	bool gave_tx = false, gave_rx = false;
	pump(dev, now_us, &gave_tx, &gave_rx);
	notify(dev, gave_tx, gave_rx);
}
