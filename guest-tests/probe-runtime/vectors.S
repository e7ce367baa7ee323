/* EL1 exception vector table: an IRQ at EL1h goes to probe_irq_entry (irq.c), every other entry reports the exception (ESR/FAR/ELR) through exception_report. */
	.section .vectors, "ax"
	.balign	2048
	.global	exception_vectors
exception_vectors:
	.irp	kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	128
	.if	\kind == 5
	b	irq_el1h
	.elseif	\kind == 8
	b	sync_lower_el
	.else
	mov	x0, #\kind
	b	exception_common
	.endif
	.endr

/* IRQ taken at EL1h: saves the caller-saved registers, dispatches, returns to the interrupted code. */
irq_el1h:
	sub	sp, sp, #192
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x30, x0, [sp, #160]
	str	x1, [sp, #176]
	bl	probe_irq_entry
	ldr	x1, [sp, #176]
	ldp	x30, x0, [sp, #160]
	msr	elr_el1, x0
	msr	spsr_el1, x1
	ldp	x18, x29, [sp, #144]
	ldp	x16, x17, [sp, #128]
	ldp	x14, x15, [sp, #112]
	ldp	x12, x13, [sp, #96]
	ldp	x10, x11, [sp, #80]
	ldp	x8, x9, [sp, #64]
	ldp	x6, x7, [sp, #48]
	ldp	x4, x5, [sp, #32]
	ldp	x2, x3, [sp, #16]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #192
	eret

/*
 * Synchronous exception from EL0: the probe runs nothing there, so the one expected case is a CPU that
 * CPU_ON entered at EL0 (against PSCI) whose first EL1-only read in secondary_entry (head.S) trapped here
 * through vectors the platform gave it. It reports EL0 with the DAIF and SCTLR_EL1 it was entered with
 * and goes on at EL1 (no stack used); any other exception is reported as unexpected.
 */
sync_lower_el:
	adrp	x1, secondary_entry_el_read
	add	x1, x1, :lo12:secondary_entry_el_read
	mrs	x2, elr_el1
	cmp	x1, x2
	b.ne	1f
	mov	x20, #0				/* CurrentEL.EL = 0 */
	mrs	x21, spsr_el1
	and	x21, x21, #0x3c0		/* PSTATE.DAIF at entry */
	mrs	x22, sctlr_el1
	b	secondary_entry_resume
1:	mov	x0, #8
	b	exception_common

exception_common:
	mrs	x1, esr_el1
	mrs	x2, far_el1
	mrs	x3, elr_el1
	mrs	x4, spsr_el1
	bl	exception_report		/* does not return */
1:	wfi
	b	1b
