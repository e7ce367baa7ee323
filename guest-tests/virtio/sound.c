/* virtio-sound: a declared virtio-sound device (ID 25) is bound and modern, its streams take what the platform declares, its loopback records what was played, and its jacks and channel maps are the declared ones. */
#define AVPS_SUITE "virtio.sound"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "kernel_driver.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sound/asound.h>
#include <sound/tlv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * VIRTIO chapter: Sound Device, reached through the kernel's virtio_snd driver (CONFIG_SND_VIRTIO, in the
 * suite kernel, not in Debian's 6.1) and ALSA's character devices, driven with the kernel's ioctls
 * (sound/asound.h), no alsa-lib. The platform declares what its device offers:
 *   avps.sound_rates=44100,48000   avps.sound_formats=S16_LE,S32_LE   avps.sound_channels=1-2
 *   avps.sound_jacks=Line_Out,Line (each connected; '_' for a space)   avps.sound_chmap=FL,FR (both directions)
 *   avps.sound_loopback=1 (the input stream records what the output stream played: refhv's model)
 * The device-side statements of the chapter (info padding and bits, release, completion rules) are
 * checked register-level by the virtio-mmio probe (probes/sound_cases.c): the driver hides them here.
 * QEMU 7.2 has no virtio-sound device (`-device help`). Absent device: SKIP, unless the platform
 * declares avps.offers_audio=1, then not ok.
 */
#define DEVICE_ID 25
#define DRIVER "virtio_snd"
#define DEVICE_WHAT "virtio-sound device (ID 25)"
#define CARD_DRIVER "virtio-snd"   /* the ALSA card's driver name (sound/virtio/virtio_card.h) */
#define PERIOD_FRAMES 1024         /* 21 ms at 48 kHz (the driver takes 10..80 ms, buffers up to 160 ms) */
#define PLAY_PERIODS 8             /* the whole run fits the playback buffer: written before it starts */
#define CAPTURE_PERIODS 15         /* the driver's largest buffer: everything played plus 7 periods of slack */
#define PLAYED_FRAMES (PLAY_PERIODS * PERIOD_FRAMES)
#define CHANNELS 2

/* Finds the device, needs the driver, and finds the ALSA card the driver registered for it. */
#define REQUIRE_SOUND_CARD(dev, card)                                                                 \
	do {                                                                                          \
		REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, (dev), "audio", DEVICE_WHAT);                   \
		REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);                                           \
		(card) = find_card();                                                                 \
		ASSERT_GE((card), 0) TH_LOG("no ALSA card with driver '%s' although %s is bound to %s", \
					    CARD_DRIVER, (dev)->path, DRIVER);                        \
	} while (0)

static int find_card(void)
{
	for (int card = 0; card < 32; card++) {
		char path[64];
		struct snd_ctl_card_info info;
		snprintf(path, sizeof(path), "/dev/snd/controlC%d", card);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		bool found = ioctl(fd, SNDRV_CTL_IOCTL_CARD_INFO, &info) == 0 && !strcmp((char *)info.driver, CARD_DRIVER);
		close(fd);
		if (found)
			return card;
	}
	return -1;
}

/* Opens the card's first PCM device (the driver numbers them by hda_fn_nid) in one direction; fd or -errno. */
static int open_pcm(int card, bool capture)
{
	for (int device = 0; device < 8; device++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/snd/pcmC%dD%d%c", card, device, capture ? 'c' : 'p');
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd >= 0 ? fd : -errno;
	}
	return -ENOENT;
}

static struct snd_mask *param_mask(struct snd_pcm_hw_params *p, int which)
{
	return &p->masks[which - SNDRV_PCM_HW_PARAM_FIRST_MASK];
}

