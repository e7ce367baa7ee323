/* The hypervisor's log on the physical PL011 (the probes' leaf console), one lock so lines never interleave. */
#include <stdarg.h>

#include "base.h"
#include "log.h"
#include "text_format.h"

static int console_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

/* libfdt's stack protector or another leaf-layer fatal stop: say so in the log's own format. */
static void fatal_in_hypervisor(const char *why)
{
	console_puts("refhv: HYPERVISOR FATAL: ");
	console_puts(why);
	console_puts("\n");
	console_flush();
	for (;;)
		__asm__ volatile("wfe");
}

void log_init(uintptr_t uart_base)
{
	console_init(uart_base);
	probe_set_fatal_handler(fatal_in_hypervisor);
}

void hv_log(const char *fmt, ...)
{
	char line[240];
	va_list ap;
	va_start(ap, fmt);
	text_vformat(line, sizeof(line), fmt, ap);
	va_end(ap);
	lock();
	console_puts("refhv: ");
	console_puts(line);
	console_puts("\n");
	unlock();
}

void vm_console_line(void *vm_name, const char *line)
{
	lock();
	console_puts("[");
	console_puts(vm_name);
	console_puts("] ");
	console_puts(line);
	console_puts("\n");
	unlock();
}
