/* Crypto device statement cases (VIRTIO 1.2 §5.9): cipher sessions on the control queue, an AES-128-CBC known answer on a data queue. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#include <string.h>

#define CRYPTO_CIPHER_CREATE_SESSION  0x02   /* VIRTIO_CRYPTO_OPCODE(CIPHER, 0x02) */
#define CRYPTO_CIPHER_DESTROY_SESSION 0x03
#define CRYPTO_CIPHER_ENCRYPT         0x00
#define CRYPTO_CIPHER_DECRYPT         0x01
#define CRYPTO_CIPHER_AES_CBC 3
#define CRYPTO_OP_ENCRYPT 1
#define CRYPTO_OP_DECRYPT 2
#define CRYPTO_SYM_OP_CIPHER 1
#define CRYPTO_S_HW_READY 1u
#define CRYPTO_OK 0
#define CRYPTO_STATUS_MAX 5   /* OK, ERR, BADMSG, NOTSUPP, INVSESS, NOSPC */

/* Control request without VIRTIO_CRYPTO_F_REVISION_1: 16-byte header + 56-byte opcode part. */
struct crypto_ctrl {
	uint32_t opcode, algo, flag, reserved;
	union {
		struct {
			uint32_t algo, keylen, op, para_pad;   /* virtio_crypto_cipher_session_para */
			uint8_t para_padding[32];
			uint32_t op_type;
			uint8_t padding[4];
		} cipher;
		struct {
			uint64_t session_id;
			uint8_t padding[48];
		} destroy;
	} u;
} __attribute__((packed));

struct crypto_session_input {
	uint64_t session_id;
	uint32_t status, padding;
};

/* Data request without REVISION_1: 24-byte header + 48-byte opcode part. */
struct crypto_data {
	uint32_t opcode, algo;
	uint64_t session_id;
	uint32_t flag, padding;
	uint32_t iv_len, src_len, dst_len, para_padding;   /* virtio_crypto_cipher_para */
	uint8_t cipher_padding[24];
	uint32_t op_type;
	uint8_t padding2[4];
} __attribute__((packed));

static struct crypto_ctrl ctrl __attribute__((aligned(16)));
static struct crypto_session_input input __attribute__((aligned(16)));
static struct crypto_data data __attribute__((aligned(16)));
static volatile uint8_t status_byte __attribute__((aligned(16)));
static uint8_t key[16] __attribute__((aligned(16))), iv[16] __attribute__((aligned(16)));
static uint8_t src[16] __attribute__((aligned(16))), dst[16] __attribute__((aligned(16)));

/* NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt), first block. */
static const uint8_t kat_key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const uint8_t kat_plain[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				       0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };
static const uint8_t kat_cipher[16] = { 0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
					0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d };




