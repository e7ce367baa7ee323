/* Hypervisor entry: arm64 Image header, EL2 check, BSS, per-CPU stacks, primary and secondary entry. */
#include "layout.h"

	/* arm64 Linux Image header (Documentation/arch/arm64/booting.rst): QEMU's
	 * -kernel loader puts the image at RAM base + text_offset and enters at EL2
	 * (virtualization=on) with the DTB address in x0. */
	.section .head.start, "ax"
	.global	_start
_start:
	b	primary_entry			/* code0 */
	.long	0				/* code1 */
	.quad	0x80000				/* text_offset: refhv.ld links at 0x40080000 */

	.section .head.text, "ax"
	.quad	0xa				/* flags: LE, 4K pages */
	.quad	0, 0, 0
	.ascii	"ARM\x64"
	.long	0

primary_entry:
	mov	x19, x0				/* host DTB */
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	mov	x20, #0				/* the boot CPU is physical CPU 0 */
	bl	cpu_common_setup
	mov	x0, x19
	bl	hv_main
	b	park_forever

/* Physical CPU_ON entry (QEMU's PSCI, reached by SMC): x0 = physical CPU index. */
	.global	secondary_entry
secondary_entry:
	mov	x20, x0
	cmp	x20, #REFHV_MAX_PCPUS
	b.hs	park_forever
	bl	cpu_common_setup
	mov	x0, x20
	bl	hv_secondary_main
	b	park_forever

/* x20 = physical CPU index: stack below this CPU's guest frame, vectors, FP/SIMD at EL2 untrapped. */
cpu_common_setup:
	adrp	x1, pcpu_stacks
	add	x1, x1, :lo12:pcpu_stacks
	mov	x2, #REFHV_STACK_SIZE
	madd	x1, x20, x2, x1
	add	x1, x1, x2
	sub	sp, x1, #GUEST_FRAME_SIZE
	adrp	x1, hv_vectors
	add	x1, x1, :lo12:hv_vectors
	msr	vbar_el2, x1
	mov	x1, #0x33ff			/* CPTR_EL2: RES1 bits only, nothing trapped */
	msr	cptr_el2, x1
	isb
	ret

/* Not entered at EL2 (virtualization=off?): say so on QEMU virt's UART and stop. */
not_el2:
	adr	x1, not_el2_text
	mov	x2, #UART_PHYS_DEFAULT
3:	ldrb	w3, [x1], #1
	cbz	w3, park_forever
	str	w3, [x2]
	b	3b

	.global	park_forever
park_forever:					/* WFI: TCG runs a WFE loop as a busy loop */
	wfi
	b	park_forever

/* Resets this CPU's stack to just below its guest frame and calls fn (x0); never returns. */
	.global	pcpu_restart_on_fresh_stack
pcpu_restart_on_fresh_stack:
	mov	x9, x0
	mrs	x10, tpidr_el2			/* struct pcpu *: stack_top is its first field */
	ldr	x10, [x10]
	sub	sp, x10, #GUEST_FRAME_SIZE
	blr	x9
	b	park_forever

not_el2_text:
	.asciz	"refhv: not entered at EL2: boot QEMU with -M virt,virtualization=on\r\n"

	.section .bss, "aw", %nobits
	.balign	4096
	.global	pcpu_stacks
pcpu_stacks:
	.skip	REFHV_STACK_SIZE * REFHV_MAX_PCPUS
