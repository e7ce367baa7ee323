"""A minimal QMP client for the host-side helpers that act on the running QEMU (input injection, screen dumps)."""
from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any


class QmpError(Exception):
    """QEMU refused a command or the monitor socket failed."""


class QmpClient:
    """Talks QMP over the Unix socket QEMU listens on (-qmp unix:PATH,server=on,wait=off).

    Connects on first use (QEMU is running by then) and serialises commands, so several
    helpers can share one monitor connection.
    """

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    def _read_message(self) -> dict[str, Any]:
        assert self._sock is not None
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(4096)
            if not chunk:
                raise QmpError("QMP socket closed")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def _send(self, command: str, arguments: dict[str, Any] | None) -> Any:
        assert self._sock is not None
        request: dict[str, Any] = {"execute": command}
        if arguments is not None:
            request["arguments"] = arguments
        self._sock.sendall(json.dumps(request).encode() + b"\n")
        while True:  # skip asynchronous events until the answer arrives
            message = self._read_message()
            if "return" in message:
                return message["return"]
            if "error" in message:
                raise QmpError(f"{command}: {message['error'].get('desc', message['error'])}")

    def _connect(self) -> None:
        if self._sock is not None:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout_s)
        sock.connect(str(self.path))
        self._sock = sock
        greeting = self._read_message()
        if "QMP" not in greeting:
            raise QmpError(f"unexpected QMP greeting {greeting}")
        self._send("qmp_capabilities", None)

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        with self._lock:
            try:
                self._connect()
                return self._send(command, arguments)
            except (OSError, ValueError) as exc:
                self._close_locked()
                raise QmpError(f"{command}: {exc}") from exc

    def _close_locked(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._buffer = b""

    def close(self) -> None:
        with self._lock:
            self._close_locked()
