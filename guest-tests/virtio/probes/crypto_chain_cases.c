/* Crypto algorithm-chaining statement case (VIRTIO 1.2 §5.9.7.2.1): AES-128-CBC then HMAC-SHA1 in one session, known answers in dst_data and hash_result. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#include <string.h>

#define CRYPTO_CIPHER_CREATE_SESSION  0x02
#define CRYPTO_CIPHER_DESTROY_SESSION 0x03
#define CRYPTO_CIPHER_ENCRYPT         0x00
#define CRYPTO_CIPHER_AES_CBC 3
#define CRYPTO_MAC_HMAC_SHA1 2
#define CRYPTO_OP_ENCRYPT 1
#define CRYPTO_SYM_OP_CHAIN 2
#define CHAIN_CIPHER_THEN_HASH 2
#define HASH_MODE_AUTH 2
#define SERVICE_CIPHER 0
#define SERVICE_MAC 2
#define CRYPTO_OK 0
#define HMAC_LEN 20

/* Session request without REVISION_1: header, chain session flf (48 bytes), op_type, padding. */
static struct {
	uint32_t opcode, algo, flag, reserved;
	uint32_t chain_order, hash_mode;
	uint32_t cipher_algo, key_len, op, cipher_padding;
	uint32_t mac_algo, hash_result_len, auth_key_len, mac_padding;
	uint32_t aad_len, padding;
	uint32_t op_type, padding2;
} __attribute__((packed)) session_req __attribute__((aligned(16)));

/* Data request without REVISION_1: header (24 bytes), chain data flf (40), op_type, padding. */
static struct {
	uint32_t opcode, algo;
	uint64_t session_id;
	uint32_t flag, padding;
	uint32_t iv_len, src_len, dst_len, cipher_start, len_to_cipher, hash_start, len_to_hash, aad_len,
		hash_result_len, reserved;
	uint32_t op_type, padding2;
} __attribute__((packed)) data_req __attribute__((aligned(16)));

static struct { uint64_t session_id; uint32_t status, padding; } session_in __attribute__((aligned(16)));
static struct { uint32_t opcode, algo, flag, reserved; uint64_t session_id; uint8_t padding[48]; }
	__attribute__((packed)) destroy_req __attribute__((aligned(16)));
static volatile uint8_t status_byte __attribute__((aligned(16)));
static uint8_t keys[16 + HMAC_LEN] __attribute__((aligned(16)));
static uint8_t iv[16] __attribute__((aligned(16))), src[16] __attribute__((aligned(16)));
static uint8_t dst[16] __attribute__((aligned(16))), hash_result[HMAC_LEN] __attribute__((aligned(16)));

/* NIST SP 800-38A F.2.1 first block; HMAC-SHA1 with the RFC 2202 case-1 key (20 x 0x0b) over the
 * plaintext block and over the ciphertext block (computed with Python's hmac module). */
static const uint8_t kat_key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const uint8_t kat_plain[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				       0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };
static const uint8_t kat_cipher[16] = { 0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
					0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d };
static const uint8_t hmac_plain[HMAC_LEN] = { 0xbd, 0x2e, 0x0f, 0x96, 0x0c, 0x57, 0x80, 0xa8, 0xa8, 0x87,
					      0x83, 0xb8, 0xd4, 0x81, 0xe7, 0x58, 0xd6, 0x5a, 0x95, 0x85 };
static const uint8_t hmac_cipher[HMAC_LEN] = { 0x54, 0xba, 0x40, 0x82, 0x55, 0x6e, 0x76, 0xb2, 0x48, 0x10,
					       0xee, 0xe3, 0xb3, 0x82, 0xa7, 0xb2, 0xd3, 0xac, 0x57, 0x04 };



/* CIPHER_CREATE_SESSION with op_type ALGORITHM_CHAINING: AES-128-CBC encrypt, then HMAC-SHA1. */
static bool create_chain_session(struct vsession *s, int cq)
{
	struct virtq_used u;
	memset(&session_req, 0, sizeof(session_req));
	session_req.opcode = CRYPTO_CIPHER_CREATE_SESSION;
	session_req.algo = CRYPTO_CIPHER_AES_CBC;
	session_req.chain_order = CHAIN_CIPHER_THEN_HASH;
	session_req.hash_mode = HASH_MODE_AUTH;
	session_req.cipher_algo = CRYPTO_CIPHER_AES_CBC;
	session_req.key_len = 16;
	session_req.op = CRYPTO_OP_ENCRYPT;
	session_req.mac_algo = CRYPTO_MAC_HMAC_SHA1;
	session_req.hash_result_len = HMAC_LEN;
	session_req.auth_key_len = HMAC_LEN;
	session_req.op_type = CRYPTO_SYM_OP_CHAIN;
	for (int i = 0; i < 16; i++)
		keys[i] = kat_key[i];
	memset(keys + 16, 0x0b, HMAC_LEN);
	session_in.session_id = 0x5e55105e55105e55ULL;
	session_in.status = 0xffffffffu;
	struct vbuf e[3] = { { &session_req, sizeof(session_req), false }, { keys, sizeof(keys), false },
			     { &session_in, sizeof(session_in), true } };
	return vs_call(s, cq, e, 3, VIRTQ_CHAIN_DIRECT, &u, "chained CIPHER_CREATE_SESSION");
}

