"""The vhost-user back end (reference-hv/vhost-user) driven from Python as QEMU would: handshake, shared memory, rings, refusals, reconnects."""
from __future__ import annotations

import mmap
import os
import select
import socket
import struct
from pathlib import Path
from typing import Any

import pytest

from avps_cts import profiles
from avps_cts.host.input_events import HostInput
from avps_cts.host.qmp import QmpClient
from avps_cts.host.services import HostServices
from avps_cts.host.vhost_user import BackendSpec, VhostUserBackend, VhostUserError

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES = 12, 13, 15, 16
GET_QUEUE_NUM, SET_VRING_ENABLE, GET_CONFIG, SET_CONFIG = 17, 18, 24, 25
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


RING_SIZE, RING_DESC, RING_AVAIL, RING_USED = 8, 0x1000, 0x2000, 0x3000


def share_ring(front: Front, memfd: int, kick: int, call: int) -> None:
    """What QEMU sends to start ring 0 once the driver is ready: memfd guest RAM at RAM_GPA (mapped at
    RAM_VA in QEMU), a split ring of RING_SIZE at RING_DESC/RING_AVAIL/RING_USED, kick and call eventfds."""
    front.send(SET_OWNER)
    front.send(SET_FEATURES, struct.pack("<Q", (1 << 32) | PROTOCOL_FEATURES_BIT))
    table = struct.pack("<II", 1, 0) + struct.pack("<QQQQ", RAM_GPA, RAM_BYTES, RAM_VA, 0) + bytes(32 * 7)
    front.send(SET_MEM_TABLE, table, [memfd])
    front.send(SET_VRING_NUM, struct.pack("<II", 0, RING_SIZE))
    front.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, RAM_VA + RING_DESC, RAM_VA + RING_USED,
                                           RAM_VA + RING_AVAIL, 0))
    front.send(SET_VRING_BASE, struct.pack("<II", 0, 0))
    front.send(SET_VRING_CALL, struct.pack("<Q", 0), [call])
    front.send(SET_VRING_KICK, struct.pack("<Q", 0), [kick])
    front.send(SET_VRING_ENABLE, struct.pack("<II", 0, 1))


def test_entropy_request_through_shared_memory(binary: Path, tmp_path: Path) -> None:
    """The whole path QEMU uses: memfd RAM, ring addresses as QEMU virtual addresses, kick and call eventfds."""
    backend = start(binary, tmp_path, "entropy")
    memfd = os.memfd_create("guest-ram")
    os.ftruncate(memfd, RAM_BYTES)
    ram = mmap.mmap(memfd, RAM_BYTES)
    kick, call = os.eventfd(0), os.eventfd(0)
    try:
        front = Front(backend.socket_path)
        share_ring(front, memfd, kick, call)
        desc, avail, used, buf = RING_DESC, RING_AVAIL, RING_USED, 0x8000
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


INPUT_CONFIG_BYTES = 136  # struct virtio_input_config: select, subsel, size, reserved[5], u[128]


def input_query(front: Front, select: int, subsel: int) -> bytes:
    """What QEMU's vhost-user-input does for a guest's select/subsel write and the read after it: SET_CONFIG of
    the whole config space, then GET_CONFIG of the whole config space; returns size and u."""
    config = bytes([select, subsel]) + bytes(INPUT_CONFIG_BYTES - 2)
    front.send(SET_CONFIG, struct.pack("<III", 0, INPUT_CONFIG_BYTES, 0) + config)
    front.send(GET_CONFIG, struct.pack("<III", 0, INPUT_CONFIG_BYTES, 0) + bytes(INPUT_CONFIG_BYTES))
    reply = front.reply()
    assert struct.unpack("<II", reply[:8]) == (0, INPUT_CONFIG_BYTES)
    payload = reply[12:]
    return payload[8:8 + payload[2]]


@pytest.mark.parametrize("fault", ["", "fault=unsupported-size-nonzero"])
def test_input_config_queries_as_qemu_makes_them(binary: Path, tmp_path: Path, fault: str) -> None:
    """Queries answered through GET_CONFIG; under the model's unsupported-size-nonzero fault an undefined
    select answers size 1 (what the probe's virtio.input.unsupported_query_size_zero would see)."""
    backend = start(binary, tmp_path, "input", ",".join(filter(None, ["kind=tablet", fault])))
    try:
        front = Front(backend.socket_path)
        assert front.ask_u64(GET_PROTOCOL_FEATURES) & (1 << 9), "CONFIG not offered: QEMU's vhost-user-input needs it"
        assert front.ask_u64(GET_QUEUE_NUM) == 2
        assert input_query(front, 0x01, 0) == b"AVPS virtio tablet"
        assert struct.unpack("<II", input_query(front, 0x12, 0)[:8]) == (0, 32767)  # ABS_INFO of ABS_X
        assert input_query(front, 0x7E, 0) == (b"\0" if fault else b""), "an undefined select answers size 0"
    finally:
        assert backend.stop() is None


def test_input_host_requests_through_the_control_socket(binary: Path, tmp_path: Path) -> None:
    keyboard = start(binary, tmp_path, "input", "kind=keyboard")
    entropy = VhostUserBackend(binary, BackendSpec(model="entropy", socket="rng"), tmp_path).start()
    try:
        assert keyboard.host_request("key") == (True, "2")  # key down, key up (SYN_REPORTs not counted)
        assert keyboard.host_request("abs") == (False, "the input model does not serve 'abs'")
        assert entropy.host_request("key") == (False, "the entropy model takes no host requests")
        assert "host request 'key': ok 2" in keyboard.log_text()
    finally:
        assert keyboard.stop() is None
        assert entropy.stop() is None


