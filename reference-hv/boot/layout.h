/* Fixed numbers shared by assembly and C: CPU limits, stack and guest-frame sizes, physical addresses. */
#ifndef REFHV_LAYOUT_H
#define REFHV_LAYOUT_H

#define REFHV_MAX_PCPUS 8
#define REFHV_STACK_SIZE 16384
/* x0..x30, ELR_EL2, SPSR_EL2, padding: struct guest_regs (exceptions/guest_regs.h). */
#define GUEST_FRAME_SIZE 272

/* QEMU virt: the physical PL011 (the hypervisor's own log) and RAM. */
#define UART_PHYS_DEFAULT 0x09000000
/* The hypervisor owns [0x40000000, 0x44000000); the config text is loaded at its end. */
#define REFHV_OWN_BASE 0x40000000
#define REFHV_OWN_SIZE 0x04000000
#define REFHV_CONFIG_ADDRESS 0x43ff0000
#define REFHV_CONFIG_MAX 0x10000

#endif
