/* SHA-256 of a buffer through the kernel's crypto API (AF_ALG "hash"), so guest and host can compare file contents. */
#ifndef AVPS_KERNEL_HASH_H
#define AVPS_KERNEL_HASH_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the lower-case hex SHA-256 of data (65 bytes with NUL) to hex; false with errno set. */
bool kernel_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
