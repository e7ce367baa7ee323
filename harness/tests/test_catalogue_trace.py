"""Traceability matrix, unknown IDs and the coverage ratchet."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.loader import REPO_ROOT, Catalogue
from avps_cts.catalogue.trace import (
    RatchetError,
    build_trace,
    check_ratchet,
    coverage_figures,
    render_markdown,
    unknown_ids,
    write_baseline,
)
from avps_cts.results import CaseResult, RunResult, Status

BLK = "VIRTIO-1.2: Device Types / Block Device / Device Operation #11"
MAN = [
    ("virtio.blk.flush", ["AVPS.STORAGE.1", BLK]),
    ("virtio.blk.bogus", ["AVPS.STORAGE.9", "VIRTIO-1.2: Device Types / Block Device / Device Operation #99"]),
]


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def test_unknown_ids(cat: Catalogue) -> None:
    assert unknown_ids(cat, MAN) == [
        ("virtio.blk.bogus", "AVPS.STORAGE.9"),
        ("virtio.blk.bogus", "VIRTIO-1.2: Device Types / Block Device / Device Operation #99"),
    ]


def test_trace_matrix_and_coverage(cat: Catalogue) -> None:
    run = RunResult(target="qemu-arm64", cases=[CaseResult("virtio.blk.flush", Status.PASS, MAN[0][1])])
    t = build_trace(cat, MAN, run)
    avps = t["layers"]["avps"]
    row = next(r for r in avps["requirements"] if r["id"] == "AVPS.STORAGE.1")
    assert row["coverage"] == "covered" and row["verdict"] == "pass"
    assert row["cases"] == [{"case_id": "virtio.blk.flush", "status": "pass"}]
    arch = next(r for r in avps["requirements"] if r["id"] == "AVPS.ARCH.1")
    assert arch["coverage"] == "document-only"
    assert avps["chapters"]["STORAGE"]["covered"] == 1
    virtio = t["layers"]["virtio"]
    assert virtio["chapters"]["Block Device"]["covered"] == 1
    assert virtio["totals"]["must_total"] == 376 and virtio["totals"]["must_covered"] == 1
    assert len(t["unknown_ids"]) == 2
    json.dumps(t)  # JSON-ready
    md = render_markdown(t)
    assert "| STORAGE | 1 | 1 | 0 | 0 |" in md and "`virtio.blk.flush` (pass)" in md
    assert "AVPS.STORAGE.9" in md


def test_trace_without_run_has_no_verdicts(cat: Catalogue) -> None:
    t = build_trace(cat, MAN[:1])
    row = next(r for r in t["layers"]["virtio"]["requirements"] if r["id"] == BLK)
    assert row["verdict"] is None and row["cases"] == [{"case_id": "virtio.blk.flush", "status": None}]


def test_ratchet(cat: Catalogue, tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    write_baseline(coverage_figures(build_trace(cat, MAN[:1])), base)
    assert check_ratchet(coverage_figures(build_trace(cat, MAN[:1])), base) == []
    more = MAN[:1] + [("virtio.rng.fill", ["AVPS.RNG.1"])]
    assert "avps / RNG: 1 covered, baseline 0" in check_ratchet(coverage_figures(build_trace(cat, more)), base)
    with pytest.raises(RatchetError, match="Block Device: 0 covered, baseline 1"):
        check_ratchet(coverage_figures(build_trace(cat, [])), base)


def test_checked_in_baseline_is_readable(cat: Catalogue) -> None:
    baseline = REPO_ROOT / "requirements" / "coverage-baseline.json"
    data = json.loads(baseline.read_text())
    check_ratchet(data["layers"], baseline)  # the baseline's own figures meet it
    with pytest.raises(RatchetError):
        check_ratchet(coverage_figures(build_trace(cat, [])), baseline)  # no tests at all falls below
    assert set(data["layers"]) == {"avps", "virtio"}
