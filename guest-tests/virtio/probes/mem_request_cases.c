/* Memory device request statement cases (VIRTIO 1.2 §5.15.6): UNPLUG_ALL, STATE, PLUG and UNPLUG answers and plugged_size; SKIP "device absent" until a platform offers virtio-mem over virtio-mmio. */
#include "probe.h"
#include "session.h"
#include "statements.h"

#define VIRTIO_ID_MEM 24
#define REQ_PLUG 0
#define REQ_UNPLUG 1
#define REQ_UNPLUG_ALL 2
#define REQ_STATE 3
#define RESP_ACK 0
#define RESP_NACK 1
#define RESP_BUSY 2
#define RESP_ERROR 3
#define STATE_PLUGGED 0
#define STATE_UNPLUGGED 1
#define STATE_MIXED 2
#define CFG_BLOCK_SIZE 0
#define CFG_ADDR 16
#define CFG_USABLE 32
#define CFG_PLUGGED 40
#define CFG_REQUESTED 48
#define MEM_OP(s) DT "Memory Device / Device Operation / " s

/* Requests are 24 bytes, responses 10 (the probe leaves room for 16). Padding is set to 0x5a5a
 * everywhere, and the union's bytes a request type does not use are garbage: both must be ignored. */
static struct {
	uint16_t type, padding[3];
	uint64_t addr;
	uint16_t nb_blocks, padding2[3];
} __attribute__((packed)) req __attribute__((aligned(16)));
static struct { uint16_t type, padding[3], state, rest[3]; } resp __attribute__((aligned(16)));

struct mem {
	struct vsession s;
	struct vdev *d;
	uint64_t block, addr, usable;
};

static int mem_call(struct mem *m, uint16_t type, uint64_t addr, uint16_t nb)
{
	struct virtq_used u;
	req.type = type;
	req.addr = type == REQ_UNPLUG_ALL ? 0x5a5a5a5a5a5a5a5aull : addr;
	req.nb_blocks = type == REQ_UNPLUG_ALL ? 0x5a5a : nb;
	for (int i = 0; i < 3; i++)
		req.padding[i] = req.padding2[i] = 0x5a5a;
	resp.type = resp.state = 0xffff;
	struct vbuf e[2] = { { &req, sizeof(req), false }, { &resp, 10, true } };
	/* BUSY is an answer the device may give at any time: ask again a few times. */
	for (int tries = 0; tries < 8; tries++) {
		if (!vs_call(&m->s, 0, e, 2, VIRTQ_CHAIN_DIRECT, &u, "memory device request"))
			return -1;
		if (resp.type != RESP_BUSY)
			return resp.type;
	}
	return resp.type;
}

static uint64_t plugged(const struct mem *m)
{
	return vmmio_config(m->s.t, CFG_PLUGGED, 8);
}

/* A check that one request got `want` (and, for STATE, the state `state`). */
static bool expect(struct mem *m, const char *what, int got, int want, int state)
{
	if (got < 0)
		return false;
	if (state < 0)
		return probe_check(got == want, "%s: %s: response %d, expected %d", vdev_name(m->d), what, got, want);
	return probe_check(got == want && resp.state == state, "%s: %s: response %d state %u, expected %d state %d",
			   vdev_name(m->d), what, got, resp.state, want, state);
}

/* Opens the device and unplugs everything (UNPLUG_ALL ACKed, plugged_size 0): the state every case
 * starts from. False when absent (SKIP), broken (a failed check) or without a usable block (SKIP). */
