/* Host unit tests of the virtual GICv3 registers and list-register helpers. */
#include <stdbool.h>

#include "unit_check.h"
#include "vgic.h"

static uint64_t rd(struct vgic_cpu *c, int index, uint64_t offset, unsigned size)
{
	struct vgic_access a = { .offset = offset, .size = size };
	vgic_redist_access(c, index, 2, (uint64_t)index, &a);
	return a.value;
}

static uint32_t wr(struct vgic_cpu *c, uint64_t offset, unsigned size, uint64_t value)
{
	struct vgic_access a = { .offset = offset, .size = size, .write = true, .value = value };
	return vgic_redist_access(c, 0, 2, 0, &a);
}

static uint64_t dist(struct vgic_dist *d, uint64_t offset, unsigned size, bool write, uint64_t value)
{
	struct vgic_access a = { .offset = offset, .size = size, .write = write, .value = value };
	vgic_dist_access(d, &a);
	return a.value;
}

int main(void)
{
	struct vgic_cpu c0 = { 0 }, c1 = { 0 };
	struct vgic_dist d = { 0 };
	printf("KTAP version 1\n");

	CHECK(rd(&c0, 0, 0x8, 8) == 0 && rd(&c1, 1, 0x8, 8) == ((1ULL << 32) | (1u << 8) | (1u << 4)),
	      "typer_affinity_number_and_last");
	CHECK(rd(&c1, 1, 0xc, 4) == 1, "typer_high_word");
	wr(&c0, 0x14, 4, 2);
	CHECK(rd(&c0, 0, 0x14, 4) == 6, "waker_sleep_and_children_asleep");
	wr(&c0, 0x14, 4, 0);
	CHECK(rd(&c0, 0, 0x14, 4) == 0, "waker_awake");
	CHECK(wr(&c0, 0x10100, 4, 1u << 27) == (1u << 27) && c0.enabled0 == (1u << 27), "isenabler_reports_change");
	CHECK(wr(&c0, 0x10100, 4, 1u << 27) == 0, "isenabler_no_change_twice");
	CHECK(wr(&c0, 0x10180, 4, 1u << 27) == (1u << 27) && c0.enabled0 == 0, "icenabler_clears");
	wr(&c0, 0x1041b, 1, 0xa0);
	CHECK(c0.priority[27] == 0xa0 && rd(&c0, 0, 0x10418, 4) == 0xa0000000u, "priority_byte_and_word");
	CHECK(rd(&c0, 0, 0xffe8, 4) == 0x30, "pidr2_gicv3");
	CHECK((dist(&d, 0x0, 4, true, 0x13) & 0x13) == 0x13 && (dist(&d, 0x0, 4, false, 0) & 0x10), "gicd_ctlr_are");
	CHECK(dist(&d, 0x4, 4, false, 0) == ((9u << 19) | 1), "gicd_typer");
	dist(&d, 0x104, 4, true, 0x5);
	dist(&d, 0x184, 4, true, 0x1);
	CHECK(dist(&d, 0x104, 4, false, 0) == 0x4 && dist(&d, 0x100, 4, false, 0) == 0, "spi_enables_set_clear_sgi_raz");
	dist(&d, 0x6100, 8, true, 0x1ULL);
	CHECK(dist(&d, 0x6100, 8, false, 0) == 1 && d.irouter[0] == 1, "irouter_of_spi_32");
	dist(&d, 0x204, 4, true, 0x30000);
	dist(&d, 0x284, 4, true, 0x10000);
	CHECK(dist(&d, 0x204, 4, false, 0) == 0x20000 && d.pending[0] == 0x20000 && dist(&d, 0x280, 4, false, 0) == 0 &&
	      dist(&d, 0x208, 4, false, 0) == 0, "spi_pending_set_clear_sgi_and_beyond_raz");
	CHECK(vgic_lr_value(27, 27, 0xa0, true) == ((1ULL << 62) | (1ULL << 61) | (1ULL << 60) | (0xa0ULL << 48) |
						   (27ULL << 32) | 27), "lr_hw_pending_group1");
	CHECK(vgic_lr_value(5, 0, 0x80, false) == ((1ULL << 62) | (1ULL << 60) | (0x80ULL << 48) | 5), "lr_software");
	CHECK(vgic_lr_pick(0xe, 4) == 1 && vgic_lr_pick(0x0, 4) == -1 && vgic_lr_pick(0x10, 4) == -1, "lr_pick_first_empty");
	uint64_t mpidrs[3] = { 0, 1, 0x100 };
	unsigned intid = 99;
	CHECK(vgic_sgi_targets((5ULL << 24) | 0x2, mpidrs, 3, 0, &intid) == 0x2 && intid == 5, "sgi_target_list_aff0");
	CHECK(vgic_sgi_targets((1ULL << 16) | 0x1, mpidrs, 3, 0, &intid) == 0x4, "sgi_target_aff1");
	CHECK(vgic_sgi_targets((1ULL << 40) | (3ULL << 24), mpidrs, 3, 1, &intid) == 0x5 && intid == 3,
	      "sgi_irm_all_but_sender");
	CHECK(vgic_sgi_targets(0x8, mpidrs, 3, 0, &intid) == 0, "sgi_no_such_cpu");
	CHECK(dist(&d, 0xffe8, 4, false, 0) == 0x30, "gicd_pidr2_archrev_3");
	d.pidr2_says_gicv2 = true;
	CHECK(dist(&d, 0xffe8, 4, false, 0) == 0x20, "fault_gicd_pidr2_archrev_2");
	d.pidr2_says_gicv2 = false;
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
