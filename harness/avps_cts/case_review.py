"""The reviewed case contract (requirements/case-review/<program>.yaml): each case's class, how it exercises each ID it cites, and its control."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterable

import yaml

from .manifest import Manifest, ManifestCase
from .yaml_text import safe_load

REVIEW_DIR = Path(__file__).resolve().parents[2] / "requirements" / "case-review"
CLASSES = ("behavioural", "presence")  # 'cannot-fail' is never a class: such a case is redesigned or removed
WAITING = "waiting:"
_CASE_KEYS = {"case", "class", "reason", "cites", "not_exercised", "control", "compares_declared", "redesign"}


class ReviewError(Exception):
    """A review file cannot be read or is malformed."""


@dataclasses.dataclass(frozen=True)
class ReviewEntry:
    case_id: str
    program: str
    case_class: str  # behavioural | presence
    reason: str  # presence: why it is kept as a presence check
    cites: dict[str, str]  # ID -> how the case exercises it (exactly the declaration's IDs)
    not_exercised: dict[str, str]  # ID -> why the case does not exercise it (citing it fails the build)
    control: str  # "<target>/<profile>" that breaks the platform, or "waiting: <fault switch>"
    compares_declared: bool  # the requirement is "matches what the platform declares" (lying controls allowed)
    redesign: str  # "<owner>: why it cannot fail as written" while its redesign is pending
    source: str  # review file the entry came from

    @property
    def waiting_for(self) -> str | None:
        """The fault switch this case waits for, or None when it has a control."""
        if self.control.startswith(WAITING):
            return self.control[len(WAITING):].strip()
        return None

    @property
    def control_profile(self) -> tuple[str, str] | None:
        """(target, profile) of its control, or None when it is waiting for one."""
        if self.waiting_for is not None or "/" not in self.control:
            return None
        target, profile = self.control.split("/", 1)
        return target, profile


def _text(value: Any, where: str, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ReviewError(f"{where}: {what} must be text, got {type(value).__name__}")
    return value


def _mapping(value: Any, where: str, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ReviewError(f"{where}: {what} must map each ID to a line of text")
    return dict(value)


def _entry(raw: Any, program: str, source: str, index: int) -> ReviewEntry:
    where = f"{source}: case #{index + 1}"
    if not isinstance(raw, dict) or not isinstance(raw.get("case"), str):
        raise ReviewError(f"{where}: each entry needs 'case: <case id>'")
    where = f"{source}: {raw['case']}"
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise ReviewError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    case_class = raw.get("class")
    if case_class not in CLASSES:
        raise ReviewError(f"{where}: class must be one of {', '.join(CLASSES)}, got {case_class!r}")
    compares = raw.get("compares_declared", False)
    if not isinstance(compares, bool):
        raise ReviewError(f"{where}: compares_declared must be true or false")
    return ReviewEntry(case_id=raw["case"], program=program, case_class=case_class,
                       reason=_text(raw.get("reason"), where, "reason"),
                       cites=_mapping(raw.get("cites"), where, "cites"),
                       not_exercised=_mapping(raw.get("not_exercised"), where, "not_exercised"),
                       control=_text(raw.get("control"), where, "control").strip(),
                       compares_declared=compares, redesign=_text(raw.get("redesign"), where, "redesign"),
                       source=source)


def parse_file(text: str, source: str) -> list[ReviewEntry]:
    """The entries of one review file; ReviewError names the file and the entry."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise ReviewError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("program"), str) or \
            not isinstance(data.get("cases"), list):
        raise ReviewError(f"{source}: expected 'program: <name>' and a 'cases:' list")
    return [_entry(raw, data["program"], source, i) for i, raw in enumerate(data["cases"])]


def load(folder: Path = REVIEW_DIR) -> dict[str, ReviewEntry]:
    """Every reviewed case by case ID, from all <program>.yaml files in folder."""
    entries: dict[str, ReviewEntry] = {}
    for path in sorted(folder.glob("*.yaml")):
        for entry in parse_file(path.read_text(), str(path)):
            if entry.case_id in entries:
                raise ReviewError(f"{path}: {entry.case_id} already reviewed in {entries[entry.case_id].source}")
            entries[entry.case_id] = entry
    return entries


def _where(case: ManifestCase) -> str:
    return case.declared_at or case.program