/* Opens the crypto device with its data queues and control queue (the last one). */
static struct vdev *crypto_open(struct vsession *s, int *controlq)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	if (!d)
		return NULL;
	uint32_t dataqs = (uint32_t)vmmio_config(&d->t, 4, 4);
	if (!probe_check(dataqs >= 1 && dataqs + 1 <= VS_MAX_QUEUES, "%s: max_dataqueues %u: the probe drives 1..%d",
			 vdev_name(d), dataqs, VS_MAX_QUEUES - 1))
		return NULL;
	if (!vs_open(s, d, 0, (int)dataqs + 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return NULL;
	*controlq = (int)dataqs;
	return d;
}

/* CIPHER_CREATE_SESSION for AES-CBC with `keylen` bytes of kat_key; the device's answer in `input`. */
static bool create_session(struct vsession *s, int controlq, uint32_t algo, uint32_t op)
{
	struct virtq_used u;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = CRYPTO_CIPHER_CREATE_SESSION;
	ctrl.algo = algo;
	ctrl.u.cipher.algo = algo;
	ctrl.u.cipher.keylen = sizeof(key);
	ctrl.u.cipher.op = op;
	ctrl.u.cipher.op_type = CRYPTO_SYM_OP_CIPHER;
	memcpy(key, kat_key, sizeof(key));
	input.session_id = 0x5e55105e55105e55ULL;
	input.status = 0xffffffffu;
	struct vbuf e[3] = { { &ctrl, sizeof(ctrl), false }, { key, sizeof(key), false },
			     { &input, sizeof(input), true } };
	return vs_call(s, controlq, e, 3, VIRTQ_CHAIN_DIRECT, &u, "CIPHER_CREATE_SESSION");
}

static int destroy_session(struct vsession *s, int controlq, uint64_t id)
{
	struct virtq_used u;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = CRYPTO_CIPHER_DESTROY_SESSION;
	ctrl.u.destroy.session_id = id;
	status_byte = 0xff;
	struct vbuf e[2] = { { &ctrl, sizeof(ctrl), false }, { (void *)&status_byte, 1, true } };
	return vs_call(s, controlq, e, 2, VIRTQ_CHAIN_DIRECT, &u, "CIPHER_DESTROY_SESSION") ? status_byte : -1;
}

PROBE_CASE(crypto_sessions, "virtio.crypto.cipher_session_lifecycle", AVPS_CHECKS("with HW_READY set, two AES-CBC cipher sessions are created with status OK and distinct IDs, an unknown algorithm gets a defined non-OK status, and destroying a session answers a defined status"),
	   CRYPTO_CONFIG(4), CRYPTO_CREATE(3), CRYPTO_CREATE(4), CRYPTO_DESTROY(1))
static void crypto_sessions(void)
{
	struct vsession s;
	int cq = 0;
	struct vdev *d = crypto_open(&s, &cq);
	if (!d)
		return;
	uint32_t status = (uint32_t)vmmio_config(&d->t, 0, 4);
	if (!probe_check(status & CRYPTO_S_HW_READY, "%s: status 0x%x without VIRTIO_CRYPTO_S_HW_READY", vdev_name(d), status))
		goto out;
	uint64_t ids[2];
	for (int i = 0; i < 2; i++) {
		if (!create_session(&s, cq, CRYPTO_CIPHER_AES_CBC, CRYPTO_OP_ENCRYPT))
			goto out;
		ids[i] = input.session_id;
		probe_check(input.status == CRYPTO_OK, "%s: AES-CBC session %d: status %u, expected VIRTIO_CRYPTO_OK",
			    vdev_name(d), i, input.status);
	}
	probe_check(ids[0] != ids[1], "%s: two live sessions got the same session_id 0x%llx", vdev_name(d),
		    (unsigned long long)ids[0]);
	if (create_session(&s, cq, 0x7fff, CRYPTO_OP_ENCRYPT))
		probe_check(input.status != CRYPTO_OK && input.status <= CRYPTO_STATUS_MAX, "%s: session with undefined "
			    "cipher algorithm 0x7fff: status %u (expected a defined status other than OK)", vdev_name(d),
			    input.status);
	for (int i = 0; i < 2; i++) {
		int st = destroy_session(&s, cq, ids[i]);
		if (st >= 0)
			probe_check(st <= CRYPTO_STATUS_MAX, "%s: destroying session 0x%llx: status %d is not a "
				    "VIRTIO_CRYPTO status", vdev_name(d), (unsigned long long)ids[i], st);
	}
out:
	vs_close(&s);
}

/* One cipher request on data queue 0; returns the status byte, -1 without a valid used entry. */
static int cipher_request(struct vsession *s, uint32_t opcode, uint64_t session, const uint8_t *in)
{
	struct virtq_used u;
	memset(&data, 0, sizeof(data));
	data.opcode = opcode;
	data.algo = CRYPTO_CIPHER_AES_CBC;
	data.session_id = session;
	data.iv_len = sizeof(iv);
	data.src_len = sizeof(src);
	data.dst_len = sizeof(dst);
	data.op_type = CRYPTO_SYM_OP_CIPHER;
	memset(iv, 0, sizeof(iv));
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)i;   /* SP 800-38A IV 000102...0f */
	memcpy(src, in, sizeof(src));
	for (int i = 0; i < 16; i++)
		dst[i] = 0xa5;
	status_byte = 0xff;
	struct vbuf e[5] = { { &data, sizeof(data), false }, { iv, sizeof(iv), false }, { src, sizeof(src), false },
			     { dst, sizeof(dst), true }, { (void *)&status_byte, 1, true } };
	return vs_call(s, 0, e, 5, VIRTQ_CHAIN_DIRECT, &u, "cipher request") ? status_byte : -1;
}

PROBE_CASE(crypto_aes_cbc, "virtio.crypto.cipher_request_known_answer", AVPS_CHECKS("an AES-128-CBC session with the SP 800-38A key encrypts its test block to the published ciphertext and a decrypt session turns it back"),
	   CRYPTO_CREATE(1), CRYPTO_CREATE(2), CRYPTO_SYM(2), CRYPTO_SYM(3), CRYPTO_SYM(5), CRYPTO_SYM(8))
static void crypto_aes_cbc(void)
{
	struct vsession s;
	int cq = 0;
	struct vdev *d = crypto_open(&s, &cq);
	if (!d)
		return;
	if (!((uint32_t)vmmio_config(&d->t, 12, 4) & (1u << CRYPTO_CIPHER_AES_CBC))) {
		probe_skip("%s does not advertise AES-CBC in cipher_algo_l", vdev_name(d));
		goto out;
	}
	static const struct { uint32_t op, opcode; const uint8_t *in, *out; const char *name; } steps[2] = {
		{ CRYPTO_OP_ENCRYPT, CRYPTO_CIPHER_ENCRYPT, kat_plain, kat_cipher, "encrypt" },
		{ CRYPTO_OP_DECRYPT, CRYPTO_CIPHER_DECRYPT, kat_cipher, kat_plain, "decrypt" },
	};
	for (int i = 0; i < 2; i++) {
		if (!create_session(&s, cq, CRYPTO_CIPHER_AES_CBC, steps[i].op))
			break;
		if (!probe_check(input.status == CRYPTO_OK, "%s: %s session: status %u", vdev_name(d), steps[i].name,
				 input.status))
			break;
		uint64_t id = input.session_id;
		int st = cipher_request(&s, steps[i].opcode, id, steps[i].in);
		if (st < 0)
			break;
		probe_check(st == CRYPTO_OK && !memcmp(dst, steps[i].out, 16), "%s: AES-128-CBC %s: status %d, output "
			    "%02x%02x%02x%02x.. expected %02x%02x%02x%02x..", vdev_name(d), steps[i].name, st, dst[0],
			    dst[1], dst[2], dst[3], steps[i].out[0], steps[i].out[1], steps[i].out[2], steps[i].out[3]);
		destroy_session(&s, cq, id);
	}
out:
	vs_close(&s);
}

