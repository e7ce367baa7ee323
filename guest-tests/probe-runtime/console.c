/* Console output on a PL011 / SBSA generic UART (data and flag registers only, no setup needed). */
#include "cpu.h"
#include "base.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_BUSY (1u << 3)
#define UART_FR_TXFF (1u << 5)

static uintptr_t uart_base;

void console_init(uintptr_t pl011_base)
{
	uart_base = pl011_base;
}

static void console_putc(char c)
{
	/* Bounded wait: a stuck UART must not turn the run into a hang. */
	for (int spin = 0; spin < 1000000; spin++)
		if (!(mmio_read32(uart_base + UART_FR) & UART_FR_TXFF))
			break;
	mmio_write32(uart_base + UART_DR, (uint8_t)c);
}

void console_puts(const char *text)
{
	if (!uart_base)
		return;
	for (; *text; text++) {
		if (*text == '\n')
			console_putc('\r');
		console_putc(*text);
	}
}

void console_flush(void)
{
	if (!uart_base)
		return;
	for (int spin = 0; spin < 1000000; spin++)
		if (!(mmio_read32(uart_base + UART_FR) & UART_FR_BUSY))
			break;
}
