"""Verdict per requirement and the overall conformance decision (rules: requirements/README.md)."""
from __future__ import annotations

import dataclasses
import enum
from typing import Any, Iterable, Sequence

from avps_cts.catalogue.loader import AvpsRequirement, Catalogue, Requirement, VirtioStatement
from avps_cts.catalogue.suite import SuiteRequirement
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
    layer: str  # avps | virtio | vbsa | suite
    level: str  # mandatory | conditional
    keyword: str | None  # VIRTIO keyword; None for AVPS areas
    verdict: Verdict
    reason: str = ""
    cases: list[tuple[str, Status]] = dataclasses.field(default_factory=list)
    gating: bool = True  # False for SHOULD/MAY: reported, never gates
    testable: bool = True  # False for verify: document
    blocking: bool = False  # this verdict stops the platform from being conformant
    undetermined: bool = False  # conditional, not covered: applicability unknown
    waived: bool = False  # failed, but every failing case is accepted by a current waiver

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.req_id, "layer": self.layer, "level": self.level, "keyword": self.keyword,
            "verdict": self.verdict.value, "reason": self.reason, "gating": self.gating,
            "testable": self.testable, "blocking": self.blocking, "undetermined": self.undetermined, "waived": self.waived,
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
    waived: list[str] = dataclasses.field(default_factory=list)
    waivers_used: int = 0  # current waivers that accepted at least one failure

    @property
    def platform_failures(self) -> list[str]:
        """Blocking requirements the platform failed or never let run to completion."""
        return [r for r in self.blocking if self.verdicts[r].verdict is not Verdict.NOT_COVERED]

    @property
    def suite_gaps(self) -> list[str]:
        """Gating requirements no case tests yet: the suite's gaps, not the platform's failures."""
        return [r for r in self.blocking if self.verdicts[r].verdict is Verdict.NOT_COVERED] + list(self.undetermined)

    @property
    def headline(self) -> str:
        n = self.waivers_used
        waivers = f" with {n} waiver{'s' if n != 1 else ''}" if n else ""
        if self.platform_failures:
            return f"NOT conformant: {len(self.platform_failures)} platform failure(s)"
        if self.suite_gaps:
            return (f"no platform failure found{waivers}; conformance not established: "
                    f"{len(self.suite_gaps)} requirement(s) the suite does not cover yet")
        return f"conformant{waivers}"

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
            "waived": self.waived,
            "waivers_used": self.waivers_used,
            "headline": self.headline,
            "platform_failures": self.platform_failures,
            "suite_gaps": self.suite_gaps,
            "problems": self.problems,
            "counts": {"avps": self.counts("avps"), "virtio": self.counts("virtio"), "vbsa": self.counts("vbsa"),
                       "suite": self.counts("suite")},
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
        if not req.testable and isinstance(req, (AvpsRequirement, VbsaRule, SuiteRequirement)):
            rv.reason = f"document-only: {req.rationale}"
        return rv
    statuses: list[tuple[str, Status, str]] = []
    waived: list[str] = []
    waived_cases: list[tuple[str, Status]] = []
    for cid in case_ids:
        cr = results.get(cid)
        if cr is None:
            if run is not None and run.platform.get("selection"):
                continue  # selected out of this run: not judged here
            statuses.append((cid, Status.NOT_RUN, "expected by the manifest, never reported" if run else "no run result"))
        elif cr.waived and cr.status.is_failure:
            waived.append(f"{cid}: {cr.detail} [waived: {cr.waived}]")
            waived_cases.append((cid, cr.status))
        else:
            statuses.append((cid, cr.status, cr.detail))
    if not statuses and not waived:
        rv.reason = "every case of this requirement was selected out of the run"
        rv.gating = False
        return rv
    rv.cases = [(c, s) for c, s, _ in statuses] + waived_cases
    fails = [f"{c}: {d}" if d else c for c, s, d in statuses if s is Status.FAIL]
    broken = [f"{c} ({s.value}{': ' + d if d else ''})" for c, s, d in statuses
              if s in (Status.ERROR, Status.TIMEOUT, Status.NOT_RUN)]
    passed = [c for c, s, _ in statuses if s is Status.PASS]
    skips = [f"{c}: {d}" if d else c for c, s, d in statuses if s is Status.SKIP]
    if fails:
        rv.verdict, rv.reason = Verdict.FAIL, "failed: " + "; ".join(fails)
    elif waived and not broken:
        rv.verdict, rv.waived = Verdict.FAIL, True
        rv.reason = "failed, waived: " + "; ".join(waived)
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
    for own in catalogue.suite.values():
        out[own.id] = _one(own, catalogue.level_of(own), by_req.get(own.id, []), results, run)
    for rv in out.values():
        _mark_gate(rv)
    return out


def _mark_gate(rv: RequirementVerdict) -> None:
    if not rv.gating or rv.waived:
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
        waived=[r for r, v in verdicts.items() if v.waived and v.gating],
        waivers_used=sum(1 for w in (run.waivers if run else []) if w.get("matched") and not w.get("expired")),
    )


def summary_lines(report: ConformanceReport, limit: int = 20) -> Iterable[str]:
    """The headline first, split three ways: what the platform failed (blocking), what the suite
    does not test yet (never blamed on the platform), what a waiver accepted."""
    failures, gaps = report.platform_failures, report.suite_gaps
    yield f"verdict: {report.headline}"
    yield (f"  platform failures (blocking): {len(failures)}; suite gaps (not covered yet): {len(gaps)}; "
           f"waived: {len(report.waived)}")
    for r in failures[:limit]:
        v = report.verdicts[r]
        yield f"  platform failure {r}: {v.verdict.value} — {v.reason}"
    if len(failures) > limit:
        yield f"  … and {len(failures) - limit} more platform failures"
    for r in report.waived[:limit]:
        yield f"  waived {r}: {report.verdicts[r].reason}"
    if gaps:
        yield (f"  suite gaps: {len(gaps)} requirements no case of this suite tests yet "
               f"({sum(1 for g in gaps if report.verdicts[g].level == 'mandatory')} mandatory), "
               "listed in the traceability matrix; they say nothing about the platform")