static struct snd_interval *param_interval(struct snd_pcm_hw_params *p, int which)
{
	return &p->intervals[which - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}

/* Everything allowed: the starting point of a refinement. */
static void params_any(struct snd_pcm_hw_params *p)
{
	memset(p, 0, sizeof(*p));
	for (int m = SNDRV_PCM_HW_PARAM_FIRST_MASK; m <= SNDRV_PCM_HW_PARAM_LAST_MASK; m++)
		memset(param_mask(p, m)->bits, 0xff, sizeof(param_mask(p, m)->bits));
	for (int i = SNDRV_PCM_HW_PARAM_FIRST_INTERVAL; i <= SNDRV_PCM_HW_PARAM_LAST_INTERVAL; i++) {
		param_interval(p, i)->min = 0;
		param_interval(p, i)->max = UINT_MAX;
	}
	p->rmask = ~0u;
}

static void set_mask(struct snd_pcm_hw_params *p, int which, unsigned value)
{
	struct snd_mask *m = param_mask(p, which);
	memset(m->bits, 0, sizeof(m->bits));
	m->bits[value / 32] = 1u << (value % 32);
}

static void set_value(struct snd_pcm_hw_params *p, int which, unsigned value)
{
	struct snd_interval *i = param_interval(p, which);
	memset(i, 0, sizeof(*i));
	i->min = i->max = value;
	i->integer = 1;
}

static bool mask_has(struct snd_pcm_hw_params *p, int which, unsigned value)
{
	return param_mask(p, which)->bits[value / 32] & (1u << (value % 32));
}

/* Fixes S16_LE stereo 48 kHz, interleaved read/write, `periods` periods of PERIOD_FRAMES; 0 or -errno. */
static int setup_pcm(int fd, unsigned periods, bool start_when_full)
{
	struct snd_pcm_hw_params hw;
	params_any(&hw);
	set_mask(&hw, SNDRV_PCM_HW_PARAM_ACCESS, SNDRV_PCM_ACCESS_RW_INTERLEAVED);
	set_mask(&hw, SNDRV_PCM_HW_PARAM_FORMAT, SNDRV_PCM_FORMAT_S16_LE);
	set_mask(&hw, SNDRV_PCM_HW_PARAM_SUBFORMAT, SNDRV_PCM_SUBFORMAT_STD);
	set_value(&hw, SNDRV_PCM_HW_PARAM_CHANNELS, CHANNELS);
	set_value(&hw, SNDRV_PCM_HW_PARAM_RATE, 48000);
	set_value(&hw, SNDRV_PCM_HW_PARAM_PERIOD_SIZE, PERIOD_FRAMES);
	set_value(&hw, SNDRV_PCM_HW_PARAM_PERIODS, periods);
	if (ioctl(fd, SNDRV_PCM_IOCTL_HW_PARAMS, &hw) < 0)
		return -errno;
	struct snd_pcm_sw_params sw;
	memset(&sw, 0, sizeof(sw));
	sw.tstamp_mode = SNDRV_PCM_TSTAMP_NONE;
	sw.period_step = 1;
	sw.avail_min = 1;
	sw.start_threshold = start_when_full ? periods * PERIOD_FRAMES : 1;
	sw.stop_threshold = periods * PERIOD_FRAMES;
	sw.boundary = periods * PERIOD_FRAMES;
	while (sw.boundary * 2 <= (snd_pcm_uframes_t)LONG_MAX - periods * PERIOD_FRAMES)
		sw.boundary *= 2;
	if (ioctl(fd, SNDRV_PCM_IOCTL_SW_PARAMS, &sw) < 0)
		return -errno;
	return ioctl(fd, SNDRV_PCM_IOCTL_PREPARE) < 0 ? -errno : 0;
}

/* The sample the test plays at frame f, channel c: distinct across the whole run. */
static int16_t sample_at(unsigned f, unsigned c)
{
	return (int16_t)((f * 2 + c) * 40503u ^ 0x5a5a);
}

/* "S16_LE" -> ALSA format number, -1 when unknown to the case. */
static int format_by_name(const char *name)
{
	static const struct { const char *name; int format; } known[] = {
		{ "S8", SNDRV_PCM_FORMAT_S8 }, { "U8", SNDRV_PCM_FORMAT_U8 }, { "S16_LE", SNDRV_PCM_FORMAT_S16_LE },
		{ "U16_LE", SNDRV_PCM_FORMAT_U16_LE }, { "S24_LE", SNDRV_PCM_FORMAT_S24_LE },
		{ "S32_LE", SNDRV_PCM_FORMAT_S32_LE }, { "U32_LE", SNDRV_PCM_FORMAT_U32_LE },
		{ "FLOAT_LE", SNDRV_PCM_FORMAT_FLOAT_LE }, { "FLOAT64_LE", SNDRV_PCM_FORMAT_FLOAT64_LE },
	};
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].name, name))
			return known[i].format;
	return -1;
}