static bool mem_open(struct mem *m)
{
	m->d = vdev_find(VIRTIO_ID_MEM);
	if (!m->d) {
		probe_skip("device absent: no memory device (DeviceID %u) on a version-2 virtio-mmio transport",
			   VIRTIO_ID_MEM);
		return false;
	}
	if (!vs_open(&m->s, m->d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return false;
	m->block = vmmio_config(m->s.t, CFG_BLOCK_SIZE, 8);
	m->addr = vmmio_config(m->s.t, CFG_ADDR, 8);
	if (!probe_check(m->block != 0 && (m->block & (m->block - 1)) == 0, "%s: block_size 0x%llx", vdev_name(m->d),
			 (unsigned long long)m->block))
		return false;
	if (!expect(m, "UNPLUG_ALL", mem_call(m, REQ_UNPLUG_ALL, 0, 0), RESP_ACK, -1) ||
	    !probe_check(plugged(m) == 0, "%s: plugged_size 0x%llx after an ACKed UNPLUG_ALL", vdev_name(m->d),
			 (unsigned long long)plugged(m)))
		return false;
	m->usable = vmmio_config(m->s.t, CFG_USABLE, 8);   /* read after UNPLUG_ALL, which may shrink it */
	if (m->usable < m->block) {
		probe_skip("%s: usable_region_size 0x%llx holds no block", vdev_name(m->d), (unsigned long long)m->usable);
		return false;
	}
	return true;
}

/* PLUG of the first block, for the cases that need one plugged; false (SKIP or a failed check) otherwise. */
static bool plug_first(struct mem *m, bool judged)
{
	if (vmmio_config(m->s.t, CFG_REQUESTED, 8) < m->block) {
		probe_skip("%s: requested_size below one block: nothing may be plugged", vdev_name(m->d));
		return false;
	}
	int r = mem_call(m, REQ_PLUG, m->addr, 1);
	if (r == RESP_NACK || r == RESP_BUSY) {
		probe_skip("%s: PLUG of the first block answered %s", vdev_name(m->d), r == RESP_NACK ? "NACK" : "BUSY");
		return false;
	}
	if (!expect(m, "PLUG of the first block", r, RESP_ACK, -1))
		return false;
	return !judged || probe_check(plugged(m) == m->block, "%s: plugged_size 0x%llx after PLUG of one block of "
				      "0x%llx", vdev_name(m->d), (unsigned long long)plugged(m),
				      (unsigned long long)m->block);
}

PROBE_CASE(mem_unplug_all_state, "virtio.mem.unplug_all_then_state_unplugged",
	   AVPS_CHECKS("UNPLUG_ALL with its padding and unused bytes set is ACKed and leaves plugged_size 0, and a "
		       "STATE request (padding set) for the first block then answers ACK with STATE_UNPLUGGED"),
	   MEM_OP("UNPLUG ALL request #1"), MEM_OP("UNPLUG ALL request #2"), MEM_OP("UNPLUG ALL request #4"),
	   MEM_OP("UNPLUG ALL request #5"), MEM_OP("STATE request #1"), MEM_OP("STATE request #2"),
	   MEM_OP("STATE request #4"), MEM_OP("STATE request #6"))
static void mem_unplug_all_state(void)
{
	struct mem m;
	if (mem_open(&m))
		expect(&m, "STATE of the first block after UNPLUG_ALL", mem_call(&m, REQ_STATE, m.addr, 1), RESP_ACK,
		       STATE_UNPLUGGED);
	if (m.d)
		vs_close(&m.s);
}

PROBE_CASE(mem_bad_ranges, "virtio.mem.bad_ranges_answered_error",
	   AVPS_CHECKS("PLUG, UNPLUG and STATE with an addr half a block off, with nb_blocks 0, and covering one "
		       "block past the usable region are each answered VIRTIO_MEM_RESP_ERROR"),
	   MEM_OP("PLUG request #3"), MEM_OP("UNPLUG request #3"), MEM_OP("STATE request #3"))
static void mem_bad_ranges(void)
{
	struct mem m;
	if (!mem_open(&m))
		goto out;
	uint64_t end = m.addr + (m.usable / m.block) * m.block;
	static const uint16_t types[3] = { REQ_PLUG, REQ_UNPLUG, REQ_STATE };
	static const char *const names[3] = { "PLUG, addr half a block off", "UNPLUG, addr half a block off",
					      "STATE, addr half a block off" };
	for (int t = 0; t < 3; t++)
		if (!expect(&m, names[t], mem_call(&m, types[t], m.addr + m.block / 2, 1), RESP_ERROR, -1) ||
		    !expect(&m, names[t], mem_call(&m, types[t], m.addr, 0), RESP_ERROR, -1) ||
		    !expect(&m, names[t], mem_call(&m, types[t], end - m.block, 2), RESP_ERROR, -1)) {
			probe_diag("%s: the three requests were: misaligned addr, nb_blocks 0, last block + 1 past the "
				   "usable region", vdev_name(m.d));
			break;
		}
out:
	if (m.d)
		vs_close(&m.s);
}

PROBE_CASE(mem_plug, "virtio.mem.plug_one_block",
	   AVPS_CHECKS("where requested_size allows a block: PLUG of the first block (padding and unused bytes set) is "
		       "ACKed and plugged_size grows by one block, STATE says PLUGGED for it and MIXED with the next, and "
		       "a second PLUG of it is answered ERROR"),
	   MEM_OP("PLUG request #1"), MEM_OP("PLUG request #2"), MEM_OP("PLUG request #4"), MEM_OP("PLUG request #6"),
	   MEM_OP("PLUG request #7"), MEM_OP("STATE request #5"), MEM_OP("STATE request #7"),
	   DT "Memory Device / Device configuration layout #3")
static void mem_plug(void)
{
	struct mem m;
	if (mem_open(&m) && plug_first(&m, true) &&
	    expect(&m, "STATE of the plugged block", mem_call(&m, REQ_STATE, m.addr, 1), RESP_ACK, STATE_PLUGGED) &&
	    (m.usable / m.block < 2 || expect(&m, "STATE of the plugged block and the next",
					      mem_call(&m, REQ_STATE, m.addr, 2), RESP_ACK, STATE_MIXED)))
		expect(&m, "a second PLUG of the block", mem_call(&m, REQ_PLUG, m.addr, 1), RESP_ERROR, -1);
	if (m.d)
		vs_close(&m.s);
}

PROBE_CASE(mem_unplug, "virtio.mem.unplug_one_block",
	   AVPS_CHECKS("with the first block plugged: UNPLUG of it (padding and unused bytes set) is ACKed and "
		       "plugged_size drops back to 0, and a second UNPLUG of it is answered ERROR"),
	   MEM_OP("UNPLUG request #1"), MEM_OP("UNPLUG request #2"), MEM_OP("UNPLUG request #4"),
	   MEM_OP("UNPLUG request #6"), MEM_OP("UNPLUG request #7"))
static void mem_unplug(void)
{
	struct mem m;
	if (mem_open(&m) && plug_first(&m, false) &&
	    expect(&m, "UNPLUG of the block", mem_call(&m, REQ_UNPLUG, m.addr, 1), RESP_ACK, -1) &&
	    probe_check(plugged(&m) == 0, "%s: plugged_size 0x%llx after UNPLUG of the only plugged block",
			vdev_name(m.d), (unsigned long long)plugged(&m)))
		expect(&m, "a second UNPLUG of the block", mem_call(&m, REQ_UNPLUG, m.addr, 1), RESP_ERROR, -1);
	if (m.d)
		vs_close(&m.s);
}

PROBE_CASE(mem_reset_keeps_state, "virtio.mem.block_state_survives_reset",
	   AVPS_CHECKS("with the first block plugged, 64 pattern bytes written at its start read back; after a device "
		       "reset and a fresh driver session (no UNPLUG_ALL) the block is still plugged (STATE_PLUGGED, "
		       "plugged_size one block) and the pattern is unchanged"),
	   DT "Memory Device / Device Initialization #2", DT "Memory Device / Device Initialization #3",
	   DT "Memory Device / Device Operation #4")
static void mem_reset_keeps_state(void)
{
	struct mem m;
	if (mem_open(&m) && plug_first(&m, false)) {
		volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)m.addr;   /* MMU off: the physical address */
		int differ = 0;
		for (int i = 0; i < 64; i++)
			p[i] = (uint8_t)(0x3c ^ i);
		for (int i = 0; i < 64; i++)
			differ += p[i] != (uint8_t)(0x3c ^ i);
		if (!probe_check(differ == 0, "%s: %d of 64 bytes written to the plugged block at 0x%llx read back "
				 "differently", vdev_name(m.d), differ, (unsigned long long)m.addr))
			goto out;
		vs_close(&m.s);
		if (vs_open(&m.s, m.d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK) &&
		    expect(&m, "STATE of the plugged block after a device reset", mem_call(&m, REQ_STATE, m.addr, 1),
			   RESP_ACK, STATE_PLUGGED) &&
		    probe_check(plugged(&m) == m.block, "%s: plugged_size 0x%llx after a device reset, one block "
				"(0x%llx) was plugged", vdev_name(m.d), (unsigned long long)plugged(&m),
				(unsigned long long)m.block)) {
			for (int i = 0; i < 64; i++)
				differ += p[i] != (uint8_t)(0x3c ^ i);
			probe_check(differ == 0, "%s: %d of 64 pattern bytes in the plugged block changed across the "
				    "device reset", vdev_name(m.d), differ);
		}
		mem_call(&m, REQ_UNPLUG_ALL, 0, 0);
	}
out:
	if (m.d)
		vs_close(&m.s);
}

/* Writes (fill) or checks (!fill) a pattern of bytes, halfwords, words and doublewords in the first and
 * last 64 bytes of the block at addr; returns the number of accesses that read back differently. */
static int block_pattern(uint64_t addr, uint64_t block, bool fill)
{
	int differ = 0;
	for (int end = 0; end < 2; end++) {
		uintptr_t at = (uintptr_t)(addr + (end ? block - 64 : 0));
		volatile uint8_t *b = (volatile uint8_t *)at;
		volatile uint16_t *h = (volatile uint16_t *)(at + 16);
		volatile uint32_t *w = (volatile uint32_t *)(at + 32);
		volatile uint64_t *q = (volatile uint64_t *)(at + 48);
		for (int i = 0; i < 16; i++) {
			uint8_t vb = (uint8_t)(0xa5 ^ (i * 7 + end));
			if (fill)
				b[i] = vb;
			differ += b[i] != vb;
		}
		for (int i = 0; i < 8; i++) {
			uint16_t vh = (uint16_t)(0x5aa5 ^ (i * 0x0101 + end));
			if (fill)
				h[i] = vh;
			differ += h[i] != vh;
		}
		for (int i = 0; i < 4; i++) {
			uint32_t vw = 0xc3a55a3cu ^ (uint32_t)(i * 0x01010101 + end);
			if (fill)
				w[i] = vw;
			differ += w[i] != vw;
		}
		for (int i = 0; i < 2; i++) {
			uint64_t vq = 0x0123456789abcdefull ^ (uint64_t)(i + 2 * end);
			if (fill)
				q[i] = vq;
			differ += q[i] != vq;
		}
	}
	return differ;
}

/* usable_region_size and requested_size sampled after one request: neither shrinks nor changes unnoticed. */
struct mem_sizes {
	uint64_t usable, requested;
	bool changed;            /* either changed since the session began (an UNPLUG_ALL excepted) */
};

static bool sizes_after(struct mem *m, struct mem_sizes *z, const char *after)
{
	uint64_t u = vmmio_config(m->s.t, CFG_USABLE, 8), r = vmmio_config(m->s.t, CFG_REQUESTED, 8);
	z->changed |= u != z->usable || r != z->requested;
	bool ok = probe_check(u >= z->usable, "%s: usable_region_size shrank from 0x%llx to 0x%llx after %s",
			      vdev_name(m->d), (unsigned long long)z->usable, (unsigned long long)u, after);
	z->usable = u;
	z->requested = r;
	return ok;
}

PROBE_CASE(mem_plugged_like_ram, "virtio.mem.plugged_memory_like_ram",
	   AVPS_CHECKS("with the first block plugged, byte to doubleword patterns at both ends of it read back "
		       "as written and stay unchanged across PLUG/UNPLUG of the next block and STATE; "
		       "usable_region_size never shrinks and a change of it or requested_size raises a config "
		       "notification; after UNPLUG the block's words can be read (UNPLUGGED_INACCESSIBLE not negotiated)"),
	   DT "Memory Device / Device Operation #1", DT "Memory Device / Device Operation #3",
	   DT "Memory Device / Device Operation #5", DT "Memory Device / Device configuration layout #8",
	   DT "Memory Device / Device configuration layout #9")
static void mem_plugged_like_ram(void)
{
	struct mem m;
	struct mem_sizes z = { 0, 0, false };
	if (!mem_open(&m))
		goto out;
	vmmio_ack(m.s.t, 3);   /* from here on, a config notification is the one this case looks for */
	z.usable = vmmio_config(m.s.t, CFG_USABLE, 8);
	z.requested = vmmio_config(m.s.t, CFG_REQUESTED, 8);
	if (!plug_first(&m, false) || !sizes_after(&m, &z, "PLUG of the first block"))
		goto unplug;
	int differ = block_pattern(m.addr, m.block, true);
	if (!probe_check(differ == 0, "%s: %d of 60 accesses (8 to 64 bits) at the ends of the plugged block at 0x%llx "
			 "read back differently", vdev_name(m.d), differ, (unsigned long long)m.addr))
		goto unplug;
	if (m.usable / m.block >= 2) {
		int r = mem_call(&m, REQ_PLUG, m.addr + m.block, 1);
		if (r < 0 || !sizes_after(&m, &z, "PLUG of the second block"))
			goto unplug;
		if (r == RESP_ACK && (!expect(&m, "UNPLUG of the second block", mem_call(&m, REQ_UNPLUG, m.addr + m.block, 1),
					      RESP_ACK, -1) || !sizes_after(&m, &z, "UNPLUG of the second block")))
			goto unplug;
	}
	if (!expect(&m, "STATE of the plugged block", mem_call(&m, REQ_STATE, m.addr, 1), RESP_ACK, STATE_PLUGGED) ||
	    !sizes_after(&m, &z, "STATE"))
		goto unplug;
	differ = block_pattern(m.addr, m.block, false);
	if (!probe_check(differ == 0, "%s: %d of 60 pattern accesses in the plugged block changed while other requests "
			 "were served", vdev_name(m.d), differ))
		goto unplug;
	if (!expect(&m, "UNPLUG of the first block", mem_call(&m, REQ_UNPLUG, m.addr, 1), RESP_ACK, -1) ||
	    !sizes_after(&m, &z, "UNPLUG of the first block"))
		goto unplug;
	/* Without UNPLUGGED_INACCESSIBLE the unplugged block stays readable: an abort here ends the case as an error. */
	uint64_t sum = 0;
	for (uint64_t off = 0; off < m.block; off += m.block / 8)
		sum += *(volatile uint64_t *)(uintptr_t)(m.addr + off);
	probe_diag("%s: 8 doublewords read from the unplugged block (sum 0x%llx)", vdev_name(m.d), (unsigned long long)sum);
	uint32_t isr = vmmio_read(m.s.t, VMMIO_INTERRUPT_STATUS);
	if (z.changed)
		probe_check(isr & 2, "%s: usable_region_size or requested_size changed during the case (now 0x%llx / "
			    "0x%llx) without a config notification (InterruptStatus 0x%x)", vdev_name(m.d),
			    (unsigned long long)z.usable, (unsigned long long)z.requested, isr);
unplug:
	mem_call(&m, REQ_UNPLUG_ALL, 0, 0);
out:
	if (m.d)
		vs_close(&m.s);
}
