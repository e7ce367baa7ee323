"""Cases the host judges: a '# host-check: <case> expect=<event>' line, compared with what the host observed."""
from __future__ import annotations

import re
from typing import Sequence

from .ktap import clean_line
from .results import CaseResult, Status

_HOST_CHECK = re.compile(r"host-check: (?P<case>[a-z0-9_.]+) expect=(?P<event>[a-z-]+)")
_PROBE_BANNER = re.compile(r"# probe (?P<name>[\w.-]+):")


def observed_from_console(lines: Sequence[str], after: int, probe: str) -> str | None:
    """What a console log alone can show: the same probe starting again means the VM reset."""
    for line in lines[after + 1:]:
        match = _PROBE_BANNER.search(clean_line(line))
        if match and match.group("name") == probe:
            return "guest-reset"
    return None


def apply(cases: list[CaseResult], lines: Sequence[str], observed: str | None,
          problems: list[str], program: str) -> None:
    """Turns each host-check into the case's result (in place); a match also clears the
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
        if seen is None:
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
