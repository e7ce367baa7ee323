/* Host unit tests of the block model: read/write, flush to storage, write-zeroes, discard, read-only, GET_ID, and its faults. */
#include "host_driver.h"
#include "unit_check.h"

#include <stdlib.h>

#define DISK_BYTES (1u << 20)

/* Storage double: what the host's disk file would hold. */
struct ram_storage {
	uint8_t bytes[DISK_BYTES];
	unsigned flushes;
};

static bool storage_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	memcpy(buf, ((struct ram_storage *)ctx)->bytes + off, len);
	return true;
}

static bool storage_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	memcpy(((struct ram_storage *)ctx)->bytes + off, buf, len);
	return true;
}

static bool storage_flush(void *ctx)
{
	((struct ram_storage *)ctx)->flushes++;
	return true;
}

struct blk_req {
	uint32_t type, reserved;
	uint64_t sector;
};

/* Sends one request (header, optional out data, optional in data, status); returns the status byte. */
static uint8_t request(struct test_driver *td, uint32_t type, uint64_t sector, const void *out, uint32_t out_len,
		       void *in, uint32_t in_len, uint32_t *used_len)
{
	uint64_t hdr = td_alloc(td, 16), data = td_alloc(td, out_len + in_len + 1), status = td_alloc(td, 1);
	struct blk_req r = { type, 0, sector };
	memcpy(td_host(td, hdr), &r, sizeof(r));
	*(uint8_t *)td_host(td, status) = 0xff;
	struct td_buffer b[3];
	unsigned n = 0;
	b[n++] = (struct td_buffer){ hdr, 16, false };
	if (out_len) {
		memcpy(td_host(td, data), out, out_len);
		b[n++] = (struct td_buffer){ data, out_len, false };
	}
	if (in_len)
		b[n++] = (struct td_buffer){ data, in_len, true };
	b[n++] = (struct td_buffer){ status, 1, true };
	td_submit(td, 0, b, n);
	uint16_t id;
	uint32_t len = 0;
	if (!td_used(td, 0, &id, &len))
		return 0xee;
	if (in_len)
		memcpy(in, td_host(td, data), in_len);
	if (used_len)
		*used_len = len;
	return *(uint8_t *)td_host(td, status);
}

static uint8_t range(struct test_driver *td, uint32_t type, uint64_t sector, uint32_t count, uint32_t flags)
{
	struct { uint64_t sector; uint32_t num, flags; } seg = { sector, count, flags };
	return request(td, type, sector, &seg, sizeof(seg), NULL, 0, NULL);
}