#define CRYPTO_HASH_CREATE_SESSION 0x102   /* VIRTIO_CRYPTO_OPCODE(HASH, 0x02) */
#define CRYPTO_MAC_CREATE_SESSION  0x202   /* VIRTIO_CRYPTO_OPCODE(MAC, 0x02) */

static int lowest_algorithm(uint32_t mask_lo, uint32_t mask_hi)
{
	for (int bit = 1; bit < 64; bit++)   /* bit 0 is NO_<service> */
		if (((bit < 32 ? mask_lo >> bit : mask_hi >> (bit - 32)) & 1))
			return bit;
	return -1;
}

/* Creates a session of a HASH or MAC algorithm; the device's answer in `input`. */
static bool create_digest_session(struct vsession *s, int controlq, uint32_t opcode, uint32_t algo)
{
	struct virtq_used u;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = opcode;
	ctrl.algo = algo;
	/* hash / mac session parameters share the cipher parameter slots: algo, result length, key length */
	ctrl.u.cipher.algo = algo;
	ctrl.u.cipher.keylen = 20;                        /* hash_result_len */
	if (opcode == CRYPTO_MAC_CREATE_SESSION)
		ctrl.u.cipher.op = sizeof(key);           /* auth_key_len */
	memcpy(key, kat_key, sizeof(key));
	input.session_id = 0;
	input.status = 0xffffffffu;
	struct vbuf e[3];
	int n = 0;
	e[n++] = (struct vbuf){ &ctrl, sizeof(ctrl), false };
	if (opcode == CRYPTO_MAC_CREATE_SESSION)
		e[n++] = (struct vbuf){ key, sizeof(key), false };
	e[n++] = (struct vbuf){ &input, sizeof(input), true };
	return vs_call(s, controlq, e, n, VIRTQ_CHAIN_DIRECT, &u, "digest CREATE_SESSION");
}

PROBE_CASE(crypto_services_usable, "virtio.crypto.advertised_services_usable", AVPS_CHECKS("for each of CIPHER, HASH and MAC that crypto_services advertises with an algorithm in its mask, a session with that algorithm is created with status OK"),
	   CRYPTO_CONFIG(5))
static void crypto_services_usable(void)
{
	struct vsession s;
	int cq = 0;
	struct vdev *d = crypto_open(&s, &cq);
	if (!d)
		return;
	uint32_t services = (uint32_t)vmmio_config(&d->t, 8, 4);
	static const struct { int service; uint32_t opcode, mask_lo, mask_hi; const char *name; } svc[3] = {
		{ 0, CRYPTO_CIPHER_CREATE_SESSION, 12, 16, "CIPHER" },
		{ 1, CRYPTO_HASH_CREATE_SESSION, 20, 20, "HASH" },
		{ 2, CRYPTO_MAC_CREATE_SESSION, 24, 28, "MAC" },
	};
	int tried = 0, algos[3];
	for (int i = 0; i < 3; i++) {
		uint32_t lo = (uint32_t)vmmio_config(&d->t, svc[i].mask_lo, 4);
		uint32_t hi = svc[i].mask_hi != svc[i].mask_lo ? (uint32_t)vmmio_config(&d->t, svc[i].mask_hi, 4) : 0;
		algos[i] = (services & (1u << svc[i].service)) ? lowest_algorithm(lo, hi) : -2;
		if (algos[i] == -1)   /* the masks case judges an empty mask; nothing to create here */
			probe_diag("%s: %s advertised with an empty algorithm mask: not tried", vdev_name(d), svc[i].name);
	}
	for (int i = 0; i < 3; i++) {
		int algo = algos[i];
		if (algo < 0)
			continue;
		bool answered = svc[i].service == 0 ? create_session(&s, cq, (uint32_t)algo, CRYPTO_OP_ENCRYPT)
						    : create_digest_session(&s, cq, svc[i].opcode, (uint32_t)algo);
		if (!answered)
			break;
		tried++;
		probe_check(input.status == CRYPTO_OK, "%s: %s advertised (crypto_services 0x%x, algorithm %d in its mask), "
			    "but creating a session answers status %u", vdev_name(d), svc[i].name, services, algo, input.status);
		if (input.status == CRYPTO_OK && svc[i].service == 0)
			destroy_session(&s, cq, input.session_id);
	}
	if (!tried)
		probe_skip("%s advertises no service with an algorithm to try", vdev_name(d));
	vs_close(&s);
}
