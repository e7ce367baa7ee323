/* virtio-mmio register access on the target: MMIO loads/stores (8/16/32-bit) and the generic timer as the clock. */
#include "cpu.h"
#include "vmmio_target.h"

static uint32_t mmio_read(void *ctx, uint32_t offset, unsigned size)
{
	uintptr_t a = (uintptr_t)ctx + offset;
	uint32_t v;
	if (size == 1)
		v = *(volatile uint8_t *)a;
	else if (size == 2)
		v = *(volatile uint16_t *)a;
	else
		v = *(volatile uint32_t *)a;
	dmb_sy();
	return v;
}

static void mmio_write(void *ctx, uint32_t offset, uint32_t value, unsigned size)
{
	uintptr_t a = (uintptr_t)ctx + offset;
	dmb_sy();
	if (size == 1)
		*(volatile uint8_t *)a = (uint8_t)value;
	else if (size == 2)
		*(volatile uint16_t *)a = (uint16_t)value;
	else
		*(volatile uint32_t *)a = value;
	dsb_sy();
}

static uint64_t now_us(void *ctx)
{
	(void)ctx;
	return timer_us(timer_count());
}

void vmmio_attach_base(struct vmmio *t, uintptr_t base)
{
	struct vmmio_io io = { mmio_read, mmio_write, now_us, (void *)base };
	vmmio_attach(t, &io);
}

uintptr_t vmmio_base(const struct vmmio *t)
{
	return (uintptr_t)t->io.ctx;
}
