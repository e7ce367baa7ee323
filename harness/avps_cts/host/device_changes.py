"""Host side of the probe's config-change cases: device changes made through QMP when the guest asks (balloon target, network announcement), so the device really changes its configuration."""
from __future__ import annotations

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