/* One chained encrypt of kat_plain, aad_len 0 (no AAD in the request); the status byte or -1. */
static int chain_request(struct vsession *s, uint64_t session)
{
	struct virtq_used u;
	memset(&data_req, 0, sizeof(data_req));
	data_req.opcode = CRYPTO_CIPHER_ENCRYPT;
	data_req.algo = CRYPTO_CIPHER_AES_CBC;
	data_req.session_id = session;
	data_req.iv_len = sizeof(iv);
	data_req.src_len = sizeof(src);
	data_req.dst_len = sizeof(dst);
	data_req.len_to_cipher = sizeof(src);
	data_req.len_to_hash = sizeof(src);
	data_req.hash_result_len = HMAC_LEN;
	data_req.op_type = CRYPTO_SYM_OP_CHAIN;
	for (int i = 0; i < 16; i++) {
		iv[i] = (uint8_t)i;
		src[i] = kat_plain[i];
	}
	memset(dst, 0xa5, sizeof(dst));
	memset(hash_result, 0xa5, sizeof(hash_result));
	status_byte = 0xff;
	struct vbuf e[6] = { { &data_req, sizeof(data_req), false }, { iv, sizeof(iv), false },
			     { src, sizeof(src), false }, { dst, sizeof(dst), true },
			     { hash_result, sizeof(hash_result), true }, { (void *)&status_byte, 1, true } };
	return vs_call(s, 0, e, 6, VIRTQ_CHAIN_DIRECT, &u, "chained encrypt request") ? status_byte : -1;
}

PROBE_CASE(crypto_chain, "virtio.crypto.chain_request_known_answer",
	   AVPS_CHECKS("a chained AES-128-CBC + HMAC-SHA1 session encrypts the SP 800-38A block with aad_len 0 to the "
		       "published ciphertext in dst_data and writes the HMAC of the 16 hashed bytes (read as the "
		       "plaintext source or as the ciphertext) to hash_result; SKIP while the chain is not offered"),
	   CRYPTO_SYM(4), CRYPTO_SYM(6), CRYPTO_SYM(7))
static void crypto_chain(void)
{
	struct vsession s;
	struct vdev *d = vdev_find(VIRTIO_ID_CRYPTO);
	if (!d) {
		probe_skip("device absent: no crypto device (DeviceID %u)", VIRTIO_ID_CRYPTO);
		return;
	}
	uint32_t services = (uint32_t)vmmio_config(&d->t, 8, 4), cipher = (uint32_t)vmmio_config(&d->t, 12, 4);
	uint32_t mac = (uint32_t)vmmio_config(&d->t, 24, 4), dataqs = (uint32_t)vmmio_config(&d->t, 4, 4);
	if (!(services & (1u << SERVICE_CIPHER)) || !(services & (1u << SERVICE_MAC)) ||
	    !(cipher & (1u << CRYPTO_CIPHER_AES_CBC)) || !(mac & (1u << CRYPTO_MAC_HMAC_SHA1))) {
		probe_skip("%s advertises no AES-CBC cipher and HMAC-SHA1 MAC to chain (services 0x%x, cipher_algo_l "
			   "0x%x, mac_algo_l 0x%x)", vdev_name(d), services, cipher, mac);
		return;
	}
	if (!probe_check(dataqs >= 1 && dataqs + 1 <= VS_MAX_QUEUES, "%s: max_dataqueues %u: the probe drives 1..%d",
			 vdev_name(d), dataqs, VS_MAX_QUEUES - 1) ||
	    !vs_open(&s, d, 0, (int)dataqs + 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	int cq = (int)dataqs;
	if (!create_chain_session(&s, cq))
		goto out;
	if (session_in.status != CRYPTO_OK) {
		probe_skip("%s refuses an AES-CBC + HMAC-SHA1 chained session (status %u)", vdev_name(d), session_in.status);
		goto out;
	}
	uint64_t id = session_in.session_id;
	int st = chain_request(&s, id);
	if (st >= 0)
		probe_check(st == CRYPTO_OK && !memcmp(dst, kat_cipher, 16) &&
			    (!memcmp(hash_result, hmac_plain, HMAC_LEN) || !memcmp(hash_result, hmac_cipher, HMAC_LEN)),
			    "%s: chained encrypt: status %d, dst_data %02x%02x%02x%02x.. (expected 7649abac..), hash_result "
			    "%02x%02x%02x%02x.. (expected bd2e0f96.. or 54ba4082..)", vdev_name(d), st, dst[0], dst[1],
			    dst[2], dst[3], hash_result[0], hash_result[1], hash_result[2], hash_result[3]);
	memset(&destroy_req, 0, sizeof(destroy_req));
	destroy_req.opcode = CRYPTO_CIPHER_DESTROY_SESSION;
	destroy_req.session_id = id;
	struct virtq_used u;
	struct vbuf e[2] = { { &destroy_req, sizeof(destroy_req), false }, { (void *)&status_byte, 1, true } };
	vs_call(&s, cq, e, 2, VIRTQ_CHAIN_DIRECT, &u, "CIPHER_DESTROY_SESSION");
out:
	vs_close(&s);
}
