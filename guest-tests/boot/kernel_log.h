/* Reads the kernel log (the whole ring buffer, whatever the console log level) for boot facts the kernel only prints. */
#ifndef AVPS_BOOT_KERNEL_LOG_H
#define AVPS_BOOT_KERNEL_LOG_H

#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* A NUL-terminated copy of the kernel log (free() it), or NULL. */
static inline char *kernel_log(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size <= 0)
		size = 1 << 17;
	char *text = malloc((size_t)size + 1);
	if (!text)
		return NULL;
	int n = klogctl(SYSLOG_ACTION_READ_ALL, text, size);
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

/* Copies the first log line containing needle (without its "<6>[ time] " prefix) into line. */
static inline bool kernel_log_line(const char *log, const char *needle, char *line, size_t size)
{
	const char *hit = log ? strstr(log, needle) : NULL;
	if (!hit)
		return false;
	const char *start = hit;
	while (start > log && start[-1] != '\n')
		start--;
	const char *end = strchr(hit, '\n');
	size_t length = end ? (size_t)(end - start) : strlen(start);
	if (length >= size)
		length = size - 1;
	memcpy(line, start, length);
	line[length] = '\0';
	return true;
}

#endif
