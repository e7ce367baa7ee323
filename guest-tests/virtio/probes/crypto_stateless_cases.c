/* Crypto device stateless-mode statement cases (VIRTIO 1.2 §5.9.7): with <SERVICE>_STATELESS_MODE negotiated, a request whose header flag is 0 carries its own parameters and is served as stateless (cipher, HASH, MAC, AEAD known answers); SKIP unless offered. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#include <string.h>

#define CRYPTO_F_REVISION_1 0
#define F_CIPHER_STATELESS 1
#define F_HASH_STATELESS 2
#define F_MAC_STATELESS 3
#define F_AEAD_STATELESS 4
#define OPCODE(service, op) (((uint32_t)(service) << 8) | (op))
#define CIPHER_ENCRYPT OPCODE(0, 0x00)
#define HASH_REQUEST OPCODE(1, 0x00)
#define MAC_REQUEST OPCODE(2, 0x00)
#define AEAD_ENCRYPT OPCODE(3, 0x00)
#define CIPHER_AES_CBC 3
#define HASH_SHA1 2
#define MAC_HMAC_SHA1 2
#define AEAD_GCM 1
#define OP_ENCRYPT 1
#define SYM_OP_CIPHER 1
#define CRYPTO_OK 0
#define FLAG_STATELESS 0                 /* the header flag without VIRTIO_CRYPTO_FLAG_SESSION_MODE */
#define SYM_FLF_STATELESS 72             /* VIRTIO_CRYPTO_SYM_DATE_REQ_HDR_STATELESS_SIZE */
#define NO_SESSION 0x5e55105e55105e5ull  /* never created: a device taking the request as session mode refuses it */
#define OP(s, n) DT "Crypto Device / Device Operation / " s " Operation #" #n

/* virtio_crypto_op_header followed by the service's stateless op_flf (at most 76 bytes: the sym one) */
static struct {
	uint32_t opcode, algo;
	uint64_t session_id;
	uint32_t flag, padding;
	uint32_t flf[(SYM_FLF_STATELESS + 4) / 4];
} __attribute__((packed)) req __attribute__((aligned(16)));
static uint8_t in_a[32] __attribute__((aligned(16))), in_b[32] __attribute__((aligned(16)));
static uint8_t in_c[32] __attribute__((aligned(16))), out[32] __attribute__((aligned(16)));
static volatile uint8_t status_byte __attribute__((aligned(16)));

/* NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt), first block; IV 000102..0f. */
static const uint8_t cbc_key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const uint8_t cbc_plain[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				       0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };
static const uint8_t cbc_cipher[16] = { 0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
					0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d };
/* FIPS 180 SHA-1("abc") */
static const uint8_t sha1_abc[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
				      0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
/* RFC 2202 HMAC-SHA1 test case 1: key 20 x 0x0b, data "Hi There" */
static const uint8_t hmac_tc1[20] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
				      0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
/* NIST GCM specification test case 2: K = 0^128, IV = 0^96, P = 0^128, no AAD: ciphertext then tag */
static const uint8_t gcm_tc2[32] = { 0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92, 0xf3, 0x28, 0xc2, 0xb9,
				     0x71, 0xb2, 0xfe, 0x78, 0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd,
				     0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57, 0xbd, 0xdf };

/* Opens the crypto device (dataq 0 only: no session, so no control queue) with REVISION_1 and the
 * service's stateless feature; SKIP (NULL) unless both are offered. */
static struct vdev *stateless_open(struct vsession *s, unsigned feature, const char *what)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	if (!d)
		return NULL;
	uint64_t need = VIRTIO_BIT(CRYPTO_F_REVISION_1) | VIRTIO_BIT(feature);
	if ((d->t.offered & need) != need) {
		probe_skip("%s: REVISION_1 and %s not both offered (features 0x%llx)", vdev_name(d), what,
			   (unsigned long long)d->t.offered);
		return NULL;
	}
	return vs_open(s, d, need, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK) ? d : NULL;
}

/* One stateless request: header (flag 0, a session ID never created), `words` op_flf words, then the
 * request's own buffers e[0..n-1] (device-readable ones, then out[0..out_len)), then the status byte.
 * The status, or -1 without a valid used entry. */
static int stateless_call(struct vsession *s, uint32_t opcode, uint32_t algo, const uint32_t *flf, unsigned words,
			  struct vbuf *e, int n, uint32_t out_len)
{
	struct virtq_used u;
	memset(&req, 0, sizeof(req));
	req.opcode = opcode;
	req.algo = algo;
	req.session_id = NO_SESSION;
	req.flag = FLAG_STATELESS;
	memcpy(req.flf, flf, words * 4);
	memset(out, 0xa5, sizeof(out));
	status_byte = 0xff;
	struct vbuf all[6] = { { &req, 24 + words * 4, false } };
	for (int i = 0; i < n; i++)
		all[1 + i] = e[i];
	all[1 + n] = (struct vbuf){ out, out_len, true };
	all[2 + n] = (struct vbuf){ (void *)&status_byte, 1, true };
	return vs_call(s, 0, all, n + 3, VIRTQ_CHAIN_DIRECT, &u, "stateless data request") ? status_byte : -1;
}

/* The known-answer verdict of one stateless request. */
static void judge(const struct vdev *d, const char *what, int st, const uint8_t *want, uint32_t len)
{
	if (st >= 0)
		probe_check(st == CRYPTO_OK && memcmp(out, want, len) == 0, "%s: stateless %s (flag 0, session_id never "
			    "created): status %d, result %s the published answer", vdev_name(d), what, st,
			    memcmp(out, want, len) ? "differs from" : "equals");
}

