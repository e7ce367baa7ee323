/* avps-vhost-user: serves one device model of reference-hv/devices to QEMU over a vhost-user socket, one connection at a time. */
#include "../devices/virtio_device.h"
#include "file_storage.h"
#include "host_control.h"
#include "session.h"
#include "unix_listen.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void host_used_notify(void *ctx, unsigned queue)
{
	session_call(ctx, queue);
}

static void host_config_notify(void *ctx)
{
	/* No back-channel is negotiated: QEMU learns of config changes when it next reads the config. */
	session_log(ctx, "device configuration changed (no back-channel to tell QEMU at once)");
}

static void host_log(void *ctx, const char *message)
{
	session_log(ctx, "device needs reset: %s", message);
}

static void host_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (getrandom(buf, len, 0) != (ssize_t)len)
		memset(buf, 0, len);
}

static void usage(void)
{
	fprintf(stderr, "usage: avps-vhost-user --socket PATH --model NAME [--options K=V,...] [--disk IMAGE] [--control PATH]\n"
			"models:");
	for (const struct vdev_model *const *m = vdev_models(); *m; m++)
		fprintf(stderr, " %s", (*m)->name);
	fprintf(stderr, "\noptions: model options and fault=<name> switches (see reference-hv/devices/README.md)\n"
			"--control: a socket where the host side sends requests to the model, one line each (\"key\")\n");
}

/* The slots of serve()'s poll set: the vhost-user socket (or its listener), the host control socket and its client, then the started rings' kick eventfds. */
enum { POLL_VHOST, POLL_CONTROL_LISTENER, POLL_CONTROL_CLIENT, POLL_RINGS };

/* Serves connections until a signal asks to stop. Returns the exit status. */
static int serve(int listener, struct vhost_session *s, struct host_control *control)
{
	while (!stop_requested) {
		struct pollfd fds[POLL_RINGS + VDEV_MAX_QUEUES];
		unsigned rings[VDEV_MAX_QUEUES], n = POLL_RINGS;
		fds[POLL_VHOST] = (struct pollfd){ .fd = s->sock >= 0 ? s->sock : listener, .events = POLLIN };
		fds[POLL_CONTROL_LISTENER] = (struct pollfd){ .fd = control->listener, .events = POLLIN };
		fds[POLL_CONTROL_CLIENT] = (struct pollfd){ .fd = control->client, .events = POLLIN };
		for (unsigned q = 0; s->sock >= 0 && q < s->dev->num_queues; q++) {
			if (s->rings[q].started && s->rings[q].kick_fd >= 0) {
				rings[n - POLL_RINGS] = q;
				fds[n++] = (struct pollfd){ .fd = s->rings[q].kick_fd, .events = POLLIN };
			}
		}
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("avps-vhost-user: poll");
			return 2;
		}
		/* Host requests first: they work with or without a QEMU connection. */
		if (fds[POLL_CONTROL_CLIENT].revents & (POLLIN | POLLHUP | POLLERR))
			host_control_read(control, s);
		if (fds[POLL_CONTROL_LISTENER].revents & POLLIN)
			host_control_accept(control, s);
		if (s->sock < 0) {
			if (fds[POLL_VHOST].revents & POLLIN) {
				int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
				if (conn >= 0) {
					session_open(s, conn);
					session_log(s, "QEMU connected");
				}
			}
			continue;
		}
		if (fds[POLL_VHOST].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!session_handle_message(s)) {
				session_log(s, "QEMU disconnected; waiting for the next connection");
				session_close(s);
			}
			continue; /* ring set may have changed */
		}
		for (unsigned i = POLL_RINGS; i < n; i++)
			if (fds[i].revents & POLLIN)
				session_kick(s, rings[i - POLL_RINGS]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *socket_path = NULL, *model = NULL, *options = "", *disk = NULL, *control_path = NULL;
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' }, { "model", required_argument, NULL, 'm' },
		{ "options", required_argument, NULL, 'o' }, { "disk", required_argument, NULL, 'd' },
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	for (int c; (c = getopt_long(argc, argv, "s:m:o:d:c:h", longopts, NULL)) != -1;) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'm': model = optarg; break;
		case 'o': options = optarg; break;
		case 'd': disk = optarg; break;
		case 'c': control_path = optarg; break;
		default: usage(); return c == 'h' ? 0 : 2;
		}
	}
	if (!socket_path || !model) {
		usage();
		return 2;
	}
	static struct vhost_session session = { .sock = -1 };
	static struct vdev dev;
	static struct file_storage storage = { .fd = -1 };
	char err[256];
	session.name = model;
	session.dev = &dev;
	if (disk && !file_storage_open(&storage, disk, vdev_option(options, "ro", NULL, 0), err, sizeof(err))) {
		fprintf(stderr, "avps-vhost-user: %s\n", err);
		return 2;
	}
	struct vdev_host host = { .ctx = &session, .used_notify = host_used_notify, .config_notify = host_config_notify,
				  .log = host_log, .random = host_random, .storage = disk ? &storage.ops : NULL };
	if (!vdev_create(&dev, model, options, guest_map_accessor(&session.map), host, err, sizeof(err))) {
		fprintf(stderr, "avps-vhost-user: %s\n", err);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	static struct host_control control = { .listener = -1, .client = -1 };
	if (control_path && !host_control_open(&control, control_path))
		return 2;
	int listener = unix_listen(socket_path);
	if (listener < 0) {
		host_control_close(&control, control_path);
		return 2;
	}
	fprintf(stderr, "avps-vhost-user[%s]: listening on %s (options '%s')%s%s\n", model, socket_path, options,
		control_path ? ", host requests on " : "", control_path ? control_path : "");
	int status = serve(listener, &session, &control);
	if (session.sock >= 0)
		session_close(&session);
	host_control_close(&control, control_path);
	/* Stopping is a power cut: writes the guest did not flush are lost, as the model promises. */
	vdev_destroy(&dev);
	file_storage_close(&storage);
	close(listener);
	unlink(socket_path);
	return status;
}
