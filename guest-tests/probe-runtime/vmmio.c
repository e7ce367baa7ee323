/* virtio-mmio transport: status handshake, features, queue enable/reset, bounded waits, config generation protocol. */
#include "vmmio.h"

uint32_t vmmio_read(const struct vmmio *t, uint32_t reg)
{
	return t->io.read(t->io.ctx, reg, 4);
}

void vmmio_write(const struct vmmio *t, uint32_t reg, uint32_t value)
{
	t->io.write(t->io.ctx, reg, value, 4);
}

uint64_t vmmio_now_us(const struct vmmio *t)
{
	return t->io.now_us(t->io.ctx);
}

void vmmio_attach(struct vmmio *t, const struct vmmio_io *io)
{
	t->io = *io;
	t->version = vmmio_read(t, VMMIO_VERSION);
	t->device_id = vmmio_read(t, VMMIO_DEVICE_ID);
	t->vendor_id = vmmio_read(t, VMMIO_VENDOR_ID);
	t->offered = t->device_id ? vmmio_device_features(t) : 0;
	t->negotiated = 0;
	t->isr_seen = 0;
}

uint64_t vmmio_device_features(const struct vmmio *t)
{
	vmmio_write(t, VMMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t high = vmmio_read(t, VMMIO_DEVICE_FEATURES);
	vmmio_write(t, VMMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t low = vmmio_read(t, VMMIO_DEVICE_FEATURES);
	return high << 32 | low;
}

void vmmio_driver_features(struct vmmio *t, uint64_t features)
{
	vmmio_write(t, VMMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(t, VMMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vmmio_write(t, VMMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(t, VMMIO_DRIVER_FEATURES, (uint32_t)features);
	t->negotiated = features;
}

void vmmio_set_status(const struct vmmio *t, uint32_t status)
{
	vmmio_write(t, VMMIO_STATUS, status);
}

uint32_t vmmio_status(const struct vmmio *t)
{
	return vmmio_read(t, VMMIO_STATUS);
}

bool vmmio_reset(struct vmmio *t, uint32_t timeout_us, uint32_t *status)
{
	vmmio_set_status(t, 0);
	uint64_t end = vmmio_now_us(t) + timeout_us;
	uint32_t s;
	while ((s = vmmio_status(t)) != 0 && vmmio_now_us(t) < end)
		;
	if (status)
		*status = s;
	t->negotiated = 0;
	return s == 0;
}

uint32_t vmmio_negotiate(struct vmmio *t, uint64_t wanted)
{
	vmmio_reset(t, 100000, NULL);
	vmmio_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE);
	vmmio_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vmmio_driver_features(t, wanted & t->offered);
	vmmio_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return vmmio_status(t);
}

static void write_addr(const struct vmmio *t, uint32_t low_reg, uint64_t a)
{
	vmmio_write(t, low_reg, (uint32_t)a);
	vmmio_write(t, low_reg + 4, (uint32_t)(a >> 32));
}

bool vmmio_queue_enable(struct vmmio *t, struct virtq *q, const char **why)
{
	vmmio_write(t, VMMIO_QUEUE_SEL, q->index);
	if (vmmio_read(t, VMMIO_QUEUE_READY) != 0) {
		*why = "QueueReady was not 0 before setup";
		return false;
	}
	uint32_t max = vmmio_read(t, VMMIO_QUEUE_NUM_MAX);
	if (max == 0 || max < q->size) {
		*why = max == 0 ? "QueueNumMax is 0 (queue not available)" : "QueueNumMax below the ring size";
		return false;
	}
	vmmio_write(t, VMMIO_QUEUE_NUM, q->size);
	write_addr(t, VMMIO_QUEUE_DESC_LOW, virtq_desc_addr(q));
	write_addr(t, VMMIO_QUEUE_DRIVER_LOW, virtq_driver_addr(q));
	write_addr(t, VMMIO_QUEUE_DEVICE_LOW, virtq_device_addr(q));
	virtq_mb();
	vmmio_write(t, VMMIO_QUEUE_READY, 1);
	if (vmmio_read(t, VMMIO_QUEUE_READY) != 1) {
		*why = "QueueReady did not read back 1";
		return false;
	}
	*why = "";
	return true;
}

void vmmio_notify(const struct vmmio *t, const struct virtq *q)
{
	virtq_mb();
	vmmio_write(t, VMMIO_QUEUE_NOTIFY, q->index);
}

enum virtq_result vmmio_post(struct vmmio *t, struct virtq *q, const struct vbuf *elems, int n,
			     enum virtq_chain chain, uint16_t *id)
{
	enum virtq_result r = virtq_add(q, elems, n, chain, id);
	if (r == VIRTQ_OK && virtq_kick_prepare(q))
		vmmio_notify(t, q);
	return r;
}

enum virtq_result vmmio_wait_used(struct vmmio *t, struct virtq *q, uint32_t timeout_us,
				  struct virtq_used *used)
{
	uint64_t now = vmmio_now_us(t), end = now + timeout_us, next_status = now + 1000;
	t->isr_seen = 0;
	for (;;) {
		now = vmmio_now_us(t);
		bool late = now >= end;
		enum virtq_result r = virtq_get_used(q, used);
		/* A device that gave up (DEVICE_NEEDS_RESET) will not answer: no point waiting. Status
		 * is read once a millisecond only: a register access traps to the device model, and
		 * polling it back to back would slow the very device being waited for. */
		if (r == VIRTQ_EMPTY && now >= next_status) {
			next_status = now + 1000;
			if (vmmio_status(t) & VIRTIO_STATUS_NEEDS_RESET)
				late = true;
		}
		if (r != VIRTQ_EMPTY || late) {
			t->isr_seen |= vmmio_read(t, VMMIO_INTERRUPT_STATUS);
			return r;
		}
	}
}

uint32_t vmmio_wait_isr(const struct vmmio *t, uint32_t bits, uint32_t timeout_us)
{
	uint64_t end = vmmio_now_us(t) + timeout_us;
	for (;;) {
		bool late = vmmio_now_us(t) >= end;
		uint32_t isr = vmmio_read(t, VMMIO_INTERRUPT_STATUS);
		if ((isr & bits) || late)
			return isr & bits ? isr : 0;
	}
}

void vmmio_ack(const struct vmmio *t, uint32_t bits)
{
	vmmio_write(t, VMMIO_INTERRUPT_ACK, bits);
}

uint64_t vmmio_config(const struct vmmio *t, uint32_t offset, unsigned size)
{
	if (size == 8)
		return (uint64_t)t->io.read(t->io.ctx, VMMIO_CONFIG + offset + 4, 4) << 32 |
		       t->io.read(t->io.ctx, VMMIO_CONFIG + offset, 4);
	return t->io.read(t->io.ctx, VMMIO_CONFIG + offset, size);
}

bool vmmio_config_stable(const struct vmmio *t, uint32_t offset, unsigned size, uint64_t *value,
			 int tries, uint32_t *generation)
{
	for (int i = 0; i < tries; i++) {
		uint32_t before = vmmio_read(t, VMMIO_CONFIG_GENERATION);
		*value = vmmio_config(t, offset, size);
		uint32_t after = vmmio_read(t, VMMIO_CONFIG_GENERATION);
		*generation = after;
		if (before == after)
			return true;
	}
	return false;
}

bool vmmio_queue_reset(const struct vmmio *t, uint16_t index, uint32_t timeout_us,
		       uint32_t *reset_reg, uint32_t *ready)
{
	vmmio_write(t, VMMIO_QUEUE_SEL, index);
	vmmio_write(t, VMMIO_QUEUE_RESET, 1);
	uint64_t end = vmmio_now_us(t) + timeout_us;
	for (;;) {
		bool late = vmmio_now_us(t) >= end;
		*reset_reg = vmmio_read(t, VMMIO_QUEUE_RESET);
		*ready = vmmio_read(t, VMMIO_QUEUE_READY);
		if (*reset_reg == 0 || late)
			return *reset_reg == 0 && *ready == 0;
	}
}
