/* I2C adapter model (VIRTIO 1.2 Device Types / I2C Adapter Device): an EEPROM-like target at one address, NACK everywhere else. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_I2C_F_ZERO_LENGTH_REQUEST 0
#define VIRTIO_I2C_FLAGS_FAIL_NEXT 1u
#define VIRTIO_I2C_FLAGS_M_RD 2u
#define VIRTIO_I2C_MSG_OK 0
#define VIRTIO_I2C_MSG_ERR 1
#define EEPROM_BYTES 256

enum i2c_fault {
	I2C_FAULT_ACK_EVERY_ADDRESS,
	I2C_FAULT_ZERO_LENGTH_NOT_OFFERED,
	I2C_FAULT_SHORT_READ,
	I2C_FAULT_FAIL_NEXT_IGNORED,
	I2C_FAULT_REQUEST_REWRITTEN,
	I2C_FAULT_FAILED_REQUEST_OK_IN_GROUP,
	I2C_FAULT_REVERSED,
	I2C_FAULT_COUNT,
};

static const struct vdev_fault i2c_faults[I2C_FAULT_COUNT] = {
	[I2C_FAULT_ACK_EVERY_ADDRESS] = { "ack-every-address",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #3" },
	[I2C_FAULT_ZERO_LENGTH_NOT_OFFERED] = { "zero-length-not-offered",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #1" },
	[I2C_FAULT_SHORT_READ] = { "short-read",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #6" },
	[I2C_FAULT_FAIL_NEXT_IGNORED] = { "fail-next-ignored",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #8" },
	[I2C_FAULT_REQUEST_REWRITTEN] = { "request-rewritten",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #4" },
	[I2C_FAULT_FAILED_REQUEST_OK_IN_GROUP] = { "failed-request-ok-in-group",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #8" },
	[I2C_FAULT_REVERSED] = { "requests-reversed",
		"VIRTIO-1.2: Device Types / I2C Adapter Device / Device Operation #7" },
};

struct i2c_state {
	uint16_t address;     /* 7-bit target address */
	uint8_t pointer;      /* EEPROM word address, auto-incrementing */
	bool fail_rest;       /* a request with FAIL_NEXT failed: fail the rest of its batch */
	uint8_t memory[EEPROM_BYTES];
};

struct i2c_out_hdr {
	uint16_t addr;
	uint16_t padding;
	uint32_t flags;
};

static bool i2c_create(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	char text[32];
	uint64_t address = 0x50;
	if (vdev_option(options, "address", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &address) || address < 0x08 || address > 0x77)) {
		snprintf(err, err_size, "i2c: address=%s is not a 7-bit target address 0x08..0x77", text);
		return false;
	}
	struct i2c_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	st->address = (uint16_t)address;
	/* A recognisable initial content: byte i holds i ^ 0xa5. */
	for (unsigned i = 0; i < EEPROM_BYTES; i++)
		st->memory[i] = (uint8_t)(i ^ 0xa5);
	dev->state = st;
	dev->num_queues = 1;
	dev->config_size = 0;
	dev->offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* Device Operation #1: ZERO_LENGTH_REQUEST is offered. */
	if (!vdev_fault(dev, I2C_FAULT_ZERO_LENGTH_NOT_OFFERED))
		dev->offered |= VIRTIO_BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST);
	return true;
}

static void i2c_destroy(struct vdev *dev)
{
	free(dev->state);
	dev->state = NULL;
}

/* Device Operation #2: a driver that does not take ZERO_LENGTH_REQUEST is refused. */
static bool i2c_accept_features(struct vdev *dev, uint64_t features)
{
	(void)dev;
	return features & VIRTIO_BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST);
}

/* One I2C transfer against the bus: true when a target acknowledged it. */
static bool transfer(struct vdev *dev, const struct virtq_chain *chain, const struct i2c_out_hdr *hdr,
		     uint64_t buf_len, uint32_t *written)
{
	struct i2c_state *st = dev->state;
	uint16_t target = hdr->addr >> 1; /* the 7-bit address sits in bits 7:1 */
	if (target != st->address)
		return vdev_fault(dev, I2C_FAULT_ACK_EVERY_ADDRESS); /* nobody answers: NACK */
	if (hdr->flags & VIRTIO_I2C_FLAGS_M_RD) {
		/* Device Operation #6: one read segment of exactly the buffer's length. */
		uint8_t data[EEPROM_BYTES];
		uint64_t n = buf_len;
		if (vdev_fault(dev, I2C_FAULT_SHORT_READ) && n)
			n--;
		for (uint64_t done = 0; done < n;) {
			size_t chunk = n - done < sizeof(data) ? (size_t)(n - done) : sizeof(data);
			for (size_t i = 0; i < chunk; i++)
				data[i] = st->memory[st->pointer++];
			virtq_chain_write(chain, &dev->mem, done, data, chunk);
			done += chunk;
		}
		*written = (uint32_t)n;
		return true;
	}
	/* A write: first byte sets the word address, the rest is stored from there (#5: the buffer is only read). */
	uint8_t byte;
	for (uint64_t i = 0; i < buf_len; i++) {
		if (virtq_chain_read(chain, &dev->mem, sizeof(*hdr) + i, &byte, 1) != 1)
			return false;
		if (i == 0)
			st->pointer = byte;
		else
			st->memory[st->pointer++] = byte;
	}
	return true;
}

