/* Listening Unix sockets for avps-vhost-user. */
#ifndef AVPS_VHOST_USER_UNIX_LISTEN_H
#define AVPS_VHOST_USER_UNIX_LISTEN_H

/* Listens on path (replacing a stale file); -1 with a message on stderr when it cannot. */
int unix_listen(const char *path);

#endif
