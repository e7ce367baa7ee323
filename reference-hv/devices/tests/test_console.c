/* Host unit tests of the console model: port 0 echo, multiport control messages, the loopback port, hot-plug, emerg_wr, input requests, faults. */
#include "host_driver.h"
#include "unit_check.h"

#define MULTIPORT (1ULL << 1)
enum { DEVICE_READY, DEVICE_ADD, DEVICE_REMOVE, PORT_READY, CONSOLE_PORT, RESIZE, PORT_OPEN, PORT_NAME };

struct ctrl {
	uint32_t id;
	uint16_t event, value;
	char text[32];
};

static uint64_t rx_at[VDEV_MAX_QUEUES][TD_QUEUE_SIZE];

static void post_rx(struct test_driver *td, unsigned queue, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t a = td_alloc(td, 128);
		struct td_buffer b = { a, 128, true };
		uint16_t id = td_add(td, queue, &b, 1, false);
		rx_at[queue][id % TD_QUEUE_SIZE] = a;
	}
	td_kick(td, queue);
}

static void send(struct test_driver *td, unsigned queue, const void *bytes, uint32_t len)
{
	uint64_t a = td_alloc(td, len);
	memcpy(td_host(td, a), bytes, len);
	struct td_buffer b = { a, len, false };
	td_submit(td, queue, &b, 1);
}

/* Everything the device delivered on a receive queue, concatenated. */
static size_t receive(struct test_driver *td, unsigned queue, char *out, size_t size)
{
	uint16_t id;
	uint32_t len;
	size_t total = 0;
	while (td_used(td, queue, &id, &len))
		if (total + len < size) {
			memcpy(out + total, td_host(td, rx_at[queue][id % TD_QUEUE_SIZE]), len);
			total += len;
		}
	out[total] = '\0';
	return total;
}

/* Control messages the device sent, in order (up to max). */
static unsigned controls(struct test_driver *td, struct ctrl *out, unsigned max)
{
	uint16_t id;
	uint32_t len;
	unsigned n = 0;
	while (td_used(td, 2, &id, &len))
		if (n < max) {
			memset(&out[n], 0, sizeof(out[n]));
			memcpy(&out[n], td_host(td, rx_at[2][id % TD_QUEUE_SIZE]), len < sizeof(out[n]) ? len : sizeof(out[n]) - 1);
			n++;
		}
	return n;
}

static void control(struct test_driver *td, uint32_t id, uint16_t event, uint16_t value)
{
	struct ctrl m = { id, event, value, "" };
	send(td, 3, &m, 8);
}

