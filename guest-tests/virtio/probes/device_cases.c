/* Device-type statement cases that read or exercise configuration space: network, input, GPU, crypto, SCSI (VIRTIO 1.2 §5). */
#include "probe.h"
#include "session.h"
#include "statements.h"

static uint32_t cfg32(const struct vdev *d, uint32_t off) { return (uint32_t)vmmio_config(&d->t, off, 4); }
static uint32_t cfg16(const struct vdev *d, uint32_t off) { return (uint32_t)vmmio_config(&d->t, off, 2); }
static uint32_t cfg8(const struct vdev *d, uint32_t off) { return (uint32_t)vmmio_config(&d->t, off, 1); }

#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MQ  22

PROBE_CASE(net_mtu, "virtio.net.mtu_in_range", AVPS_CHECKS("a network device offering VIRTIO_NET_F_MTU reports an mtu between 68 and 65535"),
	   NET_CONFIG(2))
static void net_mtu(void)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_NET, "network device", VIRTIO_NET_F_MTU, "VIRTIO_NET_F_MTU");
	if (!d)
		return;
	uint32_t mtu = cfg16(d, 10);
	probe_diag("%s: mtu %u", vdev_name(d), mtu);
	probe_check(mtu >= 68 && mtu <= 65535, "%s: mtu %u outside 68..65535", vdev_name(d), mtu);
}

PROBE_CASE(net_pairs, "virtio.net.max_virtqueue_pairs_in_range", AVPS_CHECKS("a network device offering VIRTIO_NET_F_MQ reports max_virtqueue_pairs between 1 and 0x8000"),
	   NET_CONFIG(1))
static void net_pairs(void)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_NET, "network device", VIRTIO_NET_F_MQ, "VIRTIO_NET_F_MQ");
	if (!d)
		return;
	uint32_t pairs = cfg16(d, 8);
	probe_check(pairs >= 1 && pairs <= 0x8000, "%s: max_virtqueue_pairs %u outside 1..0x8000", vdev_name(d), pairs);
}

#define INPUT_CFG_ID_NAME 0x01
#define INPUT_CFG_EV_BITS 0x11

/* size the input device reports for (select, subsel) */
static uint32_t input_size(const struct vdev *d, uint8_t select, uint8_t subsel)
{
	d->t.io.write(d->t.io.ctx, VMMIO_CONFIG + 0, select, 1);
	d->t.io.write(d->t.io.ctx, VMMIO_CONFIG + 1, subsel, 1);
	return cfg8(d, 2);
}

PROBE_CASE(input_unsupported, "virtio.input.unsupported_query_size_zero", AVPS_CHECKS("every input device answers size 0 to select/subsel pairs it cannot support (undefined select, ID_NAME with a subsel, EV_BITS of undefined event type 0x0a)"),
	   INPUT_INIT(1))
static void input_unsupported(void)
{
	int seen = 0;
	vdev_discover();
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		struct vsession s;
		if (d->device_id != VIRTIO_ID_INPUT || d->version != 2 || !vs_open(&s, d, 0, 0, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			continue;
		seen++;
		uint32_t name = input_size(d, INPUT_CFG_ID_NAME, 0);
		probe_check(name > 0, "%s: ID_NAME reports size 0: the query mechanism itself does not answer", vdev_name(d));
		/* 0x0a is no Linux input event type, so no device can have EV_BITS for it. */
		static const uint8_t bad[][2] = { { 0x7e, 0 }, { INPUT_CFG_ID_NAME, 1 }, { INPUT_CFG_EV_BITS, 0x0a } };
		for (unsigned i = 0; i < 3; i++) {
			uint32_t size = input_size(d, bad[i][0], bad[i][1]);
			probe_check(size == 0, "%s: select 0x%02x subsel 0x%02x (not supported): size %u, expected 0",
				    vdev_name(d), bad[i][0], bad[i][1], size);
		}
		vs_close(&s);
	}
	if (!seen && !vdev_find(VIRTIO_ID_INPUT))
		probe_skip("device absent: no input device (DeviceID 18) on a version-2 virtio-mmio transport");
}

#define GPU_SHM_HOST_VISIBLE 1

PROBE_CASE(gpu_shm_ids, "virtio.gpu.shm_region_ids", AVPS_CHECKS("the GPU device exposes no shared memory region under an ID other than the one the GPU device type defines (1, host visible)"),
	   GPU_INIT(5))
static void gpu_shm_ids(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_GPU, "GPU device");
	if (!d)
		return;
	for (uint32_t id = 0; id < 256; id++) {
		if (id == GPU_SHM_HOST_VISIBLE)
			continue;
		vmmio_write(&d->t, VMMIO_SHM_SEL, id);
		uint64_t len = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_LEN_LOW);
		if (!probe_check(len == ~0ULL, "%s: shared memory region %u (not a GPU region ID) has length 0x%llx",
				 vdev_name(d), id, (unsigned long long)len))
			break;
	}
}

