/* Asks the host a question over the virtio console (/dev/hvc0): one request line out, one matching reply line back. */
#ifndef AVPS_HOST_REQUEST_H
#define AVPS_HOST_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes request + "\n" on /dev/hvc0 (raw mode) and waits up to timeout_ms for a line
 * starting with reply_prefix, skipping other lines. The reply (without newline) goes to
 * reply. False with the reason in reply on open/write failure or timeout.
 * Requests the harness answers: AVPS-ECHO, AVPS-INPUT, AVPS-FILE, AVPS-DISK (see
 * harness/avps_cts/host/console_echo.py).
 */
bool host_request(const char *request, const char *reply_prefix, char *reply, size_t size,
		  int timeout_ms);

/* Opens a console port (a tty such as /dev/hvc0, or a /dev/vportNpM) in raw mode with its
 * queues flushed; -1 with errno on failure. */
int console_port_open_raw(const char *path);

/* Reads one line (without CR/LF) from fd within timeout_ms; false on timeout. */
bool console_port_read_line(int fd, char *line, size_t size, int timeout_ms);

/* A per-call nonce (time and pid mixed), printed as hex by callers. */
unsigned long host_request_nonce(void);

#endif