/* A driver that reset the device sets it up again on the same rings (split layout). */
static void reopen(struct test_driver *td, uint64_t features)
{
	struct vdev *dev = &td->dev;
	uint8_t running = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	vdev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdev_set_driver_features(dev, features & dev->offered & ~VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	vdev_set_status(dev, running);
	for (unsigned i = 0; i < dev->num_queues; i++) {
		struct td_queue *q = &td->q[i];
		q->next_desc = q->avail_idx = q->last_used = 0;
		memset(td_host(td, q->driver), 0, 6 + 2u * q->size);
		memset(td_host(td, q->device), 0, 6 + 8u * q->size);
		dev->queues[i].size = q->size;
		dev->queues[i].desc_addr = q->desc;
		dev->queues[i].driver_addr = q->driver;
		dev->queues[i].device_addr = q->device;
		dev->queues[i].ready = true;
	}
	vdev_set_status(dev, running | VIRTIO_STATUS_DRIVER_OK);
}

static void emergency_write(struct test_driver *td, const char *text)
{
	for (const char *c = text; *c; c++) {
		uint32_t v = (uint8_t)*c;
		vdev_write_config(&td->dev, 8, &v, 4);
	}
}

static unsigned injected;
static unsigned fake_peer(void *ctx, const char *model, const char *request, char *reply, size_t size)
{
	(void)ctx;
	if (strcmp(model, "input") || strcmp(request, "key"))
		return 0;
	injected++;
	snprintf(reply, size, "2");
	return 1;
}

int main(void)
{
	printf("KTAP version 1\n");
	struct test_driver td;
	char out[1024];
	struct ctrl m[16];

	/* Port 0 without MULTIPORT: the host end answers echo lines. */
	CHECK(td_start(&td, "console", "", ~MULTIPORT, false), "start_single_port");
	uint32_t max_ports;
	vdev_read_config(&td.dev, 4, &max_ports, 4);
	CHECK(max_ports == 3, "max_nr_ports_3");
	post_rx(&td, 0, 8);
	send(&td, 1, "AVPS-ECHO 1a2b\n", 15);
	receive(&td, 0, out, sizeof(out));
	CHECK_STR("AVPS-ECHO-REPLY 1a2b 14\n", out, "echo_answered_on_port0");
	send(&td, 1, "AVPS-BALLOON 1 16\n", 18);
	receive(&td, 0, out, sizeof(out));
	CHECK_STR("AVPS-BALLOON-REPLY 1 16 error:no-such-host-service\n", out, "unknown_service_answered");
	send(&td, 1, "AVPS-FACT nothing\n", 18);
	receive(&td, 0, out, sizeof(out));
	CHECK_STR("AVPS-FACT-REPLY nothing -\n", out, "unknown_fact_dash");
	td.dev.host.peer_request = fake_peer;
	send(&td, 1, "AVPS-INPUT 5 key\n", 17);
	send(&td, 1, "AVPS-INPUT 6 rel\n", 17);
	receive(&td, 0, out, sizeof(out));
	CHECK_STR("AVPS-INPUT-REPLY 5 key 2\nAVPS-INPUT-REPLY 6 rel error:no-input-device-for-rel\n", out,
		  "input_request_to_peers");
	CHECK(injected == 1, "input_peer_called_once");
	td_stop(&td);

	/* emerg_wr at Status 0: the line reaches port 0's host end; its reply waits for the driver. */
	CHECK(td_start(&td, "console", "fact.vsock_echo_port=1234", ~MULTIPORT, false), "start_emerg");
	vdev_set_status(&td.dev, 0);
	emergency_write(&td, "AVPS-ECHO c0de\nAVPS-FACT vsock_echo_port\n");
	CHECK(td.dev.status == 0, "emerg_wr_leaves_status");
	reopen(&td, ~MULTIPORT);
	post_rx(&td, 0, 4);
	receive(&td, 0, out, sizeof(out));
	CHECK_STR("AVPS-ECHO-REPLY c0de 14\nAVPS-FACT-REPLY vsock_echo_port 1234\n", out, "emerg_wr_answered");
	td_stop(&td);

	/* Multiport: DEVICE_ADD per port, names, the loopback port, hot-plug. */
	CHECK(td_start(&td, "console", "name1=avps.port2", ~0ULL, false), "start_multiport");
	post_rx(&td, 2, 16);
	control(&td, 0, DEVICE_READY, 1);
	unsigned n = controls(&td, m, 16);
	CHECK(n == 3 && m[0].event == DEVICE_ADD && m[0].id == 0 && m[1].id == 1 && m[2].id == 2, "device_add_each_port");
	control(&td, 1, PORT_READY, 1);
	n = controls(&td, m, 16);
	CHECK(n == 2 && m[0].event == PORT_NAME && !strcmp(m[0].text, "avps.port2") && m[1].event == PORT_OPEN,
	      "port_name_and_open");
	control(&td, 0, PORT_READY, 1);
	n = controls(&td, m, 16);
	CHECK(n == 2 && m[0].event == CONSOLE_PORT && m[1].event == PORT_OPEN, "console_port_announced");
	post_rx(&td, 4, 4);
	send(&td, 5, "AVPS-ECHO ff\n", 13);
	receive(&td, 4, out, sizeof(out));
	CHECK_STR("AVPS-ECHO-REPLY ff 12\n", out, "named_port_echo");
	post_rx(&td, 6, 4);
	send(&td, 7, "hello loop", 10);
	receive(&td, 6, out, sizeof(out));
	CHECK_STR("hello loop", out, "loopback_port");
	post_rx(&td, 0, 4);
	send(&td, 1, "AVPS-PORTHOTPLUG 7 unplug\n", 26);
	n = controls(&td, m, 16);
	CHECK(n == 1 && m[0].event == DEVICE_REMOVE && m[0].id == 2, "unplug_removes_added_port");
	send(&td, 1, "AVPS-PORTHOTPLUG 7 plug\n", 24);
	n = controls(&td, m, 16);
	CHECK(n == 1 && m[0].event == DEVICE_ADD && m[0].id == 2, "plug_adds_port");
	receive(&td, 0, out, sizeof(out));
	CHECK_STR("AVPS-PORTHOTPLUG-REPLY 7 unplug ok\nAVPS-PORTHOTPLUG-REPLY 7 plug ok\n", out, "hotplug_replies");
	td_stop(&td);

	/* Faults, each breaking one statement. */
	td_start(&td, "console", "fault=device-add-twice", ~0ULL, false);
	post_rx(&td, 2, 16);
	control(&td, 0, DEVICE_READY, 1);
	n = controls(&td, m, 16);
	CHECK(n == 4 && m[3].event == DEVICE_ADD && m[3].id == 0, "fault_device_add_twice");
	td_stop(&td);
	td_start(&td, "console", "fault=remove-unannounced", ~0ULL, false);
	post_rx(&td, 2, 16);
	control(&td, 0, DEVICE_READY, 1);
	controls(&td, m, 16);
	send(&td, 1, "AVPS-PORTHOTPLUG 8 unplug\n", 26);
	n = controls(&td, m, 16);
	CHECK(n == 1 && m[0].event == DEVICE_REMOVE && m[0].id == 3, "fault_remove_unannounced");
	td_stop(&td);
	td_start(&td, "console", "fault=emerg-wr-needs-driver-ok", ~MULTIPORT, false);
	vdev_set_status(&td.dev, 0);
	emergency_write(&td, "AVPS-ECHO 1\n");
	reopen(&td, ~MULTIPORT);
	post_rx(&td, 0, 4);
	CHECK(receive(&td, 0, out, sizeof(out)) == 0, "fault_emerg_wr_dropped_while_unconfigured");
	td_stop(&td);
	char err[120];
	struct vdev dev;
	struct flat_memory flat = { 0, NULL, 0 };
	CHECK(!vdev_create(&dev, "console", "ports=4", flat_memory_accessor(&flat), (struct vdev_host){ 0 }, err,
			   sizeof(err)), "ports_above_3_refused");
	return UNIT_DONE();
}
