"""The suite layer: avps-cts's own platform requirements (requirements/suite-platform.yaml), not AVPS text.

Each entry says in its own words what the suite requires and why; entries are reported with a verdict
but never gate AVPS conformance. Problems are reported as ``file:line: message``, like the other layers.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .layer_file import layer_entries

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SUITE = REPO_ROOT / "requirements" / "suite-platform.yaml"
SUITE_ID_RE = re.compile(r"^CTS\.[A-Z0-9]+\.[0-9]+$")
SUITE_KEYS = {"id": True, "title": True, "summary": True, "rationale": True, "related_avps": True, "verify": True}


@dataclasses.dataclass(frozen=True)
class SuiteRequirement:
    id: str
    title: str
    summary: str
    rationale: str         # why the suite requires it (it is not AVPS's)
    related_avps: tuple[str, ...]
    verify: str            # probe | linux | document
    line: int = 0

    @property
    def layer(self) -> str:
        return "suite"

    @property
    def chapter(self) -> str:
        """The area from the ID: CTS.ISOLATION.1 -> ISOLATION."""
        return self.id.split(".")[1]

    @property
    def keyword(self) -> str:
        return "suite"

    @property
    def testable(self) -> bool:
        return self.verify != "document"

    @property
    def gating(self) -> bool:
        return False


def load_suite(path: Path | str | None, avps_ids: set[str], errors: list[str]) -> dict[str, SuiteRequirement]:
    """Requirements by ID; problems are appended to errors as ``file:line: message``."""
    p = Path(path) if path else DEFAULT_SUITE
    out: dict[str, SuiteRequirement] = {}
    for line, d in layer_entries(p, "suite", "the suite layer", SUITE_KEYS, "requirement", errors):
        where = f"{p}:{line}"
        rid = d["id"]
        problems = []
        if not isinstance(rid, str) or not SUITE_ID_RE.match(rid):
            problems.append(f"malformed suite requirement ID {rid!r} (expected CTS.<AREA>.<n>, never an AVPS label)")
        elif rid in out:
            problems.append(f"duplicate requirement {rid} (first at line {out[rid].line})")
        if d["verify"] not in ("probe", "linux", "document"):
            problems.append(f"{rid}: verify must be probe, linux or document")
        for key in ("title", "summary", "rationale"):
            if not isinstance(d[key], str) or not d[key].strip():
                problems.append(f"{rid}: {key} must be a non-empty string")
        related = d["related_avps"]
        if not isinstance(related, list):
            problems.append(f"{rid}: related_avps must be a list of AVPS areas (may be empty)")
        else:
            problems += [f"{rid}: related_avps names {a}, which is not an AVPS area" for a in related if a not in avps_ids]
        if problems:
            errors += [f"{where}: {m}" for m in problems]
            continue
        out[rid] = SuiteRequirement(id=rid, title=d["title"], summary=d["summary"], rationale=d["rationale"],
                                    related_avps=tuple(related), verify=d["verify"], line=line)
    return out
