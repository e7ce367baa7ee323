/* IOMMU request statement cases (VIRTIO 1.2 §5.13.6): ATTACH/DETACH answers for unknown endpoints, reserved fields and unknown flags; SKIP "device absent" until a platform offers the device over virtio-mmio. */
#include "dt.h"
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_IOMMU 23
#define IOMMU_F_INPUT_RANGE 0
#define IOMMU_F_DOMAIN_RANGE 1
#define IOMMU_F_MAP_UNMAP 2
#define IOMMU_T_MAP 3
#define IOMMU_MAP_F_READ 1u
#define IOMMU_T_ATTACH 1
#define IOMMU_T_DETACH 2
#define IOMMU_S_OK 0
#define IOMMU_S_INVAL 4
#define IOMMU_S_NOENT 6
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

static bool iommu_open(struct iommu *m)
{
	m->d = vdev_find(VIRTIO_ID_IOMMU);
	if (!m->d) {
		probe_skip("device absent: no IOMMU device (DeviceID %u) on a version-2 virtio-mmio transport",
			   VIRTIO_ID_IOMMU);
		return false;
	}
	uint64_t want = m->d->t.offered & (VIRTIO_BIT(IOMMU_F_DOMAIN_RANGE) | VIRTIO_BIT(IOMMU_F_INPUT_RANGE) |
					   VIRTIO_BIT(IOMMU_F_MAP_UNMAP));
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
	if (!iommu_open(&m))
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
	if (!iommu_open(&m))
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
