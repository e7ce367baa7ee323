"""The vhost-user back end (reference-hv/vhost-user) driven from Python as QEMU would: handshake, shared memory, rings, refusals, reconnects."""
from __future__ import annotations

import mmap
import os
import select
import socket
import struct
from pathlib import Path

import pytest

from avps_cts import profiles
from avps_cts.host.services import HostServices
from avps_cts.host.vhost_user import BackendSpec, VhostUserBackend, VhostUserError

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES = 12, 13, 15, 16
GET_QUEUE_NUM, SET_VRING_ENABLE, GET_CONFIG = 17, 18, 24
PROTOCOL_FEATURES_BIT = 1 << 30
RAM_GPA, RAM_VA, RAM_BYTES = 0x40000000, 0x7F0000000000, 1 << 20


@pytest.fixture(scope="module")
def binary(build: Path) -> Path:
    path = build / "vhost-user" / "avps-vhost-user"
    if not path.exists():
        pytest.fail("build/vhost-user/avps-vhost-user missing: 'make all' builds it")
    return path


class Front:
    """The QEMU side of one connection."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(str(path))

    def send(self, request: int, payload: bytes = b"", fds: list[int] | None = None, need_reply: bool = False) -> None:
        header = struct.pack("<III", request, 0x1 | (0x8 if need_reply else 0), len(payload))
        if fds:
            socket.send_fds(self.sock, [header + payload], fds)
        else:
            self.sock.sendall(header + payload)

    def reply(self) -> bytes:
        header = self._exact(12)
        _, flags, size = struct.unpack("<III", header)
        assert flags & 0x4, "reply flag missing"
        return self._exact(size)

    def ask_u64(self, request: int) -> int:
        self.send(request)
        return struct.unpack("<Q", self.reply())[0]

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("back end closed the connection")
            data += chunk
        return data

    def closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionError, socket.timeout):
            return False


def start(binary: Path, tmp_path: Path, model: str, options: str = "", disk: str | None = None) -> VhostUserBackend:
    return VhostUserBackend(binary, BackendSpec(model=model, socket="vu", options=options, disk=disk), tmp_path).start()


def test_handshake_and_config(binary: Path, tmp_path: Path) -> None:
    (tmp_path / "d.img").write_bytes(bytes(1 << 20))
    backend = start(binary, tmp_path, "block", "queues=2,serial=x", disk="d")
    try:
        front = Front(backend.socket_path)
        features = front.ask_u64(GET_FEATURES)
        assert features & PROTOCOL_FEATURES_BIT and features & (1 << 32)  # VERSION_1
        assert not features & (1 << 34), "packed rings are not offered over vhost-user"
        protocol = front.ask_u64(GET_PROTOCOL_FEATURES)
        assert protocol & (1 << 9) and protocol & (1 << 0)  # CONFIG, MQ
        front.send(SET_PROTOCOL_FEATURES, struct.pack("<Q", protocol))
        assert front.ask_u64(GET_QUEUE_NUM) == 2
        front.send(GET_CONFIG, struct.pack("<III", 0, 8, 0) + bytes(8))
        offset, size, _ = struct.unpack("<III", front.reply()[:12])
        assert (offset, size) == (0, 8)
    finally:
        assert backend.stop() is None


def test_capacity_from_disk_image(binary: Path, tmp_path: Path) -> None:
    (tmp_path / "d.img").write_bytes(bytes(1 << 20))
    backend = start(binary, tmp_path, "block", disk="d")
    try:
        front = Front(backend.socket_path)
        front.send(GET_CONFIG, struct.pack("<III", 0, 8, 0) + bytes(8))
        reply = front.reply()
        assert struct.unpack("<IIIQ", reply[:20])[3] == (1 << 20) // 512
    finally:
        backend.stop()


def test_refuses_memory_table_without_fds_and_survives(binary: Path, tmp_path: Path) -> None:
    backend = start(binary, tmp_path, "entropy")
    try:
        front = Front(backend.socket_path)
        table = struct.pack("<II", 1, 0) + struct.pack("<QQQQ", RAM_GPA, RAM_BYTES, RAM_VA, 0) + bytes(32 * 7)
        front.send(SET_MEM_TABLE, table)
        assert front.closed_by_peer(), "the back end kept a connection whose memory it cannot map"
        assert "refusing the memory table" in backend.log_text()
        assert "share=on" in backend.log_text()
        # QEMU reconnecting gets a working back end.
        assert Front(backend.socket_path).ask_u64(GET_QUEUE_NUM) == 1
    finally:
        assert backend.stop() is None


def test_entropy_request_through_shared_memory(binary: Path, tmp_path: Path) -> None:
    """The whole path QEMU uses: memfd RAM, ring addresses as QEMU virtual addresses, kick and call eventfds."""
    backend = start(binary, tmp_path, "entropy")
    memfd = os.memfd_create("guest-ram")
    os.ftruncate(memfd, RAM_BYTES)
    ram = mmap.mmap(memfd, RAM_BYTES)
    kick, call = os.eventfd(0), os.eventfd(0)
    try:
        front = Front(backend.socket_path)
        front.send(SET_OWNER)
        front.send(SET_FEATURES, struct.pack("<Q", (1 << 32) | PROTOCOL_FEATURES_BIT))
        table = struct.pack("<II", 1, 0) + struct.pack("<QQQQ", RAM_GPA, RAM_BYTES, RAM_VA, 0) + bytes(32 * 7)
        front.send(SET_MEM_TABLE, table, [memfd])
        size, desc, avail, used, buf = 8, 0x1000, 0x2000, 0x3000, 0x8000
        front.send(SET_VRING_NUM, struct.pack("<II", 0, size))
        front.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, RAM_VA + desc, RAM_VA + used, RAM_VA + avail, 0))
        front.send(SET_VRING_BASE, struct.pack("<II", 0, 0))
        front.send(SET_VRING_CALL, struct.pack("<Q", 0), [call])
        front.send(SET_VRING_KICK, struct.pack("<Q", 0), [kick])
        front.send(SET_VRING_ENABLE, struct.pack("<II", 0, 1))
        # One 64-byte device-writable buffer, made available and kicked.
        ram[desc:desc + 16] = struct.pack("<QIHH", RAM_GPA + buf, 64, 2, 0)
        ram[avail + 4:avail + 6] = struct.pack("<H", 0)
        ram[avail + 2:avail + 4] = struct.pack("<H", 1)
        os.eventfd_write(kick, 1)
        ready, _, _ = select.select([call], [], [], 5)
        assert ready, "no used-buffer notification on the call eventfd"
        used_idx, = struct.unpack("<H", ram[used + 2:used + 4])
        elem_id, elem_len = struct.unpack("<II", ram[used + 4:used + 12])
        assert (used_idx, elem_id, elem_len) == (1, 0, 64)
        assert len(set(ram[buf:buf + 64])) > 16, "the buffer was not filled with random bytes"
        front.send(GET_VRING_BASE, struct.pack("<II", 0, 0))
        assert struct.unpack("<II", front.reply()) == (0, 1)
    finally:
        ram.close()
        for fd in (memfd, kick, call):
            os.close(fd)
        assert backend.stop() is None


def test_unknown_model_or_fault_is_a_clear_error(binary: Path, tmp_path: Path) -> None:
    with pytest.raises(VhostUserError, match="unknown device model"):
        start(binary, tmp_path, "teapot")
    with pytest.raises(VhostUserError, match="no fault 'nonsense'"):
        start(binary, tmp_path, "entropy", "fault=nonsense")


def test_profiles_declare_backends_and_fault_switches() -> None:
    config = profiles.load("qemu-arm64", "vhost-user")
    specs = {d.name: d.vhost_user for d in config.devices if d.vhost_user}
    assert specs["vu_rng"] == {"model": "entropy", "socket": "vurng"}
    faulty = profiles.load("qemu-arm64", "vu-blk-write-zeroes-ignored")
    options = next(d.vhost_user["options"] for d in faulty.devices if d.name == "vu_blk")
    assert options.endswith(",fault=write-zeroes-ignored")
    assert "rng" not in {d.name for d in faulty.devices}, "QEMU's own device stays out of a model control"


def test_control_profiles_name_known_faults() -> None:
    """Every fault a profile switches on exists in the model library (reference-hv/devices/README.md)."""
    readme = (Path(__file__).resolve().parents[2] / "reference-hv" / "devices" / "README.md").read_text()
    for name in profiles.profile_names("qemu-arm64"):
        for dev in profiles.load("qemu-arm64", name).devices:
            for part in (dev.vhost_user or {}).get("options", "").split(","):
                if part.startswith("fault="):
                    assert f"`{part[6:]}`" in readme, f"{name}: fault {part[6:]} is not documented"


def test_probes_ask_declared_facts_over_the_host_link(tmp_path: Path) -> None:
    """A bare-metal probe has no command line: 'AVPS-FACT <key>' answers what the profile declares (the vsock echo port)."""
    services = HostServices(profiles.load("qemu-arm64", "vhost-user-gpio-i2c"), tmp_path)
    assert services.declared_fact("vsock_echo_port") == "AVPS-FACT-REPLY vsock_echo_port 1234"
    assert services.declared_fact(" nonsense ") == "AVPS-FACT-REPLY nonsense -"
