"""The host's device-change services: a guest request line becomes one QMP command and one reply line."""
from __future__ import annotations

from typing import Any

from avps_cts.host.device_changes import (HostAnnounce, HostBalloon, HostBalloonStats, HostConsolePort,
                                         HostScsiHotplug, HostScsiResize)
from avps_cts.host.qmp import QmpError


class RecordingMonitor:
    """Stands in for QEMU's monitor socket: records commands, optionally refuses them."""

    def __init__(self, error: str | None = None) -> None:
        self.commands: list[tuple[str, Any]] = []
        self.error = error

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        self.commands.append((command, arguments))
        if self.error:
            raise QmpError(self.error)
        return {}


def test_balloon_request_sets_the_target_left_to_the_guest() -> None:
    monitor = RecordingMonitor()
    balloon = HostBalloon(monitor, memory_mib=1024)  # type: ignore[arg-type]
    assert balloon.handle_request("7 16") == "AVPS-BALLOON-REPLY 7 16 ok"
    assert monitor.commands == [("balloon", {"value": 1008 * 1024 * 1024})]
    assert balloon.requested == ["7 16"]


def test_balloon_request_errors_are_replies_not_exceptions() -> None:
    balloon = HostBalloon(RecordingMonitor("No balloon device has been activated"), memory_mib=1024)  # type: ignore[arg-type]
    assert balloon.handle_request("3 16") == "AVPS-BALLOON-REPLY 3 16 error:No_balloon_device_has_been_activated"
    assert balloon.handle_request("3 2048") == "AVPS-BALLOON-REPLY 3 2048 error:larger-than-guest-ram"
    assert balloon.handle_request("garbage") == "AVPS-BALLOON-REPLY ? ? malformed-request"
    assert balloon.requested == []


def test_announce_request_runs_one_announce_round() -> None:
    monitor = RecordingMonitor()
    announce = HostAnnounce(monitor)  # type: ignore[arg-type]
    assert announce.handle_request("9") == "AVPS-ANNOUNCE-REPLY 9 ok"
    assert monitor.commands[0][0] == "announce-self" and monitor.commands[0][1]["rounds"] == 1
    assert announce.handle_request("9 extra") == "AVPS-ANNOUNCE-REPLY ? malformed-request"


class QomMonitor(RecordingMonitor):
    """Answers qom-list / qom-get like QEMU with one virtio-balloon device plugged."""

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        super().execute(command, arguments)
        if command == "qom-list":
            if arguments == {"path": "/machine/peripheral-anon"}:
                return [{"name": "device[0]", "type": "child<virtio-rng-device>"},
                        {"name": "device[3]", "type": "child<virtio-balloon-device>"}]
            return []
        assert command == "qom-get" and arguments == {"path": "/machine/peripheral-anon/device[3]",
                                                      "property": "guest-stats"}
        return {"stats": {"stat-swap-in": 4581, "stat-free-memory": 276176896,
                          "stat-total-memory": 2**64 - 1, "stat-disk-caches": -1}, "last-update": 1796170295}


def test_balloon_stats_reply_lists_only_values_the_guest_set() -> None:
    stats = HostBalloonStats(QomMonitor())  # type: ignore[arg-type]
    assert stats.handle_request("1") == ("AVPS-BALLOONSTATS-REPLY 1 last-update=1796170295 "
                                         "stat-free-memory=276176896 stat-swap-in=4581")
    assert HostBalloonStats(RecordingMonitor("down")).handle_request("2") == "AVPS-BALLOONSTATS-REPLY 2 error:down"  # type: ignore[arg-type]


class ScsiMonitor(RecordingMonitor):
    """Answers like QEMU with one scsi-hd on drive scsidisk0 (16 MiB) plugged."""

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        super().execute(command, arguments)
        if command == "qom-list":
            if arguments == {"path": "/machine/peripheral-anon"}:
                return [{"name": "device[5]", "type": "child<virtio-scsi-device>"},
                        {"name": "device[6]", "type": "child<scsi-hd>"}]
            return []
        if command == "qom-get":
            assert arguments == {"path": "/machine/peripheral-anon/device[6]", "property": "drive"}
            return "scsidisk0"
        if command == "query-block":
            return [{"device": "blk0", "inserted": {"image": {"virtual-size": 1}}},
                    {"device": "scsidisk0", "inserted": {"image": {"virtual-size": 16 * 1024 * 1024}}}]
        return {}


def test_scsi_resize_grows_the_scsi_disk_by_the_asked_size() -> None:
    monitor = ScsiMonitor()
    resize = HostScsiResize(monitor)  # type: ignore[arg-type]
    assert resize.handle_request("5 1") == "AVPS-SCSIRESIZE-REPLY 5 1 ok"
    assert monitor.commands[-1] == ("block_resize", {"device": "scsidisk0", "size": 17 * 1024 * 1024})
    assert resize.resized == [f"5 scsidisk0 {16 * 1024 * 1024}->{17 * 1024 * 1024}"]
    before = len(monitor.commands)
    assert resize.handle_request("6 2") == "AVPS-SCSIRESIZE-REPLY 6 2 ok"  # the drive and its size are known now
    assert monitor.commands[before:] == [("block_resize", {"device": "scsidisk0", "size": 19 * 1024 * 1024})]


