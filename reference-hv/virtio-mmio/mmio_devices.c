/* The VM's virtio-mmio devices at EL2: guest RAM through stage 2, the device's SPI through the vGIC, one lock per device. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "device_heap.h"
#include "log.h"
#include "mmio_devices.h"
#include "mmio_transport.h"
#include "text_format.h"
#include "vgic_inject.h"
#include "vm.h"

#define PAGE 4096ULL

/* One transport of one VM. */
struct mmio_slot {
	struct mmio_transport *transport;   /* from the device heap (a model's state can be large) */
	struct vm *vm;
	int index;                          /* its place: window and SPI */
	int lock;
	uint64_t random_state;
};

static struct mmio_slot slots[CONFIG_MAX_VMS][CONFIG_MAX_DEVICES];

void mmio_devices_heap_init(const struct hv_config *cfg, uint64_t base, uint64_t end)
{
	bool wanted = false;
	for (int v = 0; v < cfg->n_vms; v++)
		wanted |= cfg->vms[v].n_devices > 0;
	if (!wanted)
		return;
	device_heap_init((uintptr_t)base, base < end ? (size_t)(end - base) : 0);
	hv_log("device models: heap at physical 0x%llx+0x%llx (machine RAM above every VM)", (unsigned long long)base,
	       (unsigned long long)(base < end ? end - base : 0));
}

/* Guest RAM as the VM's stage 2 maps it: every page is translated first, so a copy is all or nothing. */
static bool stage2_copy(struct vm *vm, uint64_t gpa, void *buf, size_t len, bool to_guest)
{
	uint64_t pa;
	if (gpa + len < gpa)
		return false;
	for (uint64_t page = gpa & ~(PAGE - 1); page < gpa + len; page += PAGE)
		if (!stage2_translate(&vm->stage2, page, &pa))
			return false;
	uint8_t *bytes = buf;
	while (len) {
		size_t chunk = PAGE - (gpa & (PAGE - 1));
		if (chunk > len)
			chunk = len;
		stage2_translate(&vm->stage2, gpa, &pa);
		if (to_guest)
			memcpy((void *)(uintptr_t)pa, bytes, chunk);
		else
			memcpy(bytes, (const void *)(uintptr_t)pa, chunk);
		gpa += chunk;
		bytes += chunk;
		len -= chunk;
	}
	return true;
}

static bool guest_read_stage2(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	return stage2_copy(((struct mmio_slot *)ctx)->vm, gpa, buf, len, false);
}

static bool guest_write_stage2(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	return stage2_copy(((struct mmio_slot *)ctx)->vm, gpa, (void *)(uintptr_t)buf, len, true);
}

static void raise_spi(void *ctx)
{
	struct mmio_slot *slot = ctx;
	uint32_t spi = VM_VIRTIO_MMIO_FIRST_SPI + (uint32_t)slot->index;
	if (slot->transport->faults[MMIO_FAULT_INTERRUPT_WRONG_SPI])
		spi++;                          /* fault: not the SPI the DT names */
	vgic_raise_spi(slot->vm, 32 + spi);
}

