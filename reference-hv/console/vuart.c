/* PL011 emulation (Arm PL011 TRM r1p5 register map): what probes and Linux's pl011 driver touch for output. */
#include "vuart.h"

#define UARTDR     0x000
#define UARTFR     0x018
#define UARTIBRD   0x024
#define UARTFBRD   0x028
#define UARTLCR_H  0x02c
#define UARTCR     0x030
#define UARTIFLS   0x034
#define UARTIMSC   0x038
#define UARTRIS    0x03c
#define UARTMIS    0x040
#define UARTICR    0x044
#define FR_RXFE    (1u << 4)
#define FR_TXFE    (1u << 7)

/* UARTPeriphID0..3, UARTPCellID0..3 at 0xfe0..0xffc: a PL011 r1p5, as QEMU's. */
static const uint8_t id_registers[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void vuart_flush(struct vuart *uart)
{
	if (!uart->len)
		return;
	uart->line[uart->len] = '\0';
	uart->emit_line(uart->ctx, uart->line);
	uart->len = 0;
}

static bool transmit(struct vuart *uart, char ch)
{
	if (++uart->bytes > VUART_FLOOD_LIMIT)
		return false;
	if (ch == '\r')
		return true;
	if (ch == '\n') {
		uart->line[uart->len] = '\0';
		uart->emit_line(uart->ctx, uart->line);
		uart->len = 0;
		return true;
	}
	uart->line[uart->len++] = ch;
	if (uart->len == VUART_LINE_MAX)
		vuart_flush(uart);
	return true;
}

bool vuart_access(struct vuart *uart, uint64_t offset, bool write, uint64_t *value)
{
	uint32_t *reg = offset == UARTCR ? &uart->cr : offset == UARTLCR_H ? &uart->lcr_h
		      : offset == UARTIBRD ? &uart->ibrd : offset == UARTFBRD ? &uart->fbrd
		      : offset == UARTIFLS ? &uart->ifls : offset == UARTIMSC ? &uart->imsc : 0;

	if (write) {
		if (offset == UARTDR)
			return transmit(uart, (char)(*value & 0xff));
		if (reg)
			*reg = (uint32_t)*value;
		return true;   /* ICR and read-only registers: writes ignored */
	}
	if (offset == UARTFR)
		*value = FR_TXFE | FR_RXFE;      /* transmit always done, nothing to receive */
	else if (reg)
		*value = *reg;
	else if (offset >= 0xfe0 && offset <= 0xffc && !(offset & 3))
		*value = id_registers[(offset - 0xfe0) / 4];
	else
		*value = 0;                      /* DR (no input), RIS, MIS, unknown: read as zero */
	return true;
}
