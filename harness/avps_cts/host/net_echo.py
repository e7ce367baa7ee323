"""Host side of the virtio-net traffic test: a TCP echo service on the host loopback, reached by the guest through QEMU user networking."""
from __future__ import annotations

import socket
import threading

from .socket_loops import StopSignal, accept_until, receive_until


class TcpEchoServer:
    """Echoes every byte back on each connection; counts what it echoed as evidence.

    Bound to 127.0.0.1 on a free port: QEMU's user network (slirp) makes the host
    loopback reachable from the guest as 10.0.2.2:<port> (unless restrict=on).
    """

    def __init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(4)
        self.port: int = self._server.getsockname()[1]
        self.connections = 0
        self.bytes_echoed = 0
        self._lock = threading.Lock()
        self._stop = StopSignal()
        self._thread = threading.Thread(target=self._accept_loop, name=f"tcp-echo:{self.port}", daemon=True)

    def start(self) -> "TcpEchoServer":
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        for conn in accept_until(self._server, self._stop):
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        with conn:
            for chunk in receive_until(conn, self._stop, 65536):
                try:
                    conn.sendall(chunk)
                except OSError:
                    return
                with self._lock:
                    self.bytes_echoed += len(chunk)

    def stop(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)
