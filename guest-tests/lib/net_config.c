/* Minimal IPv4 interface setup for network tests (ioctl, no busybox). */
#include "net_config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

bool net_interface_of(const char *virtio_device_path, char *ifname, size_t size)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/net", virtio_device_path);
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		if (e->d_name[0] != '.') {
			snprintf(ifname, size, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static bool interface_ioctl(unsigned long request, struct ifreq *ifr, const char *what, char *err, size_t err_size)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return false;
	}
	int rc = ioctl(fd, request, ifr);
	if (rc < 0)
		snprintf(err, err_size, "%s on %s: %s", what, ifr->ifr_name, strerror(errno));
	close(fd);
	return rc == 0;
}

bool net_interface_up(const char *ifname, char *err, size_t err_size)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!interface_ioctl(SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS", err, err_size))
		return false;
	ifr.ifr_flags |= IFF_UP;
	return interface_ioctl(SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS", err, err_size);
}

static bool set_address(unsigned long request, const char *ifname, const char *dotted, const char *what,
			char *err, size_t err_size)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, dotted, &sin->sin_addr) != 1) {
		snprintf(err, err_size, "bad IPv4 address '%s'", dotted);
		return false;
	}
	return interface_ioctl(request, &ifr, what, err, err_size);
}

bool net_configure_ipv4(const char *ifname, const char *address, const char *netmask, char *err,
			size_t err_size)
{
	return set_address(SIOCSIFADDR, ifname, address, "SIOCSIFADDR", err, err_size) &&
	       set_address(SIOCSIFNETMASK, ifname, netmask, "SIOCSIFNETMASK", err, err_size) &&
	       net_interface_up(ifname, err, err_size);
}
