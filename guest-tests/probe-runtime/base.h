/* Leaf layer of the probe runtime (string, console, fatal stop): includes nothing else of the runtime but cpu.h. */
#ifndef PROBE_BASE_H
#define PROBE_BASE_H

#include <stddef.h>
#include <stdint.h>

/* ---- console: PL011 / SBSA UART, polled ------------------------------------ */
void console_init(uintptr_t pl011_base);
void console_puts(const char *text);
void console_flush(void);

/* ---- fatal stop --------------------------------------------------------------
 * Called where nothing can continue (stack smashed, unexpected exception). A
 * higher layer (the case runner) installs the handler that reports the current
 * case and powers off; without one, the reason goes to the console and the CPU
 * halts. The handler must not return. */
typedef void (*probe_fatal_handler)(const char *why);
void probe_set_fatal_handler(probe_fatal_handler handler);
void probe_fatal(const char *why) __attribute__((noreturn));

/* string.c provides memcpy, memset, memcmp, memchr, strlen, strcmp, ... for libfdt
 * and the probes; their prototypes come from the toolchain's <string.h>. */

#endif
