/* Finds virtio devices through /sys/bus/virtio and reads their IDs, features and drivers. */
#include "virtio_sysfs.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool read_text_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

static unsigned read_hex_attribute(const char *dir, const char *name)
{
	char path[320], text[32];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!read_text_file(path, text, sizeof(text)))
		return 0;
	return (unsigned)strtoul(text, NULL, 0);
}

static int compare_names(const void *a, const void *b)
{
	const char *x = a, *y = b;
	size_t lx = strlen(x), ly = strlen(y);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y); /* virtio2 before virtio10 */
}

int virtio_sysfs_find(unsigned id, struct virtio_sysfs_device *out, int max)
{
	static const char base[] = "/sys/bus/virtio/devices";
	char names[64][32];
	int count = 0, found = 0;
	DIR *dir = opendir(base);
	if (!dir)
		return 0;
	for (struct dirent *e; (e = readdir(dir)) && count < 64;)
		if (strncmp(e->d_name, "virtio", 6) == 0)
			snprintf(names[count++], sizeof(names[0]), "%s", e->d_name);
	closedir(dir);
	qsort(names, (size_t)count, sizeof(names[0]), compare_names);

	for (int i = 0; i < count && found < max; i++) {
		struct virtio_sysfs_device *dev = &out[found];
		snprintf(dev->path, sizeof(dev->path), "%s/%s", base, names[i]);
		dev->device_id = read_hex_attribute(dev->path, "device");
		if (id && dev->device_id != id)
			continue;
		dev->vendor_id = read_hex_attribute(dev->path, "vendor");
		char path[320], link[PATH_MAX];
		snprintf(path, sizeof(path), "%s/features", dev->path);
		if (!read_text_file(path, dev->features, sizeof(dev->features)))
			dev->features[0] = '\0';
		snprintf(path, sizeof(path), "%s/driver", dev->path);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		dev->driver[0] = '\0';
		if (n > 0) {
			link[n] = '\0';
			const char *slash = strrchr(link, '/');
			snprintf(dev->driver, sizeof(dev->driver), "%s", slash ? slash + 1 : link);
		}
		found++;
	}
	return found;
}

bool virtio_sysfs_has_feature(const struct virtio_sysfs_device *dev, unsigned bit)
{
	return bit < strlen(dev->features) && dev->features[bit] == '1';
}
