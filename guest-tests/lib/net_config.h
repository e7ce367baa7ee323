/* Minimal IPv4 interface setup for network tests (ioctl, no busybox): find a virtio-net interface, bring it up, give it an address. */
#ifndef AVPS_NET_CONFIG_H
#define AVPS_NET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The interface name a virtio device exposes (<device>/net/<ifname>); false when none. */
bool net_interface_of(const char *virtio_device_path, char *ifname, size_t size);
/* Sets IFF_UP on ifname. */
bool net_interface_up(const char *ifname, char *err, size_t err_size);
/* Assigns address/netmask (dotted quads) to ifname and brings it up. */
bool net_configure_ipv4(const char *ifname, const char *address, const char *netmask, char *err,
			size_t err_size);

#endif
