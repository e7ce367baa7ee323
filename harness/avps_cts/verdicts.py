"""Glue between a run and the requirement catalogue: verdict per requirement, conformance, traceability sections."""
from __future__ import annotations

from typing import Any

from .catalogue.loader import load_catalogue
from .catalogue.trace import build_trace, render_markdown
from .catalogue.verdict import judge, summary_lines
from .manifest import Manifest
from .results import RunResult


def manifest_pairs(manifest: Manifest | None) -> list[tuple[str, list[str]]]:
    return [(c.case_id, list(c.requirements)) for c in manifest.cases] if manifest else []


def verdict_sections(run: RunResult, manifest: Manifest | None) -> tuple[list[str], dict[str, Any]]:
    """Markdown sections (conformance first, then the traceability matrix) and JSON additions."""
    catalogue = load_catalogue()
    pairs = manifest_pairs(manifest)
    report = judge(catalogue, pairs, run)
    trace = build_trace(catalogue, pairs, run)
    conformance = ["## Conformance", "", *[f"    {line}" if line.startswith("  ") else line
                                          for line in summary_lines(report)]]
    counts = " ".join(f"{k}={v}" for k, v in report.counts("avps").items() if v)
    conformance += ["", f"AVPS areas: {counts}"]
    vbsa = " ".join(f"{k}={v}" for k, v in report.counts("vbsa").items() if v)
    if vbsa:
        conformance += ["", f"Arm VBSA 1.0 rules (reported, not gating): {vbsa}"]
    own = " ".join(f"{k}={v}" for k, v in report.counts("suite").items() if v)
    if own:
        conformance += ["", f"Suite-defined platform requirements (not AVPS; reported, not gating): {own}"]
    return (["\n".join(conformance), render_markdown(trace)],
            {"conformance": report.to_json() if hasattr(report, "to_json") else {}, "traceability": trace})
