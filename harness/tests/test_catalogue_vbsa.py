"""The VBSA layer: 27 Arm rules with Arm's IDs, each mapped to an AVPS area, in verdicts and the trace."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from avps_cts.catalogue.loader import CatalogueError, load_catalogue
from avps_cts.catalogue.trace import build_trace, render_markdown
from avps_cts.catalogue.vbsa import DEFAULT_VBSA, load_vbsa
from avps_cts.catalogue.verdict import judge
from avps_cts.results import CaseResult, RunResult, Status

TSV = Path(__file__).resolve().parents[3] / "shared" / "avps" / "vbsa-rules.tsv"


def test_the_repository_layer_loads_with_27_rules() -> None:
    cat = load_catalogue()
    assert len(cat.vbsa) == 27
    assert all(a in cat.avps for r in cat.vbsa.values() for a in r.avps)
    assert "V_L1TM_04" in cat and cat.get("V_L1TM_04").layer == "vbsa"


def test_rules_match_arms_list() -> None:
    if not TSV.exists():
        pytest.skip(f"{TSV} not present beside the clone")
    with TSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    cat = load_catalogue()
    assert [r["rule"] for r in rows] == list(cat.vbsa)
    for row in rows:
        rule = cat.vbsa[row["rule"]]
        assert rule.level == row["level"]
        assert rule.acs_status == row["acs_status"]
        assert (rule.acs_test or "") == row["acs_test"]


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "vbsa.yaml"
    p.write_text("schema: 1\nlayer: vbsa\nrequirements:\n" + body, encoding="utf-8")
    return p


def test_bad_rules_are_reported_with_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, (
        "  - {id: V_L1TM_01, level: L1, title: t, avps: [AVPS.NOPE.1], acs: {test: null, status: covered},"
        " verify: probe, summary: s}\n"
        "  - {id: X_1, level: L1, title: t, avps: [AVPS.POWER.1], acs: {test: null, status: covered},"
        " verify: document, summary: s}\n"))
    errors: list[str] = []
    assert load_vbsa(p, {"AVPS.POWER.1"}, errors) == {}
    assert any(f"{p}:4:" in e and "AVPS.NOPE.1" in e for e in errors)
    assert any(f"{p}:5:" in e and "malformed" in e for e in errors)
    assert any(f"{p}:5:" in e and "rationale" in e for e in errors)


def test_a_broken_layer_fails_the_catalogue(tmp_path: Path) -> None:
    p = _write(tmp_path, "  - {id: V_L2TM_01, level: L1}\n")
    with pytest.raises(CatalogueError, match="missing keys"):
        load_catalogue(vbsa_path=p)


def test_vbsa_verdicts_are_reported_in_the_trace_and_never_gate() -> None:
    cat = load_catalogue()
    manifest = [("vbsa.timer.monotonic", ["V_L1TM_04"]), ("vbsa.wakeup.wfi_timer", ["V_L1WK_02"])]
    run = RunResult(target="t", cases=[
        CaseResult(case_id="vbsa.timer.monotonic", status=Status.FAIL, requirements=["V_L1TM_04"]),
        CaseResult(case_id="vbsa.wakeup.wfi_timer", status=Status.PASS, requirements=["V_L1WK_02"]),
    ])
    report = judge(cat, manifest, run)
    assert report.verdicts["V_L1TM_04"].verdict.value == "fail"
    assert not report.verdicts["V_L1TM_04"].blocking
    assert report.verdicts["V_L1WK_07"].reason.startswith("document-only")
    trace = build_trace(cat, manifest, run)
    vbsa = trace["layers"]["vbsa"]
    assert vbsa["totals"]["total"] == 27 and vbsa["totals"]["covered"] == 2
    row = next(r for r in vbsa["requirements"] if r["id"] == "V_L1WK_02")
    assert row["avps"] == ["AVPS.POWER.1"] and row["verdict"] == "pass"
    assert "Arm VBSA 1.0 rules" in render_markdown(trace)


def test_default_path_is_the_repository_file() -> None:
    assert DEFAULT_VBSA.name == "vbsa-1.0.yaml" and DEFAULT_VBSA.exists()
