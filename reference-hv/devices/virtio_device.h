/* A virtio device as the models see it: features, status, config space, queues, fault switches, and the host's callbacks. */
#ifndef AVPS_DEVICES_VIRTIO_DEVICE_H
#define AVPS_DEVICES_VIRTIO_DEVICE_H

#include "guest_memory.h"
#include "virtio_constants.h"
#include "virtqueue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VDEV_MAX_QUEUES 8
#define VDEV_CONFIG_MAX 256
#define VDEV_MAX_FAULTS 32

/* What the hosting transport does for the device: raise a used-buffer or a configuration-change notification. */
struct vdev_host {
	void *ctx;
	void (*used_notify)(void *ctx, unsigned queue);
	void (*config_notify)(void *ctx);
	/* Optional: one line for the host's log when the device gives up on a queue. */
	void (*log)(void *ctx, const char *message);
	/* Optional: fills buf with random bytes (seeds the entropy model). */
	void (*random)(void *ctx, void *buf, size_t len);
	/* Optional: the host's clock in microseconds (paces time-driven models; NULL: every tick finds all work due). */
	uint64_t (*now_us)(void *ctx);
	/* Optional: the driver's Arm virtual counter (CNTVCT_EL0 as the VM reads it) and its frequency in Hz
	 * (the RTC model's cross-timestamps; NULL: no hardware counter the device can tell the driver). */
	uint64_t (*counter)(void *ctx, uint64_t *freq_hz);
	/* Optional: persistent storage behind a block model (NULL: RAM only). */
	const struct vdev_storage *storage;
	/* Optional: hands a request of the platform's host side (the console model's in-process host) to the
	 * VM's other devices of one model (their host_request); returns how many took it, reply from the last. */
	unsigned (*peer_request)(void *ctx, const char *model, const char *request, char *reply, size_t size);
};

/* Persistent storage a host gives a block model; offsets and lengths are in bytes. */
struct vdev_storage {
	void *ctx;
	uint64_t size;
	bool (*read)(void *ctx, uint64_t offset, void *buf, size_t len);
	bool (*write)(void *ctx, uint64_t offset, const void *buf, size_t len);
	bool (*flush)(void *ctx);
};

/* A fault switch: its name (fault=<name>) and the one statement it breaks. */
struct vdev_fault {
	const char *name;
	const char *breaks;
};

struct vdev;

/* One device model: its identity, its faults, and the operations the core calls. */
struct vdev_model {
	const char *name;
	uint32_t device_id;
	const struct vdev_fault *faults; /* the model's own; the generic ones are in vdev_generic_faults */
	unsigned fault_count;
	/* Parses options (key=value,...), sets offered features, config, queue count, state. */
	bool (*create)(struct vdev *dev, const char *options, char *err, size_t err_size);
	void (*destroy)(struct vdev *dev);
	/* Feature Bits #3: may the driver run with this subset? (NULL: any subset of the offer) */
	bool (*accept_features)(struct vdev *dev, uint64_t features);
	/* Drains available buffers of one queue. */
	void (*process_queue)(struct vdev *dev, unsigned queue);
	/* Device reset: back to the state right after create (config kept). */
	void (*reset)(struct vdev *dev);
	/* Optional: time passed (the host calls vdev_tick often); now_us is the host's clock or UINT64_MAX. */
	void (*tick)(struct vdev *dev, uint64_t now_us);
	/* The driver wrote config bytes [offset, offset + len) (already stored in dev->config). */
	void (*config_written)(struct vdev *dev, uint32_t offset, uint32_t len);
	/* Optional: a request of the platform's host side (e.g. "key" for an input model: inject a key press);
	 * false when the device cannot serve it, else true with a short reply. */
	bool (*host_request)(struct vdev *dev, const char *request, char *reply, size_t size);
	/* Optional: a driver access to the device's shared memory region (dev->shm_size bytes, ID dev->shm_id);
	 * offset + len lies inside it. */
	void (*shm_access)(struct vdev *dev, uint64_t offset, void *buf, unsigned len, bool write);
};

