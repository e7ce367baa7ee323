/* SPI controller statement cases (VIRTIO 1.4 §5.24.6.2): tx_buf left alone, invalid transfer parameters and unequal full-duplex buffers answered PARAM_ERR; SKIP "device absent" until a platform offers the device. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_SPI 45
#define SPI_TRANS_OK 0
#define SPI_PARAM_ERR 1
#define SPI_OP(n) "VIRTIO-1.4: Device Types / SPI Controller Device / Device Operation #" #n

struct spi_head {
	uint8_t chip_select_id, bits_per_word, cs_change, tx_nbits, rx_nbits, reserved[3];
	uint32_t mode, freq, word_delay_ns, cs_setup_ns, cs_delay_hold_ns, cs_change_delay_inactive_ns;
} __attribute__((packed));

static struct spi_head head __attribute__((aligned(16)));
static uint8_t tx[8] __attribute__((aligned(16))), rx[8] __attribute__((aligned(16)));
static volatile uint8_t result __attribute__((aligned(16)));

struct spi {
	struct vsession s;
	struct vdev *d;
	uint8_t cs_max, word_bits;
	uint32_t max_freq;
};

static bool spi_open(struct spi *c)
{
	c->d = vdev_find(VIRTIO_ID_SPI);
	if (!c->d) {
		probe_skip("device absent: no SPI controller (DeviceID %u) on a version-2 virtio-mmio transport",
			   VIRTIO_ID_SPI);
		return false;
	}
	if (!vs_open(&c->s, c->d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return false;
	c->cs_max = (uint8_t)vmmio_config(c->s.t, 0, 1);
	uint32_t mask = (uint32_t)vmmio_config(c->s.t, 4, 4);   /* bit n-1: n bits per word; 0: any */
	c->word_bits = 8;
	if (mask && !(mask & (1u << 7)))
		for (uint8_t b = 0; b < 32; b++)
			if (mask & (1u << b)) {
				c->word_bits = (uint8_t)(b + 1);
				break;
			}
	c->max_freq = (uint32_t)vmmio_config(c->s.t, 12, 4);
	return probe_check(c->cs_max >= 1, "%s: cs_max_number 0", vdev_name(c->d));
}

/* A valid transfer head for chip select 0: 8-bit words (or the first size bits_per_word_mask
 * allows), SINGLE, mode 0, at most 1 MHz (4-byte buffers hold whole words of up to 32 bits). */
static void valid_head(const struct spi *c)
{
	head = (struct spi_head){ 0 };
	head.bits_per_word = c->word_bits;
	head.tx_nbits = head.rx_nbits = 1;
	head.freq = c->max_freq && c->max_freq < 1000000 ? c->max_freq : 1000000;
}

/* One transfer with tx_len / rx_len bytes (0: that part absent); the result byte or -1. */
static int spi_xfer(struct spi *c, uint32_t tx_len, uint32_t rx_len)
{
	struct virtq_used u;
	struct vbuf e[4];
	int n = 0;
	e[n++] = (struct vbuf){ &head, sizeof(head), false };
	if (tx_len)
		e[n++] = (struct vbuf){ tx, tx_len, false };
	if (rx_len)
		e[n++] = (struct vbuf){ rx, rx_len, true };
	result = 0xff;
	e[n++] = (struct vbuf){ (void *)&result, 1, true };
	return vs_call(&c->s, 0, e, n, VIRTQ_CHAIN_DIRECT, &u, "SPI transfer") ? result : -1;
}

PROBE_CASE(spi_tx_untouched, "virtio.spi.tx_buffer_unchanged",
	   AVPS_CHECKS("after a valid 4-byte full-duplex transfer on chip select 0 (whatever its result), tx_buf and "
		       "the transfer head read back exactly as the driver wrote them"),
	   SPI_OP(2))
