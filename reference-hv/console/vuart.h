/* Emulated PL011 subset each VM sees at 0x09000000: transmit, flags, ID registers; output a line at a time. */
#ifndef REFHV_VUART_H
#define REFHV_VUART_H

#include <stdbool.h>
#include <stdint.h>

#define VUART_LINE_MAX 200
/* A VM that writes more than this is stopped as a console flood. */
#define VUART_FLOOD_LIMIT (512u << 10)

struct vuart {
	char line[VUART_LINE_MAX + 1];
	unsigned len;
	uint64_t bytes;            /* written since the VM started */
	uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc;
	void (*emit_line)(void *ctx, const char *line);
	void *ctx;
};

/* One 32-bit-or-narrower register access at offset; returns false if the VM flooded its console. */
bool vuart_access(struct vuart *uart, uint64_t offset, bool write, uint64_t *value);

/* Emits a partial line (at VM stop). */
void vuart_flush(struct vuart *uart);

#endif
