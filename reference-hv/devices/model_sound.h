/* Sound device model (VIRTIO 1.2 Device Types / Sound Device): the state its control half (model_sound.c) and its PCM I/O half (model_sound_pcm.c) share. */
#ifndef AVPS_DEVICES_MODEL_SOUND_H
#define AVPS_DEVICES_MODEL_SOUND_H

#include "virtio_device.h"

#define VIRTIO_ID_SOUND 25

#define SND_CONTROLQ 0
#define SND_EVENTQ 1
#define SND_TXQ 2
#define SND_RXQ 3

#define SND_S_OK 0x8000u
#define SND_S_BAD_MSG 0x8001u
#define SND_S_NOT_SUPP 0x8002u
#define SND_S_IO_ERR 0x8003u

#define SND_D_OUTPUT 0
#define SND_D_INPUT 1
#define SND_STREAMS 2          /* stream 0 plays (output), stream 1 records (input) */
#define SND_HELD_MESSAGES 64   /* I/O messages one stream holds at a time */
#define SND_HELD_SEGMENTS 20   /* segments of one held I/O message (header, data pages, status) */
#define SND_LOOP_MAX (256u * 1024u) /* largest buffer_bytes the output stream accepts */

/* The PCM command lifecycle (PCM Control Messages / PCM Command Lifecycle). */
enum snd_state { SND_IDLE, SND_PARAMS_SET, SND_PREPARED, SND_RUNNING, SND_STOPPED, SND_RELEASED };

enum snd_fault {
	SND_FAULT_JACK_UNDEFINED_FEATURE,
	SND_FAULT_JACK_PADDING_NONZERO,
	SND_FAULT_PCM_UNDEFINED_FORMAT,
	SND_FAULT_PCM_PADDING_NONZERO,
	SND_FAULT_CHMAP_UNDEFINED_DIRECTION,
	SND_FAULT_CHMAP_TOO_MANY_CHANNELS,
	SND_FAULT_BUFFER_SMALLER,
	SND_FAULT_RELEASE_KEEPS_IO,
	SND_FAULT_RELEASE_BEFORE_IO,
	SND_FAULT_TX_COMPLETE_BEFORE_CONSUMED,
	SND_FAULT_RX_PARTIAL,
	SND_FAULT_CAPTURE_CORRUPT,
	SND_FAULT_JACK_DISCONNECTED,
	SND_FAULT_UNSUPPORTED_REQUEST_OK,
	SND_FAULT_RATES_MISREPORTED,
	SND_FAULT_COUNT,
};

/* One I/O message the device holds: a tx buffer waiting to be played or an rx buffer waiting for frames. */
struct snd_message {
	struct virtq_chain chain;
	struct virtq_segment segments[SND_HELD_SEGMENTS];
	uint32_t data_bytes;
	bool completed;        /* tx-complete-before-consumed: already returned to the driver */
};

struct snd_stream {
	uint8_t direction;
	enum snd_state state;
	bool params_set;
	uint32_t buffer_bytes, period_bytes, features;
	uint8_t channels, format, rate;
	uint64_t clock_start_us;   /* output: when the current run of consumption started */
	uint64_t clock_bytes;      /* output: bytes consumed since clock_start_us */
	unsigned held_first, held_count;
	struct snd_message held[SND_HELD_MESSAGES];
};

struct snd_state_all {
	struct snd_stream stream[SND_STREAMS];
	/* The loopback: frames the output stream played, in order, until the input stream records them. */
	uint8_t loop[SND_LOOP_MAX];
	uint32_t loop_capacity, loop_first, loop_fill;
	uint64_t release_due_us[SND_STREAMS]; /* release-before-io: when the owed messages come back (0: none) */
};

/* Stream info the device reports (PCM_INFO) and SET_PARAMS checks against. */
#define SND_FORMATS ((1ull << 5) | (1ull << 17))    /* S16, S32 */
#define SND_RATES ((1ull << 6) | (1ull << 7))       /* 44100, 48000 */
#define SND_CHANNELS_MIN 1
#define SND_CHANNELS_MAX 2

/* model_sound_pcm.c */
unsigned snd_frame_bytes(const struct snd_stream *s);
void snd_io_process(struct vdev *dev, unsigned queue);
void snd_io_tick(struct vdev *dev, uint64_t now_us);
/* PCM_PREPARE of the output stream: the loopback starts empty with room for buffer_bytes. */
void snd_loop_prepare(struct vdev *dev, const struct snd_stream *output);
/* PCM_RELEASE: every held message of the stream returns (played ones OK, the rest without frames). */
void snd_release_io(struct vdev *dev, unsigned stream_id);
void snd_drop_held(struct snd_stream *s);

#endif
