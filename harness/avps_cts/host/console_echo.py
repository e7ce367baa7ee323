"""Host side of the virtio-console round trip: answers 'AVPS-ECHO <nonce>' lines (and registered AVPS-<WORD> requests) from the guest."""
from __future__ import annotations

import re
import socket
import threading
from pathlib import Path
from typing import Callable

from .socket_loops import StopSignal, accept_until, receive_until

_REQUEST = re.compile(rb"AVPS-ECHO ([0-9a-fA-F]+)")
_OTHER_REQUEST = re.compile(rb"(AVPS-[A-Z]+) (.*)")

# Answers one request: gets the text after 'AVPS-<WORD> ', returns the reply line (no newline).
RequestHandler = Callable[[str], str]


class EchoResponder:
    """Listens on a Unix socket that QEMU's chardev connects to; replies to each request line.

    Reply: 'AVPS-ECHO-REPLY <nonce> <n>' with n the byte count of the request line as
    received, so the guest knows the host read its line intact. Every received line is
    kept as evidence for the report.

    Other requests go to handlers by keyword, e.g. 'AVPS-INPUT <nonce> <kind>' (host/input_events.py)
    or 'AVPS-FILE <relpath> <sha256>' (host/files.py) or 'AVPS-DISK <nonce> <bytes> <offset>'
    (host/disk_content.py); each handler builds its own reply line.
    """

    def __init__(self, path: Path, reply: bool = True,
                 handlers: dict[str, RequestHandler] | None = None) -> None:
        self.path = path
        self.reply = reply  # False: a silent host (negative control), still reads and records
        self.handlers = dict(handlers or {})
        self.received: list[str] = []
        self.replied = 0
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path.unlink(missing_ok=True)
        self._server.bind(str(path))
        self._server.listen(1)
        self._stop = StopSignal()
        self._thread = threading.Thread(target=self._serve, name=f"echo:{path.name}", daemon=True)

    def start(self) -> "EchoResponder":
        self._thread.start()
        return self

    def _serve(self) -> None:
        conn = next(accept_until(self._server, self._stop), None)  # QEMU's chardev connects once
        if conn is None:
            return
        buffer = b""
        with conn:
            for chunk in receive_until(conn, self._stop):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    line = line.rstrip(b"\r")
                    self.received.append(line.decode("utf-8", "replace"))
                    reply = self._answer(line) if self.reply else None
                    if reply is not None:
                        try:
                            conn.sendall(reply)
                            self.replied += 1
                        except OSError:
                            return

    def _answer(self, line: bytes) -> bytes | None:
        match = _REQUEST.fullmatch(line)
        if match:
            return b"AVPS-ECHO-REPLY %s %d\n" % (match.group(1), len(line))
        other = _OTHER_REQUEST.fullmatch(line)
        handler = self.handlers.get(other.group(1).decode()) if other else None
        if other is None or handler is None:
            return None
        return handler(other.group(2).decode("utf-8", "replace")).encode() + b"\n"

    def stop(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)
        self.path.unlink(missing_ok=True)
