"""The target interface and what one boot produces: timestamped console lines, exit, and problems seen."""
from __future__ import annotations

import dataclasses
import os
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

# Lines that end a boot early: nothing more will come.
PANIC_MARKERS = ("Kernel panic - not syncing", "---[ end Kernel panic")

# Process groups of the boots in progress in this process, so an interrupted run with several
# boots at once (run.run_images --jobs) can end them all (each runs in its own session).
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK = threading.Lock()


def stop_all_boots() -> None:
    """Kills every target process stream_process has running; each of those boots then ends."""
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclasses.dataclass
class BootImage:
    """What to boot: a Linux kernel + initramfs, or a bare-metal probe image."""

    kind: str  # "linux" | "probe"
    kernel: Path
    initrd: Path | None = None
    name: str = "linux"  # program name for probes
    params: dict[str, str] = dataclasses.field(default_factory=dict)  # avps.<key>=<value>


@dataclasses.dataclass
class BootOutput:
    lines: list[str] = dataclasses.field(default_factory=list)
    times: list[float] = dataclasses.field(default_factory=list)  # seconds since start, per line
    exit_code: int | None = None
    timed_out: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)
    duration_s: float = 0.0
    command: list[str] = dataclasses.field(default_factory=list)
    host_evidence: dict[str, object] = dataclasses.field(default_factory=dict)
    # The process's own error lines when it exited with a failure status (QEMU's 'qemu-system-aarch64:
    # -device x: ...' for a bad option or a missing file): the run's problem names them.
    exit_errors: list[str] = dataclasses.field(default_factory=list)


def exit_errors(lines: Sequence[str], program: str, limit: int = 3) -> list[str]:
    """The error lines a program that failed printed under its own name ('qemu-system-aarch64: ...'),
    not its info or warning lines (QEMU's 'waiting for connection' on the QMP socket is one)."""
    prefix = Path(program).name + ":"
    found = [line.strip() for line in lines
             if line.startswith(prefix) and ": info: " not in line and ": warning: " not in line]
    return [line[:240] for line in found[:limit]]


def stream_process(command: Sequence[str], log_path: Path, timeout_s: float,
                   stop_when: Callable[[list[str]], bool] | None = None,
                   grace_s: float = 10.0) -> BootOutput:
    """Runs command, appending its output to log_path line by line as it arrives.

    Ends when the process exits, when the hard timeout expires (killed, timed_out),
    or grace_s after stop_when(lines) first says the guest is done but the process
    did not exit by itself.
    """
    out = BootOutput(command=list(command))
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    assert proc.stdout is not None
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(proc.pid)
    try:
        _stream(proc, out, start, log_path, timeout_s, stop_when, grace_s)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        with _LIVE_LOCK:
            _LIVE_GROUPS.discard(proc.pid)
    try:
        out.exit_code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        out.problems.append("the target process could not be stopped")
    proc.stdout.close()
    out.duration_s = round(time.monotonic() - start, 3)
    if out.exit_code not in (0, None):
        out.exit_errors = exit_errors(out.lines, command[0])
    for line in out.lines:
        if any(marker in line for marker in PANIC_MARKERS):
            out.problems.append(f"guest kernel panic: {line.strip()[:160]}")
            break
    return out


def _stream(proc: subprocess.Popen, out: BootOutput, start: float, log_path: Path, timeout_s: float,
            stop_when: Callable[[list[str]], bool] | None, grace_s: float) -> None:
    """stream_process's loop: console lines into out and the log until the end of the boot."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending = b""
    done_at: float | None = None
    with log_path.open("a", encoding="utf-8", errors="replace") as log:
        def take(raw: bytes) -> None:
            text = raw.decode("utf-8", "replace")
            out.lines.append(text)
            out.times.append(round(time.monotonic() - start, 3))
            log.write(text + "\n")
            log.flush()

        while True:
            now = time.monotonic()
            if now - start > timeout_s:
                out.timed_out = True
                out.problems.append(f"no end of run within {timeout_s:.0f} s: the guest hung; stopped it")
                break
            if done_at is not None and now - done_at > grace_s:
                out.problems.append(f"guest finished its tests but did not power off within {grace_s:.0f} s")
                break
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                take(raw.rstrip(b"\r"))
            if done_at is None and stop_when is not None and stop_when(out.lines):
                done_at = time.monotonic()
        if pending:
            take(pending.rstrip(b"\r"))
