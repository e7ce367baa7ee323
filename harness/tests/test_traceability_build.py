"""Traceability on the real build: every named ID is in the catalogue, and coverage never drops (ratchet)."""
from __future__ import annotations

from pathlib import Path

from avps_cts.catalogue.loader import load_catalogue
from avps_cts.catalogue.reqif import export_reqif
from avps_cts.catalogue.trace import build_trace, check_ratchet, coverage_figures, unknown_ids
from avps_cts.manifest import load as load_manifest


def pairs(build: Path) -> list[tuple[str, list[str]]]:
    return [(c.case_id, list(c.requirements)) for c in load_manifest(build).cases]


def test_every_requirement_id_in_the_build_is_in_the_catalogue(build: Path) -> None:
    assert unknown_ids(load_catalogue(), pairs(build)) == []


def test_coverage_does_not_drop_below_the_recorded_baseline(build: Path, repo: Path) -> None:
    trace = build_trace(load_catalogue(), pairs(build))
    check_ratchet(coverage_figures(trace), repo / "requirements" / "coverage-baseline.json")


def test_reqif_export_links_real_test_cases(build: Path) -> None:
    tree = export_reqif(load_catalogue(), pairs(build))
    text = " ".join(e.text or "" for e in tree.iter()) + " ".join(
        v for e in tree.iter() for v in e.attrib.values())
    assert "virtio.blk.data_integrity" in text