class RecordingQmp(QmpClient):
    """A monitor that records the commands it is given instead of sending them to QEMU."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commands: list[tuple[str, dict[str, Any]]] = []

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        self.commands.append((command, arguments or {}))
        return {}


def test_host_input_injects_through_the_back_end_that_takes_the_kind(binary: Path, tmp_path: Path) -> None:
    backends = [VhostUserBackend(binary, BackendSpec(model="input", socket=kind, options=f"kind={kind}"),
                                 tmp_path).start() for kind in ("keyboard", "mouse")]
    try:
        host = HostInput(None, backends)
        assert host.handle_request("1a key") == "AVPS-INPUT-REPLY 1a key 2"
        assert host.handle_request("1b rel") == "AVPS-INPUT-REPLY 1b rel 2"
        assert host.handle_request("1c abs") == "AVPS-INPUT-REPLY 1c abs error:no-input-device-takes-this-kind"
        assert host.injected == ["key 1a", "rel 1b"]
        # With QEMU's own devices beside them, a kind no back end takes goes through QMP.
        monitor = RecordingQmp(tmp_path / "mon.qmp")
        mixed = HostInput(monitor, backends)
        assert mixed.handle_request("2a key") == "AVPS-INPUT-REPLY 2a key 2"
        assert mixed.handle_request("2b abs") == "AVPS-INPUT-REPLY 2b abs 2"
        assert [(c, len(a["events"])) for c, a in monitor.commands] == [("input-send-event", 2)]
    finally:
        for backend in backends:
            assert backend.stop() is None


@pytest.mark.parametrize("fault", ["", "fault=events-not-delivered"])
def test_input_events_the_host_injects_reach_eventq(binary: Path, tmp_path: Path, fault: str) -> None:
    """A key press handed to the keyboard's back end lands in the guest's eventq buffers as
    EV_KEY KEY_A 1, SYN, EV_KEY KEY_A 0, SYN, with a used-buffer notification; under the model's
    events-not-delivered fault the request is taken and nothing arrives (the vu-input control's reason)."""
    backend = start(binary, tmp_path, "input", ",".join(filter(None, ["kind=keyboard", fault])))
    memfd = os.memfd_create("guest-ram")
    os.ftruncate(memfd, RAM_BYTES)
    ram = mmap.mmap(memfd, RAM_BYTES)
    kick, call = os.eventfd(0), os.eventfd(0)
    try:
        front = Front(backend.socket_path)
        share_ring(front, memfd, kick, call)
        # The driver fills eventq with 8-byte device-writable buffers (struct virtio_input_event).
        for i in range(RING_SIZE):
            ram[RING_DESC + 16 * i:RING_DESC + 16 * (i + 1)] = struct.pack("<QIHH", RAM_GPA + 0x8000 + 8 * i, 8, 2, 0)
            ram[RING_AVAIL + 4 + 2 * i:RING_AVAIL + 6 + 2 * i] = struct.pack("<H", i)
        ram[RING_AVAIL + 2:RING_AVAIL + 4] = struct.pack("<H", RING_SIZE)
        os.eventfd_write(kick, 1)
        assert front.ask_u64(GET_QUEUE_NUM) == 2  # a round trip: every ring message before it was handled
        assert backend.host_request("key") == (True, "2")
        ready, _, _ = select.select([call], [], [], 0.5 if fault else 5)
        used_idx, = struct.unpack("<H", ram[RING_USED + 2:RING_USED + 4])
        if fault:
            assert not ready and used_idx == 0, "the fault delivered events"
            return
        assert ready and used_idx == 4, f"used index {used_idx}"
        events = []
        for slot in range(4):
            elem_id, elem_len = struct.unpack("<II", ram[RING_USED + 4 + 8 * slot:RING_USED + 12 + 8 * slot])
            assert elem_len == 8
            events.append(struct.unpack("<HHI", ram[0x8000 + 8 * elem_id:0x8000 + 8 * elem_id + 8]))
        assert events == [(1, 30, 1), (0, 0, 0), (1, 30, 0), (0, 0, 0)]
    finally:
        ram.close()
        for fd in (memfd, kick, call):
            os.close(fd)
        assert backend.stop() is None


def test_input_back_end_survives_qemu_and_host_going_away(binary: Path, tmp_path: Path) -> None:
    """QEMU disconnecting (cleanly, or inside a message), and a host control client sending garbage or
    leaving with a request half written, leave a back end that serves the next QEMU and the next request."""
    backend = start(binary, tmp_path, "input", "kind=mouse")
    try:
        front = Front(backend.socket_path)
        assert input_query(front, 0x01, 0) == b"AVPS virtio mouse"
        front.sock.close()
        cut = Front(backend.socket_path)
        cut.sock.sendall(struct.pack("<III", SET_CONFIG, 1, INPUT_CONFIG_BYTES + 12) + b"\x01")
        cut.sock.close()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as host:
            host.settimeout(5)
            host.connect(str(backend.control_path))
            host.sendall(b"x" * 200)
            assert host.recv(100).startswith(b"refused request line too long")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as host:
            host.connect(str(backend.control_path))
            host.sendall(b"re")  # and gone
        assert backend.host_request("rel") == (True, "2")
        again = Front(backend.socket_path)
        assert again.ask_u64(GET_QUEUE_NUM) == 2
        assert input_query(again, 0x01, 0) == b"AVPS virtio mouse"
        assert "QEMU disconnected" in backend.log_text()
    finally:
        assert backend.stop() is None, "the back end died"


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
