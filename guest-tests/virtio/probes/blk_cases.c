/* Block device statement cases (VIRTIO 1.2 §5.2): feature and config rules, discard / write-zeroes answers. */
#include "blk_request.h"
#include "probe.h"
#include "statements.h"

#define BLK_CFG_WRITEBACK 32
#define BLK_CFG_UNUSED0   33
#define BLK_CFG_UNUSED1   57

static uint8_t data[BLK_SECTOR] __attribute__((aligned(16)));
static uint8_t saved[BLK_SECTOR];
static struct blk_segment segment __attribute__((aligned(16)));

static bool offers(const struct vdev *d, int bit)
{
	return d->t.offered & VIRTIO_BIT(bit);
}

PROBE_CASE(blk_flush_with_wce, "virtio.blk.flush_offered_with_config_wce", AVPS_CHECKS("every block device offering VIRTIO_BLK_F_CONFIG_WCE also offers VIRTIO_BLK_F_FLUSH"),
	   BLK_INIT(2))
static void blk_flush_with_wce(void)
{
	int seen = 0;
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->device_id != VIRTIO_ID_BLOCK || d->version != 2)
			continue;
		seen++;
		probe_diag("%s: CONFIG_WCE %s, FLUSH %s", vdev_name(d), offers(d, VIRTIO_BLK_F_CONFIG_WCE) ? "offered" : "not offered",
			   offers(d, VIRTIO_BLK_F_FLUSH) ? "offered" : "not offered");
		probe_check(!offers(d, VIRTIO_BLK_F_CONFIG_WCE) || offers(d, VIRTIO_BLK_F_FLUSH),
			    "%s: offers VIRTIO_BLK_F_CONFIG_WCE without VIRTIO_BLK_F_FLUSH (features 0x%llx)",
			    vdev_name(d), (unsigned long long)d->t.offered);
	}
	if (!seen)
		probe_skip("device absent: no block device (DeviceID 2) on a version-2 virtio-mmio transport");
}

PROBE_CASE(blk_wce_no_flush, "virtio.blk.writeback_zero_without_flush", AVPS_CHECKS("with VIRTIO_BLK_F_CONFIG_WCE negotiated and VIRTIO_BLK_F_FLUSH not, the writeback config field reads 0 after DRIVER_OK"),
	   BLK_INIT(3))
