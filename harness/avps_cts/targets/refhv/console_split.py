"""One refhv console into its parts: the hypervisor's log ('refhv: ...') and each VM's lines ('[vm] ...'), and what the log says happened to each VM."""
from __future__ import annotations

import dataclasses
import re
from typing import Sequence

_VM_LINE = re.compile(r"^\[(?P<vm>[A-Za-z0-9_.-]+)\] ?(?P<text>.*)$")
_HV_LINE = re.compile(r"^refhv: (?P<text>.*)$")
_VM_END = re.compile(r"^vm (?P<vm>[A-Za-z0-9_.-]+): (?P<event>SYSTEM_OFF|SYSTEM_RESET|stopped)(?:: (?P<reason>.*))?$")
_REJECTED = re.compile(r"^config rejected: (?P<reason>.*)$")
# SYSTEM_RESET that restarts the VM (the VM goes on; its later lines come from the restarted image).
_VM_RESTART = re.compile(r"^vm (?P<vm>[A-Za-z0-9_.-]+): SYSTEM_RESET: restarting")
# The VM's SBSA watchdog signalled WS1 at this system count: the reset that follows is the watchdog's.
_WATCHDOG_WS1 = re.compile(r"^vm (?P<vm>[A-Za-z0-9_.-]+): watchdog: WS1 at count (?P<count>\d+)")

# What the host observed, in the words host_checks uses.
EVENT_WORDS = {"SYSTEM_OFF": "guest-shutdown", "SYSTEM_RESET": "guest-reset"}


@dataclasses.dataclass
class VmStream:
    lines: list[str] = dataclasses.field(default_factory=list)
    times: list[float] = dataclasses.field(default_factory=list)
    end: str | None = None          # SYSTEM_OFF | SYSTEM_RESET | stopped | None (never ended)
    end_reason: str | None = None
    restarts: list[int] = dataclasses.field(default_factory=list)  # len(lines) at each restarting SYSTEM_RESET
    # One per reset (each restart, then a SYSTEM_RESET that ended the VM): the system count at which its
    # watchdog's WS1 caused it, or None for a PSCI SYSTEM_RESET.
    reset_watchdog_counts: list[int | None] = dataclasses.field(default_factory=list)
    pending_ws1: int | None = None

    @property
    def boots(self) -> list[list[str]]:
        """The lines of each boot of the image: cut at every restart."""
        cuts = [0, *self.restarts, len(self.lines)]
        return [self.lines[a:b] for a, b in zip(cuts, cuts[1:])]

    @property
    def first_boot(self) -> tuple[list[str], list[float]]:
        """The lines (and times) before the first restart: one boot of the image, for the KTAP parser."""
        cut = self.restarts[0] if self.restarts else len(self.lines)
        return self.lines[:cut], self.times[:cut]

    @property
    def restarted(self) -> bool:
        """The VM was reset and its image ran again: it printed after the restart."""
        return bool(self.restarts) and len(self.lines) > self.restarts[0]


@dataclasses.dataclass
class SplitConsole:
    vms: dict[str, VmStream] = dataclasses.field(default_factory=dict)
    hypervisor: list[str] = dataclasses.field(default_factory=list)
    other: list[str] = dataclasses.field(default_factory=list)   # neither: QEMU's own messages
    config_error: str | None = None

    def vm(self, name: str) -> VmStream:
        return self.vms.setdefault(name, VmStream())


def split(lines: Sequence[str], times: Sequence[float] | None = None) -> SplitConsole:
    """Pure: lines in, streams out. Unprefixed lines are kept as 'other', never given to a VM."""
    result = SplitConsole()
    for index, line in enumerate(lines):
        when = times[index] if times is not None and index < len(times) else 0.0
        vm_match = _VM_LINE.match(line)
        if vm_match:
            stream = result.vm(vm_match.group("vm"))
            stream.lines.append(vm_match.group("text"))
            stream.times.append(when)
            continue
        hv_match = _HV_LINE.match(line)
        if not hv_match:
            if line.strip():
                result.other.append(line)
            continue
        text = hv_match.group("text")
        result.hypervisor.append(text)
        ws1 = _WATCHDOG_WS1.match(text)
        if ws1:
            result.vm(ws1.group("vm")).pending_ws1 = int(ws1.group("count"))
            continue
        restart = _VM_RESTART.match(text)
        if restart:
            stream = result.vm(restart.group("vm"))
            stream.restarts.append(len(stream.lines))
            stream.reset_watchdog_counts.append(stream.pending_ws1)
            stream.pending_ws1 = None
            continue
        end = _VM_END.match(text)
        if end:
            stream = result.vm(end.group("vm"))
            if stream.end is None:
                stream.end, stream.end_reason = end.group("event"), end.group("reason")
                if stream.end == "SYSTEM_RESET":
                    stream.reset_watchdog_counts.append(stream.pending_ws1)
                stream.pending_ws1 = None
        rejected = _REJECTED.match(text)
        if rejected:
            result.config_error = rejected.group("reason")
    return result


# The Linux image's runner says when it is done (as the QEMU target watches for).
_LINUX_DONE = ("avps-runner: done", "avps-init: powering off")


def ktap_finished(lines: Sequence[str], kind: str = "probe") -> bool:
    """True once a VM's document is complete: a probe's top-level result ('ok 1 <program>' at
    column 0, its only one), or the Linux runner's done line."""
    if kind == "linux":
        return any(marker in line for line in lines for marker in _LINUX_DONE)
    return any(re.match(r"^(not )?ok 1 \S", line) for line in lines)
