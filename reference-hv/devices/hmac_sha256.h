/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in freestanding C: the RPMB model's MACs and the RPMB probe's. */
#ifndef AVPS_DEVICES_HMAC_SHA256_H
#define AVPS_DEVICES_HMAC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_BLOCK_BYTES 64

struct sha256 {
	uint32_t h[8];
	uint64_t total;                   /* bytes hashed so far */
	uint8_t block[SHA256_BLOCK_BYTES];
	size_t used;                      /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_BYTES]);

/* HMAC-SHA256 over message parts fed one after another (keys longer than a block are hashed first). */
struct hmac_sha256 {
	struct sha256 inner;
	uint8_t outer_key[SHA256_BLOCK_BYTES];
};

void hmac_sha256_init(struct hmac_sha256 *m, const void *key, size_t key_len);
void hmac_sha256_update(struct hmac_sha256 *m, const void *data, size_t len);
void hmac_sha256_final(struct hmac_sha256 *m, uint8_t mac[SHA256_BYTES]);

#endif