AVPS_TEST(device_present, AVPS_CHECKS("a declared virtio-sound device is present, bound to the kernel's virtio_snd driver and modern"),
	  "AVPS.AUDIO.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(DEVICE_ID, &dev, "audio", DEVICE_WHAT);
	REQUIRE_VIRTIO_DRIVER(DRIVER, DEVICE_WHAT);
	EXPECT_STREQ(DRIVER, dev.driver) TH_LOG("%s (device ID %d) is bound to '%s': the %s driver rejected it",
					       dev.path, DEVICE_ID, dev.driver, DRIVER);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(stream_parameters,
	  AVPS_CHECKS("both directions' PCM streams accept exactly the declared rates (avps.sound_rates: the lowest and "
		      "highest are the stream's limits, each one is accepted), every declared format "
		      "(avps.sound_formats) and the declared channel range (avps.sound_channels), as the device's "
		      "PCM_INFO reported them to the driver"),
	  "AVPS.AUDIO.1")
{
	struct virtio_sysfs_device dev;
	int card;
	REQUIRE_SOUND_CARD(&dev, card);
	char rates[128], formats[128], channels[32];
	if (!avps_param("sound_rates", rates, sizeof(rates)) || !avps_param("sound_formats", formats, sizeof(formats)) ||
	    !avps_param("sound_channels", channels, sizeof(channels)))
		SKIP(return, "the platform declares no stream parameters (avps.sound_rates, avps.sound_formats, "
			     "avps.sound_channels)");
	unsigned ch_min, ch_max;
	ASSERT_EQ(2, sscanf(channels, "%u-%u", &ch_min, &ch_max)) TH_LOG("avps.sound_channels='%s' is not MIN-MAX", channels);
	for (int capture = 0; capture < 2; capture++) {
		const char *dir = capture ? "capture" : "playback";
		int fd = open_pcm(card, capture);
		ASSERT_GE(fd, 0) TH_LOG("card %d has no %s PCM device: %s", card, dir, strerror(-fd));
		struct snd_pcm_hw_params hw;
		params_any(&hw);
		ASSERT_EQ(0, ioctl(fd, SNDRV_PCM_IOCTL_HW_REFINE, &hw)) TH_LOG("%s: HW_REFINE: %s", dir, strerror(errno));
		EXPECT_EQ(ch_min, param_interval(&hw, SNDRV_PCM_HW_PARAM_CHANNELS)->min)
			TH_LOG("%s: channels from %u, the platform declares %s", dir,
			       param_interval(&hw, SNDRV_PCM_HW_PARAM_CHANNELS)->min, channels);
		EXPECT_EQ(ch_max, param_interval(&hw, SNDRV_PCM_HW_PARAM_CHANNELS)->max)
			TH_LOG("%s: channels up to %u, the platform declares %s", dir,
			       param_interval(&hw, SNDRV_PCM_HW_PARAM_CHANNELS)->max, channels);
		unsigned lowest = UINT_MAX, highest = 0;
		for (char *save = NULL, *r = strtok_r(rates, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
			unsigned rate = (unsigned)strtoul(r, NULL, 10);
			lowest = rate < lowest ? rate : lowest;
			highest = rate > highest ? rate : highest;
			struct snd_pcm_hw_params one;
			params_any(&one);
			set_value(&one, SNDRV_PCM_HW_PARAM_RATE, rate);
			EXPECT_EQ(0, ioctl(fd, SNDRV_PCM_IOCTL_HW_REFINE, &one))
				TH_LOG("%s: declared rate %u Hz refused (%s): the device did not report it", dir, rate,
				       strerror(errno));
		}
		avps_param("sound_rates", rates, sizeof(rates));   /* strtok_r cut it */
		EXPECT_EQ(lowest, param_interval(&hw, SNDRV_PCM_HW_PARAM_RATE)->min)
			TH_LOG("%s: rates from %u Hz, the platform declares %s", dir,
			       param_interval(&hw, SNDRV_PCM_HW_PARAM_RATE)->min, rates);
		EXPECT_EQ(highest, param_interval(&hw, SNDRV_PCM_HW_PARAM_RATE)->max)
			TH_LOG("%s: rates up to %u Hz, the platform declares %s", dir,
			       param_interval(&hw, SNDRV_PCM_HW_PARAM_RATE)->max, rates);
		for (char *save = NULL, *f = strtok_r(formats, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
			int format = format_by_name(f);
			EXPECT_GE(format, 0) TH_LOG("avps.sound_formats names '%s', a format this case does not know", f);
			if (format >= 0)
				EXPECT_TRUE(mask_has(&hw, SNDRV_PCM_HW_PARAM_FORMAT, (unsigned)format))
					TH_LOG("%s: declared format %s not offered: the device did not report it", dir, f);
		}
		avps_param("sound_formats", formats, sizeof(formats));
		close(fd);
	}
}

AVPS_TEST(loopback_capture_equals_playback,
	  AVPS_CHECKS("with capture running, 8192 distinct S16 stereo 48 kHz frames played in periods of 1024 come back "
		      "on the capture stream in order and bit-exact (the platform declares avps.sound_loopback=1)"),
	  "AVPS.AUDIO.1")
{
	struct virtio_sysfs_device dev;
	int card;
	REQUIRE_SOUND_CARD(&dev, card);
	unsigned long long loopback = 0;
	if (!avps_param_u64("sound_loopback", &loopback) || loopback != 1)
		SKIP(return, "the platform declares no output-to-input loopback (avps.sound_loopback=1)");
	int cap = open_pcm(card, true), play = open_pcm(card, false);
	ASSERT_GE(cap, 0) TH_LOG("no capture PCM device on card %d: %s", card, strerror(-cap));
	ASSERT_GE(play, 0) TH_LOG("no playback PCM device on card %d: %s", card, strerror(-play));
	int rc = setup_pcm(cap, CAPTURE_PERIODS, false);
	ASSERT_EQ(0, rc) TH_LOG("capture: 48 kHz S16 stereo, %u periods of %u frames refused: %s", CAPTURE_PERIODS,
				PERIOD_FRAMES, strerror(-rc));
	ASSERT_EQ(0, ioctl(cap, SNDRV_PCM_IOCTL_START)) TH_LOG("capture START: %s", strerror(errno));
	rc = setup_pcm(play, PLAY_PERIODS, true);
	ASSERT_EQ(0, rc) TH_LOG("playback: 48 kHz S16 stereo, %u periods of %u frames refused: %s", PLAY_PERIODS,
				PERIOD_FRAMES, strerror(-rc));
	static int16_t played[PLAYED_FRAMES * CHANNELS], captured[PLAYED_FRAMES * CHANNELS];
	for (unsigned f = 0; f < PLAYED_FRAMES; f++)
		for (unsigned c = 0; c < CHANNELS; c++)
			played[f * CHANNELS + c] = sample_at(f, c);
	/* The playback buffer takes it all: the write starts the stream (start threshold: a full buffer), and the
	 * capture is read while the device plays it, 170 ms at 48 kHz. */
	for (unsigned done = 0; done < PLAYED_FRAMES;) {
		struct snd_xferi x = { .buf = played + done * CHANNELS, .frames = PLAYED_FRAMES - done };
		ASSERT_EQ(0, ioctl(play, SNDRV_PCM_IOCTL_WRITEI_FRAMES, &x))
			TH_LOG("playback write at frame %u: %s", done, strerror(errno));
		done += (unsigned)x.result;
	}
	for (unsigned done = 0; done < PLAYED_FRAMES;) {
		struct snd_xferi x = { .buf = captured + done * CHANNELS, .frames = PLAYED_FRAMES - done };
		ASSERT_EQ(0, ioctl(cap, SNDRV_PCM_IOCTL_READI_FRAMES, &x))
			TH_LOG("capture read at frame %u of %u: %s", done, PLAYED_FRAMES, strerror(errno));
		done += (unsigned)x.result;
	}
	ioctl(cap, SNDRV_PCM_IOCTL_DROP);
	ioctl(play, SNDRV_PCM_IOCTL_DROP);
	close(play);
	close(cap);
	unsigned first_bad = PLAYED_FRAMES;
	for (unsigned i = 0; i < PLAYED_FRAMES * CHANNELS && first_bad == PLAYED_FRAMES; i++)
		if (captured[i] != played[i])
			first_bad = i / CHANNELS;
	EXPECT_EQ(PLAYED_FRAMES, first_bad)
		TH_LOG("captured frame %u differs from the played one (channel 0: played %d, captured %d): the capture "
		       "stream is not what was played", first_bad, played[first_bad * CHANNELS],
		       captured[first_bad * CHANNELS]);
}

/* Reads a boolean CARD control's value by name; 0/1, or -1 when the card has no such control. */
static int read_switch(int ctl, const char *name)
{
	struct snd_ctl_elem_value v;
	memset(&v, 0, sizeof(v));
	v.id.iface = SNDRV_CTL_ELEM_IFACE_CARD;
	snprintf((char *)v.id.name, sizeof(v.id.name), "%s", name);
	if (ioctl(ctl, SNDRV_CTL_IOCTL_ELEM_READ, &v) < 0)
		return -1;
	return v.value.integer.value[0] ? 1 : 0;
}

AVPS_TEST(jacks_declared_and_connected,
	  AVPS_CHECKS("every jack the platform declares (avps.sound_jacks, named as the driver labels the device's pin "
		      "configuration) exists as '<name> Jack' on the card and reports connected, as JACK_INFO said"),
	  "AVPS.AUDIO.1")
{
	struct virtio_sysfs_device dev;
	int card;
	REQUIRE_SOUND_CARD(&dev, card);
	char jacks[160], path[64];
	if (!avps_param("sound_jacks", jacks, sizeof(jacks)))
		SKIP(return, "the platform declares no jacks (avps.sound_jacks)");
	snprintf(path, sizeof(path), "/dev/snd/controlC%d", card);
	int ctl = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ctl, 0) TH_LOG("%s: %s", path, strerror(errno));
	for (char *save = NULL, *j = strtok_r(jacks, ",", &save); j; j = strtok_r(NULL, ",", &save)) {
		char name[64];
		for (char *u = j; *u; u++)
			*u = *u == '_' ? ' ' : *u;   /* the command line has no spaces: Line_Out is "Line Out" */
		snprintf(name, sizeof(name), "%s Jack", j);
		int state = read_switch(ctl, name);
		EXPECT_EQ(1, state) TH_LOG("jack control '%s': %s", name,
					   state < 0 ? "absent (the device reports no such jack)" : "disconnected");
	}
	close(ctl);
}

/* Whether a TLV chmap list (a container of fixed maps) holds `want` (n positions). */
static bool chmap_listed(const unsigned *tlv, unsigned bytes, const unsigned *want, unsigned n)
{
	if (bytes < 8 || tlv[0] != SNDRV_CTL_TLVT_CONTAINER)
		return false;
	unsigned len = tlv[1] < bytes - 8 ? tlv[1] : bytes - 8;
	for (unsigned off = 0; off + 8 <= len;) {
		const unsigned *e = tlv + 2 + off / 4;
		if (e[0] == SNDRV_CTL_TLVT_CHMAP_FIXED && e[1] == n * 4) {
			bool same = true;
			for (unsigned i = 0; i < n; i++)
				same &= e[2 + i] == want[i];
			if (same)
				return true;
		}
		off += 8 + ((e[1] + 3) & ~3u);
	}
	return false;
}

AVPS_TEST(channel_maps_declared,
	  AVPS_CHECKS("the playback and capture 'Channel Map' controls list the declared channel map (avps.sound_chmap, "
		      "e.g. FL,FR) among their fixed maps, as CHMAP_INFO reported it"),
	  "AVPS.AUDIO.1")
{
	struct virtio_sysfs_device dev;
	int card;
	REQUIRE_SOUND_CARD(&dev, card);
	char text[64], path[64];
	if (!avps_param("sound_chmap", text, sizeof(text)))
		SKIP(return, "the platform declares no channel map (avps.sound_chmap)");
	static const char *const names[] = { "NA", "MONO", "FL", "FR", "RL", "RR", "FC", "LFE", "SL", "SR", "RC" };
	unsigned want[18], n = 0;
	for (char *save = NULL, *p = strtok_r(text, ",", &save); p && n < 18; p = strtok_r(NULL, ",", &save)) {
		unsigned pos = 0;
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(names[i], p))
				pos = SNDRV_CHMAP_NA + i;
		ASSERT_NE(0u, pos) TH_LOG("avps.sound_chmap names position '%s', which this case does not know", p);
		want[n++] = pos;
	}
	snprintf(path, sizeof(path), "/dev/snd/controlC%d", card);
	int ctl = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ctl, 0) TH_LOG("%s: %s", path, strerror(errno));
	for (int capture = 0; capture < 2; capture++) {
		struct snd_pcm_info pcm;
		int fd = open_pcm(card, capture);
		ASSERT_GE(fd, 0) TH_LOG("card %d has no %s PCM device: %s", card, capture ? "capture" : "playback",
					strerror(-fd));
		memset(&pcm, 0, sizeof(pcm));
		ASSERT_EQ(0, ioctl(fd, SNDRV_PCM_IOCTL_INFO, &pcm)) TH_LOG("PCM INFO: %s", strerror(errno));
		close(fd);
		struct snd_ctl_elem_info info;
		memset(&info, 0, sizeof(info));
		info.id.iface = SNDRV_CTL_ELEM_IFACE_PCM;
		info.id.device = pcm.device;
		snprintf((char *)info.id.name, sizeof(info.id.name), "%s Channel Map", capture ? "Capture" : "Playback");
		ASSERT_EQ(0, ioctl(ctl, SNDRV_CTL_IOCTL_ELEM_INFO, &info))
			TH_LOG("no '%s' control: the device reported no channel map for it", info.id.name);
		static unsigned buf[2 + 512];
		struct snd_ctl_tlv *tlv = (struct snd_ctl_tlv *)buf;
		tlv->numid = info.id.numid;
		tlv->length = sizeof(buf) - sizeof(*tlv);
		ASSERT_EQ(0, ioctl(ctl, SNDRV_CTL_IOCTL_TLV_READ, tlv)) TH_LOG("%s: TLV read: %s", info.id.name, strerror(errno));
		EXPECT_TRUE(chmap_listed(tlv->tlv, tlv->length, want, n))
			TH_LOG("%s: the declared map %s is not among the device's maps", info.id.name,
			       avps_param("sound_chmap", text, sizeof(text)) ? text : "?");
	}
	close(ctl);
}

TEST_HARNESS_MAIN
