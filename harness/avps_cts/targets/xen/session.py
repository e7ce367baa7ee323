"""One QEMU+Xen run: streams the serial console, splits it per domain, sees each domU end, then stops Xen through its console."""
from __future__ import annotations

import dataclasses
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Sequence

from .console import XenConsoleDemux
from .domain_end import DomainEnd, xen_panicked, xen_reports_crash

CTRL_A = b"\x01"
# Xen's own messages about one domain: 'd1v0 Unhandled SMC/HVC ...', 'd1v1: vGICR: ...', 'd1 BANK[0] ...'
_XEN_ABOUT_DOMAIN = re.compile(r"^(?:\S+ )?d(?P<domid>\d+)(?:v\d+)?[: ]")
_DUMP_DOMAIN = re.compile(r"General information for domain (?P<domid>\d+):")
_DUMP_PAUSE = re.compile(r"^\s*pause_count=(?P<count>\d+) pause_flags=")


@dataclasses.dataclass
class DomainStream:
    """Everything one domU printed, as plain lines, and how its run ended."""

    domid: int
    kind: str
    lines: list[str] = dataclasses.field(default_factory=list)
    times: list[float] = dataclasses.field(default_factory=list)
    xen_lines: list[str] = dataclasses.field(default_factory=list)  # Xen's own messages about it
    end: str | None = None  # final | closing | crashed | timeout | console-ended
    ended_at: float | None = None
    vcpus_paused: list[int] = dataclasses.field(default_factory=list)  # from Xen's 'q' dump at the end


@dataclasses.dataclass
class SessionResult:
    command: list[str]
    domains: dict[int, DomainStream]
    xen_lines: list[str] = dataclasses.field(default_factory=list)
    exit_code: int | None = None
    duration_s: float = 0.0
    stop: str = ""  # how QEMU ended: 'xen-reboot-key', 'exited', 'killed'
    problems: list[str] = dataclasses.field(default_factory=list)


class XenSession:
    """Runs command; kinds maps each domU id to 'linux' or 'probe'. Raw console goes to log_path."""

    def __init__(self, command: Sequence[str], kinds: dict[int, str], log_path: Path, timeout_s: float,
                 dump_domains: bool = True) -> None:
        self.command = list(command)
        self.log_path = log_path
        self.timeout_s = timeout_s
        self.dump_domains = dump_domains
        self.demux = XenConsoleDemux(set(kinds))
        self.ends = {d: DomainEnd(kind, timeout_s) for d, kind in kinds.items()}
        self.result = SessionResult(command=self.command,
                                    domains={d: DomainStream(d, kind) for d, kind in kinds.items()})
        self._dumping: int | None = None
        self._last_xen_line_at = 0.0

    def _take(self, raw: str, now: float) -> None:
        for item in self.demux.feed(raw):
            self._route(item.domain, item.text, now)

    def _route(self, domid: int | None, text: str, now: float) -> None:
        if domid is not None and domid in self.result.domains:
            stream = self.result.domains[domid]
            stream.lines.append(text)
            stream.times.append(round(now, 3))
            self.ends[domid].feed(text, now)
            return
        self.result.xen_lines.append(text)
        self._last_xen_line_at = now
        crashed = xen_reports_crash(text)
        if crashed in self.ends:
            self.ends[crashed].mark_crashed(now)
        if xen_panicked(text):
            self.result.problems.append(f"Xen panicked: {text}")
            for end in self.ends.values():
                end.mark_crashed(now)
        about = _XEN_ABOUT_DOMAIN.match(text)
        if about and int(about.group("domid")) in self.result.domains:
            self.result.domains[int(about.group("domid"))].xen_lines.append(text)
        dump = _DUMP_DOMAIN.search(text)
        if dump:
            self._dumping = int(dump.group("domid"))
        pause = _DUMP_PAUSE.match(text)
        if pause and self._dumping in self.result.domains:
            self.result.domains[self._dumping].vcpus_paused.append(int(pause.group("count")))

    def _all_done(self, now: float) -> bool:
        done = True
        for domid, end in self.ends.items():
            stream = self.result.domains[domid]
            if stream.end is None:
                stream.end = end.finished(now)
                if stream.end is not None:
                    stream.ended_at = round(now, 3)
            done = done and stream.end is not None
        return done

    def run(self) -> SessionResult:
        start = time.monotonic()
        proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        assert proc.stdout is not None and proc.stdin is not None
        fd = proc.stdout.fileno()
        pending = b""
        phase = "running"  # running -> focusing -> dumping -> rebooting
        phase_at = 0.0
        focus_seen = 0
        hard_deadline = self.timeout_s + 15.0
        with self.log_path.open("a", encoding="utf-8", errors="replace") as log:
            def take(raw: bytes, now: float) -> None:
                text = raw.decode("utf-8", "replace")
                log.write(text.replace("\r", "") + "\n")
                log.flush()
                self._take(text, now)  # the demultiplexer needs the '\r's to measure Xen's pieces

            def send(keys: bytes) -> None:
                try:
                    proc.stdin.write(keys)
                    proc.stdin.flush()
                except OSError:
                    pass

            while True:
                now = time.monotonic() - start
                if now > hard_deadline:
                    self.result.problems.append("Xen did not stop through its console: QEMU killed")
                    break
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for raw in complete:
                        take(raw, now)
                elif proc.poll() is not None:
                    break
                if phase == "running" and self._all_done(now):
                    phase, phase_at = "focusing", now
                    focus_seen = sum("*** Serial input to" in line for line in self.result.xen_lines) + 1
                    send(CTRL_A * 3)
                elif phase == "focusing":
                    # Each CTRL-a x3 moves the input one step (DOM0, DOM1, ..., Xen); step on as
                    # soon as Xen confirms the last one, or after 0.3 s without an answer.
                    switches = sum("*** Serial input to" in line for line in self.result.xen_lines)
                    if any("Serial input to Xen" in l for l in self.result.xen_lines[-3:]):
                        phase, phase_at = ("dumping", now) if self.dump_domains else ("rebooting", now)
                        send(b"q" if self.dump_domains else b"R")
                    elif switches > focus_seen or now - phase_at > 0.3:
                        focus_seen, phase_at = switches, now
                        send(CTRL_A * 3)
                elif phase == "dumping" and (now - phase_at > 1.0 or (
                        self._dumping is not None and now - self._last_xen_line_at > 0.15)):
                    phase, phase_at = "rebooting", now  # the 'q' dump is over (quiet), or took too long
                    send(b"R")
                elif phase == "rebooting" and now - phase_at > 5.0:
                    self.result.problems.append("Xen did not reboot on 'R' within 5 s: QEMU killed")
                    break
            if pending:
                take(pending, time.monotonic() - start)
        for item in self.demux.flush():
            self._route(item.domain, item.text, time.monotonic() - start)
        self.result.stop = "xen-reboot-key" if phase == "rebooting" else "exited"
        try:
            proc.wait(timeout=3)  # the console closes a moment before QEMU exits
        except subprocess.TimeoutExpired:
            pass
        if proc.poll() is None:
            self.result.stop = "killed"
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.result.exit_code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.result.problems.append("QEMU could not be stopped")
        proc.stdout.close()
        try:
            proc.stdin.close()
        except OSError:
            pass
        now = time.monotonic() - start
        for stream in self.result.domains.values():
            if stream.end is None:
                stream.end, stream.ended_at = "console-ended", round(now, 3)
        self.result.duration_s = round(now, 3)
        return self.result
