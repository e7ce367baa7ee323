/* Host unit tests of the I2C model: EEPROM writes and reads, NACK at other addresses, FAIL_NEXT batches, feature refusal, faults. */
#include "host_driver.h"
#include "unit_check.h"

#define FAIL_NEXT 1u
#define M_RD 2u

/* One transfer; returns the status byte. data is written (or filled for reads) with len bytes. */
static uint8_t xfer(struct test_driver *td, uint16_t addr7, uint32_t flags, uint8_t *data, uint32_t len, bool kick)
{
	uint64_t hdr = td_alloc(td, 8), buf = td_alloc(td, len + 1), status = td_alloc(td, 1);
	uint16_t h[4] = { (uint16_t)(addr7 << 1), 0, (uint16_t)flags, 0 };
	memcpy(td_host(td, hdr), h, 8);
	*(uint8_t *)td_host(td, status) = 0xcc;
	memset(td_host(td, buf), 0xcc, len);
	struct td_buffer b[3];
	unsigned n = 0;
	b[n++] = (struct td_buffer){ hdr, 8, false };
	if (len && !(flags & M_RD)) {
		memcpy(td_host(td, buf), data, len);
		b[n++] = (struct td_buffer){ buf, len, false };
	} else if (len) {
		b[n++] = (struct td_buffer){ buf, len, true };
	}
	b[n++] = (struct td_buffer){ status, 1, true };
	td_add(td, 0, b, n, false);
	if (!kick)
		return 0;
	td_kick(td, 0);
	uint16_t id;
	uint32_t used;
	while (td_used(td, 0, &id, &used))
		;
	if (flags & M_RD)
		memcpy(data, td_host(td, buf), len);
	return *(uint8_t *)td_host(td, status);
}

int main(void)
{
	printf("KTAP version 1\n");
	struct test_driver td;
	uint8_t data[16];
	CHECK(td_start(&td, "i2c", "", ~0ULL, false), "start");
	CHECK(td.dev.offered & 1, "zero_length_request_offered");
	uint8_t write[4] = { 0x10, 1, 2, 3 };
	CHECK(xfer(&td, 0x50, 0, write, 4, true) == 0, "eeprom_write_acked");
	uint8_t pointer = 0x10;
	CHECK(xfer(&td, 0x50, 0, &pointer, 1, true) == 0 && xfer(&td, 0x50, M_RD, data, 3, true) == 0 &&
	      data[0] == 1 && data[1] == 2 && data[2] == 3, "eeprom_read_back");
	CHECK(xfer(&td, 0x50, 0, NULL, 0, true) == 0, "zero_length_probe_acked");
	pointer = 0x00;
	xfer(&td, 0x50, 0, &pointer, 1, true);
	CHECK(xfer(&td, 0x50, M_RD, data, 4, true) == 0 && data[3] == 0xa6, "read_fills_whole_buffer");
	CHECK(xfer(&td, 0x51, 0, NULL, 0, true) == 1, "absent_address_nacked");
	pointer = 0x00;
	xfer(&td, 0x50, 0, &pointer, 1, true);
	CHECK(xfer(&td, 0x50, M_RD, data, 2, true) == 0 && data[0] == 0xa5 && data[1] == 0xa4, "initial_content");
	td_stop(&td);

	/* A batch: the first request fails with FAIL_NEXT set, so the second fails without running. */
	td_start(&td, "i2c", "", ~0ULL, true);
	uint64_t before = td.next_free;
	xfer(&td, 0x51, FAIL_NEXT, NULL, 0, false);
	uint64_t second = td.next_free;
	uint8_t w[2] = { 0x20, 0x99 };
	xfer(&td, 0x50, 0, w, 2, true);
	uint8_t first_status = *(uint8_t *)td_host(&td, second - 1), second_status;
	second_status = *(uint8_t *)td_host(&td, td.next_free - 1);
	(void)before;
	pointer = 0x20;
	xfer(&td, 0x50, 0, &pointer, 1, true);
	xfer(&td, 0x50, M_RD, data, 1, true);
	CHECK(first_status == 1 && second_status == 1 && data[0] == (0x20 ^ 0xa5), "fail_next_fails_rest_of_batch");
	td_stop(&td);

	/* Device Operation #2: a driver without ZERO_LENGTH_REQUEST is refused. */
	td_start(&td, "i2c", "", ~1ULL, false);
	CHECK(!(td.dev.status & VIRTIO_STATUS_FEATURES_OK), "driver_without_zero_length_refused");
	td_stop(&td);

	td_start(&td, "i2c", "fault=ack-every-address", ~0ULL, false);
	CHECK(xfer(&td, 0x51, 0, NULL, 0, true) == 0, "fault_ack_every_address");
	td_stop(&td);
	td_start(&td, "i2c", "fault=zero-length-not-offered", ~0ULL, false);
	CHECK(!(td.dev.offered & 1), "fault_zero_length_not_offered");
	td_stop(&td);
	td_start(&td, "i2c", "fault=short-read", ~0ULL, false);
	xfer(&td, 0x50, M_RD, data, 4, true);
	CHECK(data[2] == 0xa7 && data[3] == 0xcc, "fault_short_read");
	td_stop(&td);
	td_start(&td, "i2c", "fault=fail-next-ignored", ~0ULL, false);
	xfer(&td, 0x51, FAIL_NEXT, NULL, 0, false);
	second = td.next_free;
	xfer(&td, 0x50, 0, w, 2, true);
	CHECK(*(uint8_t *)td_host(&td, td.next_free - 1) == 0, "fault_fail_next_ignored");
	td_stop(&td);
	td_start(&td, "i2c", "fault=failed-request-ok-in-group", ~0ULL, false);
	xfer(&td, 0x51, FAIL_NEXT, NULL, 0, false);
	second = td.next_free;
	xfer(&td, 0x50, 0, NULL, 0, true);
	CHECK(*(uint8_t *)td_host(&td, second - 1) == 0 && *(uint8_t *)td_host(&td, td.next_free - 1) == 1,
	      "fault_failed_request_ok_in_group");
	td_stop(&td);
	td_start(&td, "i2c", "fault=request-rewritten", ~0ULL, false);
	before = td.next_free;
	xfer(&td, 0x50, 0, NULL, 0, true);
	CHECK(*(uint8_t *)td_host(&td, (before + 15) & ~15ULL) == 0xff, "fault_request_rewritten");
	td_stop(&td);
	td_start(&td, "i2c", "fault=requests-reversed", ~0ULL, false);
	uint8_t wr[2] = { 0x10, 0xaa };
	pointer = 0x10;
	xfer(&td, 0x50, 0, wr, 2, false);
	xfer(&td, 0x50, 0, &pointer, 1, false);
	xfer(&td, 0x50, M_RD, data, 1, true);
	CHECK(data[0] != 0xaa, "fault_requests_reversed");
	td_stop(&td);
	CHECK(!td_start(&td, "i2c", "address=0x99", ~0ULL, false), "bad_address_refused");
	return UNIT_DONE();
}
