"""Host side of virtio-fs: Debian's virtiofsd (qemu-system-common) serving a shared directory on a vhost-user socket."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from ..cache import MissingToolError
from .held_file import HeldFile

VIRTIOFSD = Path("/usr/lib/qemu/virtiofsd")
START_TIMEOUT_S = 15.0


class VirtiofsDaemons:
    """One virtiofsd per {virtiofsd:NAME} placeholder: serves the shared directory NAME on NAME.vfs.sock, with a
    file whose opening for writing the host holds up (held_file.py: the probe's hiprio case keeps a request queue
    busy with it)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.held: list[HeldFile] = []

    def socket(self, name: str) -> Path:
        return self.scratch / f"{name}.vfs.sock"

    def log(self, name: str) -> Path:
        return self.scratch / f"{name}.virtiofsd.log"

    def start(self, name: str, directory: Path) -> Path:
        """Starts virtiofsd for directory and waits for its socket; QEMU connects to it as the client."""
        if not VIRTIOFSD.exists():
            raise MissingToolError(f"{VIRTIOFSD} missing: install Debian package qemu-system-common "
                                   "(make bootstrap does)")
        if os.geteuid() != 0:
            raise MissingToolError("virtiofsd must run as root (it sandboxes itself into the shared directory): "
                                   "run as root, or use a profile without the virtiofs device")
        # virtiofsd bind-mounts the source onto itself after entering its own namespace, where a
        # relative path (make run passes --build build) no longer names it: give it absolute paths.
        directory = directory.resolve()
        sock = self.socket(name).resolve()
        sock.unlink(missing_ok=True)
        held = HeldFile(directory, (self.scratch / f"{name}.held.log").resolve())
        held.start()
        self.held.append(held)
        with self.log(name).open("wb") as log:
            proc = subprocess.Popen([str(VIRTIOFSD), f"--socket-path={sock}", "-o", f"source={directory}",
                                     "-o", "cache=none", "-o", "log_level=warn"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.running[name] = proc
        deadline = time.monotonic() + START_TIMEOUT_S
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log(name).read_text(errors="replace").strip().splitlines()[-1:]
                raise MissingToolError(f"virtiofsd for {directory} did not open {sock}"
                                       f"{': ' + tail[0] if tail else ''} (log: {self.log(name)})")
            time.sleep(0.05)
        return sock

    def stop(self) -> None:
        for held in self.held:
            held.stop()
        self.held.clear()
        for proc in self.running.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.running.clear()
