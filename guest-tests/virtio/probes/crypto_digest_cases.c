/* Crypto HASH and MAC data request statement cases (VIRTIO 1.2 §5.9.7.3, §5.9.7.4): every request is answered with a status its service defines; SHA-1 and HMAC-SHA1 known answers. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define CRYPTO_SERVICES 8
#define CRYPTO_HASH_ALGOS 20
#define CRYPTO_MAC_ALGOS_L 24
#define CRYPTO_MAC_ALGOS_H 28
#define SERVICE_HASH 1
#define SERVICE_MAC 2
#define OPCODE(service, op) (((uint32_t)(service) << 8) | (op))
#define CREATE_SESSION 0x02
#define DESTROY_SESSION 0x03
#define DATA_REQUEST 0x00   /* VIRTIO_CRYPTO_HASH / VIRTIO_CRYPTO_MAC */
#define ST_OK 0
#define ST_ERR 1
#define ST_NOTSUPP 3
#define ST_INVSESS 4
#define NEVER_ISSUED 0xa5c0ffee00000001ULL
#define RESULT_LEN 20

/* Control request without REVISION_1: 16-byte header + 56 bytes; hash/mac session parameters. */
struct digest_ctrl {
	uint32_t opcode, algo, flag, reserved;
	union {
		struct {
			uint32_t algo, hash_result_len, auth_key_len, padding;
		} session;
		struct {
			uint64_t session_id;
		} destroy;
		uint8_t pad[56];
	} u;
} __attribute__((packed));

struct digest_session_input {
	uint64_t session_id;
	uint32_t status, padding;
};

/* Data request without REVISION_1: 24-byte header + 48 bytes (struct virtio_crypto_hash_para first). */
struct digest_data {
	uint32_t opcode, algo;
	uint64_t session_id;
	uint32_t flag, padding;
	uint32_t src_data_len, hash_result_len;
	uint8_t para_padding[40];
} __attribute__((packed));

static struct digest_ctrl ctrl __attribute__((aligned(16)));
static struct digest_session_input input __attribute__((aligned(16)));
static struct digest_data data __attribute__((aligned(16)));
static uint8_t auth_key[20] __attribute__((aligned(16)));   /* RFC 2202 HMAC-SHA1 test case 1: 20 x 0x0b */
static uint8_t message[16] __attribute__((aligned(16)));
static uint8_t result[RESULT_LEN] __attribute__((aligned(16)));
static volatile uint8_t status_byte __attribute__((aligned(16)));
static volatile uint8_t destroy_status __attribute__((aligned(16)));

struct digest_service {
	int service;
	uint32_t mask_lo, mask_hi;
	const char *name;
};

static int lowest_algorithm(const struct vdev *d, const struct digest_service *svc)
{
	uint32_t lo = (uint32_t)vmmio_config(&d->t, svc->mask_lo, 4);
	uint32_t hi = svc->mask_hi ? (uint32_t)vmmio_config(&d->t, svc->mask_hi, 4) : 0;
	for (int bit = 1; bit < 64; bit++)   /* bit 0 is NO_HASH / NO_MAC */
		if ((bit < 32 ? lo >> bit : hi >> (bit - 32)) & 1)
			return bit;
	return -1;
}

/* CREATE_SESSION for `algo`: true with the ID when the device answers OK. */
static bool create_session(struct vsession *s, int cq, const struct digest_service *svc, uint32_t algo,
			   uint64_t *id, uint32_t *status)
{
	struct virtq_used u;
	__builtin_memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = OPCODE(svc->service, CREATE_SESSION);
	ctrl.algo = algo;
	ctrl.u.session.algo = algo;
	ctrl.u.session.hash_result_len = RESULT_LEN;
	input = (struct digest_session_input){ 0, 0xffffffffu, 0 };
	struct vbuf e[3];
	int n = 0;
	e[n++] = (struct vbuf){ &ctrl, sizeof(ctrl), false };
	if (svc->service == SERVICE_MAC) {
		ctrl.u.session.auth_key_len = sizeof(auth_key);
		__builtin_memset(auth_key, 0x0b, sizeof(auth_key));
		e[n++] = (struct vbuf){ auth_key, sizeof(auth_key), false };
	}
	e[n++] = (struct vbuf){ &input, sizeof(input), true };
	*status = 0xffffffffu;
	if (!vs_call(s, cq, e, n, VIRTQ_CHAIN_DIRECT, &u, "CREATE_SESSION"))
		return false;
	*status = input.status;
	*id = input.session_id;
	return input.status == ST_OK;
}

