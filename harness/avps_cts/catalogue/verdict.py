"""Verdict per requirement and the overall conformance decision (rules: requirements/README.md)."""
from __future__ import annotations

import dataclasses
import enum
from typing import Any, Iterable, Sequence

from avps_cts.catalogue.loader import AvpsRequirement, Catalogue, Requirement, VirtioStatement
from avps_cts.catalogue.vbsa import VbsaRule
from avps_cts.results import CaseResult, RunResult, Status

Manifest = Sequence[tuple[str, Sequence[str]]]


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"  # condition absent: every case skipped; reason says which
    NOT_RUN = "not-run"  # crash, timeout, error, cut log
    NOT_COVERED = "not-covered"  # no test case names the requirement


@dataclasses.dataclass
class RequirementVerdict:
    req_id: str
    layer: str  # avps | virtio | vbsa
    level: str  # mandatory | conditional
    keyword: str | None  # VIRTIO keyword; None for AVPS areas
    verdict: Verdict
    reason: str = ""
    cases: list[tuple[str, Status]] = dataclasses.field(default_factory=list)
    gating: bool = True  # False for SHOULD/MAY: reported, never gates
    testable: bool = True  # False for verify: document
    blocking: bool = False  # this verdict stops the platform from being conformant
    undetermined: bool = False  # conditional, not covered: applicability unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.req_id, "layer": self.layer, "level": self.level, "keyword": self.keyword,
            "verdict": self.verdict.value, "reason": self.reason, "gating": self.gating,
            "testable": self.testable, "blocking": self.blocking, "undetermined": self.undetermined,
            "cases": [{"case_id": c, "status": s.value} for c, s in self.cases],
        }


@dataclasses.dataclass
class ConformanceReport:
    conformant: bool
    complete: bool  # False when some conditional requirement's applicability is unknown
    verdicts: dict[str, RequirementVerdict]
    blocking: list[str]
    undetermined: list[str]
    problems: list[str]

    def counts(self, layer: str | None = None) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for rv in self.verdicts.values():
            if layer is None or rv.layer == layer:
                out[rv.verdict.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "conformant": self.conformant,
            "complete": self.complete,
            "blocking": self.blocking,
            "undetermined": self.undetermined,
            "problems": self.problems,
            "counts": {"avps": self.counts("avps"), "virtio": self.counts("virtio"), "vbsa": self.counts("vbsa")},
            "requirements": [rv.to_json() for rv in self.verdicts.values()],
        }


