"""Host side of the virtio-input test: injects input events into the running QEMU through QMP when the guest asks."""
from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

# What the guest may ask for ('AVPS-INPUT <nonce> <kind>') and the QMP InputEvent list it gets.
# Without a 'device' argument QEMU routes each event to the input handler that accepts its
# type: key -> virtio-keyboard, rel -> virtio-mouse, abs -> virtio-tablet.
INPUT_EVENTS: dict[str, list[dict[str, Any]]] = {
    "key": [{"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "a"}}},
            {"type": "key", "data": {"down": False, "key": {"type": "qcode", "data": "a"}}}],
    "rel": [{"type": "rel", "data": {"axis": "x", "value": 7}},
            {"type": "rel", "data": {"axis": "y", "value": -3}}],
    "abs": [{"type": "abs", "data": {"axis": "x", "value": 16384}},
            {"type": "abs", "data": {"axis": "y", "value": 8192}}],
}


class QmpError(Exception):
    """QEMU refused a command or the monitor socket failed."""


class HostInput:
    """Talks QMP over the Unix socket QEMU listens on (-qmp unix:PATH,server=on,wait=off)."""

    def __init__(self, path: Path, timeout_s: float = 5.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.injected: list[str] = []  # evidence: 'kind nonce' per successful injection
        self._sock: socket.socket | None = None
        self._buffer = b""

    def _read_message(self) -> dict[str, Any]:
        assert self._sock is not None
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(4096)
            if not chunk:
                raise QmpError("QMP socket closed")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
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
        self._execute("qmp_capabilities")

    def inject(self, kind: str) -> int:
        """Sends the events for kind; returns how many were accepted."""
        events = INPUT_EVENTS.get(kind)
        if events is None:
            raise QmpError(f"unknown input kind '{kind}' (known: {', '.join(INPUT_EVENTS)})")
        self._connect()
        self._execute("input-send-event", {"events": events})
        return len(events)

    def handle_request(self, arguments: str) -> str:
        """'<nonce> <kind>' -> 'AVPS-INPUT-REPLY <nonce> <kind> <events|error>'."""
        parts = arguments.split()
        if len(parts) != 2:
            return f"AVPS-INPUT-REPLY ? ? malformed-request"
        nonce, kind = parts
        try:
            count = self.inject(kind)
        except (OSError, QmpError, ValueError) as exc:
            self.close()
            return f"AVPS-INPUT-REPLY {nonce} {kind} error:{str(exc).replace(' ', '_')[:80]}"
        self.injected.append(f"{kind} {nonce}")
        return f"AVPS-INPUT-REPLY {nonce} {kind} {count}"

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._buffer = b""
