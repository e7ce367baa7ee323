"""Checks per boot and verdict stability, as make bench reports them."""
from __future__ import annotations

from avps_cts.bench_checks import case_outcomes, checks_per_boot, stability

DOC = """KTAP version 1
1..1
    KTAP version 1
    1..4
    ok 1 psci.version
    not ok 2 psci.affinity_info.level1
    ok 3 psci.smccc.version # SKIP SMCCC 1.0 only
    not ok 4 psci.cpu_on.all_cores # ERROR broke
not ok 1 psci
""".splitlines()


def test_only_pass_and_fail_are_checks() -> None:
    outcomes = case_outcomes(DOC)
    assert outcomes["psci/psci.version"] == "ok"
    assert outcomes["psci/psci.affinity_info.level1"] == "not ok"
    assert outcomes["psci/psci.smccc.version"] == "SKIP"
    assert checks_per_boot(outcomes) == 2


def test_a_cut_document_keeps_its_results() -> None:
    assert checks_per_boot(case_outcomes(DOC[:6])) == 2


def test_stability_names_the_case_that_flipped() -> None:
    a = case_outcomes(DOC)
    b = dict(a, **{"psci/psci.version": "not ok"})
    assert stability([a, a]) == (True, [])
    same, diffs = stability([a, b, a])
    assert not same and diffs == ["psci/psci.version: not ok x1, ok x2"]


def test_a_probes_floor_leaves_out_its_own_case_time() -> None:
    from avps_cts.commands.bench import floor_ratio, time_split
    from avps_cts.targets.base import BootOutput
    out = BootOutput(lines=["KTAP version 1", "# probe: boot-to-verdict 2500 ms (counter 2600 ms)"],
                     times=[0.3, 2.9], duration_s=3.1)
    assert abs(floor_ratio(out, 0.4) - 1.5) < 1e-9  # (3.1 s - 2.5 s of cases) / 0.4 s of bare QEMU
    assert floor_ratio(BootOutput(duration_s=1.0), 0.4) != floor_ratio(BootOutput(duration_s=1.0), 0.4)  # nan
    assert "psci 2.5 s cases + 0.6 s boot/host" in time_split({"psci": out}, 2.0)


def test_a_probes_slowest_cases_come_from_its_counter_lines() -> None:
    from avps_cts.commands.bench import slowest_cases
    from avps_cts.targets.base import BootOutput
    out = BootOutput(lines=["# probe: case time 1834 ms psci.cpu_on.after_off", "# probe: case time 95 ms psci.cpu_off",
                            "# probe: boot-to-verdict 2500 ms (counter 2600 ms)"])
    assert slowest_cases(out) == [("psci.cpu_on.after_off", 1834), ("psci.cpu_off", 95)]
    assert slowest_cases(BootOutput(lines=["# probe: boot-to-verdict 44 ms (counter 162 ms)"])) == []
