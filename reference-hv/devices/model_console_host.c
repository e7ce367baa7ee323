/* The host end of the console model's ports: answers AVPS request lines as the harness's echo responder does, loops a port back, plugs a port. */
#include "model_console_host.h"
#include "virtio_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool console_ports_init(struct console_ports *ports, const char *options, char *err, size_t err_size)
{
	char text[CONSOLE_NAME_MAX];
	uint64_t n = CONSOLE_MAX_PORTS;
	memset(ports, 0, sizeof(*ports));
	if (strlen(options) >= sizeof(ports->options)) {
		snprintf(err, err_size, "console: options longer than %zu characters", sizeof(ports->options) - 1);
		return false;
	}
	memcpy(ports->options, options, strlen(options) + 1);
	if (vdev_option(options, "ports", text, sizeof(text)) &&
	    (!vdev_parse_size(text, &n) || n < 1 || n > CONSOLE_MAX_PORTS)) {
		snprintf(err, err_size, "console: ports=%s is not 1..%d", text, CONSOLE_MAX_PORTS);
		return false;
	}
	ports->max_ports = (unsigned)n;
	ports->hotplug_port = ports->max_ports - 1;
	unsigned loop = ports->max_ports == CONSOLE_MAX_PORTS ? 2 : 0;
	uint64_t value;
	if (vdev_option(options, "loop", text, sizeof(text))) {
		if (!vdev_parse_size(text, &value) || value < 1 || value >= ports->max_ports) {
			snprintf(err, err_size, "console: loop=%s is not a port 1..%u", text, ports->max_ports - 1);
			return false;
		}
		loop = (unsigned)value;
	}
	if (vdev_option(options, "hotplug", text, sizeof(text))) {
		if (!vdev_parse_size(text, &value) || value < 1 || value >= ports->max_ports) {
			snprintf(err, err_size, "console: hotplug=%s is not a port 1..%u", text, ports->max_ports - 1);
			return false;
		}
		ports->hotplug_port = (unsigned)value;
	}
	for (unsigned p = 0; p < ports->max_ports; p++) {
		char key[8];
		snprintf(key, sizeof(key), "name%u", p);
		ports->port[p].present = true;
		ports->port[p].loopback = p && p == loop;
		if (vdev_option(options, key, ports->port[p].name, sizeof(ports->port[p].name)))
			continue;
		if (p)
			snprintf(ports->port[p].name, sizeof(ports->port[p].name), "avps.%s%u", p == loop ? "loop" : "port", p);
	}
	return true;
}

static void output(struct console_port *port, const void *bytes, size_t len)
{
	if (len > sizeof(port->out) - port->out_len)
		return;   /* a host that cannot keep up drops whole lines, never a part of one */
	memcpy(port->out + port->out_len, bytes, len);
	port->out_len += len;
}

/* Splits "<a> <b>" (exactly two words, single spaces) into a and b; false when it is not that. */
static bool two_words(const char *args, char *a, size_t a_size, char *b, size_t b_size)
{
	const char *space = strchr(args, ' ');
	if (!space || space == args || !space[1] || strchr(space + 1, ' ') || (size_t)(space - args) >= a_size ||
	    strlen(space + 1) >= b_size)
		return false;
	memcpy(a, args, (size_t)(space - args));
	a[space - args] = '\0';
	memcpy(b, space + 1, strlen(space + 1) + 1);
	return true;
}

static bool is_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

/* "AVPS-PORTHOTPLUG <nonce> plug|unplug": the hot-plug port comes or goes (DEVICE_ADD / DEVICE_REMOVE). */
static void hotplug(struct console_ports *ports, const char *args, char *reply, size_t size)
{
	char nonce[24], action[16];
	if (!two_words(args, nonce, sizeof(nonce), action, sizeof(action)) || (strcmp(action, "plug") && strcmp(action, "unplug"))) {
		snprintf(reply, size, "AVPS-PORTHOTPLUG-REPLY ? ? malformed-request");
		return;
	}
	if (!ports->hotplug_port) {
		snprintf(reply, size, "AVPS-PORTHOTPLUG-REPLY %s %s error:no-hotplug-port", nonce, action);
		return;
	}
	bool present = !strcmp(action, "plug");
	struct console_port *port = &ports->port[ports->hotplug_port];
	if (port->present != present) {
		port->present = present;
		if (!present)
			port->out_len = 0;
		if (ports->plugged)
			ports->plugged(ports->ctx, ports->hotplug_port, present);
	}
	snprintf(reply, size, "AVPS-PORTHOTPLUG-REPLY %s %s ok", nonce, action);
}

