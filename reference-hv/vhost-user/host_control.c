/* The back end's host control socket: requests of the platform's host side (inject a key press) reach the device model's host_request. */
#include "host_control.h"
#include "unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool host_control_open(struct host_control *c, const char *path)
{
	c->client = -1;
	c->len = 0;
	c->listener = unix_listen(path);
	return c->listener >= 0;
}

static void drop_client(struct host_control *c)
{
	if (c->client >= 0)
		close(c->client);
	c->client = -1;
	c->len = 0;
}

void host_control_accept(struct host_control *c, const struct vhost_session *s)
{
	int fd = accept4(c->listener, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		session_log(s, "host control: accept failed: %s", strerror(errno));
		return;
	}
	drop_client(c); /* one host at a time; a client that went quiet does not block the next */
	c->client = fd;
}

static void answer(struct host_control *c, const struct vhost_session *s, const char *text)
{
	char out[HOST_CONTROL_LINE_MAX + 64];
	int n = snprintf(out, sizeof(out), "%s\n", text);
	if (n < 0 || (size_t)n >= sizeof(out) || send(c->client, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		session_log(s, "host control: the answer '%s' could not be sent; dropping the client", text);
		drop_client(c);
	}
}

/* Hands one request line to the model and answers it. */
static void serve_line(struct host_control *c, struct vhost_session *s, const char *request)
{
	const struct vdev_model *model = s->dev->model;
	char reply[HOST_CONTROL_LINE_MAX] = "", text[HOST_CONTROL_LINE_MAX + 32];
	if (!request[0])
		snprintf(text, sizeof(text), "refused empty request");
	else if (!model->host_request)
		snprintf(text, sizeof(text), "refused the %s model takes no host requests", model->name);
	else if (!model->host_request(s->dev, request, reply, sizeof(reply)))
		snprintf(text, sizeof(text), "refused the %s model does not serve '%s'", model->name, request);
	else
		snprintf(text, sizeof(text), "ok %s", reply);
	session_log(s, "host request '%s': %s", request, text);
	answer(c, s, text);
}

void host_control_read(struct host_control *c, struct vhost_session *s)
{
	ssize_t n = read(c->client, c->line + c->len, sizeof(c->line) - c->len);
	if (n <= 0) {
		drop_client(c); /* the host closed (or broke) its end */
		return;
	}
	c->len += (size_t)n;
	for (char *end; (end = memchr(c->line, '\n', c->len));) {
		*end = '\0';
		if (end > c->line && end[-1] == '\r')
			end[-1] = '\0';
		serve_line(c, s, c->line);
		if (c->client < 0)
			return;
		size_t used = (size_t)(end + 1 - c->line);
		memmove(c->line, end + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof(c->line)) {
		answer(c, s, "refused request line too long");
		session_log(s, "host control: a request line longer than %d bytes; dropping the client",
			    HOST_CONTROL_LINE_MAX - 1);
		drop_client(c);
	}
}

void host_control_close(struct host_control *c, const char *path)
{
	drop_client(c);
	if (c->listener >= 0) {
		close(c->listener);
		unlink(path);
	}
	c->listener = -1;
}
