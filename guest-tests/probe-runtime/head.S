/* Probe entry: arm64 Linux Image header, EL2->EL1 drop, self-relocation, BSS, stacks, secondary entry. */

/* Leaves EL2 for EL1h (AArch64, no stage 2, timer and FP usable at EL1). Clobbers x0, x1. */
.macro drop_to_el1
	mrs	x0, CurrentEL
	cmp	x0, #(2 << 2)
	b.ne	8f
	mov	x0, #(1 << 31)			/* HCR_EL2.RW: EL1 runs AArch64 */
	msr	hcr_el2, x0
	mov	x0, #3				/* CNTHCTL_EL2.EL1PCTEN | EL1PCEN */
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	mov	x0, #0x33ff			/* CPTR_EL2: RES1 bits, no FP/SIMD trap */
	msr	cptr_el2, x0
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	mrs	x0, id_aa64pfr0_el1		/* GICv3 system registers present? */
	ubfx	x0, x0, #24, #4
	cbz	x0, 7f
	mov	x0, #0xf			/* ICC_SRE_EL2: SRE | Enable (EL1 may use them) */
	msr	S3_4_C12_C9_5, x0
	isb
7:	movz	x0, #0x0800
	movk	x0, #0x30d0, lsl #16		/* SCTLR_EL1 RES1 bits, MMU and caches off */
	msr	sctlr_el1, x0
	adrp	x0, el2_stub_vectors		/* an HVC nobody handles returns NOT_SUPPORTED */
	add	x0, x0, :lo12:el2_stub_vectors
	msr	vbar_el2, x0
	mov	x0, #0x3c5			/* SPSR: DAIF masked, EL1h */
	msr	spsr_el2, x0
	adr	x0, 8f
	msr	elr_el2, x0
	eret
8:
.endm

/* Common EL1 setup: known SCTLR, FP/SIMD enabled (libfdt is built without -mgeneral-regs-only), vectors. */
.macro el1_setup
	movz	x0, #0x0800
	movk	x0, #0x30d0, lsl #16
	msr	sctlr_el1, x0
	mov	x0, #(3 << 20)			/* CPACR_EL1.FPEN */
	msr	cpacr_el1, x0
	adrp	x0, exception_vectors
	add	x0, x0, :lo12:exception_vectors
	msr	vbar_el1, x0
	isb
.endm

	/* arm64 Linux Image header (Documentation/arch/arm64/booting.rst). image_size
	 * (including BSS) sits between the two parts: probe.ld writes it, so that it
	 * needs no run-time relocation. */
	.section .head.start, "ax"
	.global	_start
_start:
	b	primary_entry			/* code0 */
	.long	0				/* code1 */
	.quad	0x80000				/* text_offset */

	.section .head.text, "ax"
	.quad	0xa				/* flags: LE, 4K pages, anywhere in RAM */
	.quad	0, 0, 0				/* res2..res4 */
	.ascii	"ARM\x64"			/* magic */
	.long	0				/* res5: no PE header */

primary_entry:
	mov	x19, x0				/* DTB physical address */
	mrs	x21, cntvct_el0			/* entry time, for boot-to-verdict */
	mrs	x22, CurrentEL
	drop_to_el1
	el1_setup

	/* Apply R_AARCH64_RELATIVE relocations: the image is linked at 0. */
	adrp	x20, _start
	add	x20, x20, :lo12:_start
	adrp	x1, __rela_start
	add	x1, x1, :lo12:__rela_start
	adrp	x2, __rela_end
	add	x2, x2, :lo12:__rela_end
1:	cmp	x1, x2
	b.hs	2f
	ldp	x3, x4, [x1], #16		/* r_offset, r_info */
	ldr	x5, [x1], #8			/* r_addend */
	cmp	w4, #1027			/* R_AARCH64_RELATIVE */
	b.ne	1b
	add	x5, x5, x20
	str	x5, [x20, x3]
	b	1b

2:	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b

4:	adrp	x0, boot_stack_top
	add	x0, x0, :lo12:boot_stack_top
	mov	sp, x0
	mov	x0, x19
	mov	x1, x21
	mov	x2, x22
	bl	probe_runtime_main
5:	wfi
	b	5b

/* CPU_ON / resume entry point: x0 = context_id; the boot CPU published the stack in secondary_boot_stack. */
	.global	secondary_entry
secondary_entry:
	mov	x19, x0
	.global	secondary_entry_el_read
secondary_entry_el_read:			/* at EL0 this traps: vectors.S finishes the reads at EL1 */
	mrs	x20, CurrentEL			/* the entry state PSCI promises, for the probe to check */
	mrs	x21, daif
	mrs	x22, sctlr_el1
	cmp	x20, #(2 << 2)
	b.ne	secondary_entry_resume
	mrs	x22, sctlr_el2
	.global	secondary_entry_resume
secondary_entry_resume:				/* x19 = context_id, x20-x22 = CurrentEL, DAIF, SCTLR at entry */
	drop_to_el1
	el1_setup
	adrp	x1, secondary_boot_stack
	ldr	x1, [x1, :lo12:secondary_boot_stack]
	mov	sp, x1
	mov	x0, x19
	lsr	x1, x20, #2
	mov	x2, x21
	mov	x3, x22
	bl	secondary_main
6:	wfi
	b	6b

/*
 * EL2 vectors left behind after the drop: nothing runs at EL2 any more, so an
 * HVC (DT says "hvc" but no hypervisor answers) returns SMCCC NOT_SUPPORTED (-1)
 * instead of jumping through a stale VBAR_EL2; anything else parks the CPU.
 */
	.section .vectors.el2, "ax"
	.balign	2048
el2_stub_vectors:
	.rept	8
	.balign	128
	b	.
	.endr
	.balign	128				/* 0x400: synchronous, lower EL, AArch64 */
	mrs	x18, esr_el2
	lsr	x18, x18, #26
	cmp	x18, #0x16			/* EC: HVC from AArch64 */
	b.ne	.
	mov	x0, #-1
	eret
	.rept	7
	.balign	128
	b	.
	.endr

	.section .bss, "aw", %nobits
	.balign	16
boot_stack:
	.skip	16384
boot_stack_top:
