/* SMCCC call wrappers that declare nothing clobbered: they fill x4-x30 with patterns and record every register after the call. */

/* Pattern in xN before the call: 0xc0de0000000000NN | N << 8 (the C side checks the same). */
.macro fill_pattern n
	mov	x\n, #(\n * 0x100 + \n)
	movk	x\n, #0xc0de, lsl #48
.endm

/*
 * int64_t smccc_regs_{hvc,smc}(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t out[33])
 * out[0..30] = x0..x30 right after the call, out[31] = SP after it, out[32] = SP before it.
 * x19-x30 are restored afterwards, so the C caller sees an ordinary function call.
 */
.macro regs_call insn
	sub	sp, sp, #112
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	str	x3, [sp, #96]
	mov	x3, sp
	str	x3, [sp, #104]
	mov	x3, #0
	.irp	n, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	fill_pattern \n
	.endr
	\insn	#0
	stp	x0, x1, [sp, #-16]!
	ldr	x0, [sp, #16 + 96]
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	str	x30, [x0, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0, #0]
	mov	x2, sp
	str	x2, [x0, #248]
	ldr	x3, [sp, #104]
	str	x3, [x0, #256]
	mov	x0, x2
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	add	sp, sp, #112
	ret
.endm

	.text
	.global	smccc_regs_hvc
	.type	smccc_regs_hvc, %function
smccc_regs_hvc:
	regs_call hvc
	.size	smccc_regs_hvc, . - smccc_regs_hvc

	.global	smccc_regs_smc
	.type	smccc_regs_smc, %function
smccc_regs_smc:
	regs_call smc
	.size	smccc_regs_smc, . - smccc_regs_smc