int main(void)
{
	printf("KTAP version 1\n");
	static struct ram_storage disk;
	struct vdev_storage storage = { &disk, DISK_BYTES, storage_read, storage_write, storage_flush };
	struct test_driver td = { .storage = &storage };
	uint8_t block[4096], back[4096];
	uint32_t len;

	CHECK(td_start(&td, "block", "serial=avps-blk0,queues=2", ~0ULL, false), "start_file_backed");
	uint64_t capacity;
	vdev_read_config(&td.dev, 0, &capacity, 8);
	CHECK(capacity == DISK_BYTES / 512, "capacity_in_sectors");
	CHECK(td.dev.offered & VIRTIO_BIT(9), "flush_offered");
	memset(block, 0x5c, sizeof(block));
	CHECK(request(&td, 1, 8, block, 4096, NULL, 0, &len) == 0 && len == 1, "write_ok_used_length_status_only");
	CHECK(request(&td, 0, 8, NULL, 0, back, 4096, &len) == 0 && len == 4097 && !memcmp(block, back, 4096),
	      "read_back_what_was_written");
	CHECK(disk.bytes[8 * 512] == 0, "write_stays_in_volatile_cache_until_flush");
	CHECK(request(&td, 4, 0, NULL, 0, NULL, 0, NULL) == 0 && disk.bytes[8 * 512] == 0x5c && disk.flushes == 1,
	      "flush_makes_write_stable");
	CHECK(request(&td, 0, DISK_BYTES / 512, NULL, 0, back, 512, NULL) == 1, "read_past_end_ioerr");
	char id[21] = { 0 };
	CHECK(request(&td, 8, 0, NULL, 0, id, 20, NULL) == 0 && !strcmp(id, "avps-blk0"), "get_id_serial");
	CHECK(range(&td, 13, 8, 4, 0) == 0 && request(&td, 0, 8, NULL, 0, back, 4096, NULL) == 0 && back[2047] == 0 &&
	      back[2048] == 0x5c, "write_zeroes_reads_back_zero");
	CHECK(range(&td, 11, 8, 8, 1) == 2, "discard_with_unmap_unsupp");
	CHECK(range(&td, 13, 8, 8, 2) == 2, "write_zeroes_unknown_flag_unsupp");
	CHECK(range(&td, 11, 16, 8, 0) == 0, "discard_ok");
	CHECK(request(&td, 99, 0, NULL, 0, NULL, 0, NULL) == 2, "unknown_type_unsupp");
	td_stop(&td);

	/* Power loss: a new device over the same storage sees only what was flushed. */
	td = (struct test_driver){ .storage = &storage };
	td_start(&td, "block", "", ~0ULL, false);
	memset(block, 0x77, sizeof(block));
	request(&td, 1, 0, block, 4096, NULL, 0, NULL);
	td_stop(&td);
	CHECK(disk.bytes[0] == 0, "unflushed_write_lost_at_power_off");

	td = (struct test_driver){ .storage = &storage };
	td_start(&td, "block", "fault=flush-not-done", ~0ULL, false);
	CHECK(request(&td, 1, 0, block, 4096, NULL, 0, NULL) == 0 && request(&td, 4, 0, NULL, 0, NULL, 0, NULL) == 0 &&
	      disk.bytes[0] == 0, "fault_flush_not_done");
	td_stop(&td);

	td = (struct test_driver){ 0 };
	td_start(&td, "block", "size=1M,ro", ~0ULL, true);
	CHECK(td.dev.offered & VIRTIO_BIT(5), "readonly_offers_ro");
	CHECK(request(&td, 1, 0, block, 4096, NULL, 0, NULL) == 1 && request(&td, 0, 0, NULL, 0, back, 4096, NULL) == 0 &&
	      back[0] == 0, "readonly_write_ioerr_nothing_written");
	td_stop(&td);
	td_start(&td, "block", "size=1M,ro,fault=readonly-write-acknowledged", ~0ULL, true);
	CHECK(request(&td, 1, 0, block, 4096, NULL, 0, NULL) == 0, "fault_readonly_write_acknowledged");
	td_stop(&td);
	td_start(&td, "block", "size=1M,fault=write-zeroes-ignored", ~0ULL, false);
	request(&td, 1, 0, block, 4096, NULL, 0, NULL);
	CHECK(range(&td, 13, 0, 8, 0) == 0 && request(&td, 0, 0, NULL, 0, back, 4096, NULL) == 0 && back[0] == 0x77,
	      "fault_write_zeroes_ignored");
	td_stop(&td);
	td_start(&td, "block", "size=1M,fault=flush-not-offered", ~0ULL, false);
	CHECK(!(td.dev.offered & VIRTIO_BIT(9)) && request(&td, 4, 0, NULL, 0, NULL, 0, NULL) == 2, "fault_flush_not_offered");
	td_stop(&td);
	td_start(&td, "block", "size=1M,fault=unmap-discard-accepted", ~0ULL, false);
	CHECK(range(&td, 11, 8, 8, 1) == 0, "fault_unmap_discard_accepted");
	td_stop(&td);
	td_start(&td, "block", "size=1M,fault=unknown-flag-accepted", ~0ULL, false);
	CHECK(range(&td, 13, 8, 8, 2) == 0, "fault_unknown_flag_accepted");
	td_stop(&td);
	CHECK(!td_start(&td, "block", "size=12345", ~0ULL, false), "odd_size_refused");
	/* A header-less request is malformed: NEEDS_RESET. */
	td_start(&td, "block", "size=1M", ~0ULL, false);
	struct td_buffer tiny = { td_alloc(&td, 4), 4, true };
	td_submit(&td, 0, &tiny, 1);
	CHECK(td.dev.status & VIRTIO_STATUS_NEEDS_RESET, "request_without_header_needs_reset");
	td_stop(&td);
	return UNIT_DONE();
}
