"""vhost-user back ends a QEMU run starts: reference-hv/vhost-user serving one reference device model per socket."""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

BINARY_NAME = "avps-vhost-user"


class VhostUserError(OSError):
    """A back end could not be started (not built, bad options, socket never appeared)."""


@dataclasses.dataclass
class BackendSpec:
    """One back end as a profile declares it: devices.<name>.vhost_user."""

    model: str
    socket: str
    options: str = ""
    disk: str | None = None  # name of a per-run disk ({disk:NAME}) the model keeps its medium in

    @classmethod
    def from_yaml(cls, data: dict[str, object], where: str) -> "BackendSpec":
        unknown = set(data) - {"model", "socket", "options", "disk"}
        if unknown or "model" not in data or "socket" not in data:
            raise VhostUserError(f"{where}: vhost_user needs model and socket (and optionally options, disk); "
                             f"unknown keys {sorted(unknown)}")
        disk = data.get("disk")
        return cls(model=str(data["model"]), socket=str(data["socket"]), options=str(data.get("options", "")),
                   disk=None if disk is None else str(disk))


def backend_binary(scratch: Path) -> Path:
    """The back end built by 'make' (build/vhost-user/avps-vhost-user), found from the run's scratch
    folder (build/run/<label>) or named by AVPS_VHOST_USER."""
    named = os.environ.get("AVPS_VHOST_USER")
    if named:
        return Path(named)
    for folder in scratch.resolve().parents:
        candidate = folder / "vhost-user" / BINARY_NAME
        if candidate.exists():
            return candidate
    raise VhostUserError(f"the vhost-user back end ({BINARY_NAME}) is not built: run 'make all' first")


class VhostUserBackend:
    """One running back end process; its stderr goes to <scratch>/<socket>.vhost-user.log; the host side
    hands its model requests (an input model's "key") through <scratch>/<socket>.control."""

    def __init__(self, binary: Path, spec: BackendSpec, scratch: Path) -> None:
        self.spec = spec
        self.socket_path = scratch / f"{spec.socket}.sock"
        self.control_path = scratch / f"{spec.socket}.control"
        self.log_path = scratch / f"{spec.socket}.vhost-user.log"
        self.command = [str(binary), "--socket", str(self.socket_path), "--model", spec.model,
                        "--control", str(self.control_path)]
        if spec.options:
            self.command += ["--options", spec.options]
        if spec.disk:
            self.command += ["--disk", str(scratch / f"{spec.disk}.img")]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> "VhostUserBackend":
        """Starts the process and waits until it listens; raises VhostUserError with its log otherwise."""
        self.socket_path.unlink(missing_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while not self.socket_path.exists():
            if self.process.poll() is not None:
                raise VhostUserError(f"vhost-user back end for {self.spec.model} exited with status "
                                     f"{self.process.returncode}: {self.log_text().strip() or 'no message'}")
            if time.monotonic() > deadline:
                self.stop()
                raise VhostUserError(f"vhost-user back end for {self.spec.model} did not listen on "
                                     f"{self.socket_path} within {timeout_s:.0f} s")
            time.sleep(0.02)
        return self

    def host_request(self, request: str, timeout_s: float = 5.0) -> tuple[bool, str]:
        """Hands one request line to the model; (taken, the model's reply or why it was refused)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(timeout_s)
                conn.connect(str(self.control_path))
                conn.sendall(request.encode() + b"\n")
                answer = b""
                while not answer.endswith(b"\n"):
                    chunk = conn.recv(256)
                    if not chunk:
                        break
                    answer += chunk
        except OSError as exc:
            return False, f"no answer from the {self.spec.model} back end: {exc}"
        verdict, _, text = answer.decode(errors="replace").strip().partition(" ")
        return verdict == "ok", text

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> str | None:
        """Stops the process (a power cut for the model); returns a problem when it had died by itself."""
        if self.process is None:
            return None
        problem = None
        if self.process.poll() is not None:
            problem = (f"vhost-user back end for {self.spec.model} died during the run (status "
                       f"{self.process.returncode}): {self.log_text().strip()[-400:]}")
        else:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                problem = f"vhost-user back end for {self.spec.model} ignored SIGTERM; killed"
        self.process = None
        return problem
