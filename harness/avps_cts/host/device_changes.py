"""Host side of the probe's config-change cases: device changes made through QMP when the guest asks (balloon target, network announcement), so the device really changes its configuration."""
from __future__ import annotations

import json

from .qmp import QmpClient, QmpError

MIB = 1024 * 1024


class HostBalloon:
    """Answers 'AVPS-BALLOON <nonce> <MiB>' by asking QEMU for a balloon of that size.

    The balloon target is the guest RAM the host wants left: memory_mib - MiB. QEMU then
    sets the device's num_pages to MiB * 256 (4 KiB pages) and raises a configuration
    change, which is what the guest observes.
    """

    def __init__(self, qmp: QmpClient, memory_mib: int) -> None:
        self.qmp = qmp
        self.memory_mib = memory_mib
        self.requested: list[str] = []  # evidence: 'nonce MiB' per target the host set

    def handle_request(self, arguments: str) -> str:
        """'<nonce> <MiB>' -> 'AVPS-BALLOON-REPLY <nonce> <MiB> <ok|error:...>'."""
        parts = arguments.split()
        if len(parts) != 2 or not parts[1].isdigit():
            return "AVPS-BALLOON-REPLY ? ? malformed-request"
        nonce, mib = parts[0], int(parts[1])
        if mib >= self.memory_mib:
            return f"AVPS-BALLOON-REPLY {nonce} {mib} error:larger-than-guest-ram"
        try:
            self.qmp.execute("balloon", {"value": (self.memory_mib - mib) * MIB})
        except QmpError as exc:
            return f"AVPS-BALLOON-REPLY {nonce} {mib} error:{str(exc).replace(' ', '_')[:80]}"
        self.requested.append(f"{nonce} {mib}")
        return f"AVPS-BALLOON-REPLY {nonce} {mib} ok"


class HostAnnounce:
    """Answers 'AVPS-ANNOUNCE <nonce>' with one QMP announce-self round: a virtio-net device
    that negotiated GUEST_ANNOUNCE sets VIRTIO_NET_S_ANNOUNCE and raises a config change."""

    def __init__(self, qmp: QmpClient) -> None:
        self.qmp = qmp
        self.requested: list[str] = []

    def handle_request(self, arguments: str) -> str:
        """'<nonce>' -> 'AVPS-ANNOUNCE-REPLY <nonce> <ok|error:...>'."""
        parts = arguments.split()
        if len(parts) != 1:
            return "AVPS-ANNOUNCE-REPLY ? malformed-request"
        nonce = parts[0]
        try:
            self.qmp.execute("announce-self", {"initial": 50, "max": 550, "rounds": 1, "step": 100})
        except QmpError as exc:
            return f"AVPS-ANNOUNCE-REPLY {nonce} error:{str(exc).replace(' ', '_')[:80]}"
        self.requested.append(nonce)
        return f"AVPS-ANNOUNCE-REPLY {nonce} ok"


class HostBalloonStats:
    """Answers 'AVPS-BALLOONSTATS <nonce>' with what QEMU recorded from the guest's last
    statistics buffer (QOM property guest-stats of the virtio-balloon device), so the guest
    can compare it with what it sent."""

    def __init__(self, qmp: QmpClient) -> None:
        self.qmp = qmp
        self.seen: list[str] = []

    def _balloon_path(self) -> str | None:
        for parent in ("/machine/peripheral-anon", "/machine/peripheral"):
            for child in self.qmp.execute("qom-list", {"path": parent}) or []:
                if "virtio-balloon-device" in str(child.get("type", "")):
                    return f"{parent}/{child['name']}"
        return None

    def handle_request(self, arguments: str) -> str:
        """'<nonce>' -> 'AVPS-BALLOONSTATS-REPLY <nonce> last-update=N <stat>=V ...' or '... error:...'."""
        parts = arguments.split()
        if len(parts) != 1:
            return "AVPS-BALLOONSTATS-REPLY ? malformed-request"
        nonce = parts[0]
        try:
            path = self._balloon_path()
            if path is None:
                return f"AVPS-BALLOONSTATS-REPLY {nonce} error:no-balloon-device"
            stats = self.qmp.execute("qom-get", {"path": path, "property": "guest-stats"})
        except QmpError as exc:
            return f"AVPS-BALLOONSTATS-REPLY {nonce} error:{str(exc).replace(' ', '_')[:80]}"
        values = " ".join(f"{k}={v}" for k, v in sorted(stats.get("stats", {}).items()) if 0 <= v < 2**64 - 1)
        line = f"AVPS-BALLOONSTATS-REPLY {nonce} last-update={stats.get('last-update', 0)} {values}".rstrip()
        self.seen.append(line)
        return line