static void destroy_session(struct vsession *s, int cq, const struct digest_service *svc, uint64_t id)
{
	struct virtq_used u;
	__builtin_memset(&ctrl, 0, sizeof(ctrl));
	ctrl.opcode = OPCODE(svc->service, DESTROY_SESSION);
	ctrl.u.destroy.session_id = id;
	struct vbuf e[2] = { { &ctrl, sizeof(ctrl), false }, { (void *)&destroy_status, 1, true } };
	vs_call(s, cq, e, 2, VIRTQ_CHAIN_DIRECT, &u, "DESTROY_SESSION");
}

/* One session-mode HASH or MAC data request over `text` on data queue 0: the status byte (the
 * digest in `result`), -1 without a valid used entry. */
static int data_request(struct vsession *s, const struct digest_service *svc, uint32_t algo, uint64_t session,
			const char *text)
{
	struct virtq_used u;
	uint32_t len = (uint32_t)__builtin_strlen(text);
	__builtin_memcpy(message, text, len);
	__builtin_memset(&data, 0, sizeof(data));
	data.opcode = OPCODE(svc->service, DATA_REQUEST);
	data.algo = algo;
	data.session_id = session;
	data.src_data_len = len;
	data.hash_result_len = RESULT_LEN;
	__builtin_memset(result, 0xa5, sizeof(result));
	status_byte = 0xff;
	struct vbuf e[4] = { { &data, sizeof(data), false }, { message, len, false }, { result, RESULT_LEN, true },
			     { (void *)&status_byte, 1, true } };
	return vs_call(s, 0, e, 4, VIRTQ_CHAIN_DIRECT, &u, "data request") ? status_byte : -1;
}

/* One HASH or MAC data request over "abc" in session mode: with a session the device created,
 * or (when it refuses every session) with an ID it never issued, for which VIRTIO defines
 * INVSESS. The device must answer OK, NOTSUPP, INVSESS or ERR. */