/* struct virtio_crypto_config offsets (VIRTIO 1.2 §5.9.4) */
#define CRYPTO_STATUS 0
#define CRYPTO_MAX_DATAQUEUES 4
#define CRYPTO_SERVICES 8
#define CRYPTO_CIPHER_L 12
#define CRYPTO_CIPHER_H 16
#define CRYPTO_HASH 20
#define CRYPTO_MAC_L 24
#define CRYPTO_MAC_H 28
#define CRYPTO_AEAD 32
#define CRYPTO_MAX_CIPHER_KEY 36
#define CRYPTO_MAX_AUTH_KEY 40
#define CRYPTO_MAX_SIZE 48

PROBE_CASE(crypto_limits, "virtio.crypto.config_limits", AVPS_CHECKS("the crypto device reports max_dataqueues in 1..65535, a max_size, and key lengths for the cipher and MAC services it advertises"),
	   CRYPTO_CONFIG(1), CRYPTO_CONFIG(8), CRYPTO_CONFIG(9), CRYPTO_CONFIG(10))
static void crypto_limits(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	if (!d)
		return;
	uint32_t queues = cfg32(d, CRYPTO_MAX_DATAQUEUES), services = cfg32(d, CRYPTO_SERVICES);
	uint64_t max_size = vmmio_config(&d->t, CRYPTO_MAX_SIZE, 8);
	probe_diag("%s: max_dataqueues %u, services 0x%x, max_size 0x%llx", vdev_name(d), queues, services,
		   (unsigned long long)max_size);
	probe_check(queues >= 1 && queues <= 65535, "%s: max_dataqueues %u outside 1..65535", vdev_name(d), queues);
	probe_check(max_size != 0, "%s: max_size is 0", vdev_name(d));
	if (services & 1u)
		probe_check(cfg32(d, CRYPTO_MAX_CIPHER_KEY) != 0, "%s: CIPHER service advertised, max_cipher_key_len 0",
			    vdev_name(d));
	if (services & 4u)
		probe_check(cfg32(d, CRYPTO_MAX_AUTH_KEY) != 0, "%s: MAC service advertised, max_auth_key_len 0",
			    vdev_name(d));
}

PROBE_CASE(crypto_masks, "virtio.crypto.config_flags_and_masks", AVPS_CHECKS("the crypto status has only HW_READY, every advertised service has an algorithm in its mask, and no undefined algorithm bit is set"),
	   CRYPTO_CONFIG(2), CRYPTO_CONFIG(3), CRYPTO_CONFIG(6), CRYPTO_CONFIG(7))
