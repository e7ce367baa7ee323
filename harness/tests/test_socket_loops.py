"""Host socket services wait on their socket and their stop signal together: stopping wakes them, no polling."""
from __future__ import annotations

import socket
import threading
from pathlib import Path

from avps_cts.host.console_echo import EchoResponder
from avps_cts.host.net_echo import TcpEchoServer
from avps_cts.host.socket_loops import StopSignal, accept_until


def test_stop_wakes_a_blocked_accept() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    assert server.gettimeout() is None  # blocking: only the stop signal can end the wait
    stop = StopSignal()
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.extend(accept_until(server, stop)))
    thread.start()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and got == []
    server.close()


def test_echo_services_answer_and_stop(tmp_path: Path) -> None:
    responder = EchoResponder(tmp_path / "con.sock").start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as guest:
        guest.connect(str(tmp_path / "con.sock"))
        guest.sendall(b"AVPS-ECHO 1a2b\n")
        assert guest.makefile("rb").readline() == b"AVPS-ECHO-REPLY 1a2b 14\n"
        responder.stop()  # the guest is still connected: stop must not wait for it
    assert not responder._thread.is_alive() and responder.received == ["AVPS-ECHO 1a2b"]
    server = TcpEchoServer().start()
    with socket.create_connection(("127.0.0.1", server.port)) as peer:
        peer.sendall(b"ping")
        assert peer.recv(4) == b"ping"
        server.stop()
    assert not server._thread.is_alive() and server.connections == 1
