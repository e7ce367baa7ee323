"""Stoppable accept and receive loops shared by the harness's small host-side socket services.

They wait on the socket and on a stop signal together (select on both), so stopping a service
takes no time; a plain threading.Event still works, polled every 0.5 s as before."""
from __future__ import annotations

import os
import select
import socket
import threading
from typing import Iterator, Union


class StopSignal:
    """A threading.Event that select() can wait on: set() makes its fileno readable."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._read, self._write = os.pipe()

    def set(self) -> None:
        if not self._event.is_set():
            self._event.set()
            os.write(self._write, b"x")

    def is_set(self) -> bool:
        return self._event.is_set()

    def fileno(self) -> int:
        return self._read

    def close(self) -> None:
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self) -> None:
        self.close()


Stop = Union[StopSignal, threading.Event]


def _wait_readable(sock: socket.socket, stop: Stop) -> bool:
    """True when sock has something (a connection, data or EOF); False when stop was set."""
    while not stop.is_set():
        waiting: list = [sock, stop] if isinstance(stop, StopSignal) else [sock]
        try:
            ready, _, _ = select.select(waiting, [], [], None if isinstance(stop, StopSignal) else 0.5)
        except (OSError, ValueError):
            return not stop.is_set()  # the socket was closed under us: let the caller's call fail
        if sock in ready:
            return True
    return False


def accept_until(server: socket.socket, stop: Stop) -> Iterator[socket.socket]:
    """Yields each accepted connection until stop is set or the listening socket is closed."""
    while _wait_readable(server, stop):
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        conn.setblocking(True)
        yield conn


def receive_until(conn: socket.socket, stop: Stop, size: int = 4096) -> Iterator[bytes]:
    """Yields each chunk received on conn until stop is set, the peer closes, or an error."""
    while _wait_readable(conn, stop):
        try:
            chunk = conn.recv(size)
        except socket.timeout:
            continue
        except OSError:
            return
        if not chunk:
            return
        yield chunk
