"""When a dom0less domU is finished, judged from its own console stream (Xen prints nothing when a domU powers off)."""
from __future__ import annotations

import re

from ...ktap import clean_line

# Linux: the last words of a guest that powered off, rebooted or panicked.
_LINUX_FINAL = ("reboot: Power down", "reboot: Restarting system", "---[ end Kernel panic")
# Linux: the test run is over; the power-off line normally follows within a second.
_LINUX_CLOSING = ("avps-init: powering off", "avps-runner: done")
# Probes: the verdict line, a host-judged event (SYSTEM_OFF/RESET comes next), or a halt.
_PROBE_VERDICT = "# probe: boot-to-verdict"  # a host-check line may follow in the same flush
_PROBE_CLOSING = (_PROBE_VERDICT, "# host-check: ", "# probe: exception during shutdown")
_XEN_CRASH = re.compile(r"Domain (?P<domid>\d+) (?:\(vcpu#\d+\) crashed|reported crashed)")


def xen_panicked(xen_line: str) -> bool:
    """Xen itself panicked: every domain is over (Xen reboots, and -no-reboot ends QEMU)."""
    return xen_line.startswith("Panic on CPU")


def xen_reports_crash(xen_line: str) -> int | None:
    """The domain id when one of Xen's own lines says a domain crashed."""
    match = _XEN_CRASH.search(xen_line)
    return int(match.group("domid")) if match else None


class DomainEnd:
    """Tracks one domain's stream; finished(now) says why it is over, or None while it may still talk.

    quiet_s: after a closing line, how long the domain must stay silent (a probe's
    host-check line is followed by SYSTEM_OFF/RESET, after which nothing comes; if the
    call returns, the probe keeps printing and is not finished yet).
    """

    def __init__(self, kind: str, timeout_s: float, quiet_s: float = 1.0, verdict_quiet_s: float = 0.3,
                 linux_grace_s: float = 5.0) -> None:
        self.kind = kind
        self.timeout_s = timeout_s
        self.quiet_s = quiet_s
        self.verdict_quiet_s = verdict_quiet_s
        self.verdict_seen = False
        self.linux_grace_s = linux_grace_s
        self.last_line_at: float | None = None
        self.closing_at: float | None = None
        self.final: str | None = None
        self.crashed = False

    def feed(self, text: str, now: float) -> None:
        line = clean_line(text)
        self.last_line_at = now
        if self.kind == "linux":
            if any(marker in line for marker in _LINUX_FINAL):
                self.final = line.strip()
            elif any(marker in line for marker in _LINUX_CLOSING):
                self.closing_at = now
        elif any(marker in line for marker in _PROBE_CLOSING):
            self.closing_at = now
            self.verdict_seen = self.verdict_seen or _PROBE_VERDICT in line

    def mark_crashed(self, now: float) -> None:
        self.crashed = True
        self.last_line_at = now

    def finished(self, now: float) -> str | None:
        """'final' / 'closing' / 'crashed' / 'timeout', or None."""
        if self.crashed:
            return "crashed"
        if self.final is not None and now - (self.last_line_at or now) >= 0.2:
            return "final"
        if self.closing_at is not None:
            wait = (self.linux_grace_s if self.kind == "linux"
                    else self.verdict_quiet_s if self.verdict_seen else self.quiet_s)
            if now - max(self.closing_at, self.last_line_at or 0.0) >= wait:
                return "closing"
        if now >= self.timeout_s:
            return "timeout"
        return None