static void handle_request(struct vdev *dev, unsigned queue, struct virtq_chain *chain)
{
	struct i2c_state *st = dev->state;
	struct i2c_out_hdr hdr;
	if (virtq_chain_read(chain, &dev->mem, 0, &hdr, sizeof(hdr)) != sizeof(hdr) || chain->writable_bytes < 1) {
		vdev_needs_reset(dev, "i2c request without header or status byte");
		return;
	}
	bool read = hdr.flags & VIRTIO_I2C_FLAGS_M_RD;
	uint64_t buf_len = read ? chain->writable_bytes - 1 : chain->readable_bytes - sizeof(hdr);
	uint32_t written = 0;
	/* Device Operation #8: after a failed FAIL_NEXT request the rest of the batch fails too. */
	bool ok = !st->fail_rest && transfer(dev, chain, &hdr, buf_len, &written);
	if (!ok && (hdr.flags & VIRTIO_I2C_FLAGS_FAIL_NEXT) && !vdev_fault(dev, I2C_FAULT_FAIL_NEXT_IGNORED))
		st->fail_rest = true;
	if (!(hdr.flags & VIRTIO_I2C_FLAGS_FAIL_NEXT))
		st->fail_rest = false; /* the batch ends with the first request without FAIL_NEXT */
	uint8_t status = ok ? VIRTIO_I2C_MSG_OK : VIRTIO_I2C_MSG_ERR;
	/* #8: the first failed request of a group is marked ERR; the fault marks it OK (the rest still fail). */
	if (!ok && (hdr.flags & VIRTIO_I2C_FLAGS_FAIL_NEXT) && vdev_fault(dev, I2C_FAULT_FAILED_REQUEST_OK_IN_GROUP))
		status = VIRTIO_I2C_MSG_OK;
	/* #4/#5: the request's readable part is never written; the fault overwrites its readable segments. */
	for (unsigned i = 0; vdev_fault(dev, I2C_FAULT_REQUEST_REWRITTEN) && i < chain->count; i++) {
		uint8_t garbage[sizeof(hdr)];
		memset(garbage, 0xff, sizeof(garbage));
		if (!chain->segments[i].device_writable)
			guest_write(&dev->mem, chain->segments[i].addr, garbage,
				    chain->segments[i].len < sizeof(garbage) ? chain->segments[i].len : sizeof(garbage));
	}
	virtq_chain_write(chain, &dev->mem, read ? buf_len : 0, &status, 1);
	vdev_complete(dev, queue, chain, written + 1);
}

#define REVERSED_BATCH 8
#define REVERSED_SEGMENTS 4

/* The requests-reversed fault: takes up to 8 queued requests and carries them out last first (breaks #7). */
static void process_reversed(struct vdev *dev, unsigned queue)
{
	struct virtq_chain chains[REVERSED_BATCH];
	struct virtq_segment segments[REVERSED_BATCH][REVERSED_SEGMENTS];
	unsigned n = 0;
	for (; n < REVERSED_BATCH && !(dev->status & VIRTIO_STATUS_NEEDS_RESET); n++) {
		chains[n] = (struct virtq_chain){ .segments = segments[n], .capacity = REVERSED_SEGMENTS };
		if (vdev_take(dev, queue, &chains[n]) != VIRTQ_TAKEN)
			break;
	}
	while (n--)
		handle_request(dev, queue, &chains[n]);
}

static void i2c_process(struct vdev *dev, unsigned queue)
{
	struct virtq_chain *chain = &dev->scratch;
	if (vdev_fault(dev, I2C_FAULT_REVERSED))
		process_reversed(dev, queue);
	/* Device Operation #7: requests in the order they were queued. */
	while (!(dev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev_take(dev, queue, chain) == VIRTQ_TAKEN)
		handle_request(dev, queue, chain);
	vdev_notify_used(dev, queue);
}

static void i2c_reset(struct vdev *dev)
{
	struct i2c_state *st = dev->state;
	st->fail_rest = false;
	st->pointer = 0;
}

const struct vdev_model model_i2c = {
	.name = "i2c",
	.device_id = VIRTIO_ID_I2C,
	.faults = i2c_faults,
	.fault_count = I2C_FAULT_COUNT,
	.create = i2c_create,
	.destroy = i2c_destroy,
	.accept_features = i2c_accept_features,
	.reset = i2c_reset,
	.process_queue = i2c_process,
};
