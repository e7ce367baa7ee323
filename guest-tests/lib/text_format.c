/* Tiny printf-style formatter usable freestanding (probes) and hosted (runner, unit tests). */
#include "text_format.h"

#include <stdint.h>

struct sink {
	char *buf;
	size_t size;
	size_t len;
};

static void sink_put(struct sink *s, char c)
{
	if (s->size && s->len < s->size - 1)
		s->buf[s->len] = c;
	s->len++;
}

static void sink_number(struct sink *s, unsigned long long value, unsigned base,
			int upper, int negative, int width, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = digits[value % base];
		value /= base;
	} while (value);
	if (negative)
		width--;
	if (negative && pad == '0')
		sink_put(s, '-');
	for (int i = n; i < width; i++)
		sink_put(s, pad);
	if (negative && pad != '0')
		sink_put(s, '-');
	while (n)
		sink_put(s, tmp[--n]);
}

int text_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { buf, size, 0 };

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			sink_put(&s, *p);
			continue;
		}
		p++;
		char pad = ' ';
		int width = 0, precision = -1, longs = 0, size_t_arg = 0;
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		if (*p == '.') {
			/* Precision: only %s uses it (at most that many characters). */
			p++;
			precision = 0;
			if (*p == '*') {
				precision = va_arg(ap, int);
				p++;
			}
			while (*p >= '0' && *p <= '9')
				precision = precision * 10 + (*p++ - '0');
		}
		while (*p == 'l') {
			longs++;
			p++;
		}
		if (*p == 'z') {
			size_t_arg = 1;
			p++;
		}
		switch (*p) {
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int len = 0;
			while (str[len] && (precision < 0 || len < precision))
				len++;
			for (int i = len; i < width; i++)
				sink_put(&s, ' ');
			for (int i = 0; i < len; i++)
				sink_put(&s, str[i]);
			break;
		}
		case 'c':
			sink_put(&s, (char)va_arg(ap, int));
			break;
		case 'd':
		case 'i': {
			long long v = size_t_arg ? (long long)va_arg(ap, size_t)
				    : longs >= 2 ? va_arg(ap, long long)
				    : longs == 1 ? va_arg(ap, long)
				    : va_arg(ap, int);
			unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v
						       : (unsigned long long)v;
			sink_number(&s, mag, 10, 0, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			unsigned long long v = size_t_arg ? va_arg(ap, size_t)
					     : longs >= 2 ? va_arg(ap, unsigned long long)
					     : longs == 1 ? va_arg(ap, unsigned long)
					     : va_arg(ap, unsigned int);
			sink_number(&s, v, *p == 'u' ? 10 : 16, *p == 'X', 0, width, pad);
			break;
		}
		case 'p':
			sink_put(&s, '0');
			sink_put(&s, 'x');
			sink_number(&s, (uintptr_t)va_arg(ap, void *), 16, 0, 0, width, pad);
			break;
		case '%':
			sink_put(&s, '%');
			break;
		case '\0':
			p--;
			break;
		default:
			sink_put(&s, '%');
			sink_put(&s, *p);
			break;
		}
	}
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int text_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = text_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
