"""Writes a run's report folder: results.json, junit.xml, summary.md, report.html (plus the catalogue's verdicts)."""
from __future__ import annotations

import json
from pathlib import Path

from ..results import RunResult
from . import html, junit, summary


def write_all(run: RunResult, folder: Path, extra_sections: list[str] | None = None,
              extra_json: dict | None = None, metadata: dict | None = None,
              known: dict[str, str] | None = None, checks: dict[str, str] | None = None) -> list[Path]:
    """metadata: suite revision and tool versions; known: case -> evidence of a known platform
    non-conformance; checks: case -> its one-line contract."""
    folder.mkdir(parents=True, exist_ok=True)
    data = run.to_json()
    if extra_json:
        data.update(extra_json)
    if metadata:
        data["metadata"] = metadata
    written = []
    path = folder / "results.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    written.append(path)
    path = folder / "junit.xml"
    junit.write(run, path)
    written.append(path)
    path = folder / "summary.md"
    path.write_text(summary.markdown(run, extra_sections))
    written.append(path)
    path = folder / "report.html"
    html.write(run, path, (extra_json or {}).get("conformance"), metadata, known, checks)
    written.append(path)
    return written
