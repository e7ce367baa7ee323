"""A file in a virtio-fs share whose opening for writing the host delays: a read lease, given up HOLD_S after a break starts."""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HELD_FILE = "avps-held-open"  # the probe's hiprio case opens it for writing (fs_proto.h FS_HELD_FILE)
HOLD_S = 0.5                  # longer than the probe's 300 ms wait for the hiprio FORGET
POLL_S = 0.01
READY = "lease taken"
START_TIMEOUT_S = 5.0


def hold(path: Path, hold_s: float) -> None:
    """Keeps a read lease on path: a writer's open blocks in the kernel until this process gives the lease up,
    hold_s after the break began; the lease is taken again once no writer has the file open."""
    signal.signal(signal.SIGIO, signal.SIG_IGN)  # the kernel's break notice: polled with F_GETLEASE instead
    fd = os.open(path, os.O_RDONLY)
    held = announced = False
    while True:
        if not held:
            try:
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
                held = True
                if not announced:
                    print(READY, flush=True)
                    announced = True
            except OSError:  # a writer still has it open (EAGAIN)
                time.sleep(POLL_S)
                continue
        if fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_UNLCK:  # a break is pending
            time.sleep(hold_s)
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
            held = False
        time.sleep(POLL_S)


class HeldFile:
    """The holder process of one share's held file, for the life of a boot."""

    def __init__(self, directory: Path, log: Path) -> None:
        self.path = directory / HELD_FILE
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Writes the file and starts its holder; returns once the first lease is taken. A host that cannot
        hold it (leases disabled, a file system without them) gets no such file: the case SKIPs, naming it."""
        self.path.write_bytes(b"held by the host for %.1f s when opened for writing\n" % HOLD_S)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "avps_cts.host.held_file", str(self.path), str(HOLD_S)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while READY not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self.path.unlink(missing_ok=True)
                return
            time.sleep(POLL_S)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


if __name__ == "__main__":
    hold(Path(sys.argv[1]), float(sys.argv[2]))
