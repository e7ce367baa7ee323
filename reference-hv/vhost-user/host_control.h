/* The back end's host control socket: the platform's host side hands requests (an input model's "key") to the device model. */
#ifndef AVPS_VHOST_USER_HOST_CONTROL_H
#define AVPS_VHOST_USER_HOST_CONTROL_H

#include "session.h"

#include <stdbool.h>
#include <stddef.h>

#define HOST_CONTROL_LINE_MAX 128

/* One line per request ("key\n"), one line per answer: "ok <model's reply>" or "refused <why>". */
struct host_control {
	int listener;   /* -1: no control socket */
	int client;     /* -1: nobody connected; a new client replaces the old one */
	char line[HOST_CONTROL_LINE_MAX];
	size_t len;
};

/* Listens on path; false (with a message on stderr) when it cannot. */
bool host_control_open(struct host_control *c, const char *path);
/* Accepts a client on the listener (which poll found readable). */
void host_control_accept(struct host_control *c, const struct vhost_session *s);
/* Reads what the client sent (poll found it readable) and answers every complete line from the session's model. */
void host_control_read(struct host_control *c, struct vhost_session *s);
void host_control_close(struct host_control *c, const char *path);

#endif
