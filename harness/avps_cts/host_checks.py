"""Cases the host judges: a '# host-check: <case> expect=<event>' line, compared with what the host observed."""
from __future__ import annotations

import re
from typing import Sequence

from .ktap import clean_line
from .results import CaseResult, Status

# "host-check: <case> expect=<event>", optionally followed by " guest=<fail|error>[: reason]" when the
# case's own checks had already failed before the event.
_HOST_CHECK = re.compile(r"host-check: (?P<case>[a-z0-9_.]+) expect=(?P<event>[a-z-]+)"
                         r"(?: guest=(?P<guest>fail|error)(?::\s*(?P<why>.*))?)?")
_GUEST_FAILED = (Status.FAIL, Status.ERROR, Status.TIMEOUT)
_PROBE_BANNER = re.compile(r"# probe (?P<name>[\w.-]+):")


def observed_from_console(lines: Sequence[str], after: int, probe: str) -> str | None:
    """What a console log alone can show: the same probe starting again means the VM reset."""
    for line in lines[after + 1:]:
        match = _PROBE_BANNER.search(clean_line(line))
        if match and match.group("name") == probe:
            return "guest-reset"
    return None


def _guest_failure(case: CaseResult, match: re.Match[str]) -> str | None:
    """What the guest itself already reported against the case (its result line or the
    host-check line's guest= field), or None when it reported nothing against it."""
    if case.status in _GUEST_FAILED:
        return case.detail or f"the guest reported {case.status.value}"
    if match.group("guest"):
        return match.group("why") or f"the guest reported {match.group('guest')} before the event"
    return None


def apply(cases: list[CaseResult], lines: Sequence[str], observed: str | None,
          problems: list[str], program: str) -> None:
    """Turns each host-check into the case's result (in place): the case passes only when the
    host observed the expected event AND the guest reported no failure of its own; the host's
    observation never erases a failure the guest already reported. A match also clears the
    'document stopped' problem that the event itself caused."""
    by_id = {c.case_id: c for c in cases}
    for index, line in enumerate(lines):
        match = _HOST_CHECK.search(clean_line(line))
        if not match:
            continue
        case = by_id.get(match.group("case"))
        if case is None:
            problems.append(f"host-check names unknown case {match.group('case')}")
            continue
        expected = match.group("event")
        seen = observed or observed_from_console(lines, index, program)
        guest_failure = _guest_failure(case, match)
        if guest_failure is not None:
            if case.status not in _GUEST_FAILED:
                case.status = Status.ERROR if match.group("guest") == "error" else Status.FAIL
            host = f"the host observed {seen}" if seen else "the host observed nothing"
            case.detail = f"{guest_failure} (reported by the guest; {host}, expected {expected})"
            if seen == expected:
                problems[:] = [p for p in problems if "KTAP document stopped" not in p]
        elif seen is None:
            case.status = Status.NOT_RUN
            case.detail = f"needs the host's observation ({expected}); none available from this platform"
            # If the document stopped, the call itself stopped it: say what is really missing.
            if any("KTAP document stopped" in p for p in problems):
                problems[:] = [p for p in problems if "KTAP document stopped" not in p]
                problems.append(f"{case.case_id}: the platform gave no evidence whether {expected} happened")
        elif seen == expected:
            case.status = Status.PASS
            case.detail = f"host observed {seen}"
            problems[:] = [p for p in problems if "KTAP document stopped" not in p]
        else:
            case.status = Status.FAIL
            case.detail = f"expected the host to observe {expected}, it observed {seen}"
