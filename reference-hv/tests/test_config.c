/* Host unit tests of the config parser: a good scenario, and each kind of bad input rejected with its line. */
#include <stdbool.h>

#include "config.h"
#include "faults.h"
#include "unit_check.h"

static struct hv_config cfg;
static char err[200];

static bool rejects(const char *text, const char *expected_error)
{
	if (config_parse(text, &cfg, err, sizeof(err)) == 0)
		return false;
	if (!strstr(err, expected_error))
		printf("# error was: %s\n", err);
	return strstr(err, expected_error) != NULL;
}

static const char two_vms[] =
	"# two VMs\n"
	"vm a\n"
	"cpus 0 1   # pinned\n"
	"ram 0x40000000 128M 0x48000000\n"
	"image ${IMAGE} 0x200000\n"
	"bootargs console=ttyAMA0 quiet\n"
	"fault psci-version-0.2\n"
	"budget 30\n"
	"resets 1\n"
	"vm b\r\n"
	"cpus 2\n"
	"ram 0x40000000 0x8000000 0x50000000\n"
	"image b.img 0x200000\n"
	"initrd b.cpio 0x1000000 0x100000\n";

int main(void)
{
	printf("KTAP version 1\n");
	CHECK(config_parse(two_vms, &cfg, err, sizeof(err)) == 0, "two_vm_scenario_parses");
	CHECK(cfg.n_vms == 2 && cfg.vms[0].n_vcpus == 2 && cfg.vms[0].pcpu[1] == 1 && cfg.vms[1].pcpu[0] == 2,
	      "vcpus_pinned_in_order");
	CHECK(cfg.vms[0].ram_size == (128u << 20) && cfg.vms[1].ram_pa == 0x50000000, "ram_sizes_and_suffixes");
	CHECK(strcmp(cfg.vms[0].image, "${IMAGE}") == 0 && cfg.vms[0].image_offset == 0x200000, "image_path_kept");
	CHECK(strcmp(cfg.vms[0].bootargs, "console=ttyAMA0 quiet") == 0, "bootargs_rest_of_line");
	CHECK(fault_on(cfg.vms[0].faults, FAULT_PSCI_VERSION_0_2) && !fault_set_any(cfg.vms[1].faults), "fault_only_in_its_vm");
	CHECK(cfg.vms[1].initrd_size == 0x100000, "initrd_range");
	CHECK(cfg.vms[0].budget_s == 30 && cfg.vms[1].budget_s == 0, "budget_per_vm");
	CHECK(cfg.vms[0].reset_limit == 1 && cfg.vms[1].reset_limit == 0, "reset_limit_per_vm");
	CHECK(rejects("vm a\nbudget 0\n", "line 2: budget must be 1..86400 seconds"), "budget_range");
	CHECK(rejects("vm a\nresets 0\n", "line 2: resets must be 1..1000000"), "resets_range");
	CHECK(rejects("vm a\nwatchdog spi=17\n", "line 2: watchdog spi must be 0..31"), "watchdog_spi_not_a_transport_spi");
	CHECK(rejects("vm a\nwatchdog spi=8\nwatchdog spi=9\n", "line 3: a second `watchdog`"), "watchdog_once_per_vm");
	CHECK(rejects("vm a\nwatchdog\n", "line 2: watchdog needs spi=N"), "watchdog_needs_spi");
	CHECK(config_parse("vm a\ncpus 0\nram 0x40000000 128M 0x48000000\nimage x 0\nwatchdog spi=8\n"
			   "fault watchdog-refresh-ignored\n", &cfg, err, sizeof(err)) == 0 &&
	      cfg.vms[0].has_watchdog && cfg.vms[0].watchdog_spi == 8 &&
	      fault_on(cfg.vms[0].faults, FAULT_WATCHDOG_REFRESH_IGNORED), "watchdog_line_and_fault_parsed");

	CHECK(rejects("vm a\ncpus 0\nram 0x40000000 128M 0x48000000\nimage x 0\n"
		      "vm b\ncpus 1\nram 0x40000000 128M 0x4c000000\nimage y 0\n",
		      "line 7: physical RAM overlaps the RAM of: vm a (line 3)"), "overlapping_memory_named_with_both_lines");
	CHECK(rejects("vm a\ncpus 0 1\nram 0x40000000 128M 0x48000000\nimage x 0\nvm b\ncpus 1\n",
		      "line 6: physical CPU given twice"), "vcpu_given_twice_across_vms");
	CHECK(rejects("vm a\ncpus 0 0\n", "line 2: physical CPU given twice"), "vcpu_given_twice_in_one_vm");
	CHECK(rejects("vm a\ncpus 0\nram 0x40000000 128M 0x48000000\nimage x 0\nfault no-such-fault\n",
		      "line 5: unknown fault switch: no-such-fault"), "unknown_fault_switch");
	CHECK(rejects("vm a\ncpus 0\nram 0x40000000 128M 0x48000000\n", "line 1: vm has no `image`: a"),
	      "missing_image");
	CHECK(rejects("vm a\ncpus 0\nram 0x40000000 128M 0x40000000\nimage x 0\n",
		      "line 3: physical RAM overlaps the hypervisor"), "ram_over_hypervisor");
	CHECK(rejects("vm a\ncpus 0\nram 0x8000000 128M 0x48000000\nimage x 0\n",
		      "line 3: guest RAM overlaps the emulated UART"), "ram_over_uart");
	CHECK(rejects("vm a\ncpus 0\nram 0x40000000 1M 0x48000000\n", "line 3: ram bases and size must be multiples"),
	      "ram_alignment");
	CHECK(rejects("vm a\ncpus 9\n", "line 2: physical CPU must be a number below 8"), "pcpu_range");
	CHECK(rejects("cpus 0\n", "line 1: statement before the first `vm`"), "statement_outside_vm");
	CHECK(rejects("vm a\ncolour blue\n", "line 2: unknown statement: colour"), "unknown_statement");
	CHECK(rejects("vm a\nram 0x40000000 12Q 0x48000000\n", "line 2: not a number"), "bad_number");
	CHECK(rejects("vm a\nvm a\n", "line 2: vm name used twice"), "duplicate_vm_name");
	CHECK(rejects("# nothing\n", "no vm defined"), "empty_config");
	CHECK(rejects("vm a\ncpus 0\nram 0x40000000 128M 0x48000000\nimage x 0x7f00000\n",
		      "line 4: image offset beyond RAM"), "image_over_dt");

	CHECK(config_parse("vm a\ncpus 3\nram 0x40000000 128M 0x48000000\nimage x 0\n", &cfg, err, sizeof(err)) == 0 &&
	      config_check_machine(&cfg, 2, 0x40000000, 0x40000000, err, sizeof(err)) != 0 &&
	      strstr(err, "line 2: physical CPU 3 does not exist (the machine has 2)"), "machine_cpu_count");
	CHECK(config_parse("vm a\ncpus 0\nram 0x40000000 128M 0x88000000\nimage x 0\n", &cfg, err, sizeof(err)) == 0 &&
	      config_check_machine(&cfg, 2, 0x40000000, 0x40000000, err, sizeof(err)) != 0 &&
	      strstr(err, "line 3: physical RAM"), "machine_ram_size");
	printf("1..%d\n", unit_checks_run);
	return unit_checks_failed != 0;
}