/* Generic faults every model has (indices into dev->generic_faults). */
enum vdev_generic_fault {
	VDEV_FAULT_NO_USED_NOTIFICATION,
	VDEV_FAULT_USED_LENGTH_WRONG,
	VDEV_FAULT_CONFIG_GENERATION_STALE,
	VDEV_FAULT_NEEDS_RESET_SILENT,
	VDEV_FAULT_EVENT_IDX_LATE,
	VDEV_FAULT_NO_INTERRUPT_HONOURED,
	VDEV_FAULT_CHAIN_THEN_INDIRECT_REFUSED,
	VDEV_FAULT_INDIRECT_WRITE_FLAG_HONOURED,
	VDEV_FAULT_USED_FLAGS_GARBAGE,
	VDEV_FAULT_NOTIFY_WITHOUT_USED_BUFFER,
	VDEV_GENERIC_FAULT_COUNT,
};
extern const struct vdev_fault vdev_generic_faults[VDEV_GENERIC_FAULT_COUNT];

struct vdev {
	const struct vdev_model *model;
	void *state;
	struct guest_memory mem;
	struct vdev_host host;
	uint64_t offered;
	uint64_t negotiated;
	uint8_t status;
	uint32_t config_generation;
	uint32_t config_size;
	uint8_t config[VDEV_CONFIG_MAX];
	unsigned num_queues;
	uint64_t shm_size;          /* one shared memory region (0: none), set by create */
	uint8_t shm_id;
	struct virtq queues[VDEV_MAX_QUEUES];
	bool generic_faults[VDEV_GENERIC_FAULT_COUNT];
	bool model_faults[VDEV_MAX_FAULTS];
	char error[160]; /* why NEEDS_RESET was set */
	struct virtq_chain scratch; /* one chain being processed (models are single-threaded) */
	struct virtq_segment scratch_segments[VIRTQ_MAX_SEGMENTS];
};

/* Models known to the library (model_registry.c). */
const struct vdev_model *vdev_find_model(const char *name);
const struct vdev_model *const *vdev_models(void);

/* Creates a device of the named model; options are "key=value,key,fault=<name>,...". */
bool vdev_create(struct vdev *dev, const char *model, const char *options, struct guest_memory mem,
		 struct vdev_host host, char *err, size_t err_size);
void vdev_destroy(struct vdev *dev);

/* Transport-facing operations. */
void vdev_set_driver_features(struct vdev *dev, uint64_t features);
void vdev_set_status(struct vdev *dev, uint8_t status);
void vdev_queue_notify(struct vdev *dev, unsigned queue);
/* Lets a time-driven model (one with a tick operation) do the work that has come due; no-op otherwise. */
void vdev_tick(struct vdev *dev);
void vdev_read_config(struct vdev *dev, uint32_t offset, void *buf, uint32_t len);
void vdev_write_config(struct vdev *dev, uint32_t offset, const void *buf, uint32_t len);
/* Applies the negotiated ring features to every queue (called on FEATURES_OK and by vhost-user). */
void vdev_apply_ring_features(struct vdev *dev);

/* Model-facing helpers. */
static inline bool vdev_has_feature(const struct vdev *dev, unsigned bit)
{
	return dev->negotiated & VIRTIO_BIT(bit);
}
static inline bool vdev_fault(const struct vdev *dev, unsigned model_fault)
{
	return model_fault < VDEV_MAX_FAULTS && dev->model_faults[model_fault];
}
/* Takes the next chain of a queue; on a malformed ring marks the device NEEDS_RESET. */
enum virtq_take vdev_take(struct vdev *dev, unsigned queue, struct virtq_chain *chain);
/* Returns a chain as used (written bytes) without notifying. */
void vdev_complete(struct vdev *dev, unsigned queue, const struct virtq_chain *chain, uint32_t written);
/* Raises the used-buffer notification if the driver wants one now. */
void vdev_notify_used(struct vdev *dev, unsigned queue);
/* The device changed its config space: bump the generation, notify. */
void vdev_config_changed(struct vdev *dev);
/* Device Status #3: an error that only a reset clears. */
void vdev_needs_reset(struct vdev *dev, const char *why);

/* Option parsing for models: copies the value of key into buf (flags get "1"); false when absent. */
bool vdev_option(const char *options, const char *key, char *buf, size_t size);
/* Parses a size with an optional K/M/G suffix; false on garbage. */
bool vdev_parse_size(const char *text, uint64_t *value);

#endif
