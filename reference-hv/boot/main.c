/* Boot: read the machine and the config, build every VM, bring up the physical CPUs that run a vCPU. */
#include <string.h>

#include "arch.h"
#include "firmware.h"
#include "gic_phys.h"
#include "host_dt.h"
#include "log.h"
#include "mmio_devices.h"
#include "pcpu.h"
#include "vm_create.h"
#include "vm_reset.h"

struct pcpu pcpus[REFHV_MAX_PCPUS];
int n_pcpus;

static struct machine machine = {
	.uart = UART_PHYS_DEFAULT, .ram_base = 0x40000000, .ram_size = 0x40000000,
};
static struct hv_config config;

extern uint8_t pcpu_stacks[];
extern const char secondary_entry[];

static void pcpu_init(int index)
{
	struct pcpu *p = &pcpus[index];
	p->index = index;
	p->stack_top = (uint64_t)(uintptr_t)&pcpu_stacks[(uint64_t)(index + 1) * REFHV_STACK_SIZE];
	p->mpidr = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
	write_sysreg(tpidr_el2, p);
	isb();
}

/* The config text QEMU's loader put at REFHV_CONFIG_ADDRESS, NUL-terminated; NULL if none. */
static const char *config_text(void)
{
	const char *text = (const char *)(uintptr_t)REFHV_CONFIG_ADDRESS;
	if (!text[0])
		return NULL;
	return memchr(text, '\0', REFHV_CONFIG_MAX) ? text : NULL;
}

static void refuse(const char *what, const char *detail) __attribute__((noreturn));
static void refuse(const char *what, const char *detail)
{
	hv_log("%s: %s", what, detail);
	hv_log("no VM started; powering off");
	firmware_system_off();
}

void hv_main(const void *host_fdt) __attribute__((noreturn));
void hv_main(const void *host_fdt)
{
	char err[160];
	int dt_err = host_dt_read(host_fdt, &machine);

	log_init(machine.uart);
	if (!machine.n_cpus) {
		machine.n_cpus = 1;
		machine.cpu_mpidr[0] = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
	}
	n_pcpus = machine.n_cpus;
	pcpu_init(0);
	gic_phys_set_base(machine.gicd, machine.gicr);
	if (gic_phys_present()) {
		gic_phys_init_distributor();
		gic_phys_init_cpu(0, pcpus[0].mpidr);
	} else {
		hv_log("the machine has no GICv3: VMs get no interrupt controller");
	}
	hv_log("avps-cts reference hypervisor at EL2, %d physical CPUs, RAM 0x%llx+0x%llx%s", n_pcpus,
	       (unsigned long long)machine.ram_base, (unsigned long long)machine.ram_size,
	       dt_err ? " (machine DT unreadable: QEMU virt defaults)" : "");
	const char *text = config_text();
	if (!text)
		refuse("config", "none loaded at 0x43ff0000 (QEMU: -device loader,file=<config>,addr=0x43ff0000,force-raw=on)");
	if (config_parse(text, &config, err, sizeof(err)) ||
	    config_check_machine(&config, n_pcpus, machine.ram_base, machine.ram_size, err, sizeof(err)))
		refuse("config rejected", err);
	/* Machine RAM above every VM: the device models' heap, then the images kept for SYSTEM_RESET (top quarter). */
	uint64_t vms_end = REFHV_OWN_BASE + REFHV_OWN_SIZE, ram_end = machine.ram_base + machine.ram_size;
	for (int v = 0; v < config.n_vms; v++)
		if (config.vms[v].ram_pa + config.vms[v].ram_size > vms_end)
			vms_end = config.vms[v].ram_pa + config.vms[v].ram_size;
	uint64_t store_base = ram_end > vms_end ? ram_end - (ram_end - vms_end) / 4 : ram_end;
	mmio_devices_heap_init(&config, vms_end, store_base);
	vm_reset_store_init(store_base, ram_end);
	for (int v = 0; v < config.n_vms; v++)
		if (vm_create(v, &config.vms[v], err, sizeof(err)))
			refuse("config rejected", err);
	vms_assign_pcpus();
	for (int i = 1; i < n_pcpus; i++) {
		if (!pcpus[i].vcpu)
			continue;
		int64_t r = firmware_cpu_on(machine.cpu_mpidr[i], (uint64_t)(uintptr_t)secondary_entry, (uint64_t)i);
		if (r != 0)
			hv_log("physical CPU %d (MPIDR 0x%llx): CPU_ON failed (%lld); its vCPU never runs", i,
			       (unsigned long long)machine.cpu_mpidr[i], (long long)r);
	}
	pcpu_restart_on_fresh_stack(vcpu_run_loop);
}

void hv_secondary_main(uint64_t index) __attribute__((noreturn));
void hv_secondary_main(uint64_t index)
{
	pcpu_init((int)index);
	if (gic_phys_present())
		gic_phys_init_cpu((int)index, pcpus[index].mpidr);
	pcpu_restart_on_fresh_stack(vcpu_run_loop);
}
