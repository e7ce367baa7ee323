/* Tiny printf-style formatter usable freestanding (probes) and hosted (runner, unit tests). */
#ifndef AVPS_TEXT_FORMAT_H
#define AVPS_TEXT_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Supports %s %c %d %i %u %x %X %p %% with optional '0' flag, width, a precision
 * for %s (%.5s, %.*s), and the length modifiers l, ll and z. Always NUL-terminates when size > 0.
 * Returns the length the full output would have had (like vsnprintf).
 */
int text_vformat(char *buf, size_t size, const char *fmt, va_list ap);
int text_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