static void crypto_masks(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_CRYPTO, "crypto device");
	if (!d)
		return;
	uint32_t status = cfg32(d, CRYPTO_STATUS), services = cfg32(d, CRYPTO_SERVICES);
	probe_check((status & ~1u) == 0, "%s: status 0x%x has bits other than VIRTIO_CRYPTO_S_HW_READY", vdev_name(d), status);
	/* Per service (CIPHER, HASH, MAC, AEAD): its masks and the bits VIRTIO 1.2 defines in them. */
	static const struct { const char *name; uint32_t off[2]; uint32_t defined[2]; } svc[4] = {
		{ "CIPHER", { CRYPTO_CIPHER_L, CRYPTO_CIPHER_H }, { 0x7fffu, 0 } },
		{ "HASH", { CRYPTO_HASH, CRYPTO_HASH }, { 0x1fffu, 0x1fffu } },
		{ "MAC", { CRYPTO_MAC_L, CRYPTO_MAC_H }, { 0x1e00007fu, (1u << 9) | (1u << 10) | (1u << 17) | (1u << 18) | (1u << 21) | (1u << 22) } },
		{ "AEAD", { CRYPTO_AEAD, CRYPTO_AEAD }, { 0xfu, 0xfu } },
	};
	for (int i = 0; i < 4; i++) {
		uint32_t lo = cfg32(d, svc[i].off[0]), hi = svc[i].off[1] != svc[i].off[0] ? cfg32(d, svc[i].off[1]) : 0;
		uint32_t undefined_lo = lo & ~svc[i].defined[0], undefined_hi = hi & ~(svc[i].off[1] != svc[i].off[0] ? svc[i].defined[1] : 0);
		probe_check(undefined_lo == 0 && undefined_hi == 0, "%s: %s mask 0x%x/0x%x sets undefined algorithm bits 0x%x/0x%x",
			    vdev_name(d), svc[i].name, lo, hi, undefined_lo, undefined_hi);
		/* Bit 0 is the NO_<service> value: a usable service names a real algorithm. */
		if (services & (1u << i))
			probe_check((lo & ~1u) || hi, "%s: %s service advertised (crypto_services 0x%x) but its algorithm mask "
				    "is 0x%x/0x%x", vdev_name(d), svc[i].name, services, lo, hi);
	}
}

#define SCSI_SENSE_SIZE 20
#define SCSI_CDB_SIZE 24

PROBE_CASE(scsi_reset_sizes, "virtio.scsi.reset_restores_sense_and_cdb_size", AVPS_CHECKS("after the driver wrote other sense_size/cdb_size values, a device reset brings them back to 96 and 32"),
	   SCSI_CONFIG(1))
