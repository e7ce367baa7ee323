/* EL1 exception vector table: every entry reports the exception (ESR/FAR/ELR) through exception_report. */
	.section .vectors, "ax"
	.balign	2048
	.global	exception_vectors
exception_vectors:
	.irp	kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	128
	mov	x0, #\kind
	b	exception_common
	.endr

exception_common:
	mrs	x1, esr_el1
	mrs	x2, far_el1
	mrs	x3, elr_el1
	mrs	x4, spsr_el1
	bl	exception_report		/* does not return */
1:	wfi
	b	1b