/* "AVPS-INPUT <nonce> <kind>": the VM's input devices inject that kind of update. */
static void input(struct console_ports *ports, const char *args, char *reply, size_t size)
{
	char nonce[24], kind[16], events[32] = "";
	if (!two_words(args, nonce, sizeof(nonce), kind, sizeof(kind))) {
		snprintf(reply, size, "AVPS-INPUT-REPLY ? ? malformed-request");
		return;
	}
	unsigned taken = ports->ask_peers ? ports->ask_peers(ports->ctx, "input", kind, events, sizeof(events)) : 0;
	if (taken)
		snprintf(reply, size, "AVPS-INPUT-REPLY %s %s %s", nonce, kind, events);
	else
		snprintf(reply, size, "AVPS-INPUT-REPLY %s %s error:no-input-device-for-%s", nonce, kind, kind);
}

bool console_answer(struct console_ports *ports, const char *request, char *reply, size_t size)
{
	if (strncmp(request, "AVPS-", 5))
		return false;
	const char *space = strchr(request, ' ');
	if (!space)
		return false;
	size_t word_len = (size_t)(space - request);
	const char *args = space + 1;
	if (word_len == 9 && !strncmp(request, "AVPS-ECHO", 9)) {
		if (!is_hex(args))
			return false;
		snprintf(reply, size, "AVPS-ECHO-REPLY %s %zu", args, strlen(request));
	} else if (word_len == 16 && !strncmp(request, "AVPS-PORTHOTPLUG", 16)) {
		hotplug(ports, args, reply, size);
	} else if (word_len == 10 && !strncmp(request, "AVPS-INPUT", 10)) {
		input(ports, args, reply, size);
	} else if (word_len == 13 && !strncmp(request, "AVPS-ANNOUNCE", 13)) {
		char events[16];
		bool taken = ports->ask_peers && ports->ask_peers(ports->ctx, "net", "announce", events, sizeof(events));
		snprintf(reply, size, "AVPS-ANNOUNCE-REPLY %s %s", args, taken ? "ok" : "error:no-network-device");
	} else if (word_len == 9 && !strncmp(request, "AVPS-FACT", 9)) {
		char key[80], value[64];
		snprintf(key, sizeof(key), "fact.%s", args);
		bool known = !strchr(args, ',') && vdev_option(ports->options, key, value, sizeof(value));
		snprintf(reply, size, "AVPS-FACT-REPLY %s %s", args, known ? value : "-");
	} else {
		/* A service this host does not offer: say so at once, so the guest does not wait out its timeout. */
		snprintf(reply, size, "%.*s-REPLY %s error:no-such-host-service", (int)word_len, request, args);
	}
	return true;
}

/* One byte into a responder's line; a completed line is answered on `answer_port`. */
static bool take_byte(struct console_ports *ports, char *line, size_t *len, uint8_t byte, unsigned answer_port)
{
	if (byte == '\r')
		return false;
	if (byte != '\n') {
		if (*len + 1 < CONSOLE_LINE_MAX)
			line[(*len)++] = (char)byte;
		return false;
	}
	line[*len] = '\0';
	*len = 0;
	char reply[CONSOLE_LINE_MAX + 64];
	if (console_answer(ports, line, reply, sizeof(reply) - 1)) {
		size_t n = strlen(reply);
		reply[n++] = '\n';
		output(&ports->port[answer_port], reply, n);
	}
	return true;
}

void console_port_receive(struct console_ports *ports, unsigned port, const uint8_t *bytes, size_t len)
{
	if (port >= ports->max_ports || !ports->port[port].present)
		return;
	struct console_port *p = &ports->port[port];
	if (p->loopback) {
		output(p, bytes, len < sizeof(p->out) - p->out_len ? len : sizeof(p->out) - p->out_len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		take_byte(ports, p->line, &p->line_len, bytes[i], port);
}

bool console_port_receive_emergency(struct console_ports *ports, uint8_t byte, char *line, size_t size)
{
	char copy[CONSOLE_LINE_MAX];
	memcpy(copy, ports->emergency, ports->emergency_len);
	copy[ports->emergency_len] = '\0';
	if (!take_byte(ports, ports->emergency, &ports->emergency_len, byte, 0))
		return false;
	snprintf(line, size, "%s", copy);
	return true;
}
