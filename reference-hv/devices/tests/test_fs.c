/* Host unit tests of the file system model: FUSE_INIT, lookup/open, flock waits held pending while hiprio is served, DAX mappings, and its three faults. */
#include "../fs_proto.h"
#include "host_driver.h"
#include "unit_check.h"

#define EXPECT(cond) CHECK(cond, #cond)
#define REQUESTQ 1
#define WINDOW 65536u
#define PAGE 4096u

static uint8_t req[128];
static uint64_t next_unique = 1;

struct pending {
	uint64_t w;
	uint16_t id;
};

/* Makes a request (req[0..len) after its in header) available on queue q; the out buffer's address. */
static struct pending post(struct test_driver *td, unsigned q, uint32_t opcode, uint64_t nodeid, uint32_t len,
			   uint32_t reply)
{
	fs_put32(req + FUSE_IN_LEN, FUSE_IN_HDR + len);
	fs_put32(req + FUSE_IN_OPCODE, opcode);
	fs_put64(req + FUSE_IN_UNIQUE, next_unique++);
	fs_put64(req + FUSE_IN_NODEID, nodeid);
	uint64_t r = td_alloc(td, FUSE_IN_HDR + len), w = reply ? td_alloc(td, reply) : 0;
	memcpy(td_host(td, r), req, FUSE_IN_HDR + len);
	struct td_buffer b[2] = { { r, FUSE_IN_HDR + len, false }, { w, reply, true } };
	struct pending p = { w, td_submit(td, q, b, reply ? 2 : 1) };
	return p;
}

/* A request with its reply: the error field, or 1 when it was not used. */
static int32_t call(struct test_driver *td, uint32_t opcode, uint64_t nodeid, uint32_t len, uint32_t reply,
		    uint8_t *out)
{
	struct pending p = post(td, REQUESTQ, opcode, nodeid, len, FUSE_OUT_HDR + reply);
	uint16_t id;
	uint32_t used;
	if (!td_used(td, REQUESTQ, &id, &used))
		return 1;
	if (out)
		memcpy(out, td_host(td, p.w), FUSE_OUT_HDR + reply);
	return (int32_t)fs_get32(td_host(td, p.w) + FUSE_OUT_ERROR);
}

static bool start(struct test_driver *td, const char *options)
{
	if (!td_start(td, "fs", options, ~0ull, false))
		return false;
	uint8_t out[FUSE_OUT_HDR + FUSE_INIT_OUT];
	memset(req + FUSE_IN_HDR, 0, FUSE_INIT_IN);
	fs_put32(req + FUSE_IN_HDR, FUSE_KERNEL_VERSION);
	fs_put32(req + FUSE_IN_HDR + 4, FUSE_KERNEL_MINOR);
	fs_put32(req + FUSE_IN_HDR + 12, FUSE_FLOCK_LOCKS | FUSE_MAP_ALIGNMENT);
	return call(td, FUSE_INIT, 0, FUSE_INIT_IN, FUSE_INIT_OUT, out) == 0 &&
	       fs_get32(out + FUSE_OUT_HDR + FUSE_INIT_OUT_FLAGS) == (FUSE_FLOCK_LOCKS | FUSE_MAP_ALIGNMENT) &&
	       out[FUSE_OUT_HDR + FUSE_INIT_OUT_MAP_ALIGNMENT] == 12;
}

static uint64_t lookup_open(struct test_driver *td)
{
	uint8_t out[FUSE_OUT_HDR + FUSE_ENTRY_OUT];
	memcpy(req + FUSE_IN_HDR, FS_SEED_FILE, sizeof(FS_SEED_FILE));
	if (call(td, FUSE_LOOKUP, FUSE_ROOT_ID, sizeof(FS_SEED_FILE), FUSE_ENTRY_OUT, out))
		return ~0ull;
	uint64_t node = fs_get64(out + FUSE_OUT_HDR);
	memset(req + FUSE_IN_HDR, 0, FUSE_OPEN_IN);
	return call(td, FUSE_OPEN, node, FUSE_OPEN_IN, FUSE_OPEN_OUT, out) ? ~0ull : fs_get64(out + FUSE_OUT_HDR);
}

static void lock_args(uint64_t fh, uint32_t type)
{
	memset(req + FUSE_IN_HDR, 0, FUSE_LK_IN);
	fs_put64(req + FUSE_IN_HDR + FUSE_LK_FH, fh);
	fs_put32(req + FUSE_IN_HDR + FUSE_LK_TYPE, type);
	fs_put32(req + FUSE_IN_HDR + FUSE_LK_FLAGS, FUSE_LK_FLOCK);
}

