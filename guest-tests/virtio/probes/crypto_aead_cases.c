/* Crypto AEAD statement cases (VIRTIO 1.2 §5.9.7.5): AES-128-GCM known answer (cipher output, then tag, in dst_data) and a decrypt whose tag was corrupted. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define CRYPTO_SERVICES 8
#define CRYPTO_AEAD_ALGOS 32
#define SERVICE_AEAD 3
#define OPCODE(service, op) (((uint32_t)(service) << 8) | (op))
#define AEAD_CREATE_SESSION OPCODE(SERVICE_AEAD, 0x02)
#define AEAD_DESTROY_SESSION OPCODE(SERVICE_AEAD, 0x03)
#define AEAD_ENCRYPT OPCODE(SERVICE_AEAD, 0x00)
#define AEAD_DECRYPT OPCODE(SERVICE_AEAD, 0x01)
#define AEAD_GCM 1
#define OP_ENCRYPT 1
#define OP_DECRYPT 2
#define ST_OK 0
#define ST_ERR 1
#define ST_BADMSG 2
#define ST_NOTSUPP 3
#define ST_INVSESS 4
#define BLOCK 16
#define TAG 16
#define IV_LEN 12

#define AEAD_OP(n) DT "Crypto Device / Device Operation / AEAD Service Operation #" #n

/* Control request without REVISION_1: 16-byte header + virtio_crypto_aead_create_session_flf padded to 56. */
struct aead_ctrl {
	uint32_t opcode, algo, flag, reserved;
	union {
		struct {
			uint32_t algo, key_len, tag_len, aad_len, op, padding;
		} session;
		struct {
			uint64_t session_id;
		} destroy;
		uint8_t pad[56];
	} u;
} __attribute__((packed));

struct aead_session_input {
	uint64_t session_id;
	uint32_t status, padding;
};

/* Data request without REVISION_1: 24-byte header + virtio_crypto_aead_data_flf padded to 48. */
struct aead_data {
	uint32_t opcode, algo;
	uint64_t session_id;
	uint32_t flag, padding;
	uint32_t iv_len, aad_len, src_data_len, dst_data_len, tag_len, reserved;
	uint8_t para_padding[24];
} __attribute__((packed));

static struct aead_ctrl ctrl __attribute__((aligned(16)));
static struct aead_session_input input __attribute__((aligned(16)));
static struct aead_data data __attribute__((aligned(16)));
static uint8_t key[BLOCK] __attribute__((aligned(16)));
static uint8_t iv[BLOCK] __attribute__((aligned(16)));   /* a full 16 bytes, iv_len 12 */
static uint8_t src[BLOCK + TAG] __attribute__((aligned(16)));
static uint8_t dst[BLOCK + TAG] __attribute__((aligned(16)));
static volatile uint8_t status_byte __attribute__((aligned(16)));

/* NIST GCM specification test case 2: K = 0^128, IV = 0^96, P = 0^128, no AAD. */
static const uint8_t kat_cipher[BLOCK] = { 0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92,
					   0xf3, 0x28, 0xc2, 0xb9, 0x71, 0xb2, 0xfe, 0x78 };
static const uint8_t kat_tag[TAG] = { 0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd,
				      0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57, 0xbd, 0xdf };

static bool create_session(struct vsession *s, int cq, uint32_t op, uint64_t *id, uint32_t *status)
{
	struct virtq_used u;
	__builtin_memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = AEAD_CREATE_SESSION;
	ctrl.algo = AEAD_GCM;
	ctrl.u.session.algo = AEAD_GCM;
	ctrl.u.session.key_len = sizeof(key);
	ctrl.u.session.tag_len = TAG;
	ctrl.u.session.op = op;
	__builtin_memset(key, 0, sizeof(key));
	input = (struct aead_session_input){ 0, 0xffffffffu, 0 };
	struct vbuf e[3] = { { &ctrl, sizeof(ctrl), false }, { key, sizeof(key), false }, { &input, sizeof(input), true } };
	*status = 0xffffffffu;
	if (!vs_call(s, cq, e, 3, VIRTQ_CHAIN_DIRECT, &u, "AEAD_CREATE_SESSION"))
		return false;
	*status = input.status;
	*id = input.session_id;
	return input.status == ST_OK;
}

static void destroy_session(struct vsession *s, int cq, uint64_t id)
{
	struct virtq_used u;
	__builtin_memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = AEAD_DESTROY_SESSION;
	ctrl.u.destroy.session_id = id;
	struct vbuf e[2] = { { &ctrl, sizeof(ctrl), false }, { (void *)&status_byte, 1, true } };
	vs_call(s, cq, e, 2, VIRTQ_CHAIN_DIRECT, &u, "AEAD_DESTROY_SESSION");
}

/* One session-mode AEAD request (no AAD): src_len bytes of src in, dst_len bytes of dst out
 * (pre-filled with 0xa5); the status byte, -1 without a valid used entry. */
static int aead_request(struct vsession *s, uint32_t opcode, uint64_t id, uint32_t src_len, uint32_t dst_len)
{
	struct virtq_used u;
	__builtin_memset(&data, 0, sizeof(data));
	data.opcode = opcode;
	data.algo = AEAD_GCM;
	data.session_id = id;
	data.iv_len = IV_LEN;
	data.src_data_len = src_len;
	data.dst_data_len = dst_len;
	data.tag_len = TAG;
	__builtin_memset(iv, 0, sizeof(iv));
	__builtin_memset(dst, 0xa5, sizeof(dst));
	status_byte = 0xff;
	struct vbuf e[5] = { { &data, sizeof(data), false }, { iv, IV_LEN, false }, { src, src_len, false },
			     { dst, dst_len, true }, { (void *)&status_byte, 1, true } };
	return vs_call(s, 0, e, 5, VIRTQ_CHAIN_DIRECT, &u, "AEAD data request") ? status_byte : -1;
}