static void scsi_reset_sizes(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	struct vsession s;
	if (!d || !vs_open(&s, d, 0, 0, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	d->t.io.write(d->t.io.ctx, VMMIO_CONFIG + SCSI_SENSE_SIZE, 64, 4);
	d->t.io.write(d->t.io.ctx, VMMIO_CONFIG + SCSI_CDB_SIZE, 16, 4);
	probe_diag("%s: after writing 64/16: sense_size %u cdb_size %u", vdev_name(d), cfg32(d, SCSI_SENSE_SIZE),
		   cfg32(d, SCSI_CDB_SIZE));
	vs_close(&s);
	uint32_t sense = cfg32(d, SCSI_SENSE_SIZE), cdb = cfg32(d, SCSI_CDB_SIZE);
	probe_check(sense == 96 && cdb == 32, "%s: after reset sense_size %u cdb_size %u, expected 96 and 32",
		    vdev_name(d), sense, cdb);
}

struct scsi_cmd {
	uint8_t lun[8];
	uint64_t id;
	uint8_t task_attr, prio, crn;
	uint8_t cdb[32];
} __attribute__((packed));
struct scsi_resp {
	uint32_t sense_len, residual;
	uint16_t status_qualifier;
	uint8_t status, response;
	uint8_t sense[96];
} __attribute__((packed));

static struct scsi_cmd cmd __attribute__((aligned(16)));
static struct scsi_resp resp __attribute__((aligned(16)));
static uint8_t inquiry[36] __attribute__((aligned(16)));

static bool sam_status(uint8_t s)
{
	static const uint8_t codes[] = { 0x00, 0x02, 0x04, 0x08, 0x18, 0x28, 0x30, 0x40 };
	for (unsigned i = 0; i < sizeof(codes); i++)
		if (codes[i] == s)
			return true;
	return false;
}

PROBE_CASE(scsi_status_codes, "virtio.scsi.response_and_status_codes", AVPS_CHECKS("INQUIRY to target 0 and to target 200 come back with a defined VIRTIO_SCSI_S_* response and, when it is OK, a SAM status"),
	   SCSI_REQUESTQ(1), SCSI_REQUESTQ(2))
static void scsi_status_codes(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	static const uint8_t targets[] = { 0, 200 };
	int answered_ok = 0;
	for (int t = 0; t < 2; t++) {
		cmd = (struct scsi_cmd){ { 1, targets[t], 0x40, 0, 0, 0, 0, 0 }, (uint64_t)(t + 1), 0, 0, 0,
					 { 0x12, 0, 0, 0, sizeof(inquiry), 0 } };
		resp.response = 0xee;
		resp.status = 0xee;
		struct vbuf e[3] = { { &cmd, sizeof(cmd), false }, { &resp, sizeof(resp), true },
				     { inquiry, sizeof(inquiry), true } };
		if (!vs_call(&s, 2, e, 3, VIRTQ_CHAIN_DIRECT, &u, "INQUIRY"))
			break;
		probe_diag("%s: INQUIRY target %u: response %u status 0x%x", vdev_name(d), targets[t], resp.response,
			   resp.status);
		probe_check(resp.response <= 9, "%s: INQUIRY target %u: response %u is not a VIRTIO_SCSI_S_* code",
			    vdev_name(d), targets[t], resp.response);
		if (resp.response == 0)
			probe_check(sam_status(resp.status), "%s: INQUIRY target %u: status 0x%x is not a SAM status code",
				    vdev_name(d), targets[t], resp.status);
		answered_ok += resp.response == 0;
	}
	if (!answered_ok)
		probe_skip("%s: no target answered INQUIRY with VIRTIO_SCSI_S_OK, so no SAM status to check", vdev_name(d));
	vs_close(&s);
}

#define GPU_CMD_GET_DISPLAY_INFO 0x0100
#define GPU_RESP_OK_DISPLAY_INFO 0x1101
#define GPU_FLAG_FENCE 1u

struct gpu_hdr {
	uint32_t type, flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx, padding[3];
};

static struct gpu_hdr gpu_req __attribute__((aligned(16)));
static struct { struct gpu_hdr hdr; uint8_t pmodes[16 * 24]; } gpu_resp __attribute__((aligned(16)));

PROBE_CASE(gpu_fence, "virtio.gpu.fenced_command_completed", AVPS_CHECKS("a GET_DISPLAY_INFO sent with VIRTIO_GPU_FLAG_FENCE comes back as a complete OK_DISPLAY_INFO response carrying the fence flag and fence_id"),
	   DT "GPU Device / Device Operation / Device Operation: Command lifecycle and fencing #2")
static void gpu_fence(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_GPU, "GPU device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 2, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	gpu_req = (struct gpu_hdr){ GPU_CMD_GET_DISPLAY_INFO, GPU_FLAG_FENCE, 0xfe9ce0001ULL, 0, 0, { 0, 0, 0 } };
	gpu_resp.hdr = (struct gpu_hdr){ 0xffffffffu, 0, 0, 0, 0, { 0, 0, 0 } };
	struct vbuf e[2] = { { &gpu_req, sizeof(gpu_req), false }, { &gpu_resp, sizeof(gpu_resp), true } };
	if (vs_call(&s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "fenced GET_DISPLAY_INFO")) {
		uint32_t w = 0;
		for (int i = 0; i < 16; i++)   /* pmodes[i].r.width */
			w |= (uint32_t)gpu_resp.pmodes[i * 24 + 8] | (uint32_t)gpu_resp.pmodes[i * 24 + 9] << 8;
		probe_check(gpu_resp.hdr.type == GPU_RESP_OK_DISPLAY_INFO && (gpu_resp.hdr.flags & GPU_FLAG_FENCE) &&
			    gpu_resp.hdr.fence_id == gpu_req.fence_id && u.len >= sizeof(gpu_resp) && w != 0,
			    "%s: fenced GET_DISPLAY_INFO returned type 0x%x flags 0x%x fence_id 0x%llx, used len %u, %s",
			    vdev_name(d), gpu_resp.hdr.type, gpu_resp.hdr.flags, (unsigned long long)gpu_resp.hdr.fence_id,
			    u.len, w ? "modes filled" : "no display mode filled in");
	}
	vs_close(&s);
}

#define VIRTIO_NET_F_HASH_REPORT 57
#define VIRTIO_NET_F_RSS 60
#define VIRTIO_NET_F_SPEED_DUPLEX 63

PROBE_CASE(net_rss_limits, "virtio.net.rss_limits", AVPS_CHECKS("a network device offering RSS or HASH_REPORT reports rss_max_key_size >= 40, and with RSS rss_max_indirection_table_length >= 128"),
	   NET_CONFIG(7), NET_CONFIG(8))
static void net_rss_limits(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_NET, "network device");
	if (!d)
		return;
	bool rss = d->t.offered & VIRTIO_BIT(VIRTIO_NET_F_RSS), hash = d->t.offered & VIRTIO_BIT(VIRTIO_NET_F_HASH_REPORT);
	if (!rss && !hash) {
		probe_skip("%s offers neither VIRTIO_NET_F_RSS nor VIRTIO_NET_F_HASH_REPORT", vdev_name(d));
		return;
	}
	uint32_t key = cfg8(d, 17), table = cfg16(d, 18);
	probe_diag("%s: rss_max_key_size %u, rss_max_indirection_table_length %u", vdev_name(d), key, table);
	probe_check(key >= 40, "%s: rss_max_key_size %u, below 40", vdev_name(d), key);
	if (rss)
		probe_check(table >= 128, "%s: rss_max_indirection_table_length %u, below 128", vdev_name(d), table);
}

PROBE_CASE(net_speed_duplex, "virtio.net.speed_duplex_values", AVPS_CHECKS("with VIRTIO_NET_F_SPEED_DUPLEX negotiated, speed is 0..0x7fffffff or 0xffffffff and duplex is 0x00, 0x01 or 0xff"),
	   NET_CONFIG(10), NET_CONFIG(11))
static void net_speed_duplex(void)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_NET, "network device", VIRTIO_NET_F_SPEED_DUPLEX, "VIRTIO_NET_F_SPEED_DUPLEX");
	struct vsession s;
	if (!d)
		return;
	if (!vs_open(&s, d, VIRTIO_BIT(VIRTIO_NET_F_SPEED_DUPLEX), 0, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint32_t speed = cfg32(d, 12), duplex = cfg8(d, 16);
	probe_diag("%s: speed %u Mbit/s, duplex 0x%x", vdev_name(d), speed, duplex);
	probe_check(speed <= 0x7fffffffu || speed == 0xffffffffu, "%s: speed 0x%x is neither 0..0x7fffffff nor unknown",
		    vdev_name(d), speed);
	probe_check(duplex == 0 || duplex == 1 || duplex == 0xff, "%s: duplex 0x%x is not 0x00, 0x01 or 0xff",
		    vdev_name(d), duplex);
	vs_close(&s);
}

PROBE_CASE(net_mtu_stable, "virtio.net.mtu_unchanged", AVPS_CHECKS("the mtu a network device offering VIRTIO_NET_F_MTU reports is the same before negotiation, after DRIVER_OK with MTU negotiated, and after a reset"),
	   NET_CONFIG(4))
static void net_mtu_stable(void)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_NET, "network device", VIRTIO_NET_F_MTU, "VIRTIO_NET_F_MTU");
	struct vsession s;
	if (!d)
		return;
	uint32_t seen[3];
	seen[0] = cfg16(d, 10);
	if (!vs_open(&s, d, VIRTIO_BIT(VIRTIO_NET_F_MTU), 0, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	seen[1] = cfg16(d, 10);
	vs_close(&s);
	seen[2] = cfg16(d, 10);
	probe_check(seen[0] == seen[1] && seen[1] == seen[2], "%s: mtu %u, then %u with MTU negotiated, then %u after "
		    "reset", vdev_name(d), seen[0], seen[1], seen[2]);
}

PROBE_CASE(scsi_reset_completes, "virtio.scsi.reset_completes_outstanding", AVPS_CHECKS("an INQUIRY notified right before a device reset is completed by the time Status reads 0: its used entry is in the ring with response OK, ABORTED or FAILURE"),
	   SCSI_REQUESTQ(4))
static void scsi_reset_completes(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_SCSI, "SCSI host device");
	struct vsession s;
	if (!d || !vs_open(&s, d, 0, 3, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	cmd = (struct scsi_cmd){ { 1, 0, 0x40, 0, 0, 0, 0, 0 }, 77, 0, 0, 0, { 0x12, 0, 0, 0, sizeof(inquiry), 0 } };
	resp.response = 0xee;
	struct vbuf e[3] = { { &cmd, sizeof(cmd), false }, { &resp, sizeof(resp), true }, { inquiry, sizeof(inquiry), true } };
	uint16_t id;
	virtq_add(&s.q[2], e, 3, VIRTQ_CHAIN_DIRECT, &id);
	vmmio_notify(s.t, &s.q[2]);
	uint32_t st = 0;
	vmmio_reset(s.t, 1000000, &st);   /* right away: the command is outstanding unless already done */
	uint16_t used = virtq_used_idx(&s.q[2]);
	probe_check(st == 0 && used == 1 && (resp.response == 0 || resp.response == 2 || resp.response == 9),
		    "%s: after reset (Status 0x%x) the INQUIRY notified before it has used idx %u, response %u (expected "
		    "1 and OK, ABORTED or FAILURE)", vdev_name(d), st, used, resp.response);
}

#define GPU_F_RESOURCE_BLOB 3
#define GPU_CMD_RESOURCE_MAP_BLOB 0x0208
#define GPU_CMD_RESOURCE_UNMAP_BLOB 0x0209
#define GPU_RESP_ERR_UNSPEC 0x1200
#define GPU_RESP_ERR_INVALID_RESOURCE_ID 0x1203
#define GPU_UNKNOWN_RESOURCE 0x7e57a11u

/* struct virtio_gpu_resource_map_blob (UNMAP_BLOB is its first 32 bytes) */
static struct {
	struct gpu_hdr hdr;
	uint32_t resource_id, padding;
	uint64_t offset;
} gpu_map_req __attribute__((aligned(16)));
static struct { struct gpu_hdr hdr; uint32_t map_info, padding; } gpu_map_resp __attribute__((aligned(16)));

PROBE_CASE(gpu_map_blob, "virtio.gpu.map_blob_supported_with_host_visible_region",
	   AVPS_CHECKS("where the host visible region (shmid 1) exists and RESOURCE_BLOB is offered: RESOURCE_MAP_BLOB "
		       "and RESOURCE_UNMAP_BLOB of a resource ID never created are each answered "
		       "ERR_INVALID_RESOURCE_ID, the answer of a device that knows the command, not ERR_UNSPEC"),
	   GPU_INIT(6))
static void gpu_map_blob(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_GPU, "GPU device");
	struct vsession s;
	struct virtq_used u;
	if (!d)
		return;
	vmmio_write(&d->t, VMMIO_SHM_SEL, GPU_SHM_HOST_VISIBLE);
	uint64_t len = (uint64_t)vmmio_read(&d->t, VMMIO_SHM_LEN_HIGH) << 32 | vmmio_read(&d->t, VMMIO_SHM_LEN_LOW);
	if (len == ~0ULL || len == 0 || !(d->t.offered & VIRTIO_BIT(GPU_F_RESOURCE_BLOB))) {
		probe_skip("%s: host visible region %s, RESOURCE_BLOB %s: the statement binds only a device with both",
			   vdev_name(d), len == ~0ULL || len == 0 ? "absent" : "present",
			   (d->t.offered & VIRTIO_BIT(GPU_F_RESOURCE_BLOB)) ? "offered" : "not offered");
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(GPU_F_RESOURCE_BLOB), 2, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	static const uint32_t cmd[2] = { GPU_CMD_RESOURCE_MAP_BLOB, GPU_CMD_RESOURCE_UNMAP_BLOB };
	static const char *const name[2] = { "RESOURCE_MAP_BLOB", "RESOURCE_UNMAP_BLOB" };
	for (int i = 0; i < 2; i++) {
		__builtin_memset(&gpu_map_req, 0, sizeof(gpu_map_req));
		gpu_map_req.hdr.type = cmd[i];
		gpu_map_req.resource_id = GPU_UNKNOWN_RESOURCE;
		gpu_map_resp.hdr = (struct gpu_hdr){ 0xffffffffu, 0, 0, 0, 0, { 0, 0, 0 } };
		struct vbuf e[2] = { { &gpu_map_req, i ? 32 : sizeof(gpu_map_req), false },
				     { &gpu_map_resp, i ? sizeof(struct gpu_hdr) : sizeof(gpu_map_resp), true } };
		if (!vs_call(&s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, name[i]) ||
		    !probe_check(gpu_map_resp.hdr.type == GPU_RESP_ERR_INVALID_RESOURCE_ID, "%s: %s of resource 0x%x "
				 "(never created) answered 0x%x, expected ERR_INVALID_RESOURCE_ID (0x%x)%s", vdev_name(d),
				 name[i], GPU_UNKNOWN_RESOURCE, gpu_map_resp.hdr.type, GPU_RESP_ERR_INVALID_RESOURCE_ID,
				 gpu_map_resp.hdr.type == GPU_RESP_ERR_UNSPEC ? " (ERR_UNSPEC: the command is not known)" : ""))
			break;
	}
	vs_close(&s);
}
