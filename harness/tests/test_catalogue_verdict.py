"""Verdicts per requirement and the overall decision, on hand-made result sets."""
from __future__ import annotations

import pytest

from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.loader import Catalogue
from avps_cts.catalogue.verdict import Verdict, judge, requirement_verdicts
from avps_cts.results import CaseResult, RunResult, Status

BLK = "VIRTIO-1.2: Device Types / Block Device / Device Operation #11"
BLK_SHOULD = "VIRTIO-1.2: Device Types / Block Device / Device Initialization #1"
GPU = "VIRTIO-1.2: Device Types / GPU Device / Device Initialization #6"
MMIO = "VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #1"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def full_manifest(cat: Catalogue) -> list[tuple[str, list[str]]]:
    """One case per testable requirement, so that 'all pass' can mean conformant."""
    man: list[tuple[str, list[str]]] = []
    for r in cat.avps.values():
        if r.testable:
            man.append((f"area.{r.chapter.lower()}.{r.id.rsplit('.', 1)[1]}", [r.id]))
    for i, s in enumerate(cat.virtio.values()):
        man.append((f"virtio.stmt.s{i}", [s.id]))
    return man


def run_of(man: list[tuple[str, list[str]]], status: dict[str, Status] | None = None, drop: set[str] = frozenset(),
           detail: dict[str, str] | None = None) -> RunResult:
    run = RunResult(target="test")
    for case, reqs in man:
        if case in drop:
            continue
        st = (status or {}).get(case, Status.PASS)
        run.cases.append(CaseResult(case_id=case, status=st, requirements=reqs, detail=(detail or {}).get(case, "")))
    return run


def test_all_pass_is_conformant(cat: Catalogue) -> None:
    man = full_manifest(cat)
    rep = judge(cat, man, run_of(man))
    assert rep.conformant and rep.complete
    assert rep.counts("virtio")["pass"] == len(cat.virtio)
    docs = [r for r in cat.avps.values() if not r.testable]
    assert all(rep.verdicts[r.id].verdict is Verdict.NOT_COVERED and not rep.verdicts[r.id].blocking for r in docs)


def test_one_mandatory_fail(cat: Catalogue) -> None:
    man = full_manifest(cat)
    case = next(c for c, reqs in man if reqs == [MMIO])
    rep = judge(cat, man, run_of(man, {case: Status.FAIL}, detail={case: "expected 0x74726976, got 0x0"}))
    assert not rep.conformant
    assert rep.blocking == [MMIO]
    assert rep.verdicts[MMIO].verdict is Verdict.FAIL and "got 0x0" in rep.verdicts[MMIO].reason
    assert rep.verdicts[MMIO].level == "mandatory"


def test_should_failure_never_gates(cat: Catalogue) -> None:
    man = full_manifest(cat)
    case = next(c for c, reqs in man if reqs == [BLK_SHOULD])
    rep = judge(cat, man, run_of(man, {case: Status.FAIL}))
    assert rep.verdicts[BLK_SHOULD].verdict is Verdict.FAIL
    assert rep.conformant


def test_conditional_device_absent(cat: Catalogue) -> None:
    man = full_manifest(cat)
    gpu_cases = {c for c, reqs in man if reqs == ["AVPS.GPU.1"] or any(r.startswith("VIRTIO-1.2: Device Types / GPU Device") for r in reqs)}
    rep = judge(cat, man, run_of(man, {c: Status.SKIP for c in gpu_cases}, detail={c: "no virtio-gpu device" for c in gpu_cases}))
    assert rep.conformant
    v = rep.verdicts["AVPS.GPU.1"]
    assert v.verdict is Verdict.NOT_APPLICABLE and "no virtio-gpu device" in v.reason
    assert rep.verdicts[GPU].verdict is Verdict.NOT_APPLICABLE


def test_device_absent_covers_untested_statements(cat: Catalogue) -> None:
    man = [("virtio.gpu.present", ["AVPS.GPU.1"])]
    rep = judge(cat, man, run_of(man, {"virtio.gpu.present": Status.SKIP}, detail={"virtio.gpu.present": "no GPU"}))
    assert rep.verdicts[GPU].verdict is Verdict.NOT_APPLICABLE
    assert "AVPS.GPU.1" in rep.verdicts[GPU].reason


def test_mandatory_area_skip_is_not_a_pass(cat: Catalogue) -> None:
    man = [("psci.version", ["AVPS.POWER.1"])]
    v = requirement_verdicts(cat, man, run_of(man, {"psci.version": Status.SKIP}))["AVPS.POWER.1"]
    assert v.verdict is Verdict.NOT_RUN and v.blocking


def test_crash_mid_run_leaves_not_run(cat: Catalogue) -> None:
    man = full_manifest(cat)
    lost = {c for c, _ in man[len(man) // 2:]}
    run = run_of(man, drop=lost)
    run.problems.append("kernel panic after case 250")
    rep = judge(cat, man, run)
    assert not rep.conformant
    assert rep.problems == ["kernel panic after case 250"]
    lost_reqs = {r for c, reqs in man if c in lost for r in reqs}
    for r in lost_reqs:
        assert rep.verdicts[r].verdict is Verdict.NOT_RUN
        assert "never reported" in rep.verdicts[r].reason
    assert set(rep.blocking) == {r for r in lost_reqs if rep.verdicts[r].gating}


def test_timeout_and_error_are_not_run(cat: Catalogue) -> None:
    man = [("virtio.blk.flush", ["AVPS.STORAGE.1", BLK]), ("virtio.blk.flush_again", [BLK])]
    v = requirement_verdicts(cat, man, run_of(man, {"virtio.blk.flush": Status.TIMEOUT}))
    assert v[BLK].verdict is Verdict.NOT_RUN and v["AVPS.STORAGE.1"].verdict is Verdict.NOT_RUN


def test_not_covered(cat: Catalogue) -> None:
    rep = judge(cat, [], RunResult(target="test"))
    assert not rep.conformant
    v = rep.verdicts["AVPS.VIRTIO.1"]  # mandatory and testable
    assert v.verdict is Verdict.NOT_COVERED and v.blocking
    c = rep.verdicts["AVPS.CAN.1"]  # conditional and testable: applicability unknown
    assert c.verdict is Verdict.NOT_COVERED and not c.blocking and c.undetermined
    assert not rep.complete
    assert rep.to_json()["counts"]["avps"]["not-covered"] == len(cat.avps)
