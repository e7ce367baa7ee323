/* SYSTEM_RESET of one VM: its images and DT kept aside at creation go back into its RAM, its vCPUs and vGIC start afresh, the boot vCPU re-enters the image. */
#include <string.h>

#include "arch.h"
#include "gic_phys.h"
#include "log.h"
#include "pcpu.h"
#include "text_format.h"
#include "vm_create.h"
#include "vm_reset.h"
#include "watchdog_vm.h"

#define ARM64_IMAGE_SIZE_OFFSET 16          /* image_size (incl. BSS) in the arm64 Image header */
#define IMAGE_SIZE_FALLBACK 0x200000ULL     /* an Image whose header gives no size: its first 2 MiB */
#define STORE_ALIGN 0x1000ULL

/* Physical RAM no VM uses, handed out in order: [store_next, store_end). */
static uint64_t store_next, store_end;

void vm_reset_store_init(uint64_t base, uint64_t end)
{
	store_next = (base + STORE_ALIGN - 1) & ~(STORE_ALIGN - 1);
	store_end = end;
}

/* 8 bytes at a time (the EL2 MMU is off: Device memory, no unaligned accesses); both ends 8-aligned. */
static void copy_words(uint64_t dst_pa, uint64_t src_pa, uint64_t size)
{
	volatile uint64_t *d = (volatile uint64_t *)(uintptr_t)dst_pa;
	const volatile uint64_t *s = (const volatile uint64_t *)(uintptr_t)src_pa;
	for (uint64_t n = (size + 7) / 8; n; n--)
		*d++ = *s++;
}

static bool keep(struct vm *vm, uint64_t offset, uint64_t size)
{
	const struct vm_config *c = vm->cfg;
	if (offset >= c->ram_size)
		return true;
	if (size > c->ram_size - offset)
		size = c->ram_size - offset;
	size = (size + STORE_ALIGN - 1) & ~(STORE_ALIGN - 1);
	if (vm->n_saved < 0 || vm->n_saved >= VM_SAVED_RANGES || size > store_end - store_next ||
	    store_next > store_end) {
		vm->n_saved = -1;
		return false;
	}
	vm->saved[vm->n_saved++] = (struct vm_saved_range){ .offset = offset, .size = size, .saved_pa = store_next };
	copy_words(store_next, c->ram_pa + offset, size);
	store_next += size;
	return true;
}

void vm_save_for_reset(struct vm *vm, uint64_t dtb_offset, uint64_t dtb_size)
{
	const struct vm_config *c = vm->cfg;
	uint64_t image_size;
	memcpy(&image_size, (const void *)(uintptr_t)(c->ram_pa + c->image_offset + ARM64_IMAGE_SIZE_OFFSET), 8);
	vm->n_saved = 0;
	keep(vm, c->image_offset, image_size ? image_size : IMAGE_SIZE_FALLBACK);
	if (c->initrd_size)
		keep(vm, c->initrd_offset, c->initrd_size);
	keep(vm, dtb_offset, dtb_size);
	if (vm->n_saved < 0)
		hv_log("vm %s: no free RAM to keep its images: SYSTEM_RESET will end it instead", c->name);
}

/* Every other vCPU of the VM has left the guest (kicked, parked in its run loop). */
static void wait_for_other_vcpus(struct vcpu *caller)
{
	struct vm *vm = caller->vm;
	for (int i = 0; i < vm->n_vcpus; i++)
		if (i != caller->index && gic_phys_present())
			gic_phys_send_sgi(pcpus[vm->vcpus[i].pcpu].mpidr, GIC_SGI_KICK);
	for (int i = 0; i < vm->n_vcpus; i++)
		while (i != caller->index && __atomic_load_n(&vm->vcpus[i].in_guest, __ATOMIC_ACQUIRE))
			__asm__ volatile("yield" ::: "memory");
}

void vm_reset(struct vcpu *caller)
{
	struct vm *vm = caller->vm;
	int expected = VM_RUNNING;

	if (!__atomic_compare_exchange_n(&vm->state, &expected, VM_RESETTING, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		vcpu_park();                        /* stopped, or another vCPU is resetting it */
	vm->resets++;
	const char *why = vm->n_saved < 0 ? "its images could not be kept (no free RAM)"
		: vm->cfg->reset_limit && vm->resets > vm->cfg->reset_limit ? "its reset limit was reached" : NULL;
	if (why) {
		__atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
		char reason[96];
		text_format(reason, sizeof(reason), "the VM ends: %s (reset %u)", why, vm->resets);
		vm_stop(vm, "SYSTEM_RESET", reason);
		vcpu_park();
	}
	vuart_flush(&vm->uart);
	hv_log("vm %s: SYSTEM_RESET: restarting the VM (reset %u)", vm->cfg->name, vm->resets);
	wait_for_other_vcpus(caller);
	for (int i = 0; i < vm->n_saved; i++)
		copy_words(vm->cfg->ram_pa + vm->saved[i].offset, vm->saved[i].saved_pa, vm->saved[i].size);
	memset(&vm->vgic, 0, sizeof(vm->vgic));
	watchdog_vm_reset(vm);
	vm->vgic.pidr2_says_gicv2 = fault_on(vm->faults, FAULT_GICD_PIDR2_GICV2);
	for (int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		memset(&v->vgic, 0, sizeof(v->vgic));
		__atomic_store_n(&v->start_requested, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&v->suspended, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELAXED);
	}
	vm->aborts_injected = 0;
	__atomic_store_n(&vm->boot_requested, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
	dsb_sy();
	sev();
	/* The boot vCPU's physical CPU may wait in WFI (vcpu_run_loop): the kick wakes it. */
	for (int i = 0; i < vm->n_vcpus; i++)
		if (i != caller->index && gic_phys_present())
			gic_phys_send_sgi(pcpus[vm->vcpus[i].pcpu].mpidr, GIC_SGI_KICK);
	vcpu_park();                                /* the boot vCPU (maybe this one) takes the restart */
}