static void blk_wce_no_flush(void)
{
	struct vdev *d = blk_writable_device();
	struct vsession s;
	if (!d)
		return;
	if (!offers(d, VIRTIO_BLK_F_CONFIG_WCE)) {
		probe_skip("%s does not offer VIRTIO_BLK_F_CONFIG_WCE", vdev_name(d));
		return;
	}
	if (!vs_open(&s, d, VIRTIO_BIT(VIRTIO_BLK_F_CONFIG_WCE), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	uint32_t wb = (uint32_t)vmmio_config(s.t, BLK_CFG_WRITEBACK, 1);
	probe_check(wb == 0, "%s: negotiated 0x%llx (CONFIG_WCE, no FLUSH): writeback reads %u, expected 0",
		    vdev_name(d), (unsigned long long)s.features, wb);
	vs_close(&s);
}

PROBE_CASE(blk_padding, "virtio.blk.config_padding_zero", AVPS_CHECKS("the unused0 and unused1 padding bytes of every block device's configuration read 0"),
	   BLK_INIT(4))
static void blk_padding(void)
{
	int seen = 0;
	for (struct vdev *d = vdevs; d < vdevs + vdev_count; d++) {
		if (d->device_id != VIRTIO_ID_BLOCK || d->version != 2)
			continue;
		/* The padding is part of the config only where the fields around it are: unused0 with
		 * writeback/num_queues or anything after, unused1 with the write-zeroes fields. */
		bool has0 = offers(d, VIRTIO_BLK_F_CONFIG_WCE) || offers(d, 12) || offers(d, VIRTIO_BLK_F_DISCARD) ||
			    offers(d, VIRTIO_BLK_F_WRITE_ZEROES) || offers(d, 16);
		bool has1 = offers(d, VIRTIO_BLK_F_WRITE_ZEROES) || offers(d, 16);
		if (!has0)
			continue;
		seen++;
		uint32_t u0 = (uint32_t)vmmio_config(&d->t, BLK_CFG_UNUSED0, 1);
		uint32_t u1[3] = { 0, 0, 0 };
		for (int i = 0; has1 && i < 3; i++)
			u1[i] = (uint32_t)vmmio_config(&d->t, BLK_CFG_UNUSED1 + (uint32_t)i, 1);
		probe_check(u0 == 0 && u1[0] == 0 && u1[1] == 0 && u1[2] == 0,
			    "%s: unused0 = 0x%x, unused1 = %02x %02x %02x%s", vdev_name(d), u0, u1[0], u1[1], u1[2],
			    has1 ? "" : " (unused1 not in this config)");
	}
	if (!seen)
		probe_skip("no block device offers a feature whose config fields include the padding bytes");
}

/* Opens the writable disk with one optional feature, or says why the case cannot run. */
static struct vdev *blk_with(struct vsession *s, int feature, const char *name)
{
	struct vdev *d = blk_writable_device();
	if (!d)
		return NULL;
	if (!offers(d, feature)) {
		probe_skip("%s does not offer %s", vdev_name(d), name);
		return NULL;
	}
	return vs_open(s, d, VIRTIO_BIT(feature), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK) ? d : NULL;
}

static int segment_call(struct vsession *s, uint32_t type, uint64_t sector, uint32_t flags)
{
	segment = (struct blk_segment){ sector, 1, flags };
	return blk_call(s, type, 0, &segment, sizeof(segment), BLK_PLAIN);
}

PROBE_CASE(blk_unknown_flag, "virtio.blk.unknown_segment_flag_unsupported", AVPS_CHECKS("write-zeroes and discard requests with an undefined segment flag bit set are answered VIRTIO_BLK_S_UNSUPP"),
	   BLK_OPERATION(3))
static void blk_unknown_flag(void)
{
	struct vsession s;
	int tested = 0;
	static const struct { int feature; uint32_t type; const char *name; } kinds[] = {
		{ VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_T_WRITE_ZEROES, "write-zeroes" },
		{ VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_T_DISCARD, "discard" },
	};
	struct vdev *d = blk_writable_device();
	if (!d)
		return;
	for (unsigned k = 0; k < 2; k++) {
		if (!offers(d, kinds[k].feature))
			continue;
		if (!vs_open(&s, d, VIRTIO_BIT(kinds[k].feature), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			return;
		uint64_t sector = blk_capacity(d) - 1;
		/* A device that wrongly honoured the request would zero or discard this sector: keep it. */
		bool kept = blk_call(&s, VIRTIO_BLK_T_IN, sector, saved, BLK_SECTOR, BLK_PLAIN) == VIRTIO_BLK_S_OK;
		for (uint32_t flag = 1u << 1; flag; flag <<= 15) {   /* bits 1, 16 and 31 */
			int st = segment_call(&s, kinds[k].type, sector, flag);
			probe_check(st == VIRTIO_BLK_S_UNSUPP, "%s: %s with flags 0x%x: status %d, expected "
				    "VIRTIO_BLK_S_UNSUPP (2)", vdev_name(d), kinds[k].name, flag, st);
		}
		if (kept)
			blk_call(&s, VIRTIO_BLK_T_OUT, sector, saved, BLK_SECTOR, BLK_PLAIN);
		tested++;
		vs_close(&s);
	}
	if (!tested)
		probe_skip("%s offers neither discard nor write-zeroes", vdev_name(d));
}

PROBE_CASE(blk_discard_unmap, "virtio.blk.discard_unmap_flag_unsupported", AVPS_CHECKS("a discard request with the unmap flag set is answered VIRTIO_BLK_S_UNSUPP"),
	   BLK_OPERATION(4))
static void blk_discard_unmap(void)
{
	struct vsession s;
	struct vdev *d = blk_with(&s, VIRTIO_BLK_F_DISCARD, "VIRTIO_BLK_F_DISCARD");
	if (!d)
		return;
	int st = segment_call(&s, VIRTIO_BLK_T_DISCARD, blk_capacity(d) - 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	probe_check(st == VIRTIO_BLK_S_UNSUPP, "%s: discard with the unmap flag: status %d, expected "
		    "VIRTIO_BLK_S_UNSUPP (2)", vdev_name(d), st);
	vs_close(&s);
}

PROBE_CASE(blk_write_zeroes, "virtio.blk.write_zeroes_reads_zero", AVPS_CHECKS("a sector written with a pattern, then write-zeroed, reads back as zeroes"),
	   BLK_OPERATION(7))
static void blk_write_zeroes(void)
{
	struct vsession s;
	struct vdev *d = blk_with(&s, VIRTIO_BLK_F_WRITE_ZEROES, "VIRTIO_BLK_F_WRITE_ZEROES");
	if (!d)
		return;
	uint64_t sector = blk_capacity(d) - 2;
	if (!probe_check(blk_call(&s, VIRTIO_BLK_T_IN, sector, saved, BLK_SECTOR, BLK_PLAIN) == VIRTIO_BLK_S_OK,
			 "%s: read of sector %llu failed", vdev_name(d), (unsigned long long)sector))
		return;
	for (int i = 0; i < BLK_SECTOR; i++)
		data[i] = (uint8_t)(0x80 | i);
	int st = blk_call(&s, VIRTIO_BLK_T_OUT, sector, data, BLK_SECTOR, BLK_PLAIN);
	int wz = segment_call(&s, VIRTIO_BLK_T_WRITE_ZEROES, sector, 0);
	for (int i = 0; i < BLK_SECTOR; i++)
		data[i] = 0xee;
	int rd = blk_call(&s, VIRTIO_BLK_T_IN, sector, data, BLK_SECTOR, BLK_PLAIN);
	int nonzero = 0;
	for (int i = 0; i < BLK_SECTOR; i++)
		nonzero += data[i] != 0;
	probe_check(st == 0 && wz == 0 && rd == 0 && nonzero == 0, "%s: sector %llu: write %d, write-zeroes %d, "
		    "read %d: %d of 512 bytes not zero", vdev_name(d), (unsigned long long)sector, st, wz, rd, nonzero);
	blk_call(&s, VIRTIO_BLK_T_OUT, sector, saved, BLK_SECTOR, BLK_PLAIN);
	vs_close(&s);
}

#define VIRTIO_BLK_F_LIFETIME 15
#define VIRTIO_BLK_T_GET_LIFETIME 10

static struct { uint16_t pre_eol_info, est_a, est_b; } lifetime __attribute__((aligned(16)));

PROBE_CASE(blk_lifetime, "virtio.blk.lifetime_values_defined", AVPS_CHECKS("a block device offering VIRTIO_BLK_F_LIFETIME answers GET_LIFETIME with pre_eol_info 0..3 and both lifetime estimates 0..11 (no reserved values)"),
	   BLK_OPERATION(15))
static void blk_lifetime(void)
{
	struct vsession s;
	struct vdev *d = blk_with(&s, VIRTIO_BLK_F_LIFETIME, "VIRTIO_BLK_F_LIFETIME");
	if (!d)
		return;
	lifetime.pre_eol_info = lifetime.est_a = lifetime.est_b = 0xffff;
	int st = blk_call(&s, VIRTIO_BLK_T_GET_LIFETIME, 0, &lifetime, sizeof(lifetime), BLK_PLAIN);
	if (st >= 0)
		probe_check(st == VIRTIO_BLK_S_OK && lifetime.pre_eol_info <= 3 && lifetime.est_a <= 11 && lifetime.est_b <= 11,
			    "%s: GET_LIFETIME status %d: pre_eol_info %u, device_lifetime_est_typ_a %u, _b %u", vdev_name(d),
			    st, lifetime.pre_eol_info, lifetime.est_a, lifetime.est_b);
	vs_close(&s);
}
