"""Compares a direct run with LAVA runs of the same images, case by case, in LAVA's result vocabulary."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import yaml

from ..manifest import Manifest
from ..results import RunResult, Status

EXPECTED = Path(__file__).resolve().parents[3] / "lava" / "expected-differences.yaml"

# LAVA knows pass, fail, skip and unknown: our error and timeout both arrive as fail.
_AS_LAVA = {Status.PASS: "pass", Status.FAIL: "fail", Status.ERROR: "fail", Status.TIMEOUT: "fail",
            Status.SKIP: "skip", Status.NOT_RUN: "not-run"}


@dataclasses.dataclass
class LavaRun:
    label: str  # column title, e.g. the LAVA job's name
    image: str  # what the job booted: 'linux' or a probe's name
    run: RunResult


@dataclasses.dataclass
class Row:
    case_id: str
    image: str
    direct: str
    lava: dict[str, str]  # label -> result, for the jobs that booted this case's image
    expected: dict[str, str] = dataclasses.field(default_factory=dict)  # label -> why it may differ

    @property
    def same(self) -> bool:
        return bool(self.lava) and all(v == self.direct for v in self.lava.values())

    @property
    def ok(self) -> bool:
        """Every LAVA result equals the direct one, or differs exactly as documented."""
        return bool(self.lava) and all(v == self.direct or label in self.expected for label, v in self.lava.items())


def load_expected(path: Path = EXPECTED) -> dict[str, dict]:
    return yaml.safe_load(path.read_text()) or {} if path.exists() else {}


def _explained(entry: dict | None, label: str, direct: str, lava: str) -> str | None:
    if entry and label in entry.get("jobs", []) and entry.get("direct") == direct and entry.get("lava") == lava:
        return " ".join(str(entry.get("why", "")).split())
    return None


def load_run(path: Path) -> RunResult:
    return RunResult.from_json(json.loads(path.read_text()))


def _image_of(manifest: Manifest, program: str) -> str:
    return "linux" if program in manifest.linux_programs() else program


def compare(manifest: Manifest, direct: RunResult, lava: list[LavaRun],
            expected: dict[str, dict] | None = None) -> list[Row]:
    """One row per manifest case of every image some LAVA job booted; expected holds the
    documented LAVA-made differences (lava/expected-differences.yaml)."""
    d = {c.case_id: c for c in direct.cases}
    expected = load_expected() if expected is None else expected
    images = {j.image for j in lava}
    rows = []
    for case in manifest.cases:
        image = _image_of(manifest, case.program)
        if image not in images:
            continue
        seen = {}
        for job in lava:
            if job.image == image:
                got = next((c for c in job.run.cases if c.case_id == case.case_id), None)
                seen[job.label] = _AS_LAVA[got.status] if got else "missing"
        a = d.get(case.case_id)
        row = Row(case.case_id, image, _AS_LAVA[a.status] if a else "missing", seen)
        for label, value in seen.items():
            why = _explained(expected.get(case.case_id), label, row.direct, value) if value != row.direct else None
            if why:
                row.expected[label] = why
        rows.append(row)
    return rows


def lava_problems(lava: list[LavaRun]) -> list[str]:
    """What LAVA itself said went wrong (a failed action, a monitor that timed out, a failed job):
    the run is not a proof even when the cases happen to agree."""
    return [f"{j.label}:{j.image}: {p}" for j in lava for p in j.run.problems if p.startswith("LAVA ")]


def table(rows: list[Row], labels: list[str]) -> str:
    width = max([len(r.case_id) for r in rows] + [4])
    head = f"| {'case'.ljust(width)} | image | direct | " + " | ".join(labels) + " | same |"
    lines = [head, "|" + "|".join("---" for _ in range(len(labels) + 4)) + "|"]
    for r in rows:
        cells = " | ".join(r.lava.get(label, "·") for label in labels)
        verdict = "yes" if r.same else "expected" if r.ok else "NO"
        lines.append(f"| {r.case_id.ljust(width)} | {r.image} | {r.direct} | {cells} | {verdict} |")
    same = sum(r.same for r in rows)
    expected = [r for r in rows if r.ok and not r.same]
    bad = len(rows) - same - len(expected)
    lines.append(f"\n{len(rows)} cases compared: {same} the same in every LAVA job, "
                 f"{len(expected)} different as documented, {bad} different")
    for r in expected:
        for label, why in r.expected.items():
            lines.append(f"expected difference {r.case_id} ({label}): {why}")
    return "\n".join(lines)
