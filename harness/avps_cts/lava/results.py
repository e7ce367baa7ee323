"""Reads a LAVA job's results (a server's results YAML/JSON, or lava-run's log) into our case results via the manifest."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..manifest import Manifest, ManifestCase
from ..results import CaseResult, Status

_STATUS = {"pass": Status.PASS, "fail": Status.FAIL, "skip": Status.SKIP, "unknown": Status.ERROR}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclasses.dataclass
class LavaResult:
    definition: str
    case: str  # as LAVA recorded it (monitor IDs are lower-cased, non-word characters '_')
    original: str  # the name the guest printed, when LAVA kept it (extra.test_case_id)
    result: str
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)  # everything LAVA recorded with it


def normalise(name: str) -> str:
    """What LAVA's monitor does to a test case ID."""
    return re.sub(r"\W+", "_", name.strip().lower())


def _mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            loaded = yaml.load(value, Loader=_LOADER)
        except yaml.YAMLError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _record(entry: dict[str, Any]) -> LavaResult | None:
    """One result from either format: lava-run's msg, or a server row (suite/name/result/metadata)."""
    meta = _mapping(entry.get("metadata"))
    definition = entry.get("definition") or meta.get("definition") or entry.get("suite")
    case = entry.get("case") or meta.get("case") or entry.get("name")
    result = entry.get("result") or meta.get("result")
    if definition is None or case is None or result is None:
        return None
    extra = _mapping(entry.get("extra") or meta.get("extra"))
    original = str(extra.get("test_case_id") or case)
    return LavaResult(str(definition), str(case), original, str(result).lower(), extra, {**meta, **entry})


def _from_log(text: str) -> list[LavaResult] | None:
    """lava-run's stderr: one YAML flow mapping per line; results are lvl 'results'."""
    found: list[LavaResult] = []
    saw_log = False
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            rec = yaml.load(line, Loader=_LOADER)
        except yaml.YAMLError:
            continue
        if not isinstance(rec, dict) or "lvl" not in rec:
            continue
        saw_log = True
        if rec["lvl"] == "results" and isinstance(rec.get("msg"), dict):
            result = _record(rec["msg"])
            if result:
                found.append(result)
    return found if saw_log else None


def _from_document(text: str) -> list[LavaResult]:
    """A server's results: a list of mappings (YAML or JSON), possibly inside {'results': [...]}."""
    try:
        data = json.loads(text)
    except ValueError:
        data = yaml.load(text, Loader=_LOADER)
    if isinstance(data, dict):
        data = data.get("results", data.get("tests"))
    if not isinstance(data, list):
        raise ValueError("not a list of LAVA results")
    return [r for r in (_record(e) for e in data if isinstance(e, dict)) if r]


def read_lava(path: Path) -> list[LavaResult]:
    text = path.read_bytes().decode("utf-8", "replace")
    from_log = _from_log(text)
    return from_log if from_log is not None else _from_document(text)


class _Index:
    """Finds our case for a LAVA name: by case ID, or by a program's KTAP name, exact or as LAVA normalised it."""

    def __init__(self, manifest: Manifest) -> None:
        self.cases: dict[str, ManifestCase] = {}
        self.programs: dict[str, str] = {}
        self.ktap: dict[tuple[str, str], ManifestCase] = {}
        for c in manifest.cases:
            self.cases[c.case_id] = self.cases[normalise(c.case_id)] = c
            self.ktap[(c.program, c.ktap_name)] = self.ktap[(c.program, normalise(c.ktap_name))] = c
        for p in manifest.programs():
            self.programs[p] = self.programs[normalise(p)] = p

    def case(self, r: LavaResult) -> ManifestCase | None:
        return self.cases.get(r.original) or self.cases.get(r.case)

    def program(self, r: LavaResult) -> str | None:
        return self.programs.get(r.original) or self.programs.get(r.case)

    def in_program(self, program: str, r: LavaResult) -> ManifestCase | None:
        return self.ktap.get((program, r.original)) or self.ktap.get((program, r.case))


def _lava_problems(results: Iterable[LavaResult]) -> list[str]:
    """LAVA's own actions (definition 'lava'): a failed one means the run itself broke."""
    problems = []
    for r in results:
        if r.result == "pass":
            continue
        what = "LAVA job" if r.case == "job" else f"LAVA action {r.case}"
        why = str(r.fields.get("error_msg") or r.extra.get("fail") or r.extra.get("error_msg") or "").strip()
        problems.append(f"{what}: {r.result}" + (f" ({why})" if why else ""))
    return problems


def map_results(results: list[LavaResult], manifest: Manifest) -> tuple[list[CaseResult], list[str]]:
    """Our cases from LAVA's, in LAVA's order. Nested KTAP seen by a monitor has bare case names
    ('global.flush'): they belong to the next program-level result ('virtio.blk')."""
    index = _Index(manifest)
    tests = [r for r in results if r.definition != "lava"]
    problems = _lava_problems(r for r in results if r.definition == "lava")
    got: dict[str, CaseResult] = {}
    pending: list[LavaResult] = []

    def take(case: ManifestCase, r: LavaResult) -> None:
        if case.case_id in got:
            problems.append(f"LAVA reported {case.case_id} twice ({got[case.case_id].status.value}, {r.result})")
            return
        status = _STATUS.get(r.result)
        if status is None:
            problems.append(f"LAVA result '{r.result}' for {r.original} is not pass/fail/skip/unknown")
            status = Status.ERROR
        got[case.case_id] = CaseResult(case_id=case.case_id, status=status, requirements=list(case.requirements),
                                       detail=f"LAVA {r.definition}/{r.case}: {r.result}", program=case.program)

    for r in tests:
        case = index.case(r)
        program = None if case else index.program(r)
        if case:
            take(case, r)
        elif program:
            for p in pending:
                nested = index.in_program(program, p)
                if nested:
                    take(nested, p)
                else:
                    problems.append(f"LAVA result {p.definition}/{p.original} is not a case of {program}")
            pending = []
        else:
            pending.append(r)
    for p in pending:
        problems.append(f"LAVA result {p.definition}/{p.original} matches no case in the build manifest")
    cases = []
    for c in manifest.cases:
        cases.append(got.get(c.case_id) or CaseResult(
            case_id=c.case_id, status=Status.NOT_RUN, requirements=list(c.requirements),
            detail="no result in the LAVA job", program=c.program))
    if not got:
        problems.append("the LAVA results hold no result of any test case")
    return cases, problems


def results_from_lava(path: Path, manifest: Manifest) -> tuple[list[CaseResult], list[str]]:
    """Entry point of 'avps-cts report --lava-results FILE'. The job's own verdict is not a
    test verdict: it only adds a problem when LAVA itself says the job failed."""
    try:
        results = read_lava(path)
    except (ValueError, yaml.YAMLError) as exc:
        cases, problems = map_results([], manifest)
        return cases, [f"{path}: not LAVA results ({exc})"] + problems
    return map_results(results, manifest)
