"""Waivers: accepted failures (case or requirement, reason, who, expiry date) read from a YAML file with file:line errors."""
from __future__ import annotations

import dataclasses
import datetime
import fnmatch
from pathlib import Path
from typing import Iterable

import yaml

from .manifest import Manifest
from .results import RunResult

KEYS = ("case", "requirement", "reason", "who", "expires")


class WaiverError(Exception):
    """A malformed waiver file or a waiver naming nothing known: 'file:line: what', exit 2."""


@dataclasses.dataclass
class Waiver:
    where: str  # file:line of the entry
    case: str | None  # a case ID or glob
    requirement: str | None
    reason: str
    who: str
    expires: datetime.date

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires

    def matches(self, case_id: str, requirements: Iterable[str]) -> bool:
        if self.case is not None:
            return fnmatch.fnmatchcase(case_id, self.case)
        return self.requirement in set(requirements)

    @property
    def subject(self) -> str:
        return f"case {self.case}" if self.case is not None else f"requirement {self.requirement}"

    def text(self) -> str:
        return f"{self.where}, until {self.expires.isoformat()}: {self.reason} ({self.who})"


def _scalar(node: yaml.Node, where: str, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise WaiverError(f"{where}: '{key}' must be a non-empty text")
    return str(node.value).strip()


def _entry(node: yaml.Node, path: Path) -> Waiver:
    where = f"{path}:{node.start_mark.line + 1}"
    if not isinstance(node, yaml.MappingNode):
        raise WaiverError(f"{where}: a waiver is a mapping with keys {', '.join(KEYS)}")
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        at = f"{path}:{key_node.start_mark.line + 1}"
        if key not in KEYS:
            raise WaiverError(f"{at}: unknown key '{key}' (a waiver has {', '.join(KEYS)})")
        if key in fields:
            raise WaiverError(f"{at}: '{key}' given twice")
        fields[key] = value_node
    if ("case" in fields) == ("requirement" in fields):
        raise WaiverError(f"{where}: a waiver names exactly one of 'case' or 'requirement'")
    for key in ("reason", "who", "expires"):
        if key not in fields:
            raise WaiverError(f"{where}: waiver without '{key}'")
    values = {k: _scalar(v, f"{path}:{v.start_mark.line + 1}", k) for k, v in fields.items()}
    try:
        expires = datetime.date.fromisoformat(values["expires"])
    except ValueError:
        line = fields["expires"].start_mark.line + 1
        raise WaiverError(f"{path}:{line}: expires '{values['expires']}' is not a date (YYYY-MM-DD)") from None
    return Waiver(where=where, case=values.get("case"), requirement=values.get("requirement"),
                  reason=values["reason"], who=values["who"], expires=expires)


def load(path: Path, manifest: Manifest, known_requirements: Iterable[str]) -> list[Waiver]:
    """Reads and checks a waiver file: every waiver must name a built case (or glob) or a catalogue ID."""
    if path.is_dir():
        raise WaiverError(f"{path}: is a directory, not a waiver file")
    try:
        text = path.read_text()
    except OSError as exc:
        raise WaiverError(f"{path}: cannot read the waiver file: {exc.strerror}") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise WaiverError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        items = {str(k.value): v for k, v in root.value}
        unknown = [k for k in items if k != "waivers"]
        if unknown:
            raise WaiverError(f"{path}:{root.start_mark.line + 1}: unknown top-level key '{unknown[0]}' "
                              "(the file holds 'waivers:', a list)")
        root = items.get("waivers")
        if root is None:
            return []
    if not isinstance(root, yaml.SequenceNode):
        raise WaiverError(f"{path}:{root.start_mark.line + 1}: 'waivers' must be a list")
    waivers = [_entry(node, path) for node in root.value]
    known = set(known_requirements)
    case_ids = [c.case_id for c in manifest.cases]
    for w in waivers:
        if w.requirement is not None and w.requirement not in known:
            raise WaiverError(f"{w.where}: unknown requirement ID '{w.requirement}'")
        if w.case is not None and not any(fnmatch.fnmatchcase(c, w.case) for c in case_ids):
            raise WaiverError(f"{w.where}: case '{w.case}' matches no case of the build")
    return waivers


def apply(run: RunResult, waivers: list[Waiver], today: datetime.date | None = None) -> None:
    """Marks failures a current waiver accepts; an expired waiver accepts nothing (the failure stands)."""
    today = today or datetime.date.today()
    for w in waivers:
        expired = w.expired(today)
        matched = []
        for case in run.cases:
            if not case.status.is_failure or case.status.value == "not-run":
                continue  # a case that never ran has no result to accept
            if not w.matches(case.case_id, case.requirements):
                continue
            matched.append(case.case_id)
            if expired:
                note = f"waiver {w.where} expired on {w.expires.isoformat()}"
                if note not in case.detail:
                    case.detail = f"{case.detail} ({note})" if case.detail else note
            elif not case.waived:
                case.waived = w.text()
        run.waivers.append({"where": w.where, "case": w.case, "requirement": w.requirement, "reason": w.reason,
                            "who": w.who, "expires": w.expires.isoformat(), "expired": expired,
                            "matched": matched})
