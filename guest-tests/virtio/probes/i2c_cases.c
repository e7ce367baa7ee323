/* I2C adapter statements (VIRTIO 1.2 §5.19): the mandatory feature, the answer to an address no target may acknowledge, reads, untouched request parts, order and failed groups. */
#include "probe.h"
#include "session.h"

#define VIRTIO_ID_I2C 34
#define I2C_F_ZERO_LENGTH_REQUEST 0
#define I2C_OP(n) "VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #" #n
#define FLAG_FAIL_NEXT 1u
#define FLAG_M_RD 2u
#define MSG_OK 0
#define MSG_ERR 1
#define HS_CODE 0x04         /* 0000 1xx: Hs-mode controller codes, which no target acknowledges */
#define READ_BYTES 16
#define GROUP 4
#define FILL 0xcc

struct i2c_out_hdr {
	uint16_t addr;
	uint16_t padding;
	uint32_t flags;
};

struct i2c {
	struct vsession s;
	struct vdev *d;
	const char *n;
};

static struct i2c_out_hdr hdr[GROUP] __attribute__((aligned(16)));
static uint8_t data[GROUP][READ_BYTES] __attribute__((aligned(16)));
static uint8_t status[GROUP][16] __attribute__((aligned(16)));
static int target = -2;   /* first 7-bit address that acknowledged a zero-length read; -1: none; -2: not scanned */

static struct vdev *i2c_present(void)
{
	struct vdev *d = vdev_find(VIRTIO_ID_I2C);
	if (!d)
		probe_skip("device absent: no I2C adapter (DeviceID 34) on a version-2 virtio-mmio transport");
	return d;
}

static bool i2c_open(struct i2c *c)
{
	c->d = i2c_present();
	if (!c->d)
		return false;
	c->n = vdev_name(c->d);
	return vs_open(&c->s, c->d, VIRTIO_BIT(I2C_F_ZERO_LENGTH_REQUEST), 1, VIRTQ_SPLIT, 16, VS_DRIVER_OK);
}

/* Lays out request slot i: header, optional buf (len bytes, device-writable for reads), status byte. */
static int i2c_layout(int i, uint16_t addr7, uint32_t flags, uint32_t len, struct vbuf e[3])
{
	int n = 0;
	hdr[i] = (struct i2c_out_hdr){ (uint16_t)(addr7 << 1), 0, flags };
	status[i][0] = FILL;
	e[n++] = (struct vbuf){ &hdr[i], sizeof(hdr[i]), false };
	if (len)
		e[n++] = (struct vbuf){ data[i], len, (flags & FLAG_M_RD) != 0 };
	e[n++] = (struct vbuf){ status[i], 1, true };
	return n;
}

/* One request in slot 0; the status byte, or -1 after a failed check. *used gets the used length. */
static int i2c_xfer(struct i2c *c, uint16_t addr7, uint32_t flags, uint32_t len, uint32_t *used)
{
	struct vbuf e[3];
	struct virtq_used u;
	int n = i2c_layout(0, addr7, flags, len, e);
	if (!vs_call(&c->s, 0, e, n, VIRTQ_CHAIN_DIRECT, &u, "i2c request"))
		return -1;
	if (used)
		*used = u.len;
	return status[0][0];
}

/* The first address that acknowledges a zero-length read (SMBus quick read), scanned once; SKIPs without one. */
static bool find_target(struct i2c *c)
{
	if (target == -2) {
		target = -1;
		for (int a = 0x08; a <= 0x77 && target < 0; a++) {
			int st = i2c_xfer(c, (uint16_t)a, FLAG_M_RD, 0, NULL);
			if (st < 0)
				return false;
			if (st == MSG_OK)
				target = a;
		}
	}
	if (target < 0)
		probe_skip("%s: no target acknowledges a zero-length read at 0x08..0x77", c->n);
	else
		probe_diag("%s: target at 0x%02x", c->n, target);
	return target >= 0;
}

