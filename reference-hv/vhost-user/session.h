/* One vhost-user connection from QEMU: the messages it sends, the rings it hands over, the device model it drives. */
#ifndef AVPS_VHOST_USER_SESSION_H
#define AVPS_VHOST_USER_SESSION_H

#include "../devices/virtio_device.h"
#include "guest_map.h"

#include <stdbool.h>

struct host_ring {
	int kick_fd, call_fd, err_fd;
	bool enabled;   /* SET_VRING_ENABLE (or always, without protocol features) */
	bool started;   /* has a kick fd and translated addresses */
	uint16_t num;
	uint16_t base;  /* last available index QEMU gave (SET_VRING_BASE) */
	uint64_t desc_va, avail_va, used_va;
};

struct vhost_session {
	int sock;                 /* -1: no connection */
	struct vdev *dev;
	struct guest_map map;
	uint64_t protocol_features;
	bool protocol_features_negotiated; /* VHOST_USER_F_PROTOCOL_FEATURES acked in SET_FEATURES */
	struct host_ring rings[VDEV_MAX_QUEUES];
	const char *name;         /* for log lines */
};

void session_open(struct vhost_session *s, int sock);
/* Reads and handles one message; false when QEMU went away or sent something fatal (then close). */
bool session_handle_message(struct vhost_session *s);
/* A kick eventfd of ring q became readable. */
void session_kick(struct vhost_session *s, unsigned q);
/* Used-buffer notification for ring q (the device's host callback). */
void session_call(struct vhost_session *s, unsigned q);
void session_close(struct vhost_session *s);
void session_log(const struct vhost_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