/* A held SETLKW, then FORGET on hiprio: true when the FORGET was used while the SETLKW was still pending. */
static bool forget_served_while_held(const char *options)
{
	struct test_driver td;
	EXPECT(start(&td, options));
	uint64_t fh1 = lookup_open(&td), fh2 = lookup_open(&td);
	lock_args(fh1, FUSE_F_WRLCK);
	EXPECT(call(&td, FUSE_SETLK, 2, FUSE_LK_IN, 0, NULL) == 0);
	lock_args(fh2, FUSE_F_WRLCK);
	EXPECT(call(&td, FUSE_SETLK, 2, FUSE_LK_IN, 0, NULL) == -FUSE_EAGAIN);
	struct pending wait = post(&td, REQUESTQ, FUSE_SETLKW, 2, FUSE_LK_IN, FUSE_OUT_HDR);
	uint16_t id;
	uint32_t used;
	EXPECT(!td_used(&td, REQUESTQ, &id, &used));   /* held */
	fs_put64(req + FUSE_IN_HDR, 1);
	post(&td, 0, FUSE_FORGET, 2, FUSE_FORGET_IN, 0);
	bool served = td_used(&td, 0, &id, &used);
	lock_args(fh1, FUSE_F_UNLCK);
	EXPECT(call(&td, FUSE_SETLK, 2, FUSE_LK_IN, 0, NULL) == 0);
	/* the unlock's answer was taken by call(); the granted SETLKW is the next used entry */
	EXPECT(td_used(&td, REQUESTQ, &id, &used) && id == wait.id && used == FUSE_OUT_HDR);
	EXPECT(fs_get32(td_host(&td, wait.w) + FUSE_OUT_ERROR) == 0);
	if (!served)
		EXPECT(td_used(&td, 0, &id, &used));   /* the starved FORGET is served once nothing is held */
	td_stop(&td);
	return served;
}

static int32_t setup(struct test_driver *td, uint64_t fh, uint64_t foffset, uint64_t len, uint64_t moffset)
{
	memset(req + FUSE_IN_HDR, 0, FUSE_SETUPMAPPING_IN);
	fs_put64(req + FUSE_IN_HDR + FUSE_SM_FH, fh);
	fs_put64(req + FUSE_IN_HDR + FUSE_SM_FOFFSET, foffset);
	fs_put64(req + FUSE_IN_HDR + FUSE_SM_LEN, len);
	fs_put64(req + FUSE_IN_HDR + FUSE_SM_FLAGS, FUSE_SETUPMAPPING_FLAG_READ);
	fs_put64(req + FUSE_IN_HDR + FUSE_SM_MOFFSET, moffset);
	return call(td, FUSE_SETUPMAPPING, 2, FUSE_SETUPMAPPING_IN, 0, NULL);
}

static uint8_t window_byte(struct test_driver *td, uint64_t offset)
{
	uint8_t b = 0;
	td->dev.model->shm_access(&td->dev, offset, &b, 1, false);
	return b;
}

/* The model's file: byte i = i * 7 + page * 31 + 1. */
static uint8_t file_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + (i / PAGE) * 31 + 1);
}

static void test_hiprio(void)
{
	EXPECT(forget_served_while_held(""));
	EXPECT(!forget_served_while_held("fault=hiprio-starved-while-requests-pending"));
}

static void test_interrupt_ends_held(void)
{
	struct test_driver td;
	EXPECT(start(&td, ""));
	uint64_t fh1 = lookup_open(&td), fh2 = lookup_open(&td);
	lock_args(fh1, FUSE_F_WRLCK);
	EXPECT(call(&td, FUSE_SETLK, 2, FUSE_LK_IN, 0, NULL) == 0);
	lock_args(fh2, FUSE_F_WRLCK);
	uint64_t unique = next_unique;
	struct pending wait = post(&td, REQUESTQ, FUSE_SETLKW, 2, FUSE_LK_IN, FUSE_OUT_HDR);
	fs_put64(req + FUSE_IN_HDR, unique);
	post(&td, 0, FUSE_INTERRUPT, 0, 8, 0);
	uint16_t id;
	uint32_t used;
	EXPECT(td_used(&td, REQUESTQ, &id, &used) && id == wait.id);
	EXPECT((int32_t)fs_get32(td_host(&td, wait.w) + FUSE_OUT_ERROR) == -4);
	EXPECT(td_used(&td, 0, &id, &used) && used == 0);
	/* a SETLKW still held when the session ends is answered EIO */
	lock_args(fh2, FUSE_F_WRLCK);
	wait = post(&td, REQUESTQ, FUSE_SETLKW, 2, FUSE_LK_IN, FUSE_OUT_HDR);
	EXPECT(!td_used(&td, REQUESTQ, &id, &used));
	EXPECT(call(&td, FUSE_DESTROY, 0, 0, 0, NULL) == 0);
	EXPECT(fs_get32(td_host(&td, wait.w) + FUSE_OUT_ERROR) == (uint32_t)-FUSE_EIO);
	td_stop(&td);
}

