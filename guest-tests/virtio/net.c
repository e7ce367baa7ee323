/* virtio-net: modern device, MAC and MTU from config, link up, TCP traffic to a host echo service. */
#define AVPS_SUITE "virtio.net"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "net_config.h"
#include "virtio_sysfs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* VIRTIO 1.2 Network Device / Feature bits */
enum virtio_net_feature {
	VIRTIO_NET_F_CSUM = 0, VIRTIO_NET_F_GUEST_CSUM = 1, VIRTIO_NET_F_MTU = 3, VIRTIO_NET_F_MAC = 5,
	VIRTIO_NET_F_GUEST_TSO4 = 7, VIRTIO_NET_F_GUEST_TSO6 = 8, VIRTIO_NET_F_GUEST_ECN = 9,
	VIRTIO_NET_F_GUEST_UFO = 10, VIRTIO_NET_F_HOST_TSO4 = 11, VIRTIO_NET_F_HOST_TSO6 = 12,
	VIRTIO_NET_F_HOST_ECN = 13, VIRTIO_NET_F_HOST_UFO = 14, VIRTIO_NET_F_STATUS = 16,
	VIRTIO_NET_F_CTRL_VQ = 17, VIRTIO_NET_F_CTRL_RX = 18, VIRTIO_NET_F_CTRL_VLAN = 19,
	VIRTIO_NET_F_GUEST_ANNOUNCE = 21, VIRTIO_NET_F_MQ = 22, VIRTIO_NET_F_CTRL_MAC_ADDR = 23,
	VIRTIO_NET_F_HOST_USO = 56, VIRTIO_NET_F_RSS = 60, VIRTIO_NET_F_RSC_EXT = 61,
};

#define TRAFFIC_BYTES (1 << 20)
#define CONNECT_TRIES 20 /* 0.5 s apart: slirp and ARP settle within a few hundred ms */
#define TRAFFIC_TIMEOUT_MS 20000

static bool find_net(struct virtio_sysfs_device *dev, char *ifname, size_t size)
{
	return virtio_sysfs_find(VIRTIO_ID_NET, dev, 1) == 1 && net_interface_of(dev->path, ifname, size);
}

static bool read_interface_attribute(const char *ifname, const char *attribute, char *text, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attribute);
	return read_text_file(path, text, size);
}

AVPS_TEST(device_present,
	  AVPS_CHECKS("a virtio network device (ID 1) is bound to virtio_net with VIRTIO_F_VERSION_1 negotiated and "
	              "has an interface"),
	  "AVPS.NET.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	char ifname[32];
	ASSERT_EQ(1, virtio_sysfs_find(VIRTIO_ID_NET, &dev, 1)) TH_LOG("no virtio network device (device ID 1)");
	EXPECT_STREQ("virtio_net", dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
	EXPECT_TRUE(net_interface_of(dev.path, ifname, sizeof(ifname)))
		TH_LOG("%s has no network interface", dev.path);
}

AVPS_TEST(mac_from_config,
	  AVPS_CHECKS("VIRTIO_NET_F_MAC is negotiated and the interface MAC equals the one the host configured"),
	  "AVPS.NET.1")
{
	struct virtio_sysfs_device dev;
	char ifname[32], expected[32], seen[32] = "";
	ASSERT_TRUE(find_net(&dev, ifname, sizeof(ifname))) TH_LOG("no virtio-net interface");
	ASSERT_TRUE(avps_param("net_mac", expected, sizeof(expected)))
		TH_LOG("host did not say the configured MAC: pass avps.net_mac=xx:xx:xx:xx:xx:xx");
	ASSERT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_NET_F_MAC))
		TH_LOG("VIRTIO_NET_F_MAC not offered: the driver has to invent a MAC; features=%s", dev.features);
	ASSERT_TRUE(read_interface_attribute(ifname, "address", seen, sizeof(seen)));
	EXPECT_EQ(0, strcasecmp(expected, seen)) TH_LOG("%s: expected MAC %s from config, got %s", ifname, expected, seen);
}

AVPS_TEST(mtu_from_config,
	  AVPS_CHECKS("with an MTU configured, VIRTIO_NET_F_MTU is negotiated and the interface MTU (from config mtu) "
	              "equals it and lies in 68..65535"),
	  "AVPS.NET.1", "VIRTIO-1.2: Device Types / Network Device / Device configuration layout #2")
{
	struct virtio_sysfs_device dev;
	char ifname[32], text[16];
	unsigned long long expected = 0;
	ASSERT_TRUE(find_net(&dev, ifname, sizeof(ifname))) TH_LOG("no virtio-net interface");
	if (!avps_param_u64("net_mtu", &expected))
		SKIP(return, "platform configures no MTU (avps.net_mtu not given): VIRTIO_NET_F_MTU is optional");
	ASSERT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_NET_F_MTU))
		TH_LOG("host configured MTU %llu but VIRTIO_NET_F_MTU is not offered: features=%s", expected,
		       dev.features);
	ASSERT_TRUE(read_interface_attribute(ifname, "mtu", text, sizeof(text)));
	unsigned long mtu = strtoul(text, NULL, 10);
	/* Linux takes the config mtu as the interface MTU when F_MTU is negotiated. */
	EXPECT_TRUE(mtu >= 68 && mtu <= 65535) TH_LOG("config mtu %lu outside 68..65535", mtu);
	EXPECT_EQ(expected, mtu) TH_LOG("%s: expected MTU %llu from config, got %lu", ifname, expected, mtu);
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

