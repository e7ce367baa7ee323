/* Host unit tests for the probe case filter: avps.cases entries, prefixes and '-' exclusions read from bootargs. */
#include "case_filter.h"
#include "unit_check.h"

static void use(const char *bootargs)
{
	case_filter_init(bootargs, strlen(bootargs) + 1); /* a DT string property counts its NUL */
}

int main(void)
{
	printf("KTAP version 1\n");
	CHECK(!case_filter_init(NULL, 0) && case_filter_selects("psci.version") &&
	      !case_filter_excludes("psci.version"), "no_bootargs_selects_all");
	use("console=ttyAMA0 avps.cases=psci.version,psci.cpu_on.* quiet");
	CHECK(case_filter_selects("psci.version") && case_filter_selects("psci.cpu_on.smc32"), "listed_and_prefix");
	CHECK(!case_filter_selects("psci.cpu_off") && !case_filter_excludes("psci.cpu_off"), "not_listed_not_excluded");
	use("avps.cases=-psci.cpu_on.after_off");
	CHECK(!case_filter_selects("psci.cpu_on.after_off") && case_filter_excludes("psci.cpu_on.after_off"),
	      "excluded_case");
	CHECK(case_filter_selects("psci.cpu_on.smc32") && !case_filter_excludes("psci.cpu_on.smc32"),
	      "only_exclusions_select_the_rest");
	use("avps.cases=psci.cpu_on.*,-psci.cpu_on.after_off,-psci.smccc.*");
	CHECK(!case_filter_selects("psci.cpu_on.after_off") && case_filter_selects("psci.cpu_on.smc64"),
	      "exclusion_wins_over_prefix");
	CHECK(case_filter_excludes("psci.smccc.version") && !case_filter_selects("psci.version"), "excluded_prefix");
	return UNIT_DONE();
}
