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