class HostScsiResize:
    """Answers 'AVPS-SCSIRESIZE <nonce> <MiB>' by growing the disk behind the first scsi-hd
    device by MiB (QMP block_resize): QEMU's SCSI disk reports the capacity change, and a
    virtio-scsi device that negotiated VIRTIO_SCSI_F_CHANGE raises a PARAM_CHANGE event. The
    drive and its size are looked up once per boot (only this service resizes it), so a
    resize is one QMP command."""

    def __init__(self, qmp: QmpClient) -> None:
        self.qmp = qmp
        self.resized: list[str] = []  # evidence: 'nonce drive old->new' per change the host made
        self._drive: tuple[str, int] | None = None

    def _scsi_drive(self) -> tuple[str, int] | str:
        """(drive, size) of the first scsi-hd, or the reason there is none."""
        if self._drive:
            return self._drive
        for parent in ("/machine/peripheral-anon", "/machine/peripheral"):
            for child in self.qmp.execute("qom-list", {"path": parent}) or []:
                if str(child.get("type", "")) != "child<scsi-hd>":
                    continue
                drive = str(self.qmp.execute("qom-get", {"path": f"{parent}/{child['name']}", "property": "drive"}))
                sizes = [b["inserted"]["image"]["virtual-size"] for b in self.qmp.execute("query-block") or []
                         if b.get("device") == drive and "inserted" in b]
                if not sizes:
                    return f"no-medium-in-{drive}"
                self._drive = (drive, int(sizes[0]))
                return self._drive
        return "no-scsi-disk"

    def handle_request(self, arguments: str) -> str:
        """'<nonce> <MiB>' -> 'AVPS-SCSIRESIZE-REPLY <nonce> <MiB> <ok|error:...>'."""
        parts = arguments.split()
        if len(parts) != 2 or not parts[1].isdigit() or not 0 < int(parts[1]) <= 64:
            return "AVPS-SCSIRESIZE-REPLY ? ? malformed-request"
        nonce, mib = parts[0], int(parts[1])
        try:
            found = self._scsi_drive()
            if isinstance(found, str):
                return f"AVPS-SCSIRESIZE-REPLY {nonce} {mib} error:{found}"
            drive, size = found
            self.qmp.execute("block_resize", {"device": drive, "size": size + mib * MIB})
        except QmpError as exc:
            return f"AVPS-SCSIRESIZE-REPLY {nonce} {mib} error:{str(exc).replace(' ', '_')[:80]}"
        self._drive = (drive, size + mib * MIB)
        self.resized.append(f"{nonce} {drive} {size}->{size + mib * MIB}")
        return f"AVPS-SCSIRESIZE-REPLY {nonce} {mib} ok"


