/* IOMMU request statement cases (VIRTIO 1.2 §5.13.6): ATTACH/DETACH answers for unknown endpoints, reserved fields, unknown flags, shared and moved endpoints; PROBE property layout; SKIP "device absent" until a platform offers the device over virtio-mmio. */
#include "dt.h"
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_IOMMU 23
#define IOMMU_F_INPUT_RANGE 0
#define IOMMU_F_DOMAIN_RANGE 1
#define IOMMU_F_MAP_UNMAP 2
#define IOMMU_F_PROBE 4
#define IOMMU_T_MAP 3
#define IOMMU_T_UNMAP 4
#define IOMMU_MAP_F_READ 1u
#define IOMMU_MAP_F_WRITE 2u
#define IOMMU_T_ATTACH 1
#define IOMMU_T_DETACH 2
#define IOMMU_T_PROBE 5
#define IOMMU_PROBE_T_RESV_MEM 1
#define RESV_MEM_BODY 20         /* subtype, reserved[3], start, end */
#define PROBE_SIZE_MAX 512       /* properties the probe reads; a larger probe_size is SKIPped */
#define IOMMU_S_OK 0
#define IOMMU_S_INVAL 4
#define IOMMU_S_NOENT 6
#define IOMMU_S_UNSUPP 2
#define UNKNOWN_FLAG (1u << 31)
#define IOMMU_OP(s) DT "IOMMU Device / Device operations" s

/* ATTACH and DETACH share one layout: head, domain, endpoint, 8 bytes (ATTACH: flags + reserved), tail. */
struct iommu_req {
	uint8_t type, head_reserved[3];
	uint32_t domain, endpoint;
	uint32_t flags;          /* DETACH: first half of reserved[8] */
	uint8_t reserved[4];
} __attribute__((packed));

static struct iommu_req req __attribute__((aligned(16)));
static struct { uint8_t status, reserved[3]; } tail __attribute__((aligned(16)));
static struct {
	uint8_t type, head_reserved[3];
	uint32_t domain;
	uint64_t virt_start, virt_end, phys_start;
	uint32_t flags;
} __attribute__((packed)) map_req __attribute__((aligned(16)));

struct iommu {
	struct vsession s;
	struct vdev *d;
	uint32_t domain;
};

