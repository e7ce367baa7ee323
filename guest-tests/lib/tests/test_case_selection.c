/* Host unit tests for the Linux case filter: which case IDs an avps.cases list selects. */
#include "case_selection.h"
#include "unit_check.h"

int main(void)
{
	printf("KTAP version 1\n");
	CHECK(avps_case_in_list("virtio.blk.flush", "virtio.blk.flush"), "exact_id");
	CHECK(!avps_case_in_list("virtio.blk.flush", "virtio.blk.flush_all"), "exact_id_only");
	CHECK(avps_case_in_list("virtio.blk.*", "virtio.blk.size"), "prefix_entry");
	CHECK(!avps_case_in_list("virtio.blk.*,-virtio.blk.flush", "virtio.blk.flush"), "excluded_under_prefix");
	CHECK(avps_case_in_list("virtio.blk.*,-virtio.blk.flush", "virtio.blk.size"), "rest_of_prefix_selected");
	CHECK(avps_case_in_list("-virtio.blk.flush", "virtio.rng.request"), "only_exclusions_select_the_rest");
	CHECK(!avps_case_in_list("-virtio.blk.*", "virtio.blk.size"), "excluded_prefix");
	CHECK(!avps_case_in_list("virtio.rng.*", "virtio.blk.size"), "not_listed");
	return UNIT_DONE();
}
