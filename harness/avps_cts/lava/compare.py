"""Compares a direct run with LAVA runs of the same images, case by case, in LAVA's result vocabulary."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..manifest import Manifest
from ..results import RunResult, Status

# LAVA knows pass, fail, skip and unknown: our error and timeout both arrive as fail.
_AS_LAVA = {Status.PASS: "pass", Status.FAIL: "fail", Status.ERROR: "fail", Status.TIMEOUT: "fail",
            Status.SKIP: "skip", Status.NOT_RUN: "not-run"}


@dataclasses.dataclass
class Row:
    case_id: str
    image: str
    direct: str
    lava: str

    @property
    def same(self) -> bool:
        return self.direct == self.lava


def load_run(path: Path) -> RunResult:
    return RunResult.from_json(json.loads(path.read_text()))


def image_programs(manifest: Manifest, image: str) -> list[str]:
    return manifest.linux_programs() if image == "linux" else [image]


def compare(manifest: Manifest, direct: RunResult, lava: dict[str, RunResult]) -> list[Row]:
    """lava maps an image name ('linux' or a probe) to the report of the LAVA job that booted it."""
    d = {c.case_id: c for c in direct.cases}
    rows = []
    for image, run in lava.items():
        got = {c.case_id: c for c in run.cases}
        for program in image_programs(manifest, image):
            for case in manifest.for_program(program):
                a, b = d.get(case.case_id), got.get(case.case_id)
                rows.append(Row(case.case_id, image, _AS_LAVA[a.status] if a else "missing",
                                _AS_LAVA[b.status] if b else "missing"))
    return rows


def table(rows: list[Row]) -> str:
    width = max([len(r.case_id) for r in rows] + [4])
    lines = [f"| {'case'.ljust(width)} | image | direct | LAVA | same |", f"|{'-' * (width + 2)}|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.case_id.ljust(width)} | {r.image} | {r.direct} | {r.lava} | {'yes' if r.same else 'NO'} |")
    bad = sum(not r.same for r in rows)
    lines.append(f"\n{len(rows)} cases compared: {len(rows) - bad} the same, {bad} different")
    return "\n".join(lines)
