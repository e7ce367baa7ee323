/* Asks the host a question over the virtio console (/dev/hvc0): one request line out, one matching reply line back. */
#include "host_request.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Reads one line (without newline) before the overall deadline; false on timeout. */
static bool read_line_until(int fd, char *line, size_t size, const struct timespec *start, int timeout_ms)
{
	size_t len = 0;
	for (;;) {
		long elapsed = elapsed_ms(start);
		if (elapsed >= timeout_ms)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(timeout_ms - elapsed)) <= 0)
			continue;
		char c;
		if (read(fd, &c, 1) != 1)
			continue;
		if (c == '\r')
			continue;
		if (c == '\n') {
			line[len] = '\0';
			return true;
		}
		if (len < size - 1)
			line[len++] = c;
	}
}

int console_port_open_raw(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct termios t;
	if (tcgetattr(fd, &t) == 0) { /* a tty (hvc); vport character devices have no line discipline */
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
		tcflush(fd, TCIOFLUSH);
	}
	return fd;
}

bool console_port_read_line(int fd, char *line, size_t size, int timeout_ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	return read_line_until(fd, line, size, &start, timeout_ms);
}

bool host_request(const char *request, const char *reply_prefix, char *reply, size_t size,
		  int timeout_ms)
{
	int fd = console_port_open_raw("/dev/hvc0");
	if (fd < 0) {
		snprintf(reply, size, "open /dev/hvc0: %s", strerror(errno));
		return false;
	}
	char line[512];
	int len = snprintf(line, sizeof(line), "%s\n", request);
	if (write(fd, line, (size_t)len) != len) {
		snprintf(reply, size, "write /dev/hvc0: %s", strerror(errno));
		close(fd);
		return false;
	}
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	size_t prefix_len = strlen(reply_prefix);
	while (read_line_until(fd, line, sizeof(line), &start, timeout_ms)) {
		if (strncmp(line, reply_prefix, prefix_len) == 0) {
			snprintf(reply, size, "%s", line);
			close(fd);
			return true;
		}
	}
	snprintf(reply, size, "no reply starting '%s' within %d ms", reply_prefix, timeout_ms);
	close(fd);
	return false;
}

unsigned long host_request_nonce(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 20) ^ ((unsigned long)ts.tv_sec << 32);
}