/* Posts requests 0..count-1 together, one notification, and waits for each in turn; false after a failed check. */
static bool i2c_group(struct i2c *c, int count, const uint16_t *addr7, const uint32_t *flags)
{
	uint16_t ids[GROUP];
	struct virtq *q = &c->s.q[0];
	uint32_t base = q->made_available;   /* order number of the group's first request */
	for (int i = 0; i < count; i++) {
		struct vbuf e[3];
		int n = i2c_layout(i, addr7[i], flags[i], 0, e);
		enum virtq_result r = virtq_add(q, e, n, VIRTQ_CHAIN_DIRECT, &ids[i]);
		if (!probe_check(r == VIRTQ_OK, "%s: request %d not added: %s", c->n, i, virtq_result_name(r)))
			return false;
	}
	virtq_kick_prepare(q);
	vmmio_notify(c->s.t, q);
	for (int i = 0; i < count; i++) {
		struct virtq_used u;
		enum virtq_result r = vmmio_wait_used(c->s.t, q, VS_WAIT_US, &u);
		if (!vdev_used_ok(c->d, r, &u, "i2c request") ||
		    !probe_check(u.id == ids[i], "%s: used entry %d is request %u of the group, expected request %d", c->n,
				 i, (unsigned)(u.order - base), i))
			return false;
	}
	return true;
}

PROBE_CASE(i2c_feature_offered, "virtio.i2c.zero_length_feature_offered",
	   AVPS_CHECKS("the I2C adapter offers VIRTIO_I2C_F_ZERO_LENGTH_REQUEST (feature bit 0)"),
	   "AVPS.VIRTIO.1", I2C_OP(1))
static void i2c_feature_offered(void)
{
	struct vdev *d = i2c_present();
	if (d)
		probe_check(d->t.offered & VIRTIO_BIT(I2C_F_ZERO_LENGTH_REQUEST), "%s: DeviceFeatures 0x%llx without "
			    "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST", vdev_name(d), (unsigned long long)d->t.offered);
}

PROBE_CASE(i2c_feature_required, "virtio.i2c.driver_without_zero_length_refused",
	   AVPS_CHECKS("a driver that accepts VERSION_1 but not VIRTIO_I2C_F_ZERO_LENGTH_REQUEST is refused: "
		       "FEATURES_OK does not read back set"),
	   "AVPS.VIRTIO.1", I2C_OP(2))