/* Opens the crypto device when it advertises AES-GCM and creates a session for `op`; SKIPs
 * when it does not advertise it or refuses the session. */
static struct vdev *gcm_session(struct vsession *s, uint32_t op, int *cq, uint64_t *id)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	uint32_t created = 0;
	if (!d)
		return NULL;
	uint32_t services = (uint32_t)vmmio_config(&d->t, CRYPTO_SERVICES, 4);
	uint32_t mask = (uint32_t)vmmio_config(&d->t, CRYPTO_AEAD_ALGOS, 4);
	if (!(services & (1u << SERVICE_AEAD)) || !(mask & (1u << AEAD_GCM))) {
		probe_skip("%s does not advertise AEAD with AES-GCM (crypto_services 0x%x, aead_algo 0x%x)", vdev_name(d),
			   services, mask);
		return NULL;
	}
	uint32_t dataqs = (uint32_t)vmmio_config(&d->t, 4, 4);
	if (!probe_check(dataqs >= 1 && dataqs + 1 <= VS_MAX_QUEUES, "%s: max_dataqueues %u: the probe drives 1..%d",
			 vdev_name(d), dataqs, VS_MAX_QUEUES - 1) ||
	    !vs_open(s, d, 0, (int)dataqs + 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return NULL;
	*cq = (int)dataqs;
	if (create_session(s, *cq, op, id, &created))
		return d;
	if (created != 0xffffffffu)
		probe_skip("%s refuses an AES-128-GCM %s session (status %u)", vdev_name(d),
			   op == OP_ENCRYPT ? "encrypt" : "decrypt", created);
	vs_close(s);
	return NULL;
}

PROBE_CASE(crypto_gcm_encrypt, "virtio.crypto.aead_gcm_known_answer", AVPS_CHECKS("in an AES-128-GCM encrypt session the device created, NIST GCM test case 2 (zero key, IV and block) answers OK with the ciphertext 0388dace.. followed by the tag ab6e47d4.. in dst_data (SKIP when AES-GCM is not advertised or its session is refused)"),
	   AEAD_OP(2), AEAD_OP(3), AEAD_OP(4))
static void crypto_gcm_encrypt(void)
{
	struct vsession s;
	int cq = 0;
	uint64_t id = 0;
	struct vdev *d = gcm_session(&s, OP_ENCRYPT, &cq, &id);
	if (!d)
		return;
	__builtin_memset(src, 0, sizeof(src));
	int st = aead_request(&s, AEAD_ENCRYPT, id, BLOCK, BLOCK + TAG);
	if (st < 0 || !probe_check(st == ST_OK || st == ST_NOTSUPP || st == ST_BADMSG || st == ST_INVSESS || st == ST_ERR,
				   "%s: AES-GCM encrypt: status %d is not a status VIRTIO defines for AEAD", vdev_name(d), st))
		goto out;
	if (st != ST_OK)   /* dst_data only has to hold a result after a success */
		probe_skip("%s answered the AES-GCM encrypt with status %d: no output to check", vdev_name(d), st);
	else
		probe_check(__builtin_memcmp(dst, kat_cipher, BLOCK) == 0 && __builtin_memcmp(dst + BLOCK, kat_tag, TAG) == 0,
			    "%s: AES-GCM encrypt of NIST test case 2: dst %02x%02x%02x%02x.. tag %02x%02x%02x%02x.. "
			    "expected 0388dace.. tag ab6e47d4..", vdev_name(d), dst[0], dst[1], dst[2], dst[3], dst[BLOCK],
			    dst[BLOCK + 1], dst[BLOCK + 2], dst[BLOCK + 3]);
out:
	destroy_session(&s, cq, id);
	vs_close(&s);
}

PROBE_CASE(crypto_gcm_bad_tag, "virtio.crypto.aead_decrypt_checks_tag", AVPS_CHECKS("in an AES-128-GCM decrypt session the device created, NIST GCM test case 2's ciphertext with one tag bit flipped is not answered OK (VIRTIO names BADMSG for a failed verification) (SKIP when AES-GCM is not advertised or its session is refused)"),
	   AEAD_OP(5))
static void crypto_gcm_bad_tag(void)
{
	struct vsession s;
	int cq = 0;
	uint64_t id = 0;
	struct vdev *d = gcm_session(&s, OP_DECRYPT, &cq, &id);
	if (!d)
		return;
	__builtin_memcpy(src, kat_cipher, BLOCK);   /* ciphertext, then its tag with one bit flipped */
	__builtin_memcpy(src + BLOCK, kat_tag, TAG);
	src[BLOCK + 5] ^= 0x10;
	int st = aead_request(&s, AEAD_DECRYPT, id, BLOCK + TAG, BLOCK + TAG);
	if (st >= 0) {
		probe_diag("%s: AES-GCM decrypt with a corrupted tag: status %d (BADMSG is %d)", vdev_name(d), st, ST_BADMSG);
		probe_check(st != ST_OK && st != 0xff, "%s: AES-GCM decrypt of a ciphertext whose tag was corrupted answered "
			    "status %d: the device did not verify the tag", vdev_name(d), st);
	}
	destroy_session(&s, cq, id);
	vs_close(&s);
}
