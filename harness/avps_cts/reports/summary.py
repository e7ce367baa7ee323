"""Markdown summary and the terminal verdict table: test, requirement IDs, status, duration."""
from __future__ import annotations

from ..results import RunResult, Status

_MARK = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.SKIP: "SKIP", Status.ERROR: "ERROR",
         Status.TIMEOUT: "TIMEOUT", Status.NOT_RUN: "NOT-RUN"}


def mark(case) -> str:
    """PASS/FAIL/...; a failure a waiver accepts reads 'FAIL (waived)'."""
    return _MARK[case.status] + (" (waived)" if case.waived and case.status.is_failure else "")


def _duration(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.2f} s"


def markdown(run: RunResult, extra_sections: list[str] | None = None) -> str:
    counts = run.counts()
    lines = [f"# avps-cts results: {run.target}", ""]
    lines += [f"- started: {run.started}", f"- duration: {_duration(run.duration_s)}"]
    for key, value in sorted(run.platform.items()):
        if isinstance(value, (str, int, float)):
            lines.append(f"- {key}: {value}")
    lines += ["", "| " + " | ".join(f"{k}: {v}" for k, v in counts.items()) + " |",
              "|" + "---|" * len(counts), ""]
    if run.waivers:
        lines += ["## Waivers", "", "| waiver | subject | until | who | reason | accepted |", "|---|---|---|---|---|---|"]
        for w in run.waivers:
            subject = f"case {w['case']}" if w.get("case") else f"requirement {w['requirement']}"
            state = "EXPIRED: accepts nothing" if w["expired"] else (", ".join(w["matched"]) or "no failure")
            lines.append(f"| {w['where']} | {subject} | {w['expires']} | {w['who']} | {w['reason']} | {state} |")
        lines.append("")
    if run.problems:
        lines += ["## Problems with the run", ""] + [f"- {p}" for p in run.problems] + [""]
    lines += ["## Test cases", "", "| test | checks | requirements | status | duration | detail |",
              "|---|---|---|---|---|---|"]
    for c in run.cases:
        reqs = "<br>".join(c.requirements)
        detail = c.detail.replace("|", "\\|")[:200]
        checks = c.checks.replace("|", "\\|")
        if c.waived:
            detail += f" — waived: {c.waived.replace('|', '/')}"
        lines.append(f"| `{c.case_id}` | {checks} | {reqs} | {mark(c)} | {_duration(c.duration_s)} | {detail} |")
    for section in extra_sections or []:
        lines += ["", section]
    return "\n".join(lines) + "\n"


def terminal_table(run: RunResult) -> str:
    width = max([len(c.case_id) for c in run.cases] + [10])
    rows = [f"{'TEST'.ljust(width)}  {'STATUS':8} {'TIME':>8}  REQUIREMENTS"]
    for c in run.cases:
        reqs = ", ".join(r for r in c.requirements if r.startswith("AVPS."))
        more = len([r for r in c.requirements if not r.startswith("AVPS.")])
        if more:
            reqs += f" (+{more} VIRTIO)"
        t = "" if c.duration_s is None else f"{c.duration_s:.2f}s"
        rows.append(f"{c.case_id.ljust(width)}  {mark(c):8} {t:>8}  {reqs}")
        if c.status.is_failure and c.detail:
            rows.append(f"{''.ljust(width)}    -> {c.detail[:150]}")
        if c.waived:
            rows.append(f"{''.ljust(width)}    waived: {c.waived[:150]}")
    counts = run.counts()
    rows.append("")
    rows.append("  ".join(f"{k}={v}" for k, v in counts.items() if v))
    for problem in run.problems:
        rows.append(f"PROBLEM: {problem}")
    return "\n".join(rows)
