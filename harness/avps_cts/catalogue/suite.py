"""The suite layer: avps-cts's own platform requirements (requirements/suite-platform.yaml), not AVPS text.

Each entry says in its own words what the suite requires and why; entries are reported with a verdict
but never gate AVPS conformance. Problems are reported as ``file:line: message``, like the other layers.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SUITE = REPO_ROOT / "requirements" / "suite-platform.yaml"
SUITE_ID_RE = re.compile(r"^CTS\.[A-Z0-9]+\.[0-9]+$")
SUITE_TOP = {"schema", "layer", "spec", "requirements"}
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
    try:
        text = p.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        errors.append(f"{p}:0: cannot read the suite layer: {exc}")
        return {}
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        errors.append(f"{p}:1: the suite layer must be a mapping")
        return {}
    extra = set(data) - SUITE_TOP
    if extra or data.get("layer") != "suite" or data.get("schema") != 1:
        errors.append(f"{p}:1: top level needs schema: 1, layer: suite, requirements (unknown keys {sorted(extra)})")
        return {}
    seq = next((v for k, v in root.value if k.value == "requirements"), None)
    if not isinstance(seq, yaml.SequenceNode) or not isinstance(data.get("requirements"), list):
        errors.append(f"{p}:1: requirements must be a list")
        return {}
    out: dict[str, SuiteRequirement] = {}
    for node, d in zip(seq.value, data["requirements"]):
        where = f"{p}:{node.start_mark.line + 1}"
        if not isinstance(d, dict):
            errors.append(f"{where}: a requirement must be a mapping")
            continue
        missing = [k for k, req in SUITE_KEYS.items() if req and k not in d]
        unknown = sorted(set(d) - set(SUITE_KEYS))
        if missing or unknown:
            errors.append(f"{where}: requirement {d.get('id')!r}: missing keys {missing}, unknown keys {unknown}")
            continue
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
                                    related_avps=tuple(related), verify=d["verify"], line=node.start_mark.line + 1)
    return out
