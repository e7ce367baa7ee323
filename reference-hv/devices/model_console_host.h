/* The host end of the console model's ports, in-process: an AVPS request responder per port, a loopback port, port hot-plug. */
#ifndef AVPS_DEVICES_MODEL_CONSOLE_HOST_H
#define AVPS_DEVICES_MODEL_CONSOLE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_MAX_PORTS 3      /* port 0 plus two: 2 * (3 + 1) queues fit VDEV_MAX_QUEUES */
#define CONSOLE_LINE_MAX 160
#define CONSOLE_OUT_MAX 2048
#define CONSOLE_NAME_MAX 32
#define CONSOLE_OPTIONS_MAX 256

struct console_port {
	bool present;                  /* plugged on the host side */
	bool loopback;                 /* output comes back as input (else: the request responder) */
	bool guest_open;               /* the driver's last PORT_OPEN value */
	char name[CONSOLE_NAME_MAX];   /* PORT_NAME ("" for none) */
	char line[CONSOLE_LINE_MAX];   /* responder: the request line being received */
	size_t line_len;
	uint8_t out[CONSOLE_OUT_MAX];  /* host -> guest bytes waiting for receive buffers */
	size_t out_len;
};

struct console_ports {
	unsigned max_ports;
	unsigned hotplug_port;         /* the port AVPS-PORTHOTPLUG plugs and removes (0: none) */
	char options[CONSOLE_OPTIONS_MAX];  /* kept for fact.<key>=<value> answers */
	struct console_port port[CONSOLE_MAX_PORTS];
	char emergency[CONSOLE_LINE_MAX];   /* the line arriving through emerg_wr */
	size_t emergency_len;
	/* The device's side: a port was plugged or removed; other devices of the VM for a request. */
	void *ctx;
	void (*plugged)(void *ctx, unsigned port, bool present);
	unsigned (*ask_peers)(void *ctx, const char *model, const char *request, char *reply, size_t size);
};

/* Options: ports=N (max_nr_ports, 1..3, default 3), nameK=<name>, loop=K (a loopback port, default 2 when
 * there are 3), hotplug=K (default: the last port), fact.<key>=<value> (answers AVPS-FACT <key>). */
bool console_ports_init(struct console_ports *ports, const char *options, char *err, size_t err_size);
/* Bytes the guest transmitted on a port. */
void console_port_receive(struct console_ports *ports, unsigned port, const uint8_t *bytes, size_t len);
/* One emerg_wr byte (goes to port 0's responder); true with the line in `line` when it completed one. */
bool console_port_receive_emergency(struct console_ports *ports, uint8_t byte, char *line, size_t size);
/* The responder's answer to one request line (no newline); false when it does not answer it. */
bool console_answer(struct console_ports *ports, const char *request, char *reply, size_t size);

#endif