static void digest_request_status(const struct digest_service *svc)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	struct vsession s;
	if (!d)
		return;
	uint32_t services = (uint32_t)vmmio_config(&d->t, CRYPTO_SERVICES, 4);
	if (!(services & (1u << svc->service))) {
		probe_skip("%s does not advertise the %s service (crypto_services 0x%x)", vdev_name(d), svc->name, services);
		return;
	}
	uint32_t dataqs = (uint32_t)vmmio_config(&d->t, 4, 4);
	if (!probe_check(dataqs >= 1 && dataqs + 1 <= VS_MAX_QUEUES, "%s: max_dataqueues %u: the probe drives 1..%d",
			 vdev_name(d), dataqs, VS_MAX_QUEUES - 1))
		return;
	if (!vs_open(&s, d, 0, (int)dataqs + 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	int cq = (int)dataqs, algo = lowest_algorithm(d, svc);
	uint64_t id = NEVER_ISSUED;
	uint32_t created = 0xffffffffu;
	bool session = algo > 0 && create_session(&s, cq, svc, (uint32_t)algo, &id, &created);
	if (!session)
		id = NEVER_ISSUED;
	int st = data_request(&s, svc, algo > 0 ? (uint32_t)algo : 0, id, "abc");
	if (st >= 0) {
		probe_diag("%s: %s algorithm %d, %s: data request status %d", vdev_name(d), svc->name, algo,
			   session ? "in a session the device created" : "session refused, an ID never issued", st);
		probe_check(st == ST_OK || st == ST_NOTSUPP || st == ST_INVSESS || st == ST_ERR,
			    "%s: %s data request (algorithm %d, %s, CREATE_SESSION status %u): status %d is none of "
			    "OK, NOTSUPP, INVSESS, ERR", vdev_name(d), svc->name, algo, session ? "session" : "no session",
			    created, st);
	}
	if (session)
		destroy_session(&s, cq, svc, id);
	vs_close(&s);
}

PROBE_CASE(crypto_hash_status, "virtio.crypto.hash_request_status_defined", AVPS_CHECKS("a HASH data request (session mode, over 'abc') is completed with status OK, NOTSUPP, INVSESS or ERR"),
	   DT "Crypto Device / Device Operation / HASH Service Operation #4")
static void crypto_hash_status(void)
{
	static const struct digest_service hash = { SERVICE_HASH, CRYPTO_HASH_ALGOS, 0, "HASH" };
	digest_request_status(&hash);
}

PROBE_CASE(crypto_mac_status, "virtio.crypto.mac_request_status_defined", AVPS_CHECKS("a MAC data request (session mode, over 'abc') is completed with status OK, NOTSUPP, INVSESS or ERR"),
	   DT "Crypto Device / Device Operation / MAC Service Operation #3")
static void crypto_mac_status(void)
{
	static const struct digest_service mac = { SERVICE_MAC, CRYPTO_MAC_ALGOS_L, CRYPTO_MAC_ALGOS_H, "MAC" };
	digest_request_status(&mac);
}

#define SHA1 2        /* VIRTIO_CRYPTO_HASH_SHA1 */
#define HMAC_SHA1 2   /* VIRTIO_CRYPTO_MAC_HMAC_SHA1 */

/* A known answer in a session of `algo`: SKIP when the device does not advertise it or refuses
 * the session (advertised_services_usable judges that), else status OK and the digest. */
static void known_answer(const struct digest_service *svc, int algo, const char *text, const uint8_t want[RESULT_LEN],
			 const char *name)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	struct vsession s;
	uint64_t id = 0;
	uint32_t created = 0;
	if (!d)
		return;
	uint32_t services = (uint32_t)vmmio_config(&d->t, CRYPTO_SERVICES, 4);
	uint32_t mask = (uint32_t)vmmio_config(&d->t, svc->mask_lo, 4);
	if (!(services & (1u << svc->service)) || !((mask >> algo) & 1)) {
		probe_skip("%s does not advertise %s (crypto_services 0x%x, %s mask 0x%x)", vdev_name(d), name, services,
			   svc->name, mask);
		return;
	}
	uint32_t dataqs = (uint32_t)vmmio_config(&d->t, 4, 4);
	if (!probe_check(dataqs >= 1 && dataqs + 1 <= VS_MAX_QUEUES, "%s: max_dataqueues %u: the probe drives 1..%d",
			 vdev_name(d), dataqs, VS_MAX_QUEUES - 1) ||
	    !vs_open(&s, d, 0, (int)dataqs + 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	int cq = (int)dataqs;
	if (!create_session(&s, cq, svc, (uint32_t)algo, &id, &created)) {
		if (created != 0xffffffffu)
			probe_skip("%s refuses a %s session (status %u): no digest to check", vdev_name(d), name, created);
		goto out;
	}
	int st = data_request(&s, svc, (uint32_t)algo, id, text);
	if (st >= 0 && st != ST_OK)   /* hash_result only has to hold a digest after a success */
		probe_skip("%s answered the %s request with status %d: no digest to check", vdev_name(d), name, st);
	else if (st == ST_OK)
		probe_check(__builtin_memcmp(result, want, RESULT_LEN) == 0, "%s: %s of '%s': digest %02x%02x%02x%02x.. "
			    "expected %02x%02x%02x%02x..", vdev_name(d), name, text, result[0], result[1], result[2], result[3],
			    want[0], want[1], want[2], want[3]);
	destroy_session(&s, cq, svc, id);
out:
	vs_close(&s);
}

PROBE_CASE(crypto_sha1_kat, "virtio.crypto.hash_sha1_known_answer", AVPS_CHECKS("in a SHA-1 session the device created, a HASH data request over 'abc' answers OK with the FIPS 180 digest a9993e36..9cd0d89d in hash_result (SKIP when SHA-1 is not advertised or its session is refused)"),
	   DT "Crypto Device / Device Operation / HASH Service Operation #1",
	   DT "Crypto Device / Device Operation / HASH Service Operation #3")
static void crypto_sha1_kat(void)
{
	static const struct digest_service hash = { SERVICE_HASH, CRYPTO_HASH_ALGOS, 0, "HASH" };
	static const uint8_t want[RESULT_LEN] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
						  0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
	known_answer(&hash, SHA1, "abc", want, "SHA-1");
}

PROBE_CASE(crypto_hmac_sha1_kat, "virtio.crypto.mac_hmac_sha1_known_answer", AVPS_CHECKS("in an HMAC-SHA1 session with the RFC 2202 test case 1 key (20 x 0x0b) the device created, a MAC data request over 'Hi There' answers OK with b6173186..f146be00 in hash_result (SKIP when HMAC-SHA1 is not advertised or its session is refused)"),
	   DT "Crypto Device / Device Operation / MAC Service Operation #2")
static void crypto_hmac_sha1_kat(void)
{
	static const struct digest_service mac = { SERVICE_MAC, CRYPTO_MAC_ALGOS_L, CRYPTO_MAC_ALGOS_H, "MAC" };
	static const uint8_t want[RESULT_LEN] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
						  0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
	known_answer(&mac, HMAC_SHA1, "Hi There", want, "HMAC-SHA1");
}