class HostScsiHotplug:
    """Answers 'AVPS-SCSIHOTPLUG <nonce> <step>[+<step>...]' with the steps in order, in one round
    trip: plug / unplug (QMP blockdev-add of a 1 MiB null-co node and device_add scsi-hd; device_del)
    one SCSI disk on the bus of the virtio-scsi device, plugcd / changecd /
    unplugcd the same for a SCSI CD (changecd: blockdev-change-medium to a 2 MiB null medium),
    and mark: grow the first scsi-hd by 1 MiB (HostScsiResize), a PARAM_CHANGE the guest can wait
    for after the steps before it. A plug answers 'ok target=N' (its SCSI target); the first
    failing step ends the sequence with 'error:<step>:...'."""

    NODE, DEVICE = "avpshotnode", "avpshotdisk"
    CD_NODE, CD_DEVICE = "avpshotcdnode", "avpshotcd"

    def __init__(self, qmp: QmpClient, resize: HostScsiResize) -> None:
        self.qmp = qmp
        self.resize = resize
        self.changes: list[str] = []  # evidence: 'nonce step' per change the host made
        self._bus: str | None = None

    def _scsi_bus(self) -> str:
        if self._bus is None:
            for child in self.qmp.execute("qom-list", {"path": "/machine/peripheral"}) or []:
                if str(child.get("type", "")) == "child<virtio-scsi-device>":
                    self._bus = f"{child['name']}.0"
                    break
            else:
                raise QmpError("no virtio-scsi device with an id")
        return self._bus

    def _plug(self, driver: str, node: str, device: str) -> str:
        bus = self._scsi_bus()
        self.qmp.execute("blockdev-add", {"driver": "null-co", "node-name": node, "size": MIB})
        self.qmp.execute("device_add", {"driver": driver, "id": device, "drive": node, "bus": bus})
        return f" target={self.qmp.execute('qom-get', {'path': f'/machine/peripheral/{device}', 'property': 'scsi-id'})}"

    def _change_cd(self) -> str:
        """One command: QEMU opens the tray, swaps the medium for a 2 MiB null one and closes it."""
        medium = json.dumps({"driver": "null-co", "size": 2 * MIB})
        self.qmp.execute("blockdev-change-medium", {"id": self.CD_DEVICE, "filename": f"json:{medium}", "force": True})
        return ""

    def _unplug(self, device: str) -> str:
        """device_del only: the null-co node stays until QEMU exits (a node in use cannot be deleted
        until QEMU has finished the unplug, and waiting for that costs the probe's time budget)."""
        self.qmp.execute("device_del", {"id": device})
        return ""

    def _mark(self, nonce: str) -> str:
        reply = self.resize.handle_request(f"{nonce} 1")
        if not reply.endswith(" ok"):
            raise QmpError(reply.rsplit(" ", 1)[-1])
        return ""

    def handle_request(self, arguments: str) -> str:
        """'<nonce> <steps>' -> 'AVPS-SCSIHOTPLUG-REPLY <nonce> <steps> <ok[ target=N]|error:<step>:...>'."""
        parts = arguments.split()
        steps = {"plug": lambda: self._plug("scsi-hd", self.NODE, self.DEVICE),
                 "unplug": lambda: self._unplug(self.DEVICE),
                 "plugcd": lambda: self._plug("scsi-cd", self.CD_NODE, self.CD_DEVICE),
                 "changecd": self._change_cd,
                 "unplugcd": lambda: self._unplug(self.CD_DEVICE),
                 "mark": lambda: self._mark(parts[0])}
        if len(parts) != 2 or not all(step in steps for step in parts[1].split("+")):
            return "AVPS-SCSIHOTPLUG-REPLY ? ? malformed-request"
        nonce, sequence = parts
        outcome = "ok"
        for step in sequence.split("+"):
            try:
                outcome += steps[step]()
            except QmpError as exc:
                return f"AVPS-SCSIHOTPLUG-REPLY {nonce} {sequence} error:{step}:{str(exc).replace(' ', '_')[:80]}"
            self.changes.append(f"{nonce} {step}")
        return f"AVPS-SCSIHOTPLUG-REPLY {nonce} {sequence} {outcome}"


class HostConsolePort:
    """Answers 'AVPS-PORTHOTPLUG <nonce> plug|unplug' by plugging one more port (QMP chardev-add
    of a null chardev, device_add virtserialport) on the virtio-serial bus, or removing it
    (device_del), so a guest driving its console in multiport mode sees the device's
    DEVICE_ADD and DEVICE_REMOVE control messages."""

    CHARDEV, DEVICE, NAME = "avpshotchr", "avpshotport", "avps.hotport"

    def __init__(self, qmp: QmpClient) -> None:
        self.qmp = qmp
        self.changes: list[str] = []  # evidence: 'nonce plug|unplug' per change the host made

    def handle_request(self, arguments: str) -> str:
        """'<nonce> plug|unplug' -> 'AVPS-PORTHOTPLUG-REPLY <nonce> <action> <ok|error:...>'."""
        parts = arguments.split()
        if len(parts) != 2 or parts[1] not in ("plug", "unplug"):
            return "AVPS-PORTHOTPLUG-REPLY ? ? malformed-request"
        nonce, action = parts
        try:
            if action == "plug":
                self.qmp.execute("chardev-add", {"id": self.CHARDEV, "backend": {"type": "null", "data": {}}})
                self.qmp.execute("device_add", {"driver": "virtserialport", "id": self.DEVICE,
                                                "chardev": self.CHARDEV, "name": self.NAME})
            else:
                self.qmp.execute("device_del", {"id": self.DEVICE})
        except QmpError as exc:
            return f"AVPS-PORTHOTPLUG-REPLY {nonce} {action} error:{str(exc).replace(' ', '_')[:80]}"
        self.changes.append(f"{nonce} {action}")
        return f"AVPS-PORTHOTPLUG-REPLY {nonce} {action} ok"