/* Seeds for the entropy model: the counter, stirred (splitmix64); not for keys. */
static void fill_random(void *ctx, void *buf, size_t len)
{
	struct mmio_slot *slot = ctx;
	uint8_t *out = buf;
	slot->random_state ^= read_sysreg(cntpct_el0);
	for (size_t i = 0; i < len; i++) {
		uint64_t z = (slot->random_state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		out[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static uint64_t clock_us(void *ctx)
{
	(void)ctx;
	uint64_t ticks = read_sysreg(cntpct_el0), freq = read_sysreg(cntfrq_el0);
	return freq ? ticks / freq * 1000000 + ticks % freq * 1000000 / freq : 0;   /* no overflow for centuries */
}

/* The VM's virtual counter: what its vCPUs read in CNTVCT_EL0 (the offset of the vCPU that trapped). */
static uint64_t guest_counter(void *ctx, uint64_t *freq_hz)
{
	(void)ctx;
	*freq_hz = read_sysreg(cntfrq_el0);
	return read_sysreg(cntpct_el0) - read_sysreg(cntvoff_el2);
}

static void device_log(void *ctx, const char *message)
{
	struct mmio_slot *slot = ctx;
	hv_log("vm %s: device %d (%s): %s", slot->vm->cfg->name, slot->index,
	       slot->vm->cfg->devices[slot->index].model, message);
}

static void lock_slot(struct mmio_slot *slot)
{
	while (__atomic_exchange_n(&slot->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&slot->lock, __ATOMIC_RELAXED))
			;
}

static void unlock_slot(struct mmio_slot *slot)
{
	__atomic_store_n(&slot->lock, 0, __ATOMIC_RELEASE);
}

/* The console model's in-process host asks the VM's other devices of one model (e.g. the input devices
 * to inject events): each is called under its own lock; no device asked this way asks others in turn. */
static unsigned peer_request(void *ctx, const char *model, const char *request, char *reply, size_t size)
{
	struct mmio_slot *from = ctx;
	unsigned taken = 0;
	for (int i = 0; i < from->vm->cfg->n_devices; i++) {
		struct mmio_slot *slot = &slots[from->vm->id - 1][i];
		if (slot == from || !slot->transport || strcmp(slot->transport->dev.model->name, model) ||
		    !slot->transport->dev.model->host_request)
			continue;
		lock_slot(slot);
		taken += slot->transport->dev.model->host_request(&slot->transport->dev, request, reply, size);
		unlock_slot(slot);
	}
	return taken;
}

int mmio_devices_create(struct vm *vm, char *err, unsigned err_size)
{
	const struct vm_config *cfg = vm->cfg;
	for (int i = 0; i < cfg->n_devices; i++) {
		const struct device_config *d = &cfg->devices[i];
		struct mmio_slot *slot = &slots[vm->id - 1][i];
		char why[120];
		memset(slot, 0, sizeof(*slot));
		slot->vm = vm;
		slot->index = i;
		slot->random_state = (uint64_t)vm->id << 32 | (uint64_t)i;
		slot->transport = calloc(1, sizeof(*slot->transport));
		struct mmio_transport_host host = {
			.mem = { .ctx = slot, .read = guest_read_stage2, .write = guest_write_stage2 },
			.raise = raise_spi, .random = fill_random, .log = device_log, .peer_request = peer_request,
			.now_us = clock_us, .counter = guest_counter, .ctx = slot,
			.shm_base = VM_VIRTIO_SHM_IPA + (uint64_t)i * VM_VIRTIO_SHM_STRIDE,
		};
		if (!slot->transport) {
			text_format(err, err_size, "line %d: device %s: no room for it in the device heap", d->line, d->model);
			return -1;
		}
		if (!mmio_transport_create(slot->transport, d->model, d->options, &host, why, sizeof(why))) {
			text_format(err, err_size, "line %d: device %s: %s", d->line, d->model, why);
			slot->transport = NULL;
			return -1;
		}
		hv_log("vm %s: device %d: %s%s%s at IPA 0x%llx, SPI %d", cfg->name, i, d->model, d->options[0] ? " " : "",
		       d->options, (unsigned long long)(VM_VIRTIO_MMIO_IPA + (uint64_t)i * VM_VIRTIO_MMIO_SIZE),
		       VM_VIRTIO_MMIO_FIRST_SPI + i);
	}
	if (cfg->n_devices)
		hv_log("vm %s: device heap: %llu of %llu bytes used", cfg->name, (unsigned long long)device_heap_used(),
		       (unsigned long long)device_heap_size());
	return 0;
}

/* The transport whose register window (or, with shm, whose shared memory window) holds ipa. */
static struct mmio_slot *slot_at(const struct vm *vm, uint64_t ipa, bool shm)
{
	uint64_t base = shm ? VM_VIRTIO_SHM_IPA : VM_VIRTIO_MMIO_IPA, stride = shm ? VM_VIRTIO_SHM_STRIDE : VM_VIRTIO_MMIO_SIZE;
	if (ipa < base)
		return NULL;
	uint64_t index = (ipa - base) / stride;
	if (index >= (uint64_t)vm->cfg->n_devices)
		return NULL;
	struct mmio_slot *slot = &slots[vm->id - 1][index];
	if (!slot->transport || (shm && ipa - base - index * stride >= slot->transport->dev.shm_size))
		return NULL;
	return slot;
}

bool mmio_devices_claim(const struct vm *vm, uint64_t ipa)
{
	return slot_at(vm, ipa, false) || slot_at(vm, ipa, true);
}

void mmio_devices_tick(struct vm *vm)
{
	for (int i = 0; i < vm->cfg->n_devices; i++) {
		struct mmio_slot *slot = &slots[vm->id - 1][i];
		if (!slot->transport || !slot->transport->dev.model || !slot->transport->dev.model->tick)
			continue;
		lock_slot(slot);
		mmio_transport_tick(slot->transport);
		unlock_slot(slot);
	}
}

void mmio_devices_access(struct vm *vm, uint64_t ipa, unsigned size, bool write, uint64_t *value)
{
	struct mmio_slot *slot = slot_at(vm, ipa, false);
	if (!slot) {
		if ((slot = slot_at(vm, ipa, true))) {
			lock_slot(slot);
			mmio_transport_shm_access(slot->transport, (ipa - VM_VIRTIO_SHM_IPA) % VM_VIRTIO_SHM_STRIDE, size, write,
						  value);
			unlock_slot(slot);
		}
		return;
	}
	uint64_t offset = (ipa - VM_VIRTIO_MMIO_IPA) % VM_VIRTIO_MMIO_SIZE;
	/* vCPUs of one VM may drive one device at once: its registers and queues are one critical section. */
	lock_slot(slot);
	if (write)
		mmio_transport_write(slot->transport, offset, size, *value);
	else
		*value = mmio_transport_read(slot->transport, offset, size);
	unlock_slot(slot);
}