static void i2c_feature_required(void)
{
	struct vdev *d = i2c_present();
	uint32_t st = 0;
	if (!d)
		return;
	st = vmmio_negotiate(&d->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	d->ready = false;
	probe_check(!(st & VIRTIO_STATUS_FEATURES_OK), "%s: features 0x%llx without ZERO_LENGTH_REQUEST: status 0x%x "
		    "keeps FEATURES_OK", vdev_name(d), (unsigned long long)d->t.negotiated, st);
	vmmio_reset(&d->t, 100000, &st);
}

PROBE_CASE(i2c_hs_code_nacked, "virtio.i2c.hs_mode_code_not_acknowledged",
	   AVPS_CHECKS("a zero-length request to the addresses 0x04..0x07 (I2C Hs-mode controller codes, which no "
		       "target acknowledges on real hardware) comes back with status VIRTIO_I2C_MSG_ERR"),
	   "AVPS.VIRTIO.1", I2C_OP(3))
static void i2c_hs_code_nacked(void)
{
	struct i2c c;
	if (!i2c_open(&c))
		return;
	for (uint16_t a = HS_CODE; a < HS_CODE + 4; a++) {
		int st = i2c_xfer(&c, a, 0, 0, NULL);
		if (st < 0 || !probe_check(st == MSG_ERR, "%s: zero-length write to 0x%02x: status %d, expected "
					   "VIRTIO_I2C_MSG_ERR (no target)", c.n, a, st))
			break;
	}
	vs_close(&c.s);
}

PROBE_CASE(i2c_read_fills, "virtio.i2c.read_fills_buffer",
	   AVPS_CHECKS("a 16-byte read from a target that acknowledges comes back with status OK and used length 17: "
		       "the whole buffer plus the status byte"),
	   "AVPS.VIRTIO.1", I2C_OP(6))
static void i2c_read_fills(void)
{
	struct i2c c;
	uint32_t used = 0;
	if (!i2c_open(&c))
		return;
	if (find_target(&c)) {
		int st = i2c_xfer(&c, (uint16_t)target, FLAG_M_RD, READ_BYTES, &used);
		if (st >= 0)
			probe_check(st == MSG_OK && used == READ_BYTES + 1, "%s: %u-byte read from 0x%02x: status %d, used len "
				    "%u, expected OK and %u", c.n, READ_BYTES, target, st, used, READ_BYTES + 1);
	}
	vs_close(&c.s);
}

PROBE_CASE(i2c_readable_untouched, "virtio.i2c.request_header_and_write_buffer_unchanged",
	   AVPS_CHECKS("after a zero-length read and a 1-byte write (pointer 0) to an acknowledging target, the "
		       "request header (addr, padding, flags) and the written byte read back as the driver set them"),
	   "AVPS.VIRTIO.1", I2C_OP(4), I2C_OP(5))
static void i2c_readable_untouched(void)
{
	struct i2c c;
	if (!i2c_open(&c))
		return;
	if (find_target(&c)) {
		for (int write = 0; write < 2; write++) {
			uint32_t flags = write ? 0 : FLAG_M_RD;
			struct i2c_out_hdr want = { (uint16_t)(target << 1), 0, flags };
			data[0][0] = 0x00;
			int st = i2c_xfer(&c, (uint16_t)target, flags, (uint32_t)write, NULL);
			if (st < 0)
				break;
			probe_check(hdr[0].addr == want.addr && hdr[0].padding == 0 && hdr[0].flags == want.flags,
				    "%s: %s: header reads addr 0x%x padding 0x%x flags 0x%x, the driver wrote 0x%x 0 0x%x", c.n,
				    write ? "write" : "zero-length read", hdr[0].addr, hdr[0].padding, hdr[0].flags, want.addr,
				    want.flags);
			if (write)
				probe_check(data[0][0] == 0x00, "%s: write buffer byte changed to 0x%02x", c.n, data[0][0]);
		}
	}
	vs_close(&c.s);
}

PROBE_CASE(i2c_in_order, "virtio.i2c.requests_processed_in_order",
	   AVPS_CHECKS("four zero-length reads made available together (target, 0x04, target, 0x04) are used in the "
		       "order they were queued"),
	   "AVPS.VIRTIO.1", I2C_OP(7))
static void i2c_in_order(void)
{
	struct i2c c;
	if (!i2c_open(&c))
		return;
	if (find_target(&c)) {
		uint16_t addr[GROUP] = { (uint16_t)target, HS_CODE, (uint16_t)target, HS_CODE };
		uint32_t flags[GROUP] = { FLAG_M_RD, FLAG_M_RD, FLAG_M_RD, FLAG_M_RD };
		/* One request first: the device is past its start-up and waits for the group's notification. */
		if (i2c_xfer(&c, (uint16_t)target, FLAG_M_RD, 0, NULL) >= 0 && i2c_group(&c, GROUP, addr, flags))
			probe_diag("%s: statuses %u %u %u %u", c.n, status[0][0], status[1][0], status[2][0], status[3][0]);
	}
	vs_close(&c.s);
}

PROBE_CASE(i2c_first_failed, "virtio.i2c.first_failed_request_err",
	   AVPS_CHECKS("in a FAIL_NEXT group (target, 0x04, target) the request to 0x04, which fails on its own, is "
		       "the one marked VIRTIO_I2C_MSG_ERR and the request before it OK"),
	   "AVPS.VIRTIO.1", I2C_OP(8))
static void i2c_first_failed(void)
{
	struct i2c c;
	if (!i2c_open(&c))
		return;
	if (find_target(&c)) {
		int alone = i2c_xfer(&c, HS_CODE, FLAG_M_RD, 0, NULL);
		if (alone == MSG_OK) {
			probe_skip("%s: a zero-length read of 0x%02x succeeds on its own: no request that fails "
				   "(virtio.i2c.hs_mode_code_not_acknowledged)", c.n, HS_CODE);
		} else if (alone >= 0) {
			uint16_t addr[3] = { (uint16_t)target, HS_CODE, (uint16_t)target };
			uint32_t flags[3] = { FLAG_M_RD | FLAG_FAIL_NEXT, FLAG_M_RD | FLAG_FAIL_NEXT, FLAG_M_RD };
			if (i2c_group(&c, 3, addr, flags))
				probe_check(status[0][0] == MSG_OK && status[1][0] == MSG_ERR, "%s: group target/0x%02x/target: "
					    "statuses %u %u %u, expected OK then ERR for the first failed request", c.n, HS_CODE,
					    status[0][0], status[1][0], status[2][0]);
		}
	}
	vs_close(&c.s);
}
