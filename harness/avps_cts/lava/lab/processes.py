"""Daemons of the local LAVA lab: started detached with a log file, found again by pid, stopped by pid only."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

# Daemons run with a plain Debian PATH: a pyenv python3 first on PATH breaks lava-server's tools
# ("No module named 'django'", LAVA-NOTES).
PLAIN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class LabError(Exception):
    """The lab could not do what was asked: one clear message naming what happened, exit 3."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (the lab keeps it in its state file)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log: {path} missing)"
    return "\n".join("    " + line for line in text[-lines:]) or f"(log {path} is empty)"


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"


def started_at(pid: int) -> int:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), 0 if gone:
    with the pid it names the process we started, even after the pid was reused."""
    fields = _stat(pid)
    return int(fields[19]) if len(fields) > 19 else 0


def start(command: list[str], log: Path, env: dict[str, str], user: str | None = None,
          cwd: Path | None = None) -> int:
    """Starts command in its own session (so stop() can end it with its children), output to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, user=user, group=user, extra_groups=[] if user else None,
                                cwd=cwd)
    return proc.pid


def stop(pid: int, name: str, start: int, grace: float = 10.0) -> str:
    """SIGTERM to the daemon's own process group (it leads it: start() made a new session), then
    SIGKILL after grace seconds; start is started_at(pid) when it was started, so a reused pid is
    left alone. Returns what happened, for the stop report."""
    if not alive(pid):
        return f"{name} (pid {pid}) was not running"
    if started_at(pid) != start:
        return f"{name} (pid {pid}) was not running (the pid now belongs to another process, left alone)"
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return f"{name} (pid {pid}) was not running"
    if group != pid:  # not the session we started: touch only the pid itself
        os.kill(pid, signal.SIGTERM)
    else:
        os.killpg(group, signal.SIGTERM)
    end = time.monotonic() + grace
    while alive(pid) and time.monotonic() < end:
        time.sleep(0.2)
    if alive(pid):
        if group == pid:
            os.killpg(group, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
        return f"{name} (pid {pid}) killed after {grace:.0f} s"
    return f"{name} (pid {pid}) stopped"


def wait_for(check: Callable[[], bool], what: str, timeout: float, log: Path | None = None, pid: int | None = None) -> None:
    """Polls check() until true; a daemon that died or a timeout is a LabError with its log's tail."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        if pid is not None and not alive(pid):
            raise LabError(f"{what}: the process (pid {pid}) exited" + (f"; its log {log}:\n{tail(log)}" if log else ""))
        time.sleep(0.3)
    raise LabError(f"{what}: not ready after {timeout:.0f} s" + (f"; its log {log}:\n{tail(log)}" if log else ""))
