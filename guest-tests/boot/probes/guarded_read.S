/* Isolation probe: one guarded 64-bit read; a data abort on it (synchronous, or an SError right after) is recorded, not fatal. */

/* uint64_t guarded_read(uint64_t address, struct guarded_outcome *out): the value read; out gets
 * {esr, far, kind}, kind 0 = served, 1 = synchronous exception on the load, 2 = SError after it.
 * Every other exception goes on to the runtime's vectors (an unexpected exception, as anywhere). */
	.text
	.global	guarded_read
guarded_read:
	mrs	x9, vbar_el1
	adrp	x10, guarded_vectors
	add	x10, x10, :lo12:guarded_vectors
	msr	vbar_el1, x10
	isb
	mov	x11, xzr
	mov	x12, xzr
	mov	x13, xzr
	mov	x2, xzr
guarded_load:
	ldr	x2, [x0]
	dsb	sy
	msr	daifclr, #4			/* an asynchronous external abort is taken here */
	isb
	msr	daifset, #4
	isb
	msr	vbar_el1, x9
	isb
	stp	x11, x12, [x1]
	str	x13, [x1, #16]
	mov	x0, x2
	ret

	.balign	2048
guarded_vectors:
	.irp	kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	128
	.if	\kind == 4			/* synchronous, current EL with SP_ELx */
	b	guarded_sync
	.elseif	\kind == 7			/* SError, current EL with SP_ELx */
	b	guarded_serror
	.else
	b	exception_vectors + 128 * \kind
	.endif
	.endr

guarded_sync:
	mrs	x14, elr_el1
	adrp	x15, guarded_load
	add	x15, x15, :lo12:guarded_load
	cmp	x14, x15
	b.ne	exception_vectors + 128 * 4
	mrs	x11, esr_el1
	mrs	x12, far_el1
	mov	x13, #1
	add	x14, x14, #4
	msr	elr_el1, x14
	eret

guarded_serror:
	mrs	x11, esr_el1
	mov	x12, x0
	mov	x13, #2
	eret
