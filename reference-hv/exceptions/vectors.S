/* EL2 exception vectors: save the guest's registers in this CPU's frame, call the C handler, restore and return. */
#include "layout.h"

.macro save_frame
	sub	sp, sp, #GUEST_FRAME_SIZE
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x0, elr_el2
	mrs	x1, spsr_el2
	stp	x30, x0, [sp, #240]
	str	x1, [sp, #256]
.endm

/* A vector slot: save, call handler(frame, kind), return to the interrupted context. */
.macro vector_entry handler, kind
	.balign	128
	save_frame
	mov	x0, sp
	mov	x1, #\kind
	bl	\handler
	b	guest_frame_restore
.endm

	.section .vectors, "ax"
	.balign	2048
	.global	hv_vectors
hv_vectors:
	vector_entry hv_exception_report, 0	/* current EL, SP0 */
	vector_entry hv_exception_report, 1
	vector_entry hv_exception_report, 2
	vector_entry hv_exception_report, 3
	vector_entry hv_exception_report, 4	/* current EL, SPx: a hypervisor bug */
	vector_entry hv_exception_report, 5
	vector_entry hv_exception_report, 6
	vector_entry hv_exception_report, 7
	vector_entry trap_from_guest, 8		/* lower EL, AArch64: sync */
	vector_entry trap_from_guest, 9		/* irq */
	vector_entry trap_from_guest, 10	/* fiq */
	vector_entry trap_from_guest, 11	/* serror */
	vector_entry trap_from_guest, 12	/* lower EL, AArch32: never allowed (HCR_EL2.RW) */
	vector_entry trap_from_guest, 13
	vector_entry trap_from_guest, 14
	vector_entry trap_from_guest, 15

	.text
/* Restores the frame at sp and erets; also how a vCPU is first entered (guest_enter). */
	.global	guest_frame_restore
guest_frame_restore:
	ldp	x30, x0, [sp, #240]
	ldr	x1, [sp, #256]
	msr	elr_el2, x0
	msr	spsr_el2, x1
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	add	sp, sp, #GUEST_FRAME_SIZE
	eret

/* guest_enter(frame): frame is this CPU's guest frame, just below its stack top. */
	.global	guest_enter
guest_enter:
	mov	sp, x0
	b	guest_frame_restore
