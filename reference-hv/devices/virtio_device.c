/* The device core shared by all models: feature negotiation, status and reset, config space, used-buffer bookkeeping, fault switches. */
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct vdev_fault vdev_generic_faults[VDEV_GENERIC_FAULT_COUNT] = {
	[VDEV_FAULT_NO_USED_NOTIFICATION] = { "no-used-notification",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / Used Buffer Notification Suppression #3" },
	[VDEV_FAULT_USED_LENGTH_WRONG] = { "used-length-wrong",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Used Ring #2" },
	[VDEV_FAULT_CONFIG_GENERATION_STALE] = { "config-generation-stale",
		"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #6" },
	[VDEV_FAULT_NEEDS_RESET_SILENT] = { "needs-reset-silent",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Device Status Field #3" },
	[VDEV_FAULT_EVENT_IDX_LATE] = { "event-idx-late",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / Used Buffer Notification Suppression #5" },
	[VDEV_FAULT_NO_INTERRUPT_HONOURED] = { "no-interrupt-honoured",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / Used Buffer Notification Suppression #4" },
	[VDEV_FAULT_CHAIN_THEN_INDIRECT_REFUSED] = { "chain-then-indirect-refused",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table / Indirect Descriptors #2" },
	[VDEV_FAULT_INDIRECT_WRITE_FLAG_HONOURED] = { "indirect-write-flag-honoured",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table / Indirect Descriptors #1" },
	[VDEV_FAULT_USED_FLAGS_GARBAGE] = { "used-flags-garbage",
		"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / Available Buffer Notification Suppression #1" },
	[VDEV_FAULT_NOTIFY_WITHOUT_USED_BUFFER] = { "notify-without-used-buffer",
		"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #4" },
};

/* The ring-level faults, as virtq fault bits. */
static unsigned ring_faults(const struct vdev *dev)
{
	static const struct { enum vdev_generic_fault fault; unsigned bit; } map[] = {
		{ VDEV_FAULT_EVENT_IDX_LATE, VIRTQ_FAULT_EVENT_IDX_LATE },
		{ VDEV_FAULT_NO_INTERRUPT_HONOURED, VIRTQ_FAULT_NO_INTERRUPT_HONOURED },
		{ VDEV_FAULT_CHAIN_THEN_INDIRECT_REFUSED, VIRTQ_FAULT_CHAIN_THEN_INDIRECT_REFUSED },
		{ VDEV_FAULT_INDIRECT_WRITE_FLAG_HONOURED, VIRTQ_FAULT_INDIRECT_WRITE_FLAG_HONOURED },
		{ VDEV_FAULT_USED_FLAGS_GARBAGE, VIRTQ_FAULT_USED_FLAGS_GARBAGE },
	};
	unsigned bits = 0;
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (dev->generic_faults[map[i].fault])
			bits |= map[i].bit;
	return bits;
}

bool vdev_option(const char *options, const char *key, char *buf, size_t size)
{
	size_t key_len = strlen(key);
	for (const char *p = options; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len >= key_len && !strncmp(p, key, key_len) && (len == key_len || p[key_len] == '=')) {
			const char *value = len == key_len ? "1" : p + key_len + 1;
			size_t value_len = len == key_len ? 1 : len - key_len - 1;
			if (size) {
				if (value_len >= size)
					value_len = size - 1;
				memcpy(buf, value, value_len);
				buf[value_len] = '\0';
			}
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

bool vdev_parse_size(const char *text, uint64_t *value)
{
	char *end;
	unsigned long long n = strtoull(text, &end, 0);
	if (end == text)
		return false;
	unsigned shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || n > (UINT64_MAX >> shift))
		return false;
	*value = (uint64_t)n << shift;
	return true;
}

/* Every "fault=<name>" in options switches on one known fault; an unknown name is an error. */
static bool enable_faults(struct vdev *dev, const char *options, char *err, size_t err_size)
{
	for (const char *p = options; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 6 && !strncmp(p, "fault=", 6)) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(len - 6), p + 6);
			bool known = false;
			for (unsigned i = 0; i < VDEV_GENERIC_FAULT_COUNT; i++)
				if (!strcmp(name, vdev_generic_faults[i].name))
					known = dev->generic_faults[i] = true;
			for (unsigned i = 0; i < dev->model->fault_count && i < VDEV_MAX_FAULTS; i++)
				if (!strcmp(name, dev->model->faults[i].name))
					known = dev->model_faults[i] = true;
			if (!known) {
				snprintf(err, err_size, "model %s has no fault '%s'", dev->model->name, name);
				return false;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return true;
}

bool vdev_create(struct vdev *dev, const char *model, const char *options, struct guest_memory mem,
		 struct vdev_host host, char *err, size_t err_size)
{
	memset(dev, 0, sizeof(*dev));
	dev->model = vdev_find_model(model);
	if (!dev->model) {
		snprintf(err, err_size, "unknown device model '%s'", model);
		return false;
	}
	dev->mem = mem;
	dev->host = host;
	dev->scratch.segments = dev->scratch_segments;
	dev->scratch.capacity = VIRTQ_MAX_SEGMENTS;
	if (!enable_faults(dev, options, err, err_size))
		return false;
	if (!dev->model->create(dev, options ? options : "", err, err_size)) {
		vdev_destroy(dev);
		return false;
	}
	for (unsigned q = 0; q < dev->num_queues; q++)
		virtq_reset(&dev->queues[q]);
	return true;
}

void vdev_destroy(struct vdev *dev)
{
	if (dev->model && dev->model->destroy)
		dev->model->destroy(dev);
	dev->model = NULL;
}

void vdev_set_driver_features(struct vdev *dev, uint64_t features)
{
	dev->negotiated = features;
}

void vdev_apply_ring_features(struct vdev *dev)
{
	for (unsigned q = 0; q < dev->num_queues; q++) {
		struct virtq *vq = &dev->queues[q];
		vq->packed = vdev_has_feature(dev, VIRTIO_F_RING_PACKED);
		vq->event_idx = vdev_has_feature(dev, VIRTIO_F_EVENT_IDX);
		vq->indirect = vdev_has_feature(dev, VIRTIO_F_INDIRECT_DESC);
		vq->faults = ring_faults(dev);
	}
}

static void reset_device(struct vdev *dev)
{
	/* Device Reset #1/#2: status 0, queues back to defaults, silence until re-initialised. */
	dev->status = 0;
	dev->negotiated = 0;
	dev->error[0] = '\0';
	for (unsigned q = 0; q < dev->num_queues; q++) {
		struct virtq *vq = &dev->queues[q];
		virtq_reset(vq);
		vq->ready = false;
	}
	if (dev->model->reset)
		dev->model->reset(dev);
}

void vdev_set_status(struct vdev *dev, uint8_t status)
{
	if (status == 0) {
		reset_device(dev);
		return;
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(dev->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* Feature Bits #3: refuse a subset the device cannot work with by leaving FEATURES_OK clear. */
		bool acceptable = !(dev->negotiated & ~dev->offered) &&
				  (!dev->model->accept_features || dev->model->accept_features(dev, dev->negotiated));
		if (!acceptable)
			status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		else
			vdev_apply_ring_features(dev);
	}
	/* NEEDS_RESET is the device's bit: the driver cannot set or clear it. */
	dev->status = (uint8_t)((status & ~VIRTIO_STATUS_NEEDS_RESET) | (dev->status & VIRTIO_STATUS_NEEDS_RESET));
}

void vdev_queue_notify(struct vdev *dev, unsigned queue)
{
	/* Device Status #1: no buffer is used before DRIVER_OK; nothing after NEEDS_RESET. Spurious
	 * notifications are harmless (Available Buffer Notification Suppression #5). */
	if (queue >= dev->num_queues || !(dev->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (dev->status & VIRTIO_STATUS_NEEDS_RESET) || !dev->queues[queue].ready)
		return;
	dev->model->process_queue(dev, queue);
}

void vdev_read_config(struct vdev *dev, uint32_t offset, void *buf, uint32_t len)
{
	/* Device Configuration Space #1: readable at any time; bytes past the end read as zero. */
	memset(buf, 0, len);
	if (offset < dev->config_size) {
		uint32_t n = dev->config_size - offset < len ? dev->config_size - offset : len;
		memcpy(buf, dev->config + offset, n);
	}
}

void vdev_write_config(struct vdev *dev, uint32_t offset, const void *buf, uint32_t len)
{
	if (offset >= dev->config_size || len > dev->config_size - offset)
		return;
	memcpy(dev->config + offset, buf, len);
	if (dev->model->config_written)
		dev->model->config_written(dev, offset, len);
}

enum virtq_take vdev_take(struct vdev *dev, unsigned queue, struct virtq_chain *chain)
{
	struct virtq *vq = &dev->queues[queue];
	enum virtq_take result = virtq_take(vq, &dev->mem, chain);
	if (result == VIRTQ_BROKEN && !(dev->status & VIRTIO_STATUS_NEEDS_RESET)) {
		char why[160];
		snprintf(why, sizeof(why), "queue %u: %s", queue, vq->broken_reason ? vq->broken_reason : "broken");
		vdev_needs_reset(dev, why);
	}
	return result;
}

void vdev_tick(struct vdev *dev)
{
	if (!dev->model || !dev->model->tick || !(dev->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (dev->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	dev->model->tick(dev, dev->host.now_us ? dev->host.now_us(dev->host.ctx) : UINT64_MAX);
}

void vdev_complete(struct vdev *dev, unsigned queue, const struct virtq_chain *chain, uint32_t written)
{
	struct virtq *vq = &dev->queues[queue];
	/* Used Ring #2: never report more than was written (and so than the driver gave to write). */
	if (written > chain->writable_bytes)
		written = (uint32_t)chain->writable_bytes;
	if (dev->generic_faults[VDEV_FAULT_USED_LENGTH_WRONG])
		written++; /* fault: one byte more than written */
	if (!virtq_give(vq, &dev->mem, chain, written)) {
		virtq_mark_broken(vq, "used ring outside guest memory");
		vdev_needs_reset(dev, "used ring outside guest memory");
	}
}

void vdev_notify_used(struct vdev *dev, unsigned queue)
{
	struct virtq *vq = &dev->queues[queue];
	if (dev->generic_faults[VDEV_FAULT_NOTIFY_WITHOUT_USED_BUFFER] && !vq->used_unsignalled) {
		/* fault: a queue processed with nothing used (a spurious kick, a ring just started) notifies anyway */
		if (dev->host.used_notify)
			dev->host.used_notify(dev->host.ctx, queue);
		return;
	}
	if (!virtq_should_notify(vq, &dev->mem) || dev->generic_faults[VDEV_FAULT_NO_USED_NOTIFICATION])
		return;
	if (dev->host.used_notify)
		dev->host.used_notify(dev->host.ctx, queue);
}

void vdev_config_changed(struct vdev *dev)
{
	if (!dev->generic_faults[VDEV_FAULT_CONFIG_GENERATION_STALE])
		dev->config_generation++;
	if ((dev->status & VIRTIO_STATUS_DRIVER_OK) && dev->host.config_notify)
		dev->host.config_notify(dev->host.ctx);
}

void vdev_needs_reset(struct vdev *dev, const char *why)
{
	snprintf(dev->error, sizeof(dev->error), "%s", why);
	if (dev->host.log)
		dev->host.log(dev->host.ctx, why);
	bool was_set = dev->status & VIRTIO_STATUS_NEEDS_RESET;
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* Device Status #3: with DRIVER_OK set, tell the driver through a config-change notification. */
	if (!was_set && (dev->status & VIRTIO_STATUS_DRIVER_OK) && !dev->generic_faults[VDEV_FAULT_NEEDS_RESET_SILENT] &&
	    dev->host.config_notify)
		dev->host.config_notify(dev->host.ctx);
}