def cases_by_requirement(manifest: Manifest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for case_id, reqs in manifest:
        for r in reqs:
            out.setdefault(r, []).append(case_id)
    return out


def _manifest_from(manifest: Manifest | None, run: RunResult | None) -> list[tuple[str, list[str]]]:
    if manifest is not None:
        return [(c, list(r)) for c, r in manifest]
    return [(c.case_id, list(c.requirements)) for c in (run.cases if run else [])]


def _one(req: Requirement, level: str, case_ids: list[str], results: dict[str, CaseResult],
         run: RunResult | None) -> RequirementVerdict:
    is_avps = isinstance(req, AvpsRequirement)
    rv = RequirementVerdict(
        req_id=req.id, layer=req.layer, level=level,
        keyword=None if is_avps else req.keyword, verdict=Verdict.NOT_COVERED,
        gating=req.gating, testable=req.testable,
    )
    if not case_ids:
        rv.reason = "no test case names this requirement"
        if not req.testable and isinstance(req, (AvpsRequirement, VbsaRule)):
            rv.reason = f"document-only: {req.rationale}"
        return rv
    statuses: list[tuple[str, Status, str]] = []
    for cid in case_ids:
        cr = results.get(cid)
        if cr is None:
            statuses.append((cid, Status.NOT_RUN, "expected by the manifest, never reported" if run else "no run result"))
        else:
            statuses.append((cid, cr.status, cr.detail))
    rv.cases = [(c, s) for c, s, _ in statuses]
    fails = [f"{c}: {d}" if d else c for c, s, d in statuses if s is Status.FAIL]
    broken = [f"{c} ({s.value}{': ' + d if d else ''})" for c, s, d in statuses
              if s in (Status.ERROR, Status.TIMEOUT, Status.NOT_RUN)]
    passed = [c for c, s, _ in statuses if s is Status.PASS]
    skips = [f"{c}: {d}" if d else c for c, s, d in statuses if s is Status.SKIP]
    if fails:
        rv.verdict, rv.reason = Verdict.FAIL, "failed: " + "; ".join(fails)
    elif broken:
        rv.verdict, rv.reason = Verdict.NOT_RUN, "not run to completion: " + "; ".join(broken)
    elif passed:
        rv.verdict, rv.reason = Verdict.PASS, f"{len(passed)} case(s) passed" + (f", {len(skips)} skipped" if skips else "")
    elif is_avps and level == "mandatory":
        # Missing mandatory hardware must be reported as not ok, never SKIP (ARCHITECTURE.md).
        rv.verdict = Verdict.NOT_RUN
        rv.reason = "mandatory requirement, but every case skipped: " + "; ".join(skips)
    else:
        rv.verdict = Verdict.NOT_APPLICABLE
        rv.reason = "condition absent: " + "; ".join(skips)
    return rv


def requirement_verdicts(catalogue: Catalogue, manifest: Manifest | None, run: RunResult | None) -> dict[str, RequirementVerdict]:
    """One verdict per catalogue requirement (AVPS areas first, then VIRTIO statements)."""
    man = _manifest_from(manifest, run)
    by_req = cases_by_requirement(man)
    results = {c.case_id: c for c in (run.cases if run else [])}
    out: dict[str, RequirementVerdict] = {}
    for req in catalogue.avps.values():
        out[req.id] = _one(req, req.level, by_req.get(req.id, []), results, run)
    for st in catalogue.virtio.values():
        rv = _one(st, catalogue.level_of(st), by_req.get(st.id, []), results, run)
        if rv.verdict is Verdict.NOT_COVERED and st.avps and all(
            out[a].verdict is Verdict.NOT_APPLICABLE for a in st.avps if a in out
        ):
            rv.verdict = Verdict.NOT_APPLICABLE
            rv.reason = "device absent: " + ", ".join(f"{a} not applicable ({out[a].reason})" for a in st.avps)
        out[st.id] = rv
    for rule in catalogue.vbsa.values():
        out[rule.id] = _one(rule, catalogue.level_of(rule), by_req.get(rule.id, []), results, run)
    for rv in out.values():
        _mark_gate(rv)
    return out


def _mark_gate(rv: RequirementVerdict) -> None:
    if not rv.gating:
        return
    if rv.verdict in (Verdict.FAIL, Verdict.NOT_RUN):
        rv.blocking = True
    elif rv.verdict is Verdict.NOT_COVERED and rv.testable:
        if rv.level == "mandatory":
            rv.blocking = True
        else:
            rv.undetermined = True


def judge(catalogue: Catalogue, manifest: Manifest | None, run: RunResult | None) -> ConformanceReport:
    """Overall conformance: no gating requirement blocking (see requirements/README.md)."""
    verdicts = requirement_verdicts(catalogue, manifest, run)
    blocking = [r for r, v in verdicts.items() if v.blocking]
    undetermined = [r for r, v in verdicts.items() if v.undetermined]
    return ConformanceReport(
        conformant=not blocking,
        complete=not undetermined,
        verdicts=verdicts,
        blocking=blocking,
        undetermined=undetermined,
        problems=list(run.problems) if run else ["no run result"],
    )


def summary_lines(report: ConformanceReport, limit: int = 20) -> Iterable[str]:
    yield f"conformant: {'yes' if report.conformant else 'no'}" + ("" if report.complete else " (incomplete: conditional areas without tests)")
    for r in report.blocking[:limit]:
        v = report.verdicts[r]
        yield f"  blocking {r}: {v.verdict.value} — {v.reason}"
    if len(report.blocking) > limit:
        yield f"  … and {len(report.blocking) - limit} more blocking"
