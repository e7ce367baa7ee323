"""Host-judged watchdog reset: the VM must be reset by its watchdog inside the window of system counts the guest announced.

Before it arms the watchdog the guest prints the earliest count at which the second timeout can end, right after
arming the latest count it allows for the reset (guest-tests/watchdog/probes/sbsa_gwdt.c):
    # host-watchdog-check: <case> not-before=<count> hz=<counter frequency>
    # host-watchdog-check: <case> not-after=<count>
It is then reset mid-case, so it never prints a result. The host's evidence is how each boot of the image ended:
reset by the watchdog at a count (refhv logs 'watchdog: WS1 at count N' before the reset), or otherwise. Every boot
that announced a window is judged (with refhv's `resets 1` a run holds two), and the case passes only when each
was reset by the watchdog inside its window; a console log alone holds no such evidence (not-run, never a pass).
"""
from __future__ import annotations

import re
from typing import Sequence

from ..ktap import clean_line
from ..results import CaseResult, Status

_LINE = re.compile(r"host-watchdog-check: (?P<case>[a-z0-9_.]+) (?P<fields>(?:[a-z-]+=\d+ ?)+)$")
_GUEST_FAILED = (Status.FAIL, Status.ERROR, Status.TIMEOUT)


def windows(lines: Sequence[str]) -> dict[str, dict[str, int]]:
    """case -> {'not-before', 'not-after', 'hz'} as far as one boot's lines announced them."""
    found: dict[str, dict[str, int]] = {}
    for line in lines:
        match = _LINE.search(clean_line(line).rstrip())
        if match:
            fields = found.setdefault(match.group("case"), {})
            for pair in match.group("fields").split():
                key, value = pair.split("=")
                fields[key] = int(value)
    return found


def observe(boots: Sequence[Sequence[str]], ends: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """One record per (boot, case) that announced a window: the window and how that boot ended.

    ends[i] says how boot i ended: {'by': 'watchdog', 'count': N} | {'by': 'SYSTEM_RESET' | 'SYSTEM_OFF' |
    'stopped' | 'running', 'reason': ...}."""
    records: list[dict[str, object]] = []
    for index, lines in enumerate(boots):
        end = ends[index] if index < len(ends) else {"by": "running"}
        for case, window in windows(lines).items():
            records.append({"case": case, "boot": index + 1, **window, "end": dict(end)})
    return records


def _ms(ticks: int, hz: int | None) -> str:
    return f"{ticks * 1000 / hz:.0f} ms" if hz else f"{ticks} ticks"


def judge(record: dict[str, object]) -> tuple[Status, str]:
    """One boot's verdict: PASS inside the window, FAIL outside it or not reset by the watchdog, NOT_RUN without evidence."""
    end = record["end"] if isinstance(record["end"], dict) else {}
    hz = record.get("hz") if isinstance(record.get("hz"), int) else None
    before, after = record.get("not-before"), record.get("not-after")
    boot = f"boot {record['boot']}"
    by = end.get("by")
    if by == "watchdog" and isinstance(end.get("count"), int):
        count = int(end["count"])  # type: ignore[arg-type]
        if not isinstance(before, int):
            return Status.NOT_RUN, f"{boot}: reset by the watchdog, but the guest announced no window"
        if count < before:
            return Status.FAIL, (f"{boot}: reset by the watchdog too early, at count {count}: "
                                 f"{_ms(before - count, hz)} before the second timeout could end (count {before})")
        if not isinstance(after, int):
            return Status.NOT_RUN, f"{boot}: reset by the watchdog before the guest announced the window's end"
        if count > after:
            return Status.FAIL, (f"{boot}: reset by the watchdog too late, at count {count}: "
                                 f"{_ms(count - after, hz)} after the window closed (count {after})")
        return Status.PASS, f"{boot}: WS1 reset {_ms(count - before, hz)} after the earliest count of the second timeout"
    if by == "SYSTEM_RESET":
        return Status.FAIL, f"{boot}: the VM was reset by a PSCI SYSTEM_RESET, not by its watchdog"
    if by == "SYSTEM_OFF":
        return Status.FAIL, f"{boot}: the VM was not reset by its watchdog: it powered off"
    if by == "stopped" and "budget" in str(end.get("reason", "")):
        return Status.FAIL, f"{boot}: the VM was not reset by its watchdog: it ran until refhv stopped it ({end['reason']})"
    how = f"refhv stopped it ({end.get('reason')})" if by == "stopped" else "the log shows no end of the VM"
    return Status.NOT_RUN, f"{boot}: no evidence of a watchdog reset: {how}"


def apply(cases: list[CaseResult], lines: Sequence[str], evidence: Sequence[dict[str, object]] | None,
          problems: list[str]) -> None:
    """Turns each case that announced a window into its host verdict (in place); a failure the guest reported stays."""
    by_id = {c.case_id: c for c in cases}
    for case_id in windows(lines):
        case = by_id.get(case_id)
        if case is None:
            problems.append(f"host-watchdog-check names unknown case {case_id}")
            continue
        records = [r for r in evidence or [] if r.get("case") == case_id]
        if not records:
            verdicts = [(Status.NOT_RUN, "needs the host's record of when and why the VM was reset; "
                                         "none available from this platform")]
        else:
            verdicts = [judge(r) for r in records]
        failed = [d for s, d in verdicts if s is Status.FAIL]
        missing = [d for s, d in verdicts if s is Status.NOT_RUN]
        passed = [d for s, d in verdicts if s is Status.PASS]
        if failed:
            status, note = Status.FAIL, "; ".join(failed)
        elif missing:
            status, note = Status.NOT_RUN, "; ".join(missing)
        else:
            status, note = Status.PASS, f"host: {len(passed)} of {len(verdicts)} boots reset by the watchdog " \
                                        f"inside the window ({'; '.join(passed)})"
        if case.status in _GUEST_FAILED:
            case.detail = "; ".join(d for d in (case.detail, f"host: {note}") if d)
        else:
            case.status, case.detail = status, note
        if status is Status.PASS or (records and str(records[0]["end"].get("by")) == "watchdog"):  # type: ignore[union-attr]
            # The reset ended the document mid-case: that is the event, not a broken run.
            problems[:] = [p for p in problems if "KTAP document stopped" not in p]
