/* Guest DT with libfdt's sequential writer: memory, cpus, psci (hvc), timer, uart, virtio-mmio transports, the SCMI agent node, the SBSA watchdog, chosen. */
#include <libfdt.h>
#include <string.h>

#include "faults.h"
#include "guest_dt.h"
#include "text_format.h"

#define PHANDLE_CLOCK 1
#define PHANDLE_GIC 2

#define CHECK(call) do { int err_ = (call); if (err_) return err_; } while (0)

static int reg_property(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int cpus_node(void *fdt, const struct vm *vm)
{
	char name[16];
	CHECK(fdt_begin_node(fdt, "cpus"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 1));
	CHECK(fdt_property_u32(fdt, "#size-cells", 0));
	for (int i = 0; i < vm->n_vcpus; i++) {
		text_format(name, sizeof(name), "cpu@%llx", (unsigned long long)vm->vcpus[i].mpidr);
		CHECK(fdt_begin_node(fdt, name));
		CHECK(fdt_property_string(fdt, "device_type", "cpu"));
		CHECK(fdt_property_string(fdt, "compatible", "arm,armv8"));
		CHECK(fdt_property_u32(fdt, "reg", (uint32_t)vm->vcpus[i].mpidr));
		CHECK(fdt_property_string(fdt, "enable-method", "psci"));
		CHECK(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int psci_node(void *fdt, const char *method)
{
	static const char compatible[] = "arm,psci-1.0\0arm,psci-0.2";
	CHECK(fdt_begin_node(fdt, "psci"));
	CHECK(fdt_property(fdt, "compatible", compatible, sizeof(compatible)));
	CHECK(fdt_property_string(fdt, "method", method));
	return fdt_end_node(fdt);
}

static int timer_node(void *fdt)
{
	static const char compatible[] = "arm,armv8-timer\0arm,armv7-timer";
	/* PPIs 13, 14, 11, 10 (secure phys, phys, virt, hyp), level-high: as QEMU virt. */
	static const uint32_t ppi[4] = { 13, 14, 11, 10 };
	fdt32_t interrupts[12];
	for (int i = 0; i < 4; i++) {
		interrupts[3 * i] = cpu_to_fdt32(1);
		interrupts[3 * i + 1] = cpu_to_fdt32(ppi[i]);
		interrupts[3 * i + 2] = cpu_to_fdt32(4);
	}
	CHECK(fdt_begin_node(fdt, "timer"));
	CHECK(fdt_property(fdt, "compatible", compatible, sizeof(compatible)));
	CHECK(fdt_property(fdt, "interrupts", interrupts, sizeof(interrupts)));
	CHECK(fdt_property(fdt, "always-on", NULL, 0));
	return fdt_end_node(fdt);
}

static int uart_nodes(void *fdt, const struct vm *vm)
{
	static const char compatible[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	fdt32_t clocks[2] = { cpu_to_fdt32(PHANDLE_CLOCK), cpu_to_fdt32(PHANDLE_CLOCK) };

	CHECK(fdt_begin_node(fdt, "apb-pclk"));
	CHECK(fdt_property_string(fdt, "compatible", "fixed-clock"));
	CHECK(fdt_property_u32(fdt, "#clock-cells", 0));
	CHECK(fdt_property_u32(fdt, "clock-frequency", 24000000));
	CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_CLOCK));
	CHECK(fdt_end_node(fdt));
	CHECK(fdt_begin_node(fdt, "pl011@9000000"));
	CHECK(fdt_property(fdt, "compatible", compatible, sizeof(compatible)));
	CHECK(reg_property(fdt, VM_UART_IPA, VM_UART_SIZE));
	CHECK(fdt_property(fdt, "clocks", clocks, sizeof(clocks)));
	CHECK(fdt_property(fdt, "clock-names", clock_names, sizeof(clock_names)));
	if (vm->has_vgic) {
		/* SPI 1 (INTID 33), level-high, as on QEMU virt: Linux's driver needs a line to open the
		 * port; refhv raises no UART interrupt (transmit never fills, there is no input). */
		fdt32_t interrupts[3] = { cpu_to_fdt32(0), cpu_to_fdt32(1), cpu_to_fdt32(4) };
		CHECK(fdt_property(fdt, "interrupts", interrupts, sizeof(interrupts)));
	}
	return fdt_end_node(fdt);
}

static int gic_node(void *fdt, const struct vm *vm)
{
	fdt64_t reg[4] = { cpu_to_fdt64(VGIC_DIST_IPA), cpu_to_fdt64(VGIC_DIST_SIZE), cpu_to_fdt64(VGIC_REDIST_IPA),
			   cpu_to_fdt64(VGIC_REDIST_STRIDE * (uint64_t)vm->n_vcpus) };
	CHECK(fdt_begin_node(fdt, "intc@8000000"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	CHECK(fdt_property_u32(fdt, "#interrupt-cells", 3));
	CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
	CHECK(fdt_property_u32(fdt, "#redistributor-regions", 1));
	CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	CHECK(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	return fdt_end_node(fdt);
}

/* One virtio,mmio node per `device` line, at the transport's window, with its edge-triggered SPI. */
static int virtio_nodes(void *fdt, const struct vm *vm)
{
	char name[32];
	for (int i = 0; i < vm->cfg->n_devices; i++) {
		uint64_t base = VM_VIRTIO_MMIO_IPA + (uint64_t)i * VM_VIRTIO_MMIO_SIZE;
		text_format(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		CHECK(fdt_begin_node(fdt, name));
		CHECK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		CHECK(reg_property(fdt, base, VM_VIRTIO_MMIO_SIZE));
		CHECK(fdt_property(fdt, "dma-coherent", NULL, 0));
		if (vm->has_vgic) {
			fdt32_t interrupts[3] = { cpu_to_fdt32(0), cpu_to_fdt32(VM_VIRTIO_MMIO_FIRST_SPI + (uint32_t)i),
						  cpu_to_fdt32(1) };
			CHECK(fdt_property(fdt, "interrupts", interrupts, sizeof(interrupts)));
		}
		CHECK(fdt_end_node(fdt));
	}
	return 0;
}

/* The SBSA generic watchdog (`watchdog` line): control frame, refresh frame, WS0 as a level-high SPI. */
static int watchdog_node(void *fdt, const struct vm *vm)
{
	if (!vm->cfg->has_watchdog)
		return 0;
	fdt64_t reg[4] = { cpu_to_fdt64(VM_WATCHDOG_CONTROL_IPA), cpu_to_fdt64(VM_WATCHDOG_FRAME_SIZE),
			   cpu_to_fdt64(VM_WATCHDOG_REFRESH_IPA), cpu_to_fdt64(VM_WATCHDOG_FRAME_SIZE) };
	char name[32];
	text_format(name, sizeof(name), "watchdog@%llx", (unsigned long long)VM_WATCHDOG_CONTROL_IPA);
	CHECK(fdt_begin_node(fdt, name));
	CHECK(fdt_property_string(fdt, "compatible", "arm,sbsa-gwdt"));
	CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	if (vm->has_vgic) {
		fdt32_t interrupts[3] = { cpu_to_fdt32(0), cpu_to_fdt32(vm->cfg->watchdog_spi), cpu_to_fdt32(4) };
		CHECK(fdt_property(fdt, "interrupts", interrupts, sizeof(interrupts)));
	}
	return fdt_end_node(fdt);
}

/* The SCMI device's agent node (arm,scmi-virtio) with one subnode per protocol its model implements. */
static int scmi_node(void *fdt, const struct vm *vm)
{
	static const struct { uint32_t protocol; const char *cells; } protocols[] = {
		{ 0x11, "#power-domain-cells" }, { 0x14, "#clock-cells" },
		{ 0x15, "#thermal-sensor-cells" }, { 0x16, "#reset-cells" },
	};
	char name[32];
	bool present = false;
	for (int i = 0; i < vm->cfg->n_devices; i++)
		present |= !strcmp(vm->cfg->devices[i].model, "scmi");
	if (!present)
		return 0;
	CHECK(fdt_begin_node(fdt, "firmware"));
	CHECK(fdt_begin_node(fdt, "scmi"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,scmi-virtio"));
	CHECK(fdt_property_u32(fdt, "#address-cells", 1));
	CHECK(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		text_format(name, sizeof(name), "protocol@%x", protocols[i].protocol);
		CHECK(fdt_begin_node(fdt, name));
		CHECK(fdt_property_u32(fdt, "reg", protocols[i].protocol));
		CHECK(fdt_property_u32(fdt, protocols[i].cells, 1));
		CHECK(fdt_end_node(fdt));
	}
	CHECK(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

static int chosen_node(void *fdt, const struct vm *vm)
{
	const struct vm_config *c = vm->cfg;
	CHECK(fdt_begin_node(fdt, "chosen"));
	CHECK(fdt_property_string(fdt, "stdout-path", "/pl011@9000000"));
	if (c->bootargs[0])
		CHECK(fdt_property_string(fdt, "bootargs", c->bootargs));
	if (c->initrd[0]) {
		CHECK(fdt_property_u64(fdt, "linux,initrd-start", c->ram_ipa + c->initrd_offset));
		CHECK(fdt_property_u64(fdt, "linux,initrd-end", c->ram_ipa + c->initrd_offset + c->initrd_size));
	}
	return fdt_end_node(fdt);
}

int guest_dt_build(void *buf, unsigned size, const struct vm *vm)
{
	char name[32];
	void *fdt = buf;

	CHECK(fdt_create(fdt, (int)size));
	CHECK(fdt_finish_reservemap(fdt));
	CHECK(fdt_begin_node(fdt, ""));
	CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	CHECK(fdt_property_string(fdt, "compatible", "avps-cts,refhv-vm"));
	text_format(name, sizeof(name), "refhv VM %s", vm->cfg->name);
	CHECK(fdt_property_string(fdt, "model", name));
	if (vm->has_vgic)
		CHECK(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));
	CHECK(chosen_node(fdt, vm));
	text_format(name, sizeof(name), "memory@%llx", (unsigned long long)vm->cfg->ram_ipa);
	CHECK(fdt_begin_node(fdt, name));
	CHECK(fdt_property_string(fdt, "device_type", "memory"));
	CHECK(reg_property(fdt, vm->cfg->ram_ipa, vm->cfg->ram_size));
	CHECK(fdt_end_node(fdt));
	CHECK(cpus_node(fdt, vm));
	if (!fault_on(vm->faults, FAULT_DT_NO_PSCI_NODE))
		CHECK(psci_node(fdt, fault_on(vm->faults, FAULT_DT_PSCI_METHOD_SMC) ? "smc" : "hvc"));
	if (vm->has_vgic)
		CHECK(gic_node(fdt, vm));
	CHECK(timer_node(fdt));
	CHECK(uart_nodes(fdt, vm));
	CHECK(virtio_nodes(fdt, vm));
	CHECK(scmi_node(fdt, vm));
	CHECK(watchdog_node(fdt, vm));
	CHECK(fdt_end_node(fdt));
	return fdt_finish(fdt);
}
