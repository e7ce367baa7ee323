"""Turns a parsed KTAP document plus the build manifest into case results; what was never reported is not-run."""
from __future__ import annotations

import re
from typing import Sequence

from .ktap import KtapDocument, KtapTest
from .manifest import Manifest, ManifestCase
from .results import CaseResult, Status

# kselftest_harness bookkeeping lines that say nothing about why a case failed.
_NOISE = re.compile(r"^(RUN\s|OK\s|FAIL\s|SKIP\s|Starting \d+ tests|PASSED:|FAILED:|Totals:|avps-runner:)")


def status_of(test: KtapTest) -> Status:
    word = test.directive_word
    if test.ok:
        return Status.SKIP if word == "SKIP" else Status.PASS
    if word == "TIMEOUT":
        return Status.TIMEOUT
    if word in ("ERROR", "CRASH"):
        return Status.ERROR
    return Status.FAIL


# kselftest_harness announces each case: "#  RUN           global.name ...".
_RUN_LINE = re.compile(r"^RUN\s+(\S+) \.\.\.$")


def case_name(test: KtapTest) -> str:
    """The result's name; kselftest 6.1 prints a skipped case as 'ok N # SKIP reason' without
    one, so then the name comes from the case's own RUN announcement."""
    if test.name:
        return test.name
    for line in reversed(test.diagnostics):
        match = _RUN_LINE.match(line)
        if match:
            return match.group(1)
    return ""


def _evidence(test: KtapTest) -> list[str]:
    return [d for d in test.diagnostics if d and not _NOISE.match(d)]


def _detail(test: KtapTest) -> str:
    if test.directive_reason:
        return test.directive_reason
    evidence = _evidence(test)
    return evidence[-1] if evidence else ""


def _duration(test: KtapTest, times: Sequence[float] | None) -> float | None:
    """Console arrival time of the result line minus that of the case's first line."""
    first, last = test.first_line, test.line_number
    if not times or not (0 < first <= last <= len(times)):
        return None
    return round(max(0.0, times[last - 1] - times[first - 1]), 3)


def _case_result(case: ManifestCase, test: KtapTest, times: Sequence[float] | None) -> CaseResult:
    return CaseResult(case_id=case.case_id, status=status_of(test), requirements=list(case.requirements),
                      detail=_detail(test), diagnostics=_evidence(test),
                      duration_s=_duration(test, times), program=case.program)


def _results_for_program(program: str, expected: list[ManifestCase], reported: list[KtapTest],
                         why_missing: str, times: Sequence[float] | None) -> tuple[list[CaseResult], list[str]]:
    """Cases of one program from its reported subtests; absent ones become not-run."""
    cases: list[CaseResult] = []
    problems: list[str] = []
    by_name = {case_name(t): t for t in reported}
    for case in expected:
        test = by_name.pop(case.ktap_name, None)
        if test is None:
            cases.append(CaseResult(case_id=case.case_id, status=Status.NOT_RUN,
                                    requirements=list(case.requirements), detail=why_missing,
                                    program=program))
            continue
        cases.append(_case_result(case, test, times))
    for name, test in by_name.items():
        problems.append(f"{program}: reported case '{name}' is not in the build manifest")
        local = name.removeprefix("global.")  # kselftest_harness's fixture-less prefix
        cases.append(CaseResult(case_id=f"{program}.{local}", status=status_of(test),
                                detail=_detail(test), diagnostics=_evidence(test), program=program))
    return cases, problems


def _program_failure(test: KtapTest) -> str:
    status = status_of(test)
    reason = test.directive_reason or _detail(test)
    if status is Status.TIMEOUT:
        return f"{test.name} timed out before reporting this case ({reason})"
    if status is Status.ERROR:
        return f"{test.name} crashed before reporting this case ({reason})"
    return f"{test.name} ended without reporting this case"


def collect_nested(doc: KtapDocument, manifest: Manifest, programs: list[str],
                   times: Sequence[float] | None = None) -> tuple[list[CaseResult], list[str]]:
    """Linux image: the document's results are programs, their subtests are cases."""
    cases: list[CaseResult] = []
    problems = list(doc.problems)
    top = {t.name: t for t in doc.tests}
    unfinished = list(doc.unfinished)
    for program in programs:
        expected = manifest.for_program(program)
        test = top.pop(program, None)
        if test is not None:
            got, more = _results_for_program(program, expected, test.subtests, _program_failure(test),
                                             times)
            if status_of(test) is Status.FAIL and not any(c.status.is_failure for c in got):
                problems.append(f"{program}: program reported failure but none of its cases failed")
        else:
            partial = unfinished.pop(0) if unfinished else []
            got, more = _results_for_program(program, expected, partial,
                                             "the run ended before this program finished", times)
        cases.extend(got)
        problems.extend(more)
    for name in top:
        problems.append(f"program '{name}' reported results but is not in the build manifest")
    return cases, problems


def collect_flat(doc: KtapDocument, manifest: Manifest, program: str,
                 times: Sequence[float] | None = None) -> tuple[list[CaseResult], list[str]]:
    """Probe image: one program. Nested like the Linux image (the probe a test, its cases
    subtests), or flat (the document's own results are the cases)."""
    if any(t.name == program for t in doc.tests) or (not doc.tests and doc.unfinished):
        return collect_nested(doc, manifest, [program], times)
    why = "the probe stopped before reporting this case"
    cases, problems = _results_for_program(program, manifest.for_program(program), doc.tests, why, times)
    return cases, list(doc.problems) + problems
