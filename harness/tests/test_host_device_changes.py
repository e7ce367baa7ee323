"""The host's device-change services: a guest request line becomes one QMP command and one reply line."""
from __future__ import annotations

from typing import Any

from avps_cts.host.device_changes import HostAnnounce, HostBalloon, HostBalloonStats
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
