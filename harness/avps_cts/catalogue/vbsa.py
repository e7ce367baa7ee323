"""The VBSA layer: Arm VBSA 1.0 rules (requirements/vbsa-1.0.yaml), each mapped to the AVPS area it serves.

Rules are reported with a verdict per rule but never gate AVPS conformance (the AVPS areas they
map to do). Problems are reported as ``file:line: message``, like the other layers.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .layer_file import layer_entries

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_VBSA = REPO_ROOT / "requirements" / "vbsa-1.0.yaml"
RULE_ID_RE = re.compile(r"^V_L[12][A-Z]{2}_[0-9]{2}$")
ACS_STATUSES = ("covered", "covered through sub-rules", "not covered by ACS")
VBSA_KEYS = {"id": True, "level": True, "title": True, "avps": True, "acs": True, "verify": True,
             "summary": True, "rationale": False}


@dataclasses.dataclass(frozen=True)
class VbsaRule:
    id: str
    level: str            # L1 | L2 (VBSA level)
    title: str
    summary: str
    avps: tuple[str, ...]
    acs_test: str | None
    acs_status: str
    verify: str           # probe | document
    rationale: str
    line: int = 0

    @property
    def layer(self) -> str:
        return "vbsa"

    @property
    def chapter(self) -> str:
        """Rule group from the ID: PE, MM, GI, PP, SM, TM, WK, PR, WD."""
        return self.id[4:6]

    @property
    def keyword(self) -> str:
        return self.level

    @property
    def testable(self) -> bool:
        return self.verify != "document"

    @property
    def gating(self) -> bool:
        return False


def load_vbsa(path: Path | str | None, avps_ids: set[str], errors: list[str]) -> dict[str, VbsaRule]:
    """Rules by ID; problems are appended to errors as ``file:line: message``."""
    p = Path(path) if path else DEFAULT_VBSA
    out: dict[str, VbsaRule] = {}
    for line, d in layer_entries(p, "vbsa", "the VBSA layer", VBSA_KEYS, "rule", errors):
        where = f"{p}:{line}"
        rid = d["id"]
        problems = []
        if not isinstance(rid, str) or not RULE_ID_RE.match(rid):
            problems.append(f"malformed VBSA rule ID {rid!r} (expected e.g. V_L1TM_01)")
        elif rid in out:
            problems.append(f"duplicate rule {rid} (first at line {out[rid].line})")
        elif d["level"] != rid[2:4]:
            problems.append(f"{rid}: level {d['level']!r} does not match the ID's level {rid[2:4]}")
        if d["verify"] not in ("probe", "document"):
            problems.append(f"{rid}: verify must be probe or document")
        if d["verify"] == "document" and not d.get("rationale"):
            problems.append(f"{rid}: verify: document needs a rationale")
        acs = d["acs"]
        if not isinstance(acs, dict) or set(acs) != {"test", "status"} or acs["status"] not in ACS_STATUSES:
            problems.append(f"{rid}: acs must be {{test, status}} with status one of {list(ACS_STATUSES)}")
        areas = d["avps"]
        if not isinstance(areas, list) or not areas:
            problems.append(f"{rid}: avps must name at least one AVPS area")
        else:
            problems += [f"{rid}: avps names {a}, which is not an AVPS area" for a in areas if a not in avps_ids]
        for key in ("title", "summary"):
            if not isinstance(d[key], str) or not d[key].strip():
                problems.append(f"{rid}: {key} must be a non-empty string")
        if problems:
            errors += [f"{where}: {m}" for m in problems]
            continue
        out[rid] = VbsaRule(id=rid, level=d["level"], title=d["title"], summary=d["summary"],
                            avps=tuple(areas), acs_test=None if acs["test"] is None else str(acs["test"]),
                            acs_status=acs["status"], verify=d["verify"], rationale=d.get("rationale") or "",
                            line=line)
    return out
