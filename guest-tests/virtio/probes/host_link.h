/* Requests to the host over port 0 of the virtio console (the line protocol of harness/avps_cts/host/console_echo.py). */
#ifndef PROBE_HOST_LINK_H
#define PROBE_HOST_LINK_H

#include <stdbool.h>
#include <stddef.h>

/* Sends "<request>\n" and waits up to timeout_ms for a line starting with reply_prefix
 * (other lines are skipped); the reply goes to reply. False, with the reason in reply,
 * when there is no console device, the port cannot be driven or no reply comes. */
bool host_link_request(const char *request, const char *reply_prefix, char *reply, size_t size,
		       int timeout_ms);
/* Waits like host_link_request without sending (the request went to the host another way). */
bool host_link_await(const char *reply_prefix, char *reply, size_t size, int timeout_ms);

#endif
