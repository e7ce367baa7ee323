"""Watches a QEMU QMP socket for the guest's SHUTDOWN event, so the host can tell a power-off from a reset."""
from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path


class ShutdownWatcher:
    """Connects to a '-qmp unix:PATH,server=on,wait=on' socket and records SHUTDOWN events.

    QEMU starts with the guest paused (-S) and this client resumes it ('cont') only after
    QMP capabilities are negotiated: QMP sends no events before that, so a guest that
    powers off within milliseconds would otherwise go unobserved. reason is QMP's own
    word: 'guest-shutdown' (PSCI SYSTEM_OFF), 'guest-reset' (SYSTEM_RESET with
    -no-reboot), 'guest-panic', 'host-signal', ...
    """

    def __init__(self, path: Path, connect_timeout_s: float = 20.0) -> None:
        self.path = path
        self.connect_timeout_s = connect_timeout_s
        self.reasons: list[str] = []
        self.error: str | None = None
        self._thread = threading.Thread(target=self._watch, name=f"qmp:{path.name}", daemon=True)

    @staticmethod
    def qemu_args(path: Path) -> list[str]:
        return ["-qmp", f"unix:{path},server=on,wait=on", "-S"]

    def start(self) -> "ShutdownWatcher":
        self._thread.start()
        return self

    @property
    def reason(self) -> str | None:
        return self.reasons[0] if self.reasons else None

    def _connect(self) -> socket.socket | None:
        deadline = time.monotonic() + self.connect_timeout_s
        while time.monotonic() < deadline:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(self.path))
                return sock
            except OSError:
                sock.close()
                time.sleep(0.02)
        self.error = f"could not connect to QMP socket {self.path}"
        return None

    def _watch(self) -> None:
        sock = self._connect()
        if sock is None:
            return
        with sock:
            stream = sock.makefile("rwb")
            try:
                stream.readline()  # greeting
                stream.write(b'{"execute": "qmp_capabilities"}\n')
                stream.flush()
                stream.readline()  # {"return": {}}: events flow from here on
                stream.write(b'{"execute": "cont"}\n')
                stream.flush()
                for raw in stream:
                    try:
                        message = json.loads(raw)
                    except ValueError:
                        continue
                    if message.get("event") == "SHUTDOWN":
                        self.reasons.append(str(message.get("data", {}).get("reason", "unknown")))
            except ConnectionResetError:
                return  # QEMU exited (e.g. right after SHUTDOWN with -no-reboot): the stream's end, not an error
            except OSError as exc:
                self.error = str(exc)

    def join(self, timeout_s: float = 5.0) -> None:
        self._thread.join(timeout=timeout_s)