static void spi_tx_untouched(void)
{
	struct spi c;
	if (!spi_open(&c))
		return;
	valid_head(&c);
	struct spi_head want = head;
	for (int i = 0; i < 4; i++)
		tx[i] = (uint8_t)(0xa0 + i);
	int r = spi_xfer(&c, 4, 4);
	bool same = __builtin_memcmp(&want, &head, sizeof(head)) == 0;
	for (int i = 0; i < 4; i++)
		same &= tx[i] == (uint8_t)(0xa0 + i);
	if (r >= 0)
		probe_check(same, "%s: transfer (result %d) changed tx_buf or the head: tx %02x %02x %02x %02x",
			    vdev_name(c.d), r, tx[0], tx[1], tx[2], tx[3]);
	vs_close(&c.s);
}

PROBE_CASE(spi_param_err, "virtio.spi.invalid_parameters_param_err",
	   AVPS_CHECKS("a transfer to chip select cs_max_number (one past the last), one with tx_nbits 3 (no defined "
		       "n-bit mode) and a full-duplex transfer with a 4-byte tx_buf and an 8-byte rx_buf are each "
		       "answered VIRTIO_SPI_PARAM_ERR"),
	   SPI_OP(3), SPI_OP(4), SPI_OP(5), SPI_OP(6))
static void spi_param_err(void)
{
	struct spi c;
	if (!spi_open(&c))
		return;
	static const char *const what[3] = { "chip select cs_max_number", "tx_nbits 3", "tx 4 bytes, rx 8 bytes" };
	valid_head(&c);
	int valid = spi_xfer(&c, 4, 4);
	if (valid < 0 || !probe_check(valid != SPI_PARAM_ERR, "%s: a valid transfer (chip select 0, %u-bit words, "
				      "SINGLE, mode 0, %u Hz) answered PARAM_ERR", vdev_name(c.d), c.word_bits, head.freq))
		goto out;
	for (int k = 0; k < 3; k++) {
		valid_head(&c);
		if (k == 0)
			head.chip_select_id = c.cs_max;
		if (k == 1)
			head.tx_nbits = 3;
		int r = spi_xfer(&c, 4, k == 2 ? 8 : 4);
		if (r < 0 || !probe_check(r == SPI_PARAM_ERR, "%s: transfer with %s: result %d, expected "
					  "VIRTIO_SPI_PARAM_ERR (%d)", vdev_name(c.d), what[k], r, SPI_PARAM_ERR))
			break;
	}
out:
	vs_close(&c.s);
}

PROBE_CASE(spi_config_set, "virtio.spi.config_fields_set",
	   AVPS_CHECKS("before DRIVER_OK the SPI config reads as set: cs_max_number >= 1, cs_change_supported 0 or 1, "
		       "the reserved bits 3..7 of tx_nbits_supported and rx_nbits_supported 0, and every field the "
		       "same when read again after DRIVER_OK"),
	   SPI_OP(1))
static void spi_config_set(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_SPI);
	struct vsession s;
	if (!d) {
		probe_skip("device absent: no SPI controller (DeviceID %u) on a version-2 virtio-mmio transport",
			   VIRTIO_ID_SPI);
		return;
	}
	if (!vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_QUEUES_READY))
		return;
	uint32_t first[9], again[9];
	for (int i = 0; i < 9; i++)
		first[i] = (uint32_t)vmmio_config(s.t, (uint32_t)(4 * i), 4);   /* 36 bytes: 4 u8 then 8 le32 */
	uint8_t cs_max = (uint8_t)first[0], cs_change = (uint8_t)(first[0] >> 8);
	uint8_t tx_nbits = (uint8_t)(first[0] >> 16), rx_nbits = (uint8_t)(first[0] >> 24);
	probe_check(cs_max >= 1 && cs_change <= 1 && !(tx_nbits & 0xf8) && !(rx_nbits & 0xf8), "%s: cs_max_number %u, "
		    "cs_change_supported %u, tx_nbits_supported 0x%x, rx_nbits_supported 0x%x", vdev_name(d), cs_max,
		    cs_change, tx_nbits, rx_nbits);
	if (vs_driver_ok(&s)) {
		int changed = 0;
		for (int i = 0; i < 9; i++) {
			again[i] = (uint32_t)vmmio_config(s.t, (uint32_t)(4 * i), 4);
			changed += again[i] != first[i];
		}
		probe_check(changed == 0, "%s: %d config words read differently after DRIVER_OK", vdev_name(d), changed);
	}
	vs_close(&s);
}
