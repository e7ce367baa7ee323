/* virtio-mmio version 2 register file (VIRTIO 1.2 4.2.2): features, status, queue setup, notify, interrupt status, config. */
#include <stdio.h>
#include <string.h>

#include "mmio_transport.h"

#define OPTIONS_MAX 256

const struct vdev_fault mmio_transport_faults[MMIO_FAULT_COUNT] = {
	[MMIO_FAULT_INTERRUPT_STATUS_NOT_SET] = { "interrupt-status-not-set",
		"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #3" },
	[MMIO_FAULT_RESET_KEEPS_INTERRUPT_STATUS] = { "reset-keeps-interrupt-status",
		"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #5" },
	[MMIO_FAULT_INTERRUPT_WRONG_SPI] = { "interrupt-wrong-spi",
		"AVPS.VIRTIO.1: the device raises the SPI after the one its DT node names" },
	[MMIO_FAULT_INTERRUPT_STATUS_CLEARED_ON_READ] = { "interrupt-status-cleared-on-read",
		"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #3" },
	[MMIO_FAULT_INTERRUPT_STATUS_PHANTOM_CONFIG] = { "interrupt-status-phantom-config-change",
		"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #4" },
	[MMIO_FAULT_VERSION_1_NOT_OFFERED] = { "version-1-not-offered",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Feature Bits / Reserved Feature Bits #1" },
	[MMIO_FAULT_STATUS_KEPT_AFTER_RESET] = { "status-kept-after-reset",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Device Reset #1" },
};

/* Copies options to out without the transport's own fault=<name> entries, switching those on. */
static uint64_t forward_now_us(void *ctx)
{
	struct mmio_transport *t = ctx;
	return t->host.now_us(t->host.ctx);
}

static uint64_t forward_counter(void *ctx, uint64_t *freq_hz)
{
	struct mmio_transport *t = ctx;
	return t->host.counter(t->host.ctx, freq_hz);
}

static bool take_transport_faults(struct mmio_transport *t, const char *options, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = options; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool mine = false;
		for (unsigned f = 0; f < MMIO_FAULT_COUNT; f++) {
			size_t name_len = strlen(mmio_transport_faults[f].name);
			if (len == 6 + name_len && !strncmp(p, "fault=", 6) && !strncmp(p + 6, mmio_transport_faults[f].name, name_len))
				mine = t->faults[f] = true;
		}
		if (!mine) {
			if (used + len + 2 > size)
				return false;
			if (used)
				out[used++] = ',';
			memcpy(out + used, p, len);
			used += len;
			out[used] = '\0';
		}
		p = end ? end + 1 : NULL;
	}
	return true;
}

/* The model's notifications become InterruptStatus bits and an interrupt (MMIO layout #3). */
static void used_notify(void *ctx, unsigned queue)
{
	struct mmio_transport *t = ctx;
	(void)queue;
	if (!t->faults[MMIO_FAULT_INTERRUPT_STATUS_NOT_SET])
		t->interrupt_status |= VMMIO_INTERRUPT_USED_BUFFER;
	if (t->faults[MMIO_FAULT_INTERRUPT_STATUS_PHANTOM_CONFIG])
		t->interrupt_status |= VMMIO_INTERRUPT_CONFIG_CHANGE;   /* fault: no configuration changed */
	if (t->host.raise)
		t->host.raise(t->host.ctx);
}

static void config_notify(void *ctx)
{
	struct mmio_transport *t = ctx;
	t->interrupt_status |= VMMIO_INTERRUPT_CONFIG_CHANGE;
	if (t->host.raise)
		t->host.raise(t->host.ctx);
}

static void forward_log(void *ctx, const char *message)
{
	struct mmio_transport *t = ctx;
	if (t->host.log)
		t->host.log(t->host.ctx, message);
}

static unsigned forward_peer_request(void *ctx, const char *model, const char *request, char *reply, size_t size)
{
	struct mmio_transport *t = ctx;
	return t->host.peer_request ? t->host.peer_request(t->host.ctx, model, request, reply, size) : 0;
}

static void forward_random(void *ctx, void *buf, size_t len)
{
	struct mmio_transport *t = ctx;
	if (t->host.random)
		t->host.random(t->host.ctx, buf, len);
	else
		memset(buf, 0, len);
}

bool mmio_transport_create(struct mmio_transport *t, const char *model, const char *options,
			   const struct mmio_transport_host *host, char *err, size_t err_size)
{
	char model_options[OPTIONS_MAX];
	memset(t, 0, sizeof(*t));
	t->host = *host;
	if (!take_transport_faults(t, options ? options : "", model_options, sizeof(model_options))) {
		snprintf(err, err_size, "options longer than %d characters", OPTIONS_MAX - 1);
		return false;
	}
	struct vdev_host vhost = {
		.ctx = t, .used_notify = used_notify, .config_notify = config_notify,
		.log = forward_log, .random = host->random ? forward_random : NULL, .storage = NULL,
		.peer_request = forward_peer_request,
		.now_us = host->now_us ? forward_now_us : NULL,
		.counter = host->counter ? forward_counter : NULL,
	};
	return vdev_create(&t->dev, model, model_options, host->mem, vhost, err, err_size);
}

static struct virtq *selected_queue(struct mmio_transport *t)
{
	return t->queue_sel < t->dev.num_queues ? &t->dev.queues[t->queue_sel] : NULL;
}

static void set_low(uint64_t *field, uint32_t value)
{
	*field = (*field & ~0xffffffffULL) | value;
}

static void set_high(uint64_t *field, uint32_t value)
{
	*field = (*field & 0xffffffffULL) | ((uint64_t)value << 32);
}

/* Device reset through Status 0 (Device Reset #1, MMIO layout #5): the model resets its queues, the
 * transport clears InterruptStatus and its selectors. */
static void reset_transport(struct mmio_transport *t)
{
	uint8_t before = t->dev.status;
	vdev_set_status(&t->dev, 0);
	if (t->faults[MMIO_FAULT_STATUS_KEPT_AFTER_RESET])
		t->dev.status = before;      /* fault: the reset happened, Status does not show it */
	if (!t->faults[MMIO_FAULT_RESET_KEEPS_INTERRUPT_STATUS])
		t->interrupt_status = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
}

/* Queue Reset (MMIO layout #10, #12): only with VIRTIO_F_RING_RESET negotiated. */
static void reset_queue(struct mmio_transport *t, struct virtq *vq)
{
	if (!vdev_has_feature(&t->dev, VIRTIO_F_RING_RESET))
		return;
	virtq_reset(vq);
	vq->ready = false;
}

static uint32_t read_register(struct mmio_transport *t, uint64_t offset)
{
	struct vdev *dev = &t->dev;
	struct virtq *vq = selected_queue(t);

	switch (offset) {
	case VMMIO_MAGIC_VALUE:
		return VMMIO_MAGIC;
	case VMMIO_VERSION:
		return 2;
	case VMMIO_DEVICE_ID:
		return dev->model->device_id;
	case VMMIO_VENDOR_ID:
		return MMIO_TRANSPORT_VENDOR_ID;
	case VMMIO_DEVICE_FEATURES: {
		uint64_t offered = dev->offered;
		if (t->faults[MMIO_FAULT_VERSION_1_NOT_OFFERED])
			offered &= ~VIRTIO_BIT(VIRTIO_F_VERSION_1);
		return t->device_features_sel < 2 ? (uint32_t)(offered >> (32 * t->device_features_sel)) : 0;
	}
	case VMMIO_QUEUE_NUM_MAX:
		return vq ? MMIO_TRANSPORT_QUEUE_NUM_MAX : 0;
	case VMMIO_QUEUE_NUM:
		return vq ? vq->size : 0;
	case VMMIO_QUEUE_READY:
		return vq && vq->ready;
	case VMMIO_INTERRUPT_STATUS: {
		uint32_t status = t->interrupt_status;
		if (t->faults[MMIO_FAULT_INTERRUPT_STATUS_CLEARED_ON_READ])
			t->interrupt_status = 0;     /* fault: a read acknowledges */
		return status;
	}
	case VMMIO_STATUS:
		return dev->status;
	case VMMIO_QUEUE_DESC_LOW:
		return vq ? (uint32_t)vq->desc_addr : 0;
	case VMMIO_QUEUE_DESC_HIGH:
		return vq ? (uint32_t)(vq->desc_addr >> 32) : 0;
	case VMMIO_QUEUE_DRIVER_LOW:
		return vq ? (uint32_t)vq->driver_addr : 0;
	case VMMIO_QUEUE_DRIVER_HIGH:
		return vq ? (uint32_t)(vq->driver_addr >> 32) : 0;
	case VMMIO_QUEUE_DEVICE_LOW:
		return vq ? (uint32_t)vq->device_addr : 0;
	case VMMIO_QUEUE_DEVICE_HIGH:
		return vq ? (uint32_t)(vq->device_addr >> 32) : 0;
	case VMMIO_SHM_LEN_LOW:
	case VMMIO_SHM_LEN_HIGH:
	case VMMIO_SHM_BASE_LOW:
	case VMMIO_SHM_BASE_HIGH: {
		/* The model's one region (at the host's shm_base), else length and base all ones. */
		bool present = dev->shm_size && t->shm_sel == dev->shm_id;
		uint64_t v = !present ? ~0ull : offset <= VMMIO_SHM_LEN_HIGH ? dev->shm_size : t->host.shm_base;
		return offset == VMMIO_SHM_LEN_HIGH || offset == VMMIO_SHM_BASE_HIGH ? (uint32_t)(v >> 32) : (uint32_t)v;
	}
	case VMMIO_QUEUE_RESET:
		return 0;                     /* a queue reset completes at once (MMIO layout #8, #9, #12) */
	case VMMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;                     /* write-only or reserved */
	}
}

static void write_register(struct mmio_transport *t, uint64_t offset, uint32_t value)
{
	struct vdev *dev = &t->dev;
	struct virtq *vq = selected_queue(t);
	bool features_fixed = dev->status & VIRTIO_STATUS_FEATURES_OK;

	switch (offset) {
	case VMMIO_DEVICE_FEATURES_SEL:
		t->device_features_sel = value;
		break;
	case VMMIO_SHM_SEL:
		t->shm_sel = value;
		break;
	case VMMIO_DRIVER_FEATURES_SEL:
		t->driver_features_sel = value;
		break;
	case VMMIO_DRIVER_FEATURES:
		/* Once FEATURES_OK is set the negotiated set is fixed. */
		if (features_fixed || t->driver_features_sel > 1)
			break;
		if (t->driver_features_sel == 0)
			set_low(&t->driver_features, value);
		else
			set_high(&t->driver_features, value);
		vdev_set_driver_features(dev, t->driver_features);
		break;
	case VMMIO_QUEUE_SEL:
		t->queue_sel = value;
		break;
	case VMMIO_QUEUE_NUM:
		if (vq && !vq->ready && value <= MMIO_TRANSPORT_QUEUE_NUM_MAX)
			vq->size = (uint16_t)value;
		break;
	case VMMIO_QUEUE_READY:
		if (vq)
			vq->ready = (value & 1) && vq->size;
		break;
	case VMMIO_QUEUE_NOTIFY:
		/* Without VIRTIO_F_NOTIFICATION_DATA (never offered) the value is the queue index. */
		vdev_queue_notify(dev, value & 0xffff);
		break;
	case VMMIO_INTERRUPT_ACK:
		t->interrupt_status &= ~value;
		break;
	case VMMIO_STATUS:
		if (value == 0)
			reset_transport(t);
		else
			vdev_set_status(dev, (uint8_t)value);
		break;
	case VMMIO_QUEUE_DESC_LOW:
	case VMMIO_QUEUE_DESC_HIGH:
	case VMMIO_QUEUE_DRIVER_LOW:
	case VMMIO_QUEUE_DRIVER_HIGH:
	case VMMIO_QUEUE_DEVICE_LOW:
	case VMMIO_QUEUE_DEVICE_HIGH: {
		if (!vq || vq->ready)
			break;                    /* addresses of a live queue do not move */
		uint64_t *field = offset < VMMIO_QUEUE_DRIVER_LOW ? &vq->desc_addr
				: offset < VMMIO_QUEUE_DEVICE_LOW ? &vq->driver_addr : &vq->device_addr;
		if (offset & 4)
			set_high(field, value);
		else
			set_low(field, value);
		break;
	}
	case VMMIO_QUEUE_RESET:
		if (vq && value == 1)
			reset_queue(t, vq);
		break;
	default:
		break;                            /* read-only or reserved: ignored */
	}
}

void mmio_transport_tick(struct mmio_transport *t)
{
	vdev_tick(&t->dev);
}

uint64_t mmio_transport_read(struct mmio_transport *t, uint64_t offset, unsigned size)
{
	vdev_tick(&t->dev);
	if (offset >= VMMIO_CONFIG) {
		uint8_t bytes[8];
		uint64_t value = 0;
		if (size > 8 || offset % size)
			return 0;
		vdev_read_config(&t->dev, (uint32_t)(offset - VMMIO_CONFIG), bytes, size);
		for (unsigned i = 0; i < size; i++)
			value |= (uint64_t)bytes[i] << (8 * i);     /* the config space is little-endian */
		return value;
	}
	if (size != 4 || offset % 4)
		return 0;
	return read_register(t, offset);
}

void mmio_transport_write(struct mmio_transport *t, uint64_t offset, unsigned size, uint64_t value)
{
	vdev_tick(&t->dev);
	if (offset >= VMMIO_CONFIG) {
		uint8_t bytes[8];
		if (size > 8 || offset % size)
			return;
		for (unsigned i = 0; i < size; i++)
			bytes[i] = (uint8_t)(value >> (8 * i));
		vdev_write_config(&t->dev, (uint32_t)(offset - VMMIO_CONFIG), bytes, size);
		return;
	}
	if (size != 4 || offset % 4)
		return;
	write_register(t, offset, (uint32_t)value);
}

void mmio_transport_shm_access(struct mmio_transport *t, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
	struct vdev *dev = &t->dev;
	uint8_t bytes[8] = { 0 };
	if (size > 8 || offset + size > dev->shm_size || !dev->model->shm_access) {
		if (!write)
			*value = 0;
		return;
	}
	for (unsigned i = 0; write && i < size; i++)
		bytes[i] = (uint8_t)(*value >> (8 * i));
	dev->model->shm_access(dev, offset, bytes, size, write);
	if (write)
		return;
	*value = 0;
	for (unsigned i = 0; i < size; i++)
		*value |= (uint64_t)bytes[i] << (8 * i);   /* little-endian, as the guest's own memory */
}
