/* Host unit tests of the virtio-mmio register file (virtio-mmio/mmio_transport.c) in front of the reference models. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmio_transport.h"
#include "unit_check.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x10000
#define DESC (RAM_BASE + 0x0000)
#define AVAIL (RAM_BASE + 0x1000)
#define USED (RAM_BASE + 0x2000)
#define DATA (RAM_BASE + 0x3000)
#define QSIZE 8

static uint8_t ram[RAM_SIZE];
static struct flat_memory flat = { .base = RAM_BASE, .bytes = ram, .size = RAM_SIZE };
static int raised;

static void count_raise(void *ctx)
{
	(void)ctx;
	raised++;
}

static uint32_t rd(struct mmio_transport *t, uint64_t offset)
{
	return (uint32_t)mmio_transport_read(t, offset, 4);
}

static void wr(struct mmio_transport *t, uint64_t offset, uint32_t value)
{
	mmio_transport_write(t, offset, 4, value);
}

static void *at(uint64_t gpa)
{
	return ram + (gpa - RAM_BASE);
}

static bool create(struct mmio_transport *t, const char *model, const char *options)
{
	char err[160] = "";
	struct mmio_transport_host host = { .mem = flat_memory_accessor(&flat), .raise = count_raise };
	bool ok = mmio_transport_create(t, model, options, &host, err, sizeof(err));
	if (!ok)
		printf("# %s: %s\n", model, err);
	return ok;
}

/* The driver side of initialisation (VIRTIO 1.2 3.1.1) with VERSION_1 only, queue 0 split, QSIZE entries. */
static bool bring_up(struct mmio_transport *t)
{
	wr(t, VMMIO_STATUS, 0);
	wr(t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VMMIO_DRIVER_FEATURES, 1);              /* bit 32: VIRTIO_F_VERSION_1 */
	wr(t, VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VMMIO_DRIVER_FEATURES, 0);
	wr(t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(t, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	wr(t, VMMIO_QUEUE_SEL, 0);
	wr(t, VMMIO_QUEUE_NUM, QSIZE);
	wr(t, VMMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	wr(t, VMMIO_QUEUE_DESC_HIGH, 0);
	wr(t, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
	wr(t, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
	wr(t, VMMIO_QUEUE_READY, 1);
	wr(t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			    VIRTIO_STATUS_DRIVER_OK);
	return rd(t, VMMIO_QUEUE_READY) == 1;
}

/* Posts one device-writable buffer of len bytes at DATA as descriptor 0 and kicks queue 0. */
static void post_writable(struct mmio_transport *t, uint16_t avail_idx, uint32_t len)
{
	uint64_t addr = DATA;
	uint16_t flags = VIRTQ_DESC_F_WRITE, next = 0, head = 0;
	memcpy(at(DESC), &addr, 8);
	memcpy(at(DESC + 8), &len, 4);
	memcpy(at(DESC + 12), &flags, 2);
	memcpy(at(DESC + 14), &next, 2);
	memcpy(at(AVAIL + 4 + 2 * (avail_idx % QSIZE)), &head, 2);
	uint16_t idx = (uint16_t)(avail_idx + 1);
	memcpy(at(AVAIL + 2), &idx, 2);
	wr(t, VMMIO_QUEUE_NOTIFY, 0);
}

static uint16_t used_idx(void)
{
	uint16_t idx;
	memcpy(&idx, at(USED + 2), 2);
	return idx;
}

static uint32_t used_len(unsigned slot)
{
	uint32_t len;
	memcpy(&len, at(USED + 4 + 8 * slot + 4), 4);
	return len;
}

int main(void)
{
	static struct mmio_transport t, blk, broken;
	char err[160];
	printf("KTAP version 1\n");

	CHECK(create(&t, "entropy", "seed=7"), "entropy_created");
	CHECK(rd(&t, VMMIO_MAGIC_VALUE) == 0x74726976u && rd(&t, VMMIO_VERSION) == 2, "magic_and_version_2");
	CHECK(rd(&t, VMMIO_DEVICE_ID) == VIRTIO_ID_ENTROPY && rd(&t, VMMIO_VENDOR_ID) == MMIO_TRANSPORT_VENDOR_ID,
	      "device_and_vendor_id");
	wr(&t, VMMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(rd(&t, VMMIO_DEVICE_FEATURES) & 1, "offers_version_1_in_high_word");
	wr(&t, VMMIO_DEVICE_FEATURES_SEL, 2);
	CHECK(rd(&t, VMMIO_DEVICE_FEATURES) == 0, "features_beyond_64_read_zero");
	CHECK(mmio_transport_read(&t, VMMIO_MAGIC_VALUE, 2) == 0 && mmio_transport_read(&t, VMMIO_MAGIC_VALUE + 1, 4) == 0,
	      "control_registers_take_aligned_32_bit_only");
	wr(&t, VMMIO_QUEUE_SEL, 1);
	CHECK(rd(&t, VMMIO_QUEUE_NUM_MAX) == 0, "queue_beyond_the_model_has_num_max_0");
	wr(&t, VMMIO_QUEUE_SEL, 0);
	CHECK(rd(&t, VMMIO_QUEUE_NUM_MAX) == MMIO_TRANSPORT_QUEUE_NUM_MAX && rd(&t, VMMIO_QUEUE_READY) == 0,
	      "queue_0_num_max_and_not_ready");

	CHECK(bring_up(&t) && rd(&t, VMMIO_STATUS) == 0xf, "handshake_to_driver_ok");
	memset(at(DATA), 0, 64);
	raised = 0;
	post_writable(&t, 0, 64);
	uint8_t zero[64] = { 0 };
	CHECK(used_idx() == 1 && used_len(0) == 64 && memcmp(at(DATA), zero, 64) != 0, "entropy_request_used");
	CHECK(rd(&t, VMMIO_INTERRUPT_STATUS) == VMMIO_INTERRUPT_USED_BUFFER && raised == 1,
	      "used_buffer_sets_interrupt_status_and_raises");
	wr(&t, VMMIO_INTERRUPT_ACK, VMMIO_INTERRUPT_USED_BUFFER);
	CHECK(rd(&t, VMMIO_INTERRUPT_STATUS) == 0, "interrupt_ack_clears");
	post_writable(&t, 1, 16);
	CHECK(used_idx() == 2 && rd(&t, VMMIO_INTERRUPT_STATUS) == 1, "second_request");
	wr(&t, VMMIO_STATUS, 0);
	CHECK(rd(&t, VMMIO_STATUS) == 0 && rd(&t, VMMIO_INTERRUPT_STATUS) == 0 && rd(&t, VMMIO_QUEUE_READY) == 0,
	      "reset_clears_status_interrupt_and_queue_ready");
	/* MMIO layout #7: no queue access while QueueReady is 0. */
	post_writable(&t, 2, 16);
	CHECK(used_idx() == 2, "no_queue_access_after_reset");

	/* Feature Bits #3 / Device Initialization: an unoffered feature leaves FEATURES_OK clear. */
	wr(&t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(&t, VMMIO_DRIVER_FEATURES, 1u | (1u << 8));   /* VERSION_1 and bit 40 (RING_RESET, not offered) */
	wr(&t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	CHECK(!(rd(&t, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK), "unoffered_feature_refused");

	CHECK(create(&blk, "block", "size=1M,serial=unit"), "block_created");
	CHECK(rd(&blk, VMMIO_DEVICE_ID) == VIRTIO_ID_BLOCK, "block_device_id");
	CHECK(mmio_transport_read(&blk, VMMIO_CONFIG, 8) == 2048 && rd(&blk, VMMIO_CONFIG) == 2048 &&
	      rd(&blk, VMMIO_CONFIG + 4) == 0, "capacity_in_sectors_64_and_32_bit");
	CHECK(mmio_transport_read(&blk, VMMIO_CONFIG + 20, 4) == 512 && mmio_transport_read(&blk, VMMIO_CONFIG + 20, 1) == 0 &&
	      mmio_transport_read(&blk, VMMIO_CONFIG + 21, 1) == 2, "blk_size_bytewise_little_endian");
	CHECK(mmio_transport_read(&blk, VMMIO_CONFIG + 0xf8, 4) == 0, "config_past_the_model_reads_zero");
	CHECK(rd(&blk, VMMIO_CONFIG_GENERATION) == 0, "config_generation_starts_0");

	CHECK(!mmio_transport_create(&broken, "nosuch", "", &(struct mmio_transport_host){ .mem = flat_memory_accessor(&flat) },
				     err, sizeof(err)) && strstr(err, "unknown device model 'nosuch'"), "unknown_model_refused");
	CHECK(!mmio_transport_create(&broken, "entropy", "fault=nosuch",
				     &(struct mmio_transport_host){ .mem = flat_memory_accessor(&flat) }, err, sizeof(err)) &&
	      strstr(err, "no fault 'nosuch'"), "unknown_fault_refused");
	/* The transport's own fault switches: taken out of the options, the rest reaches the model. */
	static struct mmio_transport silent;
	CHECK(create(&silent, "entropy", "fault=interrupt-status-not-set,seed=3,fault=reset-keeps-interrupt-status") &&
	      silent.faults[MMIO_FAULT_INTERRUPT_STATUS_NOT_SET] && silent.faults[MMIO_FAULT_RESET_KEEPS_INTERRUPT_STATUS] &&
	      !silent.faults[MMIO_FAULT_INTERRUPT_WRONG_SPI], "transport_faults_parsed");
	memset(ram, 0, sizeof(ram));
	CHECK(bring_up(&silent), "faulty_transport_handshake");
	raised = 0;
	post_writable(&silent, 0, 16);
	CHECK(used_idx() == 1 && raised == 1 && rd(&silent, VMMIO_INTERRUPT_STATUS) == 0,
	      "fault_interrupt_status_not_set_still_raises");
	silent.interrupt_status = VMMIO_INTERRUPT_USED_BUFFER;
	wr(&silent, VMMIO_STATUS, 0);
	CHECK(rd(&silent, VMMIO_INTERRUPT_STATUS) == 1 && rd(&silent, VMMIO_QUEUE_READY) == 0,
	      "fault_reset_keeps_interrupt_status");
	vdev_destroy(&silent.dev);
	static struct mmio_transport odd;
	CHECK(create(&odd, "entropy", "fault=version-1-not-offered,fault=interrupt-status-cleared-on-read,"
				      "fault=interrupt-status-phantom-config-change,fault=status-kept-after-reset"),
	      "more_transport_faults_parsed");
	wr(&odd, VMMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(!(rd(&odd, VMMIO_DEVICE_FEATURES) & 1), "fault_version_1_hidden");
	memset(ram, 0, sizeof(ram));
	bring_up(&odd);
	CHECK(rd(&odd, VMMIO_STATUS) == 0xf, "fault_status_kept_handshake_still_works");
	post_writable(&odd, 0, 16);
	CHECK(rd(&odd, VMMIO_INTERRUPT_STATUS) == 3 && rd(&odd, VMMIO_INTERRUPT_STATUS) == 0,
	      "fault_phantom_config_bit_and_cleared_on_read");
	wr(&odd, VMMIO_STATUS, 0);
	CHECK(rd(&odd, VMMIO_STATUS) == 0xf && rd(&odd, VMMIO_QUEUE_READY) == 0, "fault_status_kept_after_reset");
	vdev_destroy(&odd.dev);

	/* Shared memory: entropy has no region (all ones); the media model's region 0 at the host's shm_base. */
	static struct mmio_transport media;
	wr(&t, VMMIO_SHM_SEL, 0);
	CHECK(rd(&t, VMMIO_SHM_LEN_LOW) == 0xffffffffu && rd(&t, VMMIO_SHM_BASE_HIGH) == 0xffffffffu, "no_shm_reads_all_ones");
	struct mmio_transport_host media_host = { .mem = flat_memory_accessor(&flat), .raise = count_raise,
						  .shm_base = 0x0c000000ULL };
	CHECK(mmio_transport_create(&media, "media", "", &media_host, err, sizeof(err)), "media_created");
	wr(&media, VMMIO_SHM_SEL, 0);
	CHECK(rd(&media, VMMIO_SHM_LEN_LOW) == 0x20000 && rd(&media, VMMIO_SHM_LEN_HIGH) == 0 &&
	      rd(&media, VMMIO_SHM_BASE_LOW) == 0x0c000000u && rd(&media, VMMIO_SHM_BASE_HIGH) == 0, "media_shm_region_0");
	wr(&media, VMMIO_SHM_SEL, 1);
	CHECK(rd(&media, VMMIO_SHM_LEN_LOW) == 0xffffffffu && rd(&media, VMMIO_SHM_BASE_LOW) == 0xffffffffu,
	      "media_no_region_1");
	uint64_t value = 0x1234;
	mmio_transport_shm_access(&media, 0x100, 4, false, &value);
	CHECK(value == 0, "unheld_shm_reads_zero");
	value = 0x1234;
	mmio_transport_shm_access(&media, 0x20000, 4, false, &value);
	CHECK(value == 0, "shm_beyond_region_reads_zero");
	vdev_destroy(&media.dev);
	vdev_destroy(&t.dev);
	vdev_destroy(&blk.dev);
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