static void test_dax(const char *options, bool overlap_ok, bool past_end_refused)
{
	struct test_driver td;
	EXPECT(start(&td, options));
	EXPECT(td.dev.shm_id == FS_SHM_DAX_WINDOW && td.dev.shm_size == WINDOW);
	uint64_t fh = lookup_open(&td);
	EXPECT(setup(&td, fh, 0, 2 * PAGE, 0) == 0);
	EXPECT(window_byte(&td, 5) == file_byte(5) && window_byte(&td, PAGE + 9) == file_byte(PAGE + 9));
	EXPECT((setup(&td, fh, 2 * PAGE, 2 * PAGE, 0) == 0) == overlap_ok);        /* perfect overlap */
	EXPECT((setup(&td, fh, 0, 2 * PAGE, PAGE) == 0) == overlap_ok);            /* partial overlap */
	if (overlap_ok) {
		EXPECT(window_byte(&td, 3) == file_byte(2 * PAGE + 3));        /* what is left of the second */
		EXPECT(window_byte(&td, PAGE + 3) == file_byte(3));            /* the third */
		EXPECT(window_byte(&td, 2 * PAGE + 3) == file_byte(PAGE + 3));
	}
	EXPECT(setup(&td, fh, 0, PAGE, WINDOW - PAGE) == 0);                      /* the last page */
	EXPECT((setup(&td, fh, 0, 2 * PAGE, WINDOW - PAGE) != 0) == past_end_refused);
	EXPECT(setup(&td, fh, 0, PAGE, WINDOW) != 0);
	EXPECT(setup(&td, fh, PAGE / 2, PAGE, 0) == -FUSE_EINVAL);                /* misaligned */
	memset(req + FUSE_IN_HDR, 0, 20);
	fs_put32(req + FUSE_IN_HDR, 1);
	fs_put64(req + FUSE_IN_HDR + 4, 0);
	fs_put64(req + FUSE_IN_HDR + 12, 3 * PAGE);
	EXPECT(call(&td, FUSE_REMOVEMAPPING, 2, 20, 0, NULL) == 0);
	EXPECT(window_byte(&td, PAGE + 3) == 0);
	td_stop(&td);
}

static void test_requests(void)
{
	struct test_driver td;
	EXPECT(td_start(&td, "fs", "", ~0ull, false));
	memcpy(req + FUSE_IN_HDR, FS_SEED_FILE, sizeof(FS_SEED_FILE));
	EXPECT(call(&td, FUSE_LOOKUP, FUSE_ROOT_ID, sizeof(FS_SEED_FILE), FUSE_ENTRY_OUT, NULL) == -FUSE_EIO);  /* before INIT */
	td_stop(&td);
	EXPECT(start(&td, ""));
	memcpy(req + FUSE_IN_HDR, "missing", 8);
	EXPECT(call(&td, FUSE_LOOKUP, FUSE_ROOT_ID, 8, FUSE_ENTRY_OUT, NULL) == -FUSE_ENOENT);
	uint64_t fh = lookup_open(&td);
	EXPECT(fh != ~0ull);
	uint8_t out[FUSE_OUT_HDR + 64];
	memset(req + FUSE_IN_HDR, 0, 40);
	fs_put64(req + FUSE_IN_HDR, fh);
	fs_put64(req + FUSE_IN_HDR + 8, PAGE + 1);
	fs_put32(req + FUSE_IN_HDR + 16, 64);
	EXPECT(call(&td, FUSE_READ, 2, 40, 64, out) == 0 && fs_get32(out) == FUSE_OUT_HDR + 64 &&
	      out[FUSE_OUT_HDR] == file_byte(PAGE + 1));
	EXPECT(call(&td, 9999, 2, 0, 0, NULL) == -FUSE_ENOSYS);
	EXPECT(call(&td, FUSE_DESTROY, 0, 0, 0, NULL) == 0);            /* the session ends */
	memcpy(req + FUSE_IN_HDR, FS_SEED_FILE, sizeof(FS_SEED_FILE));
	EXPECT(call(&td, FUSE_LOOKUP, FUSE_ROOT_ID, sizeof(FS_SEED_FILE), FUSE_ENTRY_OUT, NULL) == -FUSE_EIO);
	td_stop(&td);
}

/* The configuration faults: no request queue in the config; the DAX window under shared memory region ID 1. */
static void test_config_faults(void)
{
	struct test_driver td;
	EXPECT(td_start(&td, "fs", "", ~0ull, false));
	EXPECT(fs_get32(td.dev.config + FS_CFG_NUM_REQUEST_QUEUES) == 1 && td.dev.shm_id == FS_SHM_DAX_WINDOW);
	EXPECT(!memcmp(td.dev.config + FS_CFG_TAG, "avpsfs", 7));
	td_stop(&td);
	EXPECT(td_start(&td, "fs", "fault=request-queues-zero", ~0ull, false));
	EXPECT(fs_get32(td.dev.config + FS_CFG_NUM_REQUEST_QUEUES) == 0);
	td_stop(&td);
	EXPECT(td_start(&td, "fs", "fault=dax-window-region-1", ~0ull, false));
	EXPECT(td.dev.shm_id == 1 && td.dev.shm_size == WINDOW);
	td_stop(&td);
}

int main(void)
{
	printf("KTAP version 1\n");
	test_requests();
	test_hiprio();
	test_interrupt_ends_held();
	test_dax("", true, true);
	test_dax("fault=dax-overlap-refused", false, true);
	test_dax("fault=dax-past-end-accepted", true, false);
	test_config_faults();
	return UNIT_DONE();
}
