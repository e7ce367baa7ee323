/* Static VM configuration: the parsed form of one scenario file (a reference-hv/configs file). */
#ifndef REFHV_CONFIG_H
#define REFHV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "faults.h"
#include "layout.h"

#define CONFIG_MAX_VMS 4
#define CONFIG_MAX_VCPUS 8
#define CONFIG_NAME_MAX 16
#define CONFIG_PATH_MAX 160
#define CONFIG_BOOTARGS_MAX 2048   /* arm64 Linux takes up to 2048 (COMMAND_LINE_SIZE) */
#define CONFIG_MAX_DEVICES 8
#define CONFIG_MODEL_MAX 16
#define CONFIG_DEVICE_OPTIONS_MAX 192

/* `device <model> [<options>]`: a reference device model (reference-hv/devices) on a virtio-mmio transport. */
struct device_config {
	char model[CONFIG_MODEL_MAX];
	char options[CONFIG_DEVICE_OPTIONS_MAX];   /* key=value,...,fault=<name> as the model parses them */
	int line;
};

/* Guest-physical layout every VM sees (the QEMU virt addresses, so guests need nothing special). */
#define VM_UART_IPA 0x09000000ULL
#define VM_UART_SIZE 0x1000ULL
/* Transport i of the VM's `device` lines (virtio-mmio/): 0x200 bytes at 0x0a000000 + i * 0x200, SPI 16 + i,
 * edge-triggered, as QEMU virt places its own virtio-mmio transports. */
#define VM_VIRTIO_MMIO_IPA 0x0a000000ULL
#define VM_VIRTIO_MMIO_SIZE 0x200ULL
#define VM_VIRTIO_MMIO_FIRST_SPI 16
/* Transport i's shared memory region, if its model has one (virtio-mmio SHMBase): 2 MiB at 0x0c000000 + i * 2 MiB,
 * in the QEMU virt map's platform-bus gap; accesses trap to the model. */
#define VM_VIRTIO_SHM_IPA 0x0c000000ULL
#define VM_VIRTIO_SHM_STRIDE 0x200000ULL
/* `watchdog spi=N`: an Arm SBSA Generic Watchdog, control frame then refresh frame (4 KiB each), WS0 on SPI N
 * (level-high), in a gap of the QEMU virt map. */
#define VM_WATCHDOG_CONTROL_IPA 0x09100000ULL
#define VM_WATCHDOG_REFRESH_IPA 0x09101000ULL
#define VM_WATCHDOG_FRAME_SIZE 0x1000ULL
/* The guest DT sits in the last 2 MiB of the VM's RAM. */
#define VM_DTB_SPACE 0x200000ULL

struct vm_config {
	char name[CONFIG_NAME_MAX];
	int line;                       /* of the `vm` statement */
	int n_vcpus;
	int pcpu[CONFIG_MAX_VCPUS];     /* vCPU i runs on physical CPU pcpu[i] */
	int cpus_line;
	uint64_t ram_ipa, ram_size, ram_pa;
	int ram_line;
	char image[CONFIG_PATH_MAX];
	uint64_t image_offset;          /* from the RAM base; the guest is entered there */
	int image_line;
	char initrd[CONFIG_PATH_MAX];
	uint64_t initrd_offset, initrd_size;
	int initrd_line;
	char bootargs[CONFIG_BOOTARGS_MAX];
	uint64_t budget_s;              /* `budget <seconds>`: the VM is stopped after this long (0: no limit) */
	unsigned reset_limit;           /* `resets <n>`: the (n+1)th SYSTEM_RESET ends the VM (0: no limit) */
	struct fault_set faults;        /* the `fault` statements */
	bool has_watchdog;              /* `watchdog spi=N` */
	unsigned watchdog_spi;
	int watchdog_line;
	int n_devices;
	struct device_config devices[CONFIG_MAX_DEVICES];
};

struct hv_config {
	int n_vms;
	struct vm_config vms[CONFIG_MAX_VMS];
};

/*
 * Parses and checks a whole config text (NUL-terminated). Returns 0, or -1 with
 * "line N: what is wrong" in err. Checks that need the machine (RAM size, CPU
 * count) or the files (images) are the caller's: config_check_machine.
 */
int config_parse(const char *text, struct hv_config *cfg, char *err, unsigned err_size);

/* Checks the config against the machine: CPUs that exist, RAM that exists. */
int config_check_machine(const struct hv_config *cfg, int n_pcpus, uint64_t ram_base,
			 uint64_t ram_size, char *err, unsigned err_size);

#endif
