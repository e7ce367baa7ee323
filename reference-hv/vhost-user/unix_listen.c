/* Listening Unix sockets for avps-vhost-user (the vhost-user socket and the host control socket), never seen half-made. */
#include "unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int unix_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) + 5 >= sizeof(addr.sun_path)) {
		fprintf(stderr, "avps-vhost-user: socket path too long: %s\n", path);
		return -1;
	}
	/* Bound under a temporary name and renamed once it listens: a client that sees path can always
	 * connect (a bound but not yet listening socket refuses). */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.new", path);
	unlink(addr.sun_path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 4) != 0 ||
	    rename(addr.sun_path, path) != 0) {
		fprintf(stderr, "avps-vhost-user: cannot listen on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(addr.sun_path);
		return -1;
	}
	return fd;
}