PROBE_CASE(crypto_cipher_stateless, "virtio.crypto.cipher_stateless_request_known_answer",
	   AVPS_CHECKS("with REVISION_1 and CIPHER_STATELESS_MODE negotiated, an AES-128-CBC encrypt request with header "
		       "flag 0, no session and the SP 800-38A key in the request itself answers OK with the published "
		       "ciphertext (SKIP unless the device offers stateless cipher requests)"),
	   OP("Symmetric algorithms", 1))
static void crypto_cipher_stateless(void)
{
	struct vsession s;
	struct vdev *d = stateless_open(&s, F_CIPHER_STATELESS, "CIPHER_STATELESS_MODE");
	if (!d)
		return;
	/* op_type_flf[72]: cipher_data_flf_stateless (algo, key_len, op, iv_len, src, dst), then op_type */
	uint32_t flf[(SYM_FLF_STATELESS + 4) / 4] = { CIPHER_AES_CBC, 16, OP_ENCRYPT, 16, 16, 16 };
	flf[SYM_FLF_STATELESS / 4] = SYM_OP_CIPHER;
	memcpy(in_a, cbc_key, 16);
	for (unsigned i = 0; i < 16; i++)
		in_b[i] = (uint8_t)i;
	memcpy(in_c, cbc_plain, 16);
	struct vbuf e[3] = { { in_a, 16, false }, { in_b, 16, false }, { in_c, 16, false } };
	judge(d, "AES-128-CBC encrypt", stateless_call(&s, CIPHER_ENCRYPT, CIPHER_AES_CBC, flf, (SYM_FLF_STATELESS + 4) / 4,
						       e, 3, 16), cbc_cipher, 16);
	vs_close(&s);
}

PROBE_CASE(crypto_hash_stateless, "virtio.crypto.hash_stateless_request_known_answer",
	   AVPS_CHECKS("with REVISION_1 and HASH_STATELESS_MODE negotiated, a SHA-1 HASH request with header flag 0 and "
		       "no session over 'abc' answers OK with the FIPS 180 digest (SKIP unless the device offers "
		       "stateless HASH requests)"),
	   OP("HASH Service", 2))
static void crypto_hash_stateless(void)
{
	struct vsession s;
	struct vdev *d = stateless_open(&s, F_HASH_STATELESS, "HASH_STATELESS_MODE");
	if (!d)
		return;
	const uint32_t flf[4] = { HASH_SHA1, 3, 20, 0 };   /* algo, src_data_len, hash_result_len, reserved */
	memcpy(in_a, "abc", 3);
	struct vbuf e[1] = { { in_a, 3, false } };
	judge(d, "SHA-1 over 'abc'", stateless_call(&s, HASH_REQUEST, HASH_SHA1, flf, 4, e, 1, 20), sha1_abc, 20);
	vs_close(&s);
}

PROBE_CASE(crypto_mac_stateless, "virtio.crypto.mac_stateless_request_known_answer",
	   AVPS_CHECKS("with REVISION_1 and MAC_STATELESS_MODE negotiated, an HMAC-SHA1 MAC request with header flag 0, "
		       "no session and the RFC 2202 test case 1 key in the request answers OK with its MAC (SKIP unless "
		       "the device offers stateless MAC requests)"),
	   OP("MAC Service", 1))
static void crypto_mac_stateless(void)
{
	struct vsession s;
	struct vdev *d = stateless_open(&s, F_MAC_STATELESS, "MAC_STATELESS_MODE");
	if (!d)
		return;
	const uint32_t flf[4] = { MAC_HMAC_SHA1, 20, 8, 20 };   /* algo, auth_key_len, src_data_len, hash_result_len */
	memset(in_a, 0x0b, 20);
	memcpy(in_b, "Hi There", 8);
	struct vbuf e[2] = { { in_a, 20, false }, { in_b, 8, false } };
	judge(d, "HMAC-SHA1 of 'Hi There'", stateless_call(&s, MAC_REQUEST, MAC_HMAC_SHA1, flf, 4, e, 2, 20), hmac_tc1, 20);
	vs_close(&s);
}

PROBE_CASE(crypto_aead_stateless, "virtio.crypto.aead_stateless_request_known_answer",
	   AVPS_CHECKS("with REVISION_1 and AEAD_STATELESS_MODE negotiated, an AES-128-GCM AEAD_ENCRYPT request with header "
		       "flag 0, no session and the key in the request answers OK with the GCM test case 2 ciphertext "
		       "then tag in dst_data (SKIP unless the device offers stateless AEAD requests)"),
	   OP("AEAD Service", 1))
static void crypto_aead_stateless(void)
{
	struct vsession s;
	struct vdev *d = stateless_open(&s, F_AEAD_STATELESS, "AEAD_STATELESS_MODE");
	if (!d)
		return;
	/* algo, key_len, op, iv_len, tag_len, aad_len, src_data_len, dst_data_len */
	const uint32_t flf[8] = { AEAD_GCM, 16, OP_ENCRYPT, 12, 16, 0, 16, 32 };
	memset(in_a, 0, 16);
	memset(in_b, 0, 12);
	memset(in_c, 0, 16);
	struct vbuf e[3] = { { in_a, 16, false }, { in_b, 12, false }, { in_c, 16, false } };
	judge(d, "AES-128-GCM encrypt", stateless_call(&s, AEAD_ENCRYPT, AEAD_GCM, flf, 8, e, 3, 32), gcm_tc2, 32);
	vs_close(&s);
}