def build_problems(manifest: Manifest, reviews: dict[str, ReviewEntry]) -> list[str]:
    """What fails the build (file:line of the declaration): a cited ID the review found the case does not exercise."""
    problems = []
    for case in manifest.cases:
        entry = reviews.get(case.case_id)
        if entry is None:
            continue
        for req in case.requirements:
            if req in entry.not_exercised:
                problems.append(f"{_where(case)}: case {case.case_id} cites '{req}', which it was reviewed not to "
                                f"exercise ({entry.source}: {entry.not_exercised[req]})")
    return problems


def table_problems(manifest: Manifest, reviews: dict[str, ReviewEntry], virtio_sides: dict[str, str],
                   known_ids: Iterable[str], profile_fails: dict[tuple[str, str], set[str]],
                   lying_profiles: set[tuple[str, str]]) -> list[str]:
    """Every disagreement between the built cases and the reviewed table, each naming the declaration's file:line.

    virtio_sides: VIRTIO statement ID -> its side; profile_fails: (target, profile) -> the cases its
    expect.fail names; lying_profiles: controls that only misdeclare a host fact."""
    known = set(known_ids)
    problems = build_problems(manifest, reviews)
    built = {c.case_id for c in manifest.cases}
    for case in manifest.cases:
        where = _where(case)
        entry = reviews.get(case.case_id)
        if entry is None:
            problems.append(f"{where}: case {case.case_id} has no entry in requirements/case-review/{case.program}.yaml")
            continue
        if entry.program != case.program:
            problems.append(f"{where}: case {case.case_id} is reviewed under program {entry.program} "
                            f"({entry.source}), it is built in {case.program}")
        declared, reviewed = list(case.requirements), list(entry.cites)
        if sorted(declared) != sorted(reviewed):
            problems.append(f"{where}: case {case.case_id} cites {declared}, its review ({entry.source}) "
                            f"covers {reviewed}")
        for req, how in entry.cites.items():
            if not how.strip():
                problems.append(f"{where}: review of {case.case_id} does not say how it exercises '{req}'")
            if req not in known:
                problems.append(f"{where}: review of {case.case_id} names unknown ID '{req}'")
            if req.startswith("VIRTIO-") and virtio_sides.get(req, "device") != "device":
                problems.append(f"{where}: case {case.case_id} cites '{req}', a {virtio_sides[req]}-side "
                                "statement (the platform is the device)")
        if entry.case_class == "presence" and not entry.reason.strip():
            problems.append(f"{where}: {case.case_id} is reviewed as presence-only without the reason it is kept")
        if entry.case_class == "behavioural" and not entry.control:
            problems.append(f"{where}: behavioural case {case.case_id} has neither a control nor 'waiting: <fault switch>'")
        if entry.waiting_for == "":
            problems.append(f"{where}: {case.case_id}: 'waiting:' must name the fault switch that would break it")
        target_profile = entry.control_profile
        if entry.control and entry.waiting_for is None and target_profile is None:
            problems.append(f"{where}: {case.case_id}: control must be '<target>/<profile>' or 'waiting: ...', "
                            f"got {entry.control!r}")
        if target_profile is not None:
            if target_profile not in profile_fails:
                problems.append(f"{where}: {case.case_id}: control {entry.control} is not a profile with expect.fail")
            elif case.case_id not in profile_fails[target_profile]:
                problems.append(f"{where}: {case.case_id}: control {entry.control} does not list it in expect.fail")
    for (target, profile), cases in sorted(profile_fails.items()):
        for case_id in sorted(cases):
            entry = reviews.get(case_id)
            if (target, profile) in lying_profiles and entry is not None and not entry.compares_declared:
                problems.append(f"harness/profiles/{target}.yaml: profile {profile} only misdeclares a host fact, "
                                f"so it may only control cases that compare with what the platform declares; "
                                f"{case_id} ({entry.source}) does not")
    for case_id, entry in sorted(reviews.items()):
        if case_id not in built:
            problems.append(f"{entry.source}: reviews {case_id}, which is not a built case")
    return problems


def missing_controls(reviews: dict[str, ReviewEntry]) -> dict[str, list[str]]:
    """Behavioural cases without a platform-breaking control, grouped by the fault switch that would break them."""
    groups: dict[str, list[str]] = {}
    for case_id, entry in sorted(reviews.items()):
        if entry.case_class == "behavioural" and entry.waiting_for is not None:
            groups.setdefault(entry.waiting_for, []).append(case_id)
    return dict(sorted(groups.items()))
