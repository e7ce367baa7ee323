/* The hypervisor's own log on the physical PL011, and the per-VM console lines ("[vm] text"). */
#ifndef REFHV_LOG_H
#define REFHV_LOG_H

#include <stdint.h>

void log_init(uintptr_t uart_base);

/* "refhv: <text>\n", one whole line under the console lock. */
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "[<vm>] <line>\n": a VM's console output, one line at a time. */
void vm_console_line(void *vm_name, const char *line);

#endif
