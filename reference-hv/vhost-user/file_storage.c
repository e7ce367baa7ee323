/* Disk image file storage for the block model: pread/pwrite, and fdatasync for FLUSH. */
#include "file_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool storage_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct file_storage *fs = ctx;
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fs->fd, (uint8_t *)buf + done, len - done, (off_t)(offset + done));
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

static bool storage_write(void *ctx, uint64_t offset, const void *buf, size_t len)
{
	struct file_storage *fs = ctx;
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fs->fd, (const uint8_t *)buf + done, len - done, (off_t)(offset + done));
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

static bool storage_flush(void *ctx)
{
	struct file_storage *fs = ctx;
	return fdatasync(fs->fd) == 0;
}

bool file_storage_open(struct file_storage *fs, const char *path, bool read_only, char *err, size_t err_size)
{
	fs->fd = open(path, read_only ? O_RDONLY : O_RDWR);
	struct stat st;
	if (fs->fd < 0 || fstat(fs->fd, &st) != 0) {
		snprintf(err, err_size, "cannot open disk image %s: %s", path, strerror(errno));
		return false;
	}
	fs->ops = (struct vdev_storage){ .ctx = fs, .size = (uint64_t)st.st_size, .read = storage_read,
					 .write = storage_write, .flush = storage_flush };
	return true;
}

void file_storage_close(struct file_storage *fs)
{
	if (fs->fd >= 0)
		close(fs->fd);
	fs->fd = -1;
}