def test_scsi_resize_errors_are_replies_not_exceptions() -> None:
    assert HostScsiResize(RecordingMonitor("down")).handle_request("4 1") == "AVPS-SCSIRESIZE-REPLY 4 1 error:down"  # type: ignore[arg-type]
    assert HostScsiResize(RecordingMonitor()).handle_request("4 1") == "AVPS-SCSIRESIZE-REPLY 4 1 error:no-scsi-disk"  # type: ignore[arg-type]
    assert HostScsiResize(ScsiMonitor()).handle_request("4 0") == "AVPS-SCSIRESIZE-REPLY ? ? malformed-request"  # type: ignore[arg-type]


class PeripheralMonitor(ScsiMonitor):
    """Answers like QEMU with virtio-scsi-device id=scsi0 (and the scsi-hd of ScsiMonitor) plugged."""

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        if command == "qom-list" and arguments == {"path": "/machine/peripheral"}:
            self.commands.append((command, arguments))
            return [{"name": "scsi0", "type": "child<virtio-scsi-device>"}]
        if command == "qom-get" and arguments and arguments["property"] == "scsi-id":
            self.commands.append((command, arguments))
            return 3
        return super().execute(command, arguments)


def test_scsi_hotplug_runs_its_steps_in_one_request() -> None:
    monitor = PeripheralMonitor()
    hotplug = HostScsiHotplug(monitor, HostScsiResize(monitor))  # type: ignore[arg-type]
    assert hotplug.handle_request("8 plug+mark") == "AVPS-SCSIHOTPLUG-REPLY 8 plug+mark ok target=3"
    added = [a for c, a in monitor.commands if c == "device_add"]
    assert added == [{"driver": "scsi-hd", "id": "avpshotdisk", "drive": "avpshotnode", "bus": "scsi0.0"}]
    assert monitor.commands[-1] == ("block_resize", {"device": "scsidisk0", "size": 17 * 1024 * 1024})
    assert hotplug.handle_request("9 plugcd+changecd+unplugcd") == \
        "AVPS-SCSIHOTPLUG-REPLY 9 plugcd+changecd+unplugcd ok target=3"
    names = [c for c, _ in monitor.commands]
    assert names[-2:] == ["blockdev-change-medium", "device_del"]
    assert monitor.commands[-2][1]["filename"] == 'json:{"driver": "null-co", "size": 2097152}'
    assert hotplug.changes == ["8 plug", "8 mark", "9 plugcd", "9 changecd", "9 unplugcd"]


def test_scsi_hotplug_errors_are_replies_not_exceptions() -> None:
    quiet = HostScsiHotplug(RecordingMonitor(), HostScsiResize(RecordingMonitor()))  # type: ignore[arg-type]
    refusing = HostScsiHotplug(RecordingMonitor("gone"), HostScsiResize(RecordingMonitor("gone")))  # type: ignore[arg-type]
    assert quiet.handle_request("2 plug") == "AVPS-SCSIHOTPLUG-REPLY 2 plug error:plug:no_virtio-scsi_device_with_an_id"
    assert refusing.handle_request("2 unplug+mark") == "AVPS-SCSIHOTPLUG-REPLY 2 unplug+mark error:unplug:gone"
    assert quiet.handle_request("2 mark") == "AVPS-SCSIHOTPLUG-REPLY 2 mark error:mark:error:no-scsi-disk"
    assert quiet.handle_request("2 plug+eject") == "AVPS-SCSIHOTPLUG-REPLY ? ? malformed-request"
    assert quiet.changes == [] and refusing.changes == []


def test_console_port_plug_and_unplug_are_one_qmp_change_each() -> None:
    monitor = RecordingMonitor()
    port = HostConsolePort(monitor)  # type: ignore[arg-type]
    assert port.handle_request("c1 plug") == "AVPS-PORTHOTPLUG-REPLY c1 plug ok"
    assert [c for c, _ in monitor.commands] == ["chardev-add", "device_add"]
    assert monitor.commands[1][1]["driver"] == "virtserialport"
    assert port.handle_request("c1 unplug") == "AVPS-PORTHOTPLUG-REPLY c1 unplug ok"
    assert monitor.commands[2] == ("device_del", {"id": "avpshotport"})
    assert port.changes == ["c1 plug", "c1 unplug"]
    assert port.handle_request("c1 50") == "AVPS-PORTHOTPLUG-REPLY ? ? malformed-request"
    assert HostConsolePort(RecordingMonitor("busy")).handle_request("c2 plug") == "AVPS-PORTHOTPLUG-REPLY c2 plug error:busy"  # type: ignore[arg-type]