/* Opens the device with DOMAIN_RANGE, INPUT_RANGE, MAP_UNMAP and `extra` where offered. */
static bool iommu_open(struct iommu *m, uint64_t extra)
{
	m->d = vdev_find(VIRTIO_ID_IOMMU);
	if (!m->d) {
		probe_skip("device absent: no IOMMU device (DeviceID %u) on a version-2 virtio-mmio transport",
			   VIRTIO_ID_IOMMU);
		return false;
	}
	uint64_t want = m->d->t.offered & (VIRTIO_BIT(IOMMU_F_DOMAIN_RANGE) | VIRTIO_BIT(IOMMU_F_INPUT_RANGE) |
					   VIRTIO_BIT(IOMMU_F_MAP_UNMAP) | extra);
	if (!vs_open(&m->s, m->d, want, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return false;
	/* With DOMAIN_RANGE the driver must stay inside domain_range (config offset 24). */
	m->domain = (m->s.features & VIRTIO_BIT(IOMMU_F_DOMAIN_RANGE)) ? (uint32_t)vmmio_config(m->s.t, 24, 4) : 1;
	return true;
}

/* One request; the tail's status, or -1 (a failed check) without a valid used entry. */
static int iommu_call(struct iommu *m, uint8_t type, uint32_t endpoint, uint32_t flags, uint8_t head_reserved,
		      uint8_t reserved)
{
	struct virtq_used u;
	req.type = type;
	for (int i = 0; i < 3; i++)
		req.head_reserved[i] = head_reserved;
	req.domain = m->domain;
	req.endpoint = endpoint;
	req.flags = type == IOMMU_T_DETACH ? (uint32_t)reserved * 0x01010101u : flags;
	for (int i = 0; i < 4; i++)
		req.reserved[i] = reserved;
	tail.status = 0xff;
	struct vbuf e[2] = { { &req, sizeof(req), false }, { &tail, sizeof(tail), true } };
	if (!vs_call(&m->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, type == IOMMU_T_ATTACH ? "ATTACH" : "DETACH"))
		return -1;
	return tail.status;
}

/* MAP of one page (the smallest page_size_mask granule, at the input range's start) with `flags`;
 * the tail's status, or -1 (a failed check) without a valid used entry. */
static int iommu_map(struct iommu *m, uint32_t flags)
{
	struct virtq_used u;
	uint64_t mask = vmmio_config(m->s.t, 0, 8), page = mask & (~mask + 1), start = 0;
	if (m->s.features & VIRTIO_BIT(IOMMU_F_INPUT_RANGE))
		start = (vmmio_config(m->s.t, 8, 8) + page - 1) & ~(page - 1);
	__builtin_memset(&map_req, 0, sizeof(map_req));
	map_req.type = IOMMU_T_MAP;
	map_req.domain = m->domain;
	map_req.virt_start = start;
	map_req.virt_end = start + page - 1;
	map_req.flags = flags;
	tail.status = 0xff;
	struct vbuf e[2] = { { &map_req, sizeof(map_req), false }, { &tail, sizeof(tail), true } };
	return vs_call(&m->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "MAP") ? tail.status : -1;
}

/* The endpoint ID a virtio,mmio node's `iommus = <&iommu id>` names, if it names this IOMMU. */
static bool dt_endpoint(int node, uint32_t iommu_phandle, uint32_t *id)
{
	uint32_t ph;
	return iommu_phandle && dt_prop_u32(node, "iommus", 0, &ph) && ph == iommu_phandle &&
	       dt_prop_u32(node, "iommus", 1, id);
}

/* An endpoint ID no virtio,mmio node names (counting down from 0xfffffff0). */
static uint32_t unknown_endpoint(const struct iommu *m)
{
	uint32_t ph = 0, ep = 0xfffffff0u, id;
	dt_prop_u32(m->d->dt_node, "phandle", 0, &ph);
	for (bool named = true; named; ep--) {
		named = false;
		for (int i = 0; i < vdev_count; i++)
			named |= dt_endpoint(vdevs[i].dt_node, ph, &id) && id == ep;
		if (!named)
			return ep;
	}
	return ep;
}

PROBE_CASE(iommu_attach_noent, "virtio.iommu.attach_unknown_endpoint_noent",
	   AVPS_CHECKS("an ATTACH (flags 0, reserved 0, a fresh domain) for an endpoint ID no DT node names is "
		       "rejected with VIRTIO_IOMMU_S_NOENT; the same request with the head's reserved bytes set "
		       "gets the same answer (they are ignored, not rejected as INVAL)"),
	   IOMMU_OP(" / ATTACH request #3"), IOMMU_OP(" #4"))
static void iommu_attach_noent(void)
{
	struct iommu m;
	if (!iommu_open(&m, 0))
		return;
	uint32_t ep = unknown_endpoint(&m);
	int st = iommu_call(&m, IOMMU_T_ATTACH, ep, 0, 0, 0);
	if (st >= 0 && probe_check(st == IOMMU_S_NOENT, "%s: ATTACH of unknown endpoint 0x%x to domain %u: status %d, "
				   "expected NOENT (%d)", vdev_name(m.d), ep, m.domain, st, IOMMU_S_NOENT)) {
		st = iommu_call(&m, IOMMU_T_ATTACH, ep, 0, 0x5a, 0);
		if (st >= 0)
			probe_check(st == IOMMU_S_NOENT, "%s: the same ATTACH with head.reserved 5a5a5a: status %d, "
				    "expected NOENT (%d) again", vdev_name(m.d), st, IOMMU_S_NOENT);
	}
	vs_close(&m.s);
}

PROBE_CASE(iommu_attach_invalid, "virtio.iommu.attach_reserved_or_unknown_flag_invalid",
	   AVPS_CHECKS("for an endpoint the DT places behind the IOMMU, ATTACH with a non-zero reserved field and "
		       "ATTACH with flag bit 31 are each rejected with VIRTIO_IOMMU_S_INVAL, while the plain ATTACH "
		       "succeeds; with MAP_UNMAP, a one-page MAP with flag bit 31 into that domain is rejected with "
		       "INVAL; a DETACH with its reserved bytes set answers OK (they are ignored)"),
	   IOMMU_OP(" / ATTACH request #1"), IOMMU_OP(" / ATTACH request #2"), IOMMU_OP(" / DETACH request #1"),
	   IOMMU_OP(" / MAP request #3"))
static void iommu_attach_invalid(void)
{
	struct iommu m;
	uint32_t ph = 0, ep = 0;
	bool found = false;
	if (!iommu_open(&m, 0))
		return;
	dt_prop_u32(m.d->dt_node, "phandle", 0, &ph);
	for (int i = 0; i < vdev_count && !found; i++)
		found = dt_endpoint(vdevs[i].dt_node, ph, &ep);
	if (!found) {
		probe_skip("%s: no virtio,mmio node names this IOMMU in its iommus property", vdev_name(m.d));
		goto out;
	}
	int reserved = iommu_call(&m, IOMMU_T_ATTACH, ep, 0, 0, 0x5a);
	int flag = reserved < 0 ? -1 : iommu_call(&m, IOMMU_T_ATTACH, ep, UNKNOWN_FLAG, 0, 0);
	if (flag < 0 || !probe_check(reserved == IOMMU_S_INVAL && flag == IOMMU_S_INVAL, "%s: endpoint 0x%x: ATTACH "
				     "with reserved 5a..: status %d, with flag bit 31: status %d, expected INVAL (%d)",
				     vdev_name(m.d), ep, reserved, flag, IOMMU_S_INVAL))
		goto out;
	int plain = iommu_call(&m, IOMMU_T_ATTACH, ep, 0, 0, 0);
	if (plain < 0 || !probe_check(plain == IOMMU_S_OK, "%s: plain ATTACH of endpoint 0x%x to domain %u: status %d",
				      vdev_name(m.d), ep, m.domain, plain))
		goto out;
	if (m.s.features & VIRTIO_BIT(IOMMU_F_MAP_UNMAP)) {
		int map = iommu_map(&m, IOMMU_MAP_F_READ | UNKNOWN_FLAG);
		if (map >= 0)
			probe_check(map == IOMMU_S_INVAL, "%s: MAP into domain %u with flag bit 31: status %d, expected "
				    "INVAL (%d)", vdev_name(m.d), m.domain, map, IOMMU_S_INVAL);
	}
	int detach = iommu_call(&m, IOMMU_T_DETACH, ep, 0, 0, 0x5a);
	if (detach >= 0)
		probe_check(detach == IOMMU_S_OK, "%s: DETACH of endpoint 0x%x with reserved 5a..: status %d, expected OK",
			    vdev_name(m.d), ep, detach);
out:
	vs_close(&m.s);
}

/* Up to `max` endpoint IDs that virtio,mmio nodes place behind this IOMMU; returns how many. */
static int dt_endpoints(const struct iommu *m, uint32_t *ids, int max)
{
	uint32_t ph = 0;
	int n = 0;
	dt_prop_u32(m->d->dt_node, "phandle", 0, &ph);
	for (int i = 0; i < vdev_count && n < max; i++)
		if (dt_endpoint(vdevs[i].dt_node, ph, &ids[n]))
			n++;
	return n;
}

PROBE_CASE(iommu_detach_noent, "virtio.iommu.detach_unknown_endpoint_noent",
	   AVPS_CHECKS("a DETACH from the first domain for an endpoint ID no DT node names is rejected with "
		       "VIRTIO_IOMMU_S_NOENT"),
	   IOMMU_OP(" / DETACH request #2"))
static void iommu_detach_noent(void)
{
	struct iommu m;
	if (!iommu_open(&m, 0))
		return;
	uint32_t ep = unknown_endpoint(&m);
	int st = iommu_call(&m, IOMMU_T_DETACH, ep, 0, 0, 0);
	if (st >= 0)
		probe_check(st == IOMMU_S_NOENT, "%s: DETACH of unknown endpoint 0x%x from domain %u: status %d, expected "
			    "NOENT (%d)", vdev_name(m.d), ep, m.domain, st, IOMMU_S_NOENT);
	vs_close(&m.s);
}

PROBE_CASE(iommu_attach_share_move, "virtio.iommu.attach_shared_or_moved_ok_or_unsupp",
	   AVPS_CHECKS("for endpoints the DT places behind the IOMMU: attaching a second endpoint to a domain that "
		       "holds one, and attaching an attached endpoint to another domain, are each answered OK or "
		       "VIRTIO_IOMMU_S_UNSUPP, nothing else (SKIP without two endpoints / two domains)"),
	   IOMMU_OP(" / ATTACH request #5"), IOMMU_OP(" / ATTACH request #9"))
static void iommu_attach_share_move(void)
{
	struct iommu m;
	uint32_t ep[2];
	if (!iommu_open(&m, 0))
		return;
	int n = dt_endpoints(&m, ep, 2);
	uint32_t last = (m.s.features & VIRTIO_BIT(IOMMU_F_DOMAIN_RANGE)) ? (uint32_t)vmmio_config(m.s.t, 28, 4)
									   : 0xffffffffu;
	if (n == 0 || (n < 2 && last == m.domain)) {
		probe_skip("%s: %d endpoint(s) behind the IOMMU in the DT, domains %u..%u: nothing to share or move",
			   vdev_name(m.d), n, m.domain, last);
		goto out;
	}
	int st = iommu_call(&m, IOMMU_T_ATTACH, ep[0], 0, 0, 0);
	if (st < 0 || !probe_check(st == IOMMU_S_OK, "%s: ATTACH of endpoint 0x%x to domain %u: status %d, expected OK",
				   vdev_name(m.d), ep[0], m.domain, st))
		goto out;
	if (n == 2) {
		st = iommu_call(&m, IOMMU_T_ATTACH, ep[1], 0, 0, 0);
		if (st < 0 || !probe_check(st == IOMMU_S_OK || st == IOMMU_S_UNSUPP, "%s: ATTACH of a second endpoint "
					   "0x%x to domain %u (holding 0x%x): status %d, expected OK or UNSUPP (%d)",
					   vdev_name(m.d), ep[1], m.domain, ep[0], st, IOMMU_S_UNSUPP))
			goto detach;
	}
	if (last != m.domain) {
		uint32_t first = m.domain;
		m.domain = first + 1;
		st = iommu_call(&m, IOMMU_T_ATTACH, ep[0], 0, 0, 0);
		probe_check(st < 0 || st == IOMMU_S_OK || st == IOMMU_S_UNSUPP, "%s: ATTACH of endpoint 0x%x (attached to "
			    "domain %u) to domain %u: status %d, expected OK or UNSUPP (%d)", vdev_name(m.d), ep[0], first,
			    m.domain, st, IOMMU_S_UNSUPP);
		iommu_call(&m, IOMMU_T_DETACH, ep[0], 0, 0, 0);
		m.domain = first;
	}
detach:
	for (int i = 0; i < n; i++)
		iommu_call(&m, IOMMU_T_DETACH, ep[i], 0, 0, 0);
out:
	vs_close(&m.s);
}

/* PROBE request: head, endpoint, reserved[64]; properties[probe_size] and the tail written by the device. */
static struct {
	uint8_t type, head_reserved[3];
	uint32_t endpoint;
	uint8_t reserved[64];
} __attribute__((packed)) probe_req __attribute__((aligned(16)));
static uint8_t probe_props[2][PROBE_SIZE_MAX + 4] __attribute__((aligned(16)));

/* One PROBE of ep with reserved bytes `fill` into probe_props[k] (the tail after probe_size bytes). */
static int iommu_probe(struct iommu *m, uint32_t ep, uint32_t size, uint8_t fill, int k)
{
	struct virtq_used u;
	__builtin_memset(&probe_req, 0, sizeof(probe_req));
	probe_req.type = IOMMU_T_PROBE;
	probe_req.endpoint = ep;
	__builtin_memset(probe_req.reserved, fill, sizeof(probe_req.reserved));
	__builtin_memset(probe_props[k], 0xee, sizeof(probe_props[k]));
	struct vbuf e[2] = { { &probe_req, sizeof(probe_req), false }, { probe_props[k], size + 4, true } };
	return vs_call(&m->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "PROBE") ? probe_props[k][size] : -1;
}

/* Walks the property list: every property lies inside probe_size, a RESV_MEM property's length is its
 * body size (20) with start <= end; the walk ends at a type-0 header or exactly at probe_size. */
static bool probe_walk(const struct iommu *m, const uint8_t *p, uint32_t size, uint32_t ep)
{
	uint32_t off = 0;
	int count = 0;
	while (off + 4 <= size) {
		uint32_t type = (uint32_t)(p[off] | p[off + 1] << 8) & 0xfff, len = (uint32_t)(p[off + 2] | p[off + 3] << 8);
		if (type == 0)
			break;
		if (!probe_check(off + 4 + len <= size, "%s: endpoint 0x%x: property %d (type %u) at offset %u has "
				 "length %u, past probe_size %u", vdev_name(m->d), ep, count, type, off, len, size))
			return false;
		if (type == IOMMU_PROBE_T_RESV_MEM) {
			uint64_t start = 0, end = 0;
			for (int i = 7; i >= 0 && len == RESV_MEM_BODY; i--) {
				start = start << 8 | p[off + 8 + i];
				end = end << 8 | p[off + 16 + i];
			}
			if (!probe_check(len == RESV_MEM_BODY && start <= end, "%s: endpoint 0x%x: RESV_MEM property at "
					 "offset %u: length %u (body is %u bytes), start 0x%llx end 0x%llx", vdev_name(m->d),
					 ep, off, len, RESV_MEM_BODY, (unsigned long long)start, (unsigned long long)end))
				return false;
		}
		off += 4 + len;
		count++;
	}
	probe_diag("%s: endpoint 0x%x: %d properties in %u bytes", vdev_name(m->d), ep, count, size);
	return true;
}

PROBE_CASE(iommu_probe_layout, "virtio.iommu.probe_properties_laid_out",
	   AVPS_CHECKS("with PROBE negotiated, a PROBE of an endpoint the DT places behind the IOMMU answers OK with "
		       "properties each lying length + 4 bytes after the previous one inside probe_size, a RESV_MEM "
		       "length of 20 (its body), and the same bytes and status when the request's reserved field is set "
		       "(SKIP without PROBE)"),
	   IOMMU_OP(" / PROBE request #1"), IOMMU_OP(" / PROBE request #6"), IOMMU_OP(" / PROBE request #7"))
static void iommu_probe_layout(void)
{
	struct iommu m;
	uint32_t ep;
	if (!iommu_open(&m, VIRTIO_BIT(IOMMU_F_PROBE)))
		return;
	uint32_t size = (uint32_t)vmmio_config(m.s.t, 32, 4);
	if (!(m.s.features & VIRTIO_BIT(IOMMU_F_PROBE)) || size > PROBE_SIZE_MAX || dt_endpoints(&m, &ep, 1) == 0) {
		probe_skip("%s: PROBE %s, probe_size %u (the probe reads up to %u), %s", vdev_name(m.d),
			   (m.s.features & VIRTIO_BIT(IOMMU_F_PROBE)) ? "offered" : "not offered", size, PROBE_SIZE_MAX,
			   dt_endpoints(&m, &ep, 1) ? "an endpoint in the DT" : "no endpoint behind it in the DT");
		goto out;
	}
	int plain = iommu_probe(&m, ep, size, 0, 0);
	if (plain < 0 || !probe_check(plain == IOMMU_S_OK, "%s: PROBE of endpoint 0x%x: status %d, expected OK",
				      vdev_name(m.d), ep, plain) || !probe_walk(&m, probe_props[0], size, ep))
		goto out;
	int filled = iommu_probe(&m, ep, size, 0x5a, 1);
	if (filled >= 0)
		probe_check(filled == plain && __builtin_memcmp(probe_props[0], probe_props[1], size) == 0,
			    "%s: PROBE of endpoint 0x%x with reserved[64] set to 5a: status %d, properties %s the plain "
			    "PROBE's (status %d)", vdev_name(m.d), ep, filled,
			    __builtin_memcmp(probe_props[0], probe_props[1], size) ? "differ from" : "equal to", plain);
out:
	vs_close(&m.s);
}

/* The DMA case: an entropy device behind the IOMMU, driven on its own ring (the IOMMU session keeps
 * the session storage), writing into one granule whose mapping the case chooses. */
#define DMA_PAGE 4096u
#define DMA_FILL 0xc5
#define DMA_QUIET_US 50000      /* a blocked request stays unused this long */
#define DMA_IOVA 0x7f0000000000ull /* far from any RAM: in bypass it reaches no memory */
extern char _start[], _end[];
static struct virtq_storage dma_ring_mem __attribute__((aligned(4096)));
static uint8_t dma_page[DMA_PAGE] __attribute__((aligned(DMA_PAGE)));
static struct { uint64_t start, end; } image;

static int iommu_range(struct iommu *m, uint8_t type, uint64_t start, uint64_t end, uint64_t phys, uint32_t flags)
{
	struct virtq_used u;
	__builtin_memset(&map_req, 0, sizeof(map_req));
	map_req.type = type;
	map_req.domain = m->domain;
	map_req.virt_start = start;
	map_req.virt_end = end;
	map_req.phys_start = type == IOMMU_T_MAP ? phys : 0;   /* UNMAP: its reserved[4] stay 0 */
	map_req.flags = flags;
	tail.status = 0xff;
	/* UNMAP is head, domain, virt_start, virt_end, reserved[4]: the first 28 bytes of the MAP layout */
	struct vbuf e[2] = { { &map_req, type == IOMMU_T_MAP ? sizeof(map_req) : 28u, false }, { &tail, sizeof(tail), true } };
	return vs_call(&m->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, type == IOMMU_T_MAP ? "MAP" : "UNMAP") ? tail.status : -1;
}

/* Identity MAP of the probe image with dma_page READ-only (read_only) or all READ|WRITE. */
static bool map_image(struct iommu *m, bool read_only)
{
	uint64_t page = (uint64_t)(uintptr_t)dma_page, rw = IOMMU_MAP_F_READ | IOMMU_MAP_F_WRITE;
	int a = read_only && page > image.start ? iommu_range(m, IOMMU_T_MAP, image.start, page - 1, image.start, (uint32_t)rw) : 0;
	uint64_t b_start = read_only ? page : image.start;
	int b = a ? a : iommu_range(m, IOMMU_T_MAP, b_start, read_only ? page + DMA_PAGE - 1 : image.end, b_start,
				    read_only ? IOMMU_MAP_F_READ : (uint32_t)rw);
	int c = (a || b || !read_only || page + DMA_PAGE > image.end) ? 0
		: iommu_range(m, IOMMU_T_MAP, page + DMA_PAGE, image.end, page + DMA_PAGE, (uint32_t)rw);
	int st = a ? a : b ? b : c;
	return st >= 0 && probe_check(st == IOMMU_S_OK, "%s: identity MAP of the probe image 0x%llx..0x%llx%s into domain "
				      "%u: status %d", vdev_name(m->d), (unsigned long long)image.start,
				      (unsigned long long)image.end, read_only ? " (one granule READ only)" : "", m->domain, st);
}

/* One entropy request of DMA_PAGE bytes at `buffer` (dma_page's address or an IOVA of it) on a fresh ring,
 * dma_page filled first: 1 used within `wait_us`, 0 not used, -1 broken. */
static int rng_request(struct vdev *rng, uint64_t buffer, uint32_t wait_us)
{
	struct virtq q;
	struct virtq_used u;
	uint16_t id;
	const char *why = "";
	uint32_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	__builtin_memset(dma_page, DMA_FILL, sizeof(dma_page));
	__builtin_memset(&dma_ring_mem, 0, sizeof(dma_ring_mem));
	uint32_t st = vmmio_negotiate(&rng->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	if (!probe_check(st == want && virtq_init(&q, &dma_ring_mem, VIRTQ_SPLIT, 8, 0, false) &&
			 vmmio_queue_enable(&rng->t, &q, &why), "%s: entropy device set-up: status 0x%x %s", vdev_name(rng),
			 st, why))
		return -1;
	vmmio_set_status(&rng->t, want | VIRTIO_STATUS_DRIVER_OK);
	struct vbuf b = { (void *)(uintptr_t)buffer, sizeof(dma_page), true };   /* dma_page or its IOVA */
	if (vmmio_post(&rng->t, &q, &b, 1, VIRTQ_CHAIN_DIRECT, &id) != VIRTQ_OK)
		return -1;
	enum virtq_result r = vmmio_wait_used(&rng->t, &q, wait_us, &u);
	uint32_t reset_st = 0;
	vmmio_reset(&rng->t, 100000, &reset_st);
	if (r == VIRTQ_EMPTY)
		return 0;
	return vdev_used_ok(rng, r, &u, "entropy request through the IOMMU") ? 1 : -1;
}

static int page_changed(void)
{
	int n = 0;
	for (unsigned i = 0; i < sizeof(dma_page); i++)
		n += dma_page[i] != DMA_FILL;
	return n;
}

PROBE_CASE(iommu_dma_translated, "virtio.iommu.attached_endpoint_dma_translated",
	   AVPS_CHECKS("an entropy device the DT places behind the IOMMU, attached to a domain with no mapping, writes "
		       "none of a request's buffer; with the probe image mapped identity READ|WRITE it fills the buffer; with the buffer's "
		       "granule mapped READ only it leaves the buffer unwritten; a buffer at an IOVA mapped to it is "
		       "filled, and after DETACH no longer (SKIP without MAP_UNMAP, an entropy endpoint or a 4 KiB granule)"),
	   IOMMU_OP(" / ATTACH request #12"), IOMMU_OP(" / MAP request #6"), IOMMU_OP(" / DETACH request #4"))
static void iommu_dma_translated(void)
{
	struct iommu m;
	uint32_t ph = 0, ep = 0;
	struct vdev *rng = NULL;
	if (!iommu_open(&m, 0))
		return;
	dt_prop_u32(m.d->dt_node, "phandle", 0, &ph);
	for (int i = 0; i < vdev_count && !rng; i++)
		if (vdevs[i].device_id == VIRTIO_ID_ENTROPY && vdevs[i].version == 2 && dt_endpoint(vdevs[i].dt_node, ph, &ep))
			rng = &vdevs[i];
	uint64_t mask = vmmio_config(m.s.t, 0, 8), granule = mask & (~mask + 1);
	if (!rng || !(m.s.features & VIRTIO_BIT(IOMMU_F_MAP_UNMAP)) || granule > DMA_PAGE) {
		probe_skip("%s: %s, MAP_UNMAP %s, smallest granule 0x%llx", vdev_name(m.d),
			   rng ? "an entropy endpoint" : "no entropy device behind it in the DT",
			   (m.s.features & VIRTIO_BIT(IOMMU_F_MAP_UNMAP)) ? "negotiated" : "not offered",
			   (unsigned long long)granule);
		goto out;
	}
	image.start = (uint64_t)(uintptr_t)_start & ~(uint64_t)(DMA_PAGE - 1);
	image.end = (((uint64_t)(uintptr_t)_end + DMA_PAGE - 1) & ~(uint64_t)(DMA_PAGE - 1)) - 1;
	if ((m.s.features & VIRTIO_BIT(IOMMU_F_INPUT_RANGE)) &&
	    (image.start < vmmio_config(m.s.t, 8, 8) || image.end > vmmio_config(m.s.t, 16, 8))) {
		probe_skip("%s: the probe image 0x%llx..0x%llx lies outside input_range: no identity mapping of it",
			   vdev_name(m.d), (unsigned long long)image.start, (unsigned long long)image.end);
		goto out;
	}
	int st = iommu_call(&m, IOMMU_T_ATTACH, ep, 0, 0, 0);
	if (st < 0 || !probe_check(st == IOMMU_S_OK, "%s: ATTACH of entropy endpoint 0x%x to domain %u: status %d",
				   vdev_name(m.d), ep, m.domain, st))
		goto out;
	int used = rng_request(rng, (uintptr_t)dma_page, DMA_QUIET_US);
	if (used < 0 || !probe_check(page_changed() == 0, "%s: endpoint 0x%x attached to domain %u (no mapping): the "
				     "entropy request was %s and %d buffer bytes changed", vdev_name(m.d), ep, m.domain,
				     used ? "used" : "not used", page_changed()))
		goto detach;
	if (!map_image(&m, false))
		goto detach;
	used = rng_request(rng, (uintptr_t)dma_page, VS_WAIT_US);
	if (used < 0 || !probe_check(used == 1 && page_changed() > 0, "%s: with the image mapped identity READ|WRITE the "
				     "entropy request was %s, %d buffer bytes written", vdev_name(m.d),
				     used ? "used" : "not used", page_changed()))
		goto unmap;
	st = iommu_range(&m, IOMMU_T_UNMAP, image.start, image.end, 0, 0);
	if (st < 0 || !probe_check(st == IOMMU_S_OK, "%s: UNMAP of the image: status %d", vdev_name(m.d), st) ||
	    !map_image(&m, true))
		goto unmap;
	used = rng_request(rng, (uintptr_t)dma_page, DMA_QUIET_US);
	if (used < 0 || !probe_check(page_changed() == 0, "%s: the buffer's granule mapped READ only, yet %d of its bytes "
				     "were written (request %s)", vdev_name(m.d), page_changed(), used ? "used" : "not used"))
		goto unmap;
	/* The buffer at an IOVA far from RAM: written through the domain's mapping, never after DETACH. */
	if ((m.s.features & VIRTIO_BIT(IOMMU_F_INPUT_RANGE)) && DMA_IOVA + DMA_PAGE - 1 > vmmio_config(m.s.t, 16, 8)) {
		probe_diag("%s: IOVA 0x%llx outside input_range: the DETACH step is left out", vdev_name(m.d), DMA_IOVA);
		goto unmap;
	}
	st = iommu_range(&m, IOMMU_T_UNMAP, image.start, image.end, 0, 0);
	if (st < 0 || !probe_check(st == IOMMU_S_OK, "%s: UNMAP of the image: status %d", vdev_name(m.d), st) ||
	    !map_image(&m, false))
		goto unmap;
	st = iommu_range(&m, IOMMU_T_MAP, DMA_IOVA, DMA_IOVA + DMA_PAGE - 1, (uintptr_t)dma_page,
			 IOMMU_MAP_F_READ | IOMMU_MAP_F_WRITE);
	if (st < 0 || !probe_check(st == IOMMU_S_OK, "%s: MAP of IOVA 0x%llx to the buffer: status %d", vdev_name(m.d),
				   DMA_IOVA, st))
		goto unmap;
	used = rng_request(rng, DMA_IOVA, VS_WAIT_US);
	if (used < 0 || !probe_check(used == 1 && page_changed() > 0, "%s: buffer at IOVA 0x%llx (mapped to it): request %s, "
				     "%d buffer bytes written", vdev_name(m.d), DMA_IOVA, used ? "used" : "not used",
				     page_changed()))
		goto unmap;
	st = iommu_call(&m, IOMMU_T_DETACH, ep, 0, 0, 0);
	if (st < 0 || !probe_check(st == IOMMU_S_OK, "%s: DETACH of endpoint 0x%x: status %d", vdev_name(m.d), ep, st))
		goto unmap;
	used = rng_request(rng, DMA_IOVA, DMA_QUIET_US);
	if (used >= 0)
		probe_check(page_changed() == 0, "%s: after DETACH from domain %u, a request at IOVA 0x%llx still wrote %d "
			    "buffer bytes through the old domain's mapping (request %s)", vdev_name(m.d), m.domain, DMA_IOVA,
			    page_changed(), used ? "used" : "not used");
	goto out;
unmap:
	iommu_range(&m, IOMMU_T_UNMAP, image.start, image.end, 0, 0);
detach:
	iommu_call(&m, IOMMU_T_DETACH, ep, 0, 0, 0);
out:
	vs_close(&m.s);
}