AVPS_TEST(link_up,
	  AVPS_CHECKS("the interface reports carrier within 5 s of IFF_UP"),
	  "AVPS.NET.1")
{
	struct virtio_sysfs_device dev;
	char ifname[32], err[128], carrier[8] = "";
	ASSERT_TRUE(find_net(&dev, ifname, sizeof(ifname))) TH_LOG("no virtio-net interface");
	ASSERT_TRUE(net_interface_up(ifname, err, sizeof(err))) TH_LOG("%s", err);
	/* With VIRTIO_NET_F_STATUS the carrier follows the device's link bit; poll it, bounded. */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (elapsed_ms(&start) < 5000) {
		if (read_interface_attribute(ifname, "carrier", carrier, sizeof(carrier)) && strcmp(carrier, "1") == 0)
			break;
		usleep(100 * 1000);
	}
	EXPECT_STREQ("1", carrier) TH_LOG("%s: no carrier 5 s after IFF_UP (STATUS feature %s)", ifname,
					   virtio_sysfs_has_feature(&dev, VIRTIO_NET_F_STATUS) ? "negotiated" : "absent");
}

static int connect_with_retries(const char *host, unsigned port, char *err, size_t err_size)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
		snprintf(err, err_size, "bad host address '%s'", host);
		return -1;
	}
	for (int attempt = 0; attempt < CONNECT_TRIES; attempt++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, err_size, "socket: %s", strerror(errno));
			return -1;
		}
		struct timeval tv = { .tv_sec = 2 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0)
			return fd;
		snprintf(err, err_size, "connect %s:%u after %d attempts: %s", host, port, attempt + 1, strerror(errno));
		close(fd);
		usleep(500 * 1000);
	}
	return -1;
}

/* Sends len bytes and reads the echo back at the same time (so neither side's window stalls). */
static bool echo_exchange(int fd, const unsigned char *out, unsigned char *in, size_t len, char *err, size_t err_size)
{
	size_t sent = 0, received = 0;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (received < len) {
		if (elapsed_ms(&start) > TRAFFIC_TIMEOUT_MS) {
			snprintf(err, err_size, "after %d ms: sent %zu, received %zu of %zu bytes", TRAFFIC_TIMEOUT_MS,
				 sent, received, len);
			return false;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0) };
		if (poll(&p, 1, 200) <= 0)
			continue;
		if ((p.revents & POLLOUT) && sent < len) {
			ssize_t n = send(fd, out + sent, len - sent > 65536 ? 65536 : len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, in + received, len - received, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				snprintf(err, err_size, "connection ended after %zu of %zu echoed bytes: %s", received, len,
					 n == 0 ? "closed by peer" : strerror(errno));
				return false;
			}
			if (n > 0)
				received += (size_t)n;
		}
	}
	return true;
}

AVPS_TEST(tcp_traffic_to_host,
	  AVPS_CHECKS("a per-run byte pattern sent over TCP to the host's echo service comes back identical"),
	  "AVPS.NET.1")
{
	struct virtio_sysfs_device dev;
	char ifname[32], err[160], guest_ip[32], host_ip[32], netmask[32];
	unsigned long long port = 0;
	ASSERT_TRUE(find_net(&dev, ifname, sizeof(ifname))) TH_LOG("no virtio-net interface");
	ASSERT_TRUE(avps_param_u64("net_echo_port", &port) && port > 0 && port < 65536)
		TH_LOG("host did not say where its TCP echo service listens: pass avps.net_echo_port=<port>");
	/* The addresses are the platform's network plan, declared by the host; none is assumed here. */
	ASSERT_TRUE(avps_param("net_guest_ip", guest_ip, sizeof(guest_ip)) &&
		    avps_param("net_host_ip", host_ip, sizeof(host_ip)) &&
		    avps_param("net_netmask", netmask, sizeof(netmask)))
		TH_LOG("host did not declare the guest's network: pass avps.net_guest_ip, avps.net_host_ip and "
		       "avps.net_netmask");
	ASSERT_TRUE(net_configure_ipv4(ifname, guest_ip, netmask, err, sizeof(err))) TH_LOG("%s", err);
	int fd = connect_with_retries(host_ip, (unsigned)port, err, sizeof(err));
	ASSERT_GE(fd, 0) TH_LOG("no TCP connection to the host echo service: %s", err);
	static unsigned char out[TRAFFIC_BYTES], in[TRAFFIC_BYTES];
	/* A per-run pattern: nothing but the host's echo of these very bytes can match. */
	uint64_t x = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	for (size_t i = 0; i < sizeof(out); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = (unsigned char)x;
	}
	bool exchanged = echo_exchange(fd, out, in, sizeof(out), err, sizeof(err));
	close(fd);
	ASSERT_TRUE(exchanged) TH_LOG("%s", err);
	EXPECT_EQ(0, memcmp(out, in, sizeof(out))) TH_LOG("the %d bytes echoed by the host differ from those sent",
							    TRAFFIC_BYTES);
}

TEST_HARNESS_MAIN
