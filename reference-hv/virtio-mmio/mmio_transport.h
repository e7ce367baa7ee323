/* The virtio-mmio (version 2) register file of one device: VIRTIO 1.2 section 4.2.2, in front of a reference device model. */
#ifndef REFHV_MMIO_TRANSPORT_H
#define REFHV_MMIO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_device.h"

/* Where a VM sees its transports is the config's (VM_VIRTIO_MMIO_* in config/config.h). */
#define MMIO_TRANSPORT_QUEUE_NUM_MAX 256
#define MMIO_TRANSPORT_VENDOR_ID 0x56484652u   /* "RFHV" */

#include "vmmio_regs.h"   /* register offsets, shared with the probes' driver */

#define VMMIO_INTERRUPT_USED_BUFFER 1u
#define VMMIO_INTERRUPT_CONFIG_CHANGE 2u

/* What the host gives a transport besides the model: guest memory, the interrupt, optional randomness and log. */
struct mmio_transport_host {
	struct guest_memory mem;
	/* Raises the device's interrupt (an edge on its SPI); called from inside a register access. */
	void (*raise)(void *ctx);
	void (*random)(void *ctx, void *buf, size_t len);
	void (*log)(void *ctx, const char *message);
	/* Optional: a host-side request for the VM's other devices of one model (vdev_host.peer_request). */
	unsigned (*peer_request)(void *ctx, const char *model, const char *request, char *reply, size_t size);
	uint64_t (*now_us)(void *ctx);   /* optional clock for time-driven models (sound) */
	uint64_t shm_base;               /* where the guest sees the model's shared memory region, if it has one */
	uint64_t (*counter)(void *ctx, uint64_t *freq_hz);   /* optional: the VM's virtual counter (rtc) */
	void *ctx;
};

/* Fault switches of the transport itself (fault=<name> in the device's options, like the model's own). */
enum mmio_transport_fault {
	MMIO_FAULT_INTERRUPT_STATUS_NOT_SET,      /* MMIO Device Register Layout #3 */
	MMIO_FAULT_RESET_KEEPS_INTERRUPT_STATUS,  /* MMIO Device Register Layout #5 */
	MMIO_FAULT_INTERRUPT_WRONG_SPI,           /* the DT's interrupt: the host raises the next SPI instead */
	MMIO_FAULT_INTERRUPT_STATUS_CLEARED_ON_READ, /* MMIO Device Register Layout #3 */
	MMIO_FAULT_INTERRUPT_STATUS_PHANTOM_CONFIG,  /* MMIO Device Register Layout #4 */
	MMIO_FAULT_VERSION_1_NOT_OFFERED,         /* Reserved Feature Bits #1 */
	MMIO_FAULT_STATUS_KEPT_AFTER_RESET,       /* Device Reset #1 */
	MMIO_FAULT_COUNT,
};
extern const struct vdev_fault mmio_transport_faults[MMIO_FAULT_COUNT];

struct mmio_transport {
	struct vdev dev;                 /* the model behind the registers */
	struct mmio_transport_host host;
	bool faults[MMIO_FAULT_COUNT];
	uint32_t device_features_sel, driver_features_sel, queue_sel, shm_sel;
	uint64_t driver_features;        /* what the driver wrote, both halves */
	uint32_t interrupt_status;
};

/* Creates the model (options as in the config's `device` line) behind a fresh register file; false with err.
 * The transport's own fault=<name> options are taken out before the model parses the rest. */
bool mmio_transport_create(struct mmio_transport *t, const char *model, const char *options,
			   const struct mmio_transport_host *host, char *err, size_t err_size);

/* A guest access of size bytes (1, 2, 4 or 8) at offset in the 0x200-byte window. Control registers take
 * aligned 32-bit accesses only (others read 0 and are ignored); the config space takes any aligned access. */
uint64_t mmio_transport_read(struct mmio_transport *t, uint64_t offset, unsigned size);
void mmio_transport_write(struct mmio_transport *t, uint64_t offset, unsigned size, uint64_t value);
/* A guest access of size bytes at offset in the model's shared memory region (host.shm_base + offset);
 * outside the region, or for a model without one, reads 0 and ignores writes. */
void mmio_transport_shm_access(struct mmio_transport *t, uint64_t offset, unsigned size, bool write, uint64_t *value);
/* Time passed: a time-driven model does the work that came due (every register access ticks too). */
void mmio_transport_tick(struct mmio_transport *t);

#endif
