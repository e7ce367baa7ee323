"""The suite layer: the suite's own platform requirements (CTS.* IDs, never AVPS labels), in verdicts and the trace."""
from __future__ import annotations

from pathlib import Path

from avps_cts.catalogue.loader import load_catalogue
from avps_cts.catalogue.suite import load_suite
from avps_cts.catalogue.trace import build_trace, render_markdown
from avps_cts.catalogue.verdict import judge
from avps_cts.results import CaseResult, RunResult, Status


def test_the_repository_layer_loads_and_says_it_is_not_avps() -> None:
    cat = load_catalogue()
    req = cat.get("CTS.ISOLATION.1")
    assert req is not None and req.layer == "suite" and not req.gating and req.rationale
    assert all(a in cat.avps for r in cat.suite.values() for a in r.related_avps)


def test_an_avps_looking_id_or_a_missing_rationale_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "suite.yaml"
    bad.write_text("schema: 1\nlayer: suite\nspec: x\nrequirements:\n"
                   "  - {id: AVPS.ISOLATION.1, title: t, summary: s, rationale: r, related_avps: [], verify: probe}\n"
                   "  - {id: CTS.MEMORY.1, title: t, summary: s, rationale: '', related_avps: [AVPS.NOPE.9], verify: probe}\n")
    errors: list[str] = []
    assert load_suite(bad, {"AVPS.HWVIRT.1"}, errors) == {}
    assert any(":5: malformed suite requirement ID 'AVPS.ISOLATION.1'" in e for e in errors), errors
    assert any(":6: CTS.MEMORY.1: rationale must be a non-empty string" in e for e in errors), errors
    assert any("related_avps names AVPS.NOPE.9, which is not an AVPS area" in e for e in errors), errors


def test_a_failing_isolation_case_is_reported_but_never_blocks_avps_conformance() -> None:
    cat = load_catalogue()
    case = "isolation.memory.unassigned_reads_abort"
    manifest = [(case, ["CTS.ISOLATION.1"])]
    run = RunResult(target="t", cases=[CaseResult(case_id=case, status=Status.FAIL, requirements=["CTS.ISOLATION.1"])])
    report = judge(cat, manifest, run)
    verdict = report.verdicts["CTS.ISOLATION.1"]
    assert verdict.verdict.value == "fail" and verdict.layer == "suite" and not verdict.blocking
    trace = build_trace(cat, manifest, run)
    assert trace["layers"]["suite"]["totals"]["covered"] == 1
    assert "Suite-defined platform requirements (not AVPS" in render_markdown(trace)
