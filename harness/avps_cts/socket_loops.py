"""Stoppable accept and receive loops shared by the harness's small host-side socket services."""
from __future__ import annotations

import socket
import threading
from typing import Iterator


def accept_until(server: socket.socket, stop: threading.Event) -> Iterator[socket.socket]:
    """Yields each accepted connection until stop is set or the listening socket is closed.
    The server socket must have a timeout, so stop is noticed."""
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        yield conn


def receive_until(conn: socket.socket, stop: threading.Event, size: int = 4096) -> Iterator[bytes]:
    """Yields each chunk received on conn until stop is set, the peer closes, or an error."""
    conn.settimeout(0.5)
    while not stop.is_set():
        try:
            chunk = conn.recv(size)
        except socket.timeout:
            continue
        except OSError:
            return
        if not chunk:
            return
        yield chunk
