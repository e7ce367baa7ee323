/* VM construction from the config (stage 2, image check, guest DT) and VM stop, at EL2. */
#include <string.h>

#include "arch.h"
#include "faults.h"
#include "firmware.h"
#include "gic_phys.h"
#include "guest_dt.h"
#include "log.h"
#include "mmio_devices.h"
#include "pcpu.h"
#include "text_format.h"
#include "vm_create.h"
#include "vm_reset.h"
#include "watchdog_vm.h"

#define STAGE2_POOL_PAGES 128

struct vm vms[CONFIG_MAX_VMS];
int n_vms;
static int vms_running;

static stage2_table stage2_pages[STAGE2_POOL_PAGES] __attribute__((aligned(4096)));
static struct stage2_pool stage2_pool = { .pages = stage2_pages, .count = STAGE2_POOL_PAGES };

static int image_present(const struct vm_config *cfg)
{
	const uint8_t *image = (const uint8_t *)(uintptr_t)(cfg->ram_pa + cfg->image_offset);
	return image[56] == 'A' && image[57] == 'R' && image[58] == 'M' && image[59] == 0x64;
}

int vm_create(int index, const struct vm_config *cfg, char *err, unsigned err_size)
{
	struct vm *vm = &vms[index];

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->id = index + 1;
	vm->faults = cfg->faults;
	vm->n_vcpus = cfg->n_vcpus;
	for (int i = 0; i < cfg->n_vcpus; i++) {
		vm->vcpus[i] = (struct vcpu){ .vm = vm, .index = i, .pcpu = cfg->pcpu[i], .mpidr = (uint64_t)i,
					      .power = VCPU_OFF };
	}
	vm->has_vgic = gic_phys_present();
	vm->vgic.pidr2_says_gicv2 = fault_on(vm->faults, FAULT_GICD_PIDR2_GICV2);
	vm->uart.emit_line = vm_console_line;
	vm->uart.ctx = (void *)cfg->name;
	if (!image_present(cfg)) {
		text_format(err, err_size, "line %d: vm %s: no arm64 Image (magic ARM\\x64) at physical 0x%llx: "
			    "image %s not loaded", cfg->image_line, cfg->name,
			    (unsigned long long)(cfg->ram_pa + cfg->image_offset), cfg->image);
		return -1;
	}
	if (stage2_init(&vm->stage2, &stage2_pool) ||
	    stage2_map(&vm->stage2, cfg->ram_ipa, cfg->ram_pa, cfg->ram_size, STAGE2_NORMAL_RW)) {
		text_format(err, err_size, "line %d: vm %s: stage-2 tables do not fit the pool", cfg->ram_line,
			    cfg->name);
		return -1;
	}
	if (cfg->budget_s)
		vm->deadline = read_sysreg(cntpct_el0) + cfg->budget_s * read_sysreg(cntfrq_el0);
	vm->entry_ipa = cfg->ram_ipa + cfg->image_offset;
	vm->dtb_ipa = cfg->ram_ipa + cfg->ram_size - VM_DTB_SPACE;
	void *dtb = (void *)(uintptr_t)(cfg->ram_pa + cfg->ram_size - VM_DTB_SPACE);
	int dt_err = guest_dt_build(dtb, VM_DTB_SPACE, vm);
	if (dt_err) {
		text_format(err, err_size, "line %d: vm %s: guest DT not built (libfdt error %d)", cfg->line,
			    cfg->name, dt_err);
		return -1;
	}
	if (mmio_devices_create(vm, err, err_size))
		return -1;
	watchdog_vm_create(vm);
	vm_save_for_reset(vm, cfg->ram_size - VM_DTB_SPACE, VM_DTB_SPACE);
	vm->boot_requested = 1;
	hv_log("vm %s: %d vCPU(s), RAM 0x%llx+0x%llx at physical 0x%llx, entry 0x%llx, DT at 0x%llx%s",
	       cfg->name, vm->n_vcpus, (unsigned long long)cfg->ram_ipa, (unsigned long long)cfg->ram_size,
	       (unsigned long long)cfg->ram_pa, (unsigned long long)vm->entry_ipa,
	       (unsigned long long)vm->dtb_ipa, fault_set_any(vm->faults) ? ", fault switches:" : "");
	for (int f = 0; f < FAULT_COUNT; f++)
		if (fault_on(vm->faults, (enum fault_id)f))
			hv_log("vm %s: fault %s: %s", cfg->name, fault_switches[f].name, fault_switches[f].breaks);
	n_vms = index + 1;
	vms_running++;
	return 0;
}

/* FAULT_STAGE2_HOLE: the next VM's RAM becomes visible right after this VM's own RAM. */
static void open_stage2_hole(struct vm *vm, struct vm *neighbour)
{
	const struct vm_config *c = vm->cfg, *n = neighbour->cfg;
	uint64_t ipa = c->ram_ipa + c->ram_size;
	if (stage2_map(&vm->stage2, ipa, n->ram_pa, n->ram_size, STAGE2_NORMAL_RW)) {
		hv_log("vm %s: fault stage2-hole: could not map vm %s's RAM (no room in the tables)", c->name, n->name);
		return;
	}
	vm->hole_to = neighbour;
	hv_log("vm %s: fault stage2-hole: vm %s's RAM (physical 0x%llx) readable at IPA 0x%llx", c->name, n->name,
	       (unsigned long long)n->ram_pa, (unsigned long long)ipa);
}

void vms_assign_pcpus(void)
{
	for (int v = 0; v < n_vms; v++) {
		if (!fault_on(vms[v].faults, FAULT_STAGE2_HOLE))
			continue;
		if (n_vms < 2)
			hv_log("vm %s: fault stage2-hole: there is no other VM to expose", vms[v].cfg->name);
		else
			open_stage2_hole(&vms[v], &vms[(v + 1) % n_vms]);
	}
	for (int v = 0; v < n_vms; v++)
		for (int i = 0; i < vms[v].n_vcpus; i++)
			pcpus[vms[v].vcpus[i].pcpu].vcpu = &vms[v].vcpus[i];
}

void vm_stop(struct vm *vm, const char *event, const char *reason)
{
	int expected = VM_RUNNING;
	if (!__atomic_compare_exchange_n(&vm->state, &expected, VM_STOPPED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	vuart_flush(&vm->uart);
	/* Its vCPUs on other physical CPUs trap at the kick and park (exceptions/trap.c). */
	for (int i = 0; i < vm->n_vcpus; i++)
		if (gic_phys_present() && vm->vcpus[i].pcpu != this_pcpu()->index)
			gic_phys_send_sgi(pcpus[vm->vcpus[i].pcpu].mpidr, GIC_SGI_KICK);
	if (reason)
		hv_log("vm %s: %s: %s", vm->cfg->name, event, reason);
	else
		hv_log("vm %s: %s", vm->cfg->name, event);
	if (__atomic_sub_fetch(&vms_running, 1, __ATOMIC_ACQ_REL) == 0) {
		hv_log("every VM has ended; powering off");
		firmware_system_off();
	}
}
