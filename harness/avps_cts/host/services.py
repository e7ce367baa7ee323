"""The host side of one boot on QEMU: every service a run starts around the guest, started and stopped together."""
from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path
from typing import Iterator

from ..profiles import PlatformConfig
from . import disk_content
from .console_echo import EchoResponder, RequestHandler
from .device_changes import HostAnnounce, HostBalloon, HostBalloonStats, HostConsolePort, HostScsiHotplug, HostScsiResize
from .files import SharedDirectories
from .input_events import HostInput
from .migration import HostMigration
from .net_echo import TcpEchoServer
from .qmp import QmpClient
from .screen import HostScreen
from .vhost_user import BackendSpec, VhostUserBackend, backend_binary
from .virtiofsd import VirtiofsDaemons


class HostServices:
    """Per-run host services, named by placeholders in the profile: {disk:NAME} (a fresh disk image),
    {socket:NAME} (a console socket, with a responder), {dir:NAME} (a shared directory),
    {qmp:NAME} (a QMP socket: host input, screen, balloon, announce), {virtiofsd:NAME} (the
    vhost-user socket of a virtiofsd serving directory NAME), {mem_mib} (the guest RAM size, for a
    memory backend object); in params {port:NAME} (a TCP echo port), {seed:NAME} (a shared
    directory's nonce) and {nonce:DISK} (a random nonce per disk, checked in the image after the
    boot); a device's vhost_user entry starts a reference device model behind its socket.

    running() starts them all before QEMU and stops them all after, whatever happened; the direct
    run, LAVA's local runs (lava/host_services.py) and make bench use this one lifecycle."""

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        self.config = config
        self.scratch = scratch
        self.shares = SharedDirectories(scratch)
        self.virtiofs = VirtiofsDaemons(scratch)
        self.tcp_echo: dict[str, TcpEchoServer] = {}
        self.monitors: list[QmpClient] = []
        self.backends: list[VhostUserBackend] = []
        self.backend_problems: list[str] = []
        self.disk_nonces: dict[str, str] = {}
        self.host_input: HostInput | None = None
        self.host_screen: HostScreen | None = None
        self.host_balloon: HostBalloon | None = None
        self.host_announce: HostAnnounce | None = None
        self.host_balloon_stats: HostBalloonStats | None = None
        self.host_migration: HostMigration | None = None
        self.host_scsi_resize: HostScsiResize | None = None
        self.host_scsi_hotplug: HostScsiHotplug | None = None
        self.host_console_port: HostConsolePort | None = None

    # ---- placeholders -------------------------------------------------------------------------
    def placeholders(self, kind: str) -> list[str]:
        texts = [a for dev in self.config.devices for a in dev.args] + list(self.config.params.values())
        return sorted({m for t in texts for m in re.findall(r"\{" + kind + r":(\w+)\}", t)})

    def substitute(self, arg: str) -> str:
        """A device argument with its {disk:}, {socket:}, {dir:}, {qmp:}, {virtiofsd:}, {mem_mib} filled in."""
        def disk(match: re.Match[str]) -> str:
            return str(self.scratch / f"{match.group(1)}.img")

        def sock(match: re.Match[str]) -> str:
            return str(self.scratch / f"{match.group(1)}.sock")

        def share(match: re.Match[str]) -> str:
            return str(self.shares.path(match.group(1)))

        def qmp(match: re.Match[str]) -> str:
            return str(self.scratch / f"{match.group(1)}.qmp")

        def virtiofsd(match: re.Match[str]) -> str:
            return str(self.virtiofs.socket(match.group(1)))

        arg = arg.replace("{mem_mib}", str(self.config.memory_mib))
        arg = re.sub(r"\{virtiofsd:(\w+)\}", virtiofsd, arg)
        arg = re.sub(r"\{dir:(\w+)\}", share, re.sub(r"\{qmp:(\w+)\}", qmp, arg))
        return re.sub(r"\{socket:(\w+)\}", sock, re.sub(r"\{disk:(\w+)\}", disk, arg))

    def substitute_param(self, value: str) -> str:
        """An avps.* param value with its {port:}, {seed:}, {nonce:} filled in."""
        def port(match: re.Match[str]) -> str:
            server = self.tcp_echo.get(match.group(1))
            return str(server.port) if server else "0"

        def seed(match: re.Match[str]) -> str:
            return self.shares.seeds.get(match.group(1), "none")

        def nonce(match: re.Match[str]) -> str:
            return self.disk_nonces.setdefault(match.group(1), secrets.token_hex(8))

        value = re.sub(r"\{nonce:(\w+)\}", nonce, value)
        return re.sub(r"\{seed:(\w+)\}", seed, re.sub(r"\{port:(\w+)\}", port, value))

    def disk_images(self) -> dict[str, Path]:
        """nonce -> the image file of the disk it was issued for ({nonce:DISK} in params)."""
        return {n: self.scratch / f"{disk}.img" for disk, n in self.disk_nonces.items()}

    # ---- lifecycle ----------------------------------------------------------------------------
    def _prepare_files(self) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        for dev in self.config.devices:
            for name, mib in dev.disks.items():
                path = self.scratch / f"{name}.img"
                path.unlink(missing_ok=True)
                with path.open("wb") as f:
                    f.truncate(mib * 1024 * 1024)
        for name in sorted(set(self.placeholders("dir")) | set(self.placeholders("virtiofsd"))):
            self.shares.create(name)

    def _request_handlers(self) -> dict[str, RequestHandler]:
        """What the console responders answer besides echo: AVPS-SCREEN/-BALLOON/-ANNOUNCE/-BALLOONSTATS/-MIGRATE/
        -SCSIRESIZE/-SCSIHOTPLUG/-PORTHOTPLUG through the first QMP monitor, AVPS-INPUT through the input
        models' back ends and that monitor, AVPS-FILE, AVPS-DISK, AVPS-FACT. Called once the back ends run."""
        handlers: dict[str, RequestHandler] = {}
        self.monitors = [QmpClient(self.scratch / f"{name}.qmp") for name in self.placeholders("qmp")]
        self.host_input = HostInput(self.monitors[0] if self.monitors else None, self.backends)
        if self.monitors or self.host_input.backends:
            handlers["AVPS-INPUT"] = self.host_input.handle_request
        if self.monitors:
            monitor = self.monitors[0]
            self.host_screen = HostScreen(monitor, self.scratch)
            self.host_balloon = HostBalloon(monitor, self.config.memory_mib)
            self.host_announce = HostAnnounce(monitor)
            self.host_balloon_stats = HostBalloonStats(monitor)
            handlers["AVPS-SCREEN"] = self.host_screen.handle_request
            handlers["AVPS-BALLOON"] = self.host_balloon.handle_request
            handlers["AVPS-ANNOUNCE"] = self.host_announce.handle_request
            handlers["AVPS-BALLOONSTATS"] = self.host_balloon_stats.handle_request
            self.host_migration = HostMigration(monitor)
            handlers["AVPS-MIGRATE"] = self.host_migration.handle_request
            self.host_scsi_resize = HostScsiResize(monitor)
            self.host_scsi_hotplug = HostScsiHotplug(monitor, self.host_scsi_resize)
            self.host_console_port = HostConsolePort(monitor)
            handlers["AVPS-SCSIRESIZE"] = self.host_scsi_resize.handle_request
            handlers["AVPS-SCSIHOTPLUG"] = self.host_scsi_hotplug.handle_request
            handlers["AVPS-PORTHOTPLUG"] = self.host_console_port.handle_request
        if self.shares.seeds:
            handlers["AVPS-FILE"] = self.shares.handle_request
        if self.placeholders("nonce"):
            handlers["AVPS-DISK"] = lambda arguments: disk_content.handle_request(arguments, self.disk_images())
        handlers["AVPS-FACT"] = self.declared_fact
        return handlers

    def declared_fact(self, key: str) -> str:
        """'AVPS-FACT <key>' -> 'AVPS-FACT-REPLY <key> <value>' (or '-'): a fact the platform declares
        (avps.<key>), for the bare-metal probes, which have no kernel command line to read it from."""
        key = key.strip()
        value = self.config.params.get(key)
        return f"AVPS-FACT-REPLY {key} {self.substitute_param(value) if value is not None else '-'}"

    def _start_backends(self) -> None:
        """One vhost-user back end per device that declares one, before QEMU connects to it."""
        specs = [BackendSpec.from_yaml(dict(dev.vhost_user), f"device {dev.name}")
                 for dev in self.config.devices if dev.vhost_user]
        if not specs:
            return
        binary = backend_binary(self.scratch)
        for spec in specs:
            self.backends.append(VhostUserBackend(binary, spec, self.scratch).start())

    @contextlib.contextmanager
    def running(self) -> Iterator[list[EchoResponder]]:
        """Starts every service (disks, shares, back ends, TCP echo, virtiofsd, a responder on every
        console socket); yields the console responders; stops them all on exit."""
        self._prepare_files()
        responders: list[EchoResponder] = []
        self.backends, self.backend_problems = [], []
        try:
            self._start_backends()
            handlers = self._request_handlers()
            for name in self.placeholders("port"):
                self.tcp_echo[name] = TcpEchoServer().start()
            for name in self.placeholders("virtiofsd"):
                self.virtiofs.start(name, self.shares.path(name))
            for dev in self.config.devices:
                for sock in dev.sockets:
                    answers = dev.echo == sock and self.config.echo
                    responders.append(EchoResponder(self.scratch / f"{sock}.sock", reply=answers,
                                                    handlers=handlers).start())
            yield responders
        finally:
            for responder in responders:
                responder.stop()
            for server in self.tcp_echo.values():
                server.stop()
            for monitor in self.monitors:
                monitor.close()
            self.virtiofs.stop()
            for backend in self.backends:
                problem = backend.stop()
                if problem:
                    self.backend_problems.append(problem)

    def evidence(self, responders: list[EchoResponder]) -> dict[str, object]:
        """What the host saw during the boot, for the host checks and the report."""
        evidence: dict[str, object] = {"console_lines_received": [r for resp in responders for r in resp.received]}
        if self.tcp_echo:
            evidence["tcp_echo_bytes"] = {n: s.bytes_echoed for n, s in self.tcp_echo.items()}
        if self.backends:
            evidence["vhost_user_logs"] = {b.spec.socket: b.log_text().splitlines()[-20:] for b in self.backends}
        if self.host_input and (self.monitors or self.host_input.backends):
            evidence["input_injected"] = self.host_input.injected
        if self.host_screen and self.host_balloon and self.host_announce:
            evidence["screen_seen"] = self.host_screen.seen
            evidence["balloon_targets_set"] = self.host_balloon.requested
            evidence["announcements_requested"] = self.host_announce.requested
        if self.host_scsi_resize and self.host_scsi_hotplug and self.host_console_port:
            evidence["scsi_disks_resized"] = self.host_scsi_resize.resized
            evidence["scsi_hotplug_changes"] = self.host_scsi_hotplug.changes
            evidence["console_port_changes"] = self.host_console_port.changes
        return evidence
