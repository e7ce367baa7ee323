/* The C library subset the device models call (calloc, malloc, free, snprintf, strtoull), for freestanding hosts (refhv). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device_heap.h"
#include "text_format.h"

/*
 * The models are written against hosted C (the vhost-user back end and the host tests link
 * the real C library); refhv links this file instead, so the models are shared, not forked.
 * The string functions come from the probe runtime's leaf layer (guest-tests/probe-runtime/string.c).
 */

static uintptr_t heap_base, heap_next, heap_end;

void device_heap_init(uintptr_t base, size_t size)
{
	heap_base = heap_next = (base + 15) & ~(uintptr_t)15;
	heap_end = base + size;
}

size_t device_heap_used(void)
{
	return heap_next - heap_base;
}

size_t device_heap_size(void)
{
	return heap_end - heap_base;
}

void *malloc(size_t size)
{
	size_t rounded = (size + 15) & ~(size_t)15;
	if (rounded < size || rounded > heap_end - heap_next)
		return NULL;
	void *p = (void *)heap_next;
	heap_next += rounded;
	return p;
}

void *calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	uint64_t *p = malloc(count * size);
	if (!p)
		return NULL;
	/* Whole aligned 64-bit stores: the hypervisor runs with its MMU off (Device memory, no unaligned access). */
	for (size_t i = 0; i < (count * size + 7) / 8; i++)
		p[i] = 0;
	return p;
}

/* A bump heap returns nothing: a model is destroyed only when its host ends. */
void free(void *p)
{
	(void)p;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return text_vformat(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = text_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* strtoull as C11 7.22.1.4 describes it for bases 0, 8, 10 and 16 (saturating at ULLONG_MAX). */
unsigned long long strtoull(const char *s, char **end, int base)
{
	const char *p = s;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	bool negative = *p == '-';
	if (*p == '+' || *p == '-')
		p++;
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}
	unsigned long long value = 0;
	bool any = false, overflow = false;
	for (; digit_value(*p) < base; p++) {
		unsigned d = (unsigned)digit_value(*p);
		if (value > (~0ULL - d) / (unsigned)base)
			overflow = true;
		value = value * (unsigned)base + d;
		any = true;
	}
	if (end)
		*end = (char *)(any ? p : s);
	if (overflow)
		return ~0ULL;
	return negative ? 0ULL - value : value;
}
