"""QEMU 'virt' aarch64 target: builds the command line from a platform profile, boots, streams the console."""
from __future__ import annotations

import contextlib
import platform
import re
import secrets
import subprocess
from pathlib import Path
from typing import Iterator

from ..cache import require_program
from .. import host_disk_content
from ..cmdline_digest import close_command_line, new_nonce
from ..console_echo import EchoResponder, RequestHandler
from ..host_files import SharedDirectories
from ..host_device_changes import HostAnnounce, HostBalloon, HostBalloonStats
from ..host_input import HostInput
from ..host_qmp import QmpClient
from ..host_screen import HostScreen
from ..host_virtiofsd import VirtiofsDaemons
from ..host_net_echo import TcpEchoServer
from ..host_vhost_user import BackendSpec, VhostUserBackend, backend_binary
from ..profiles import PlatformConfig
from ..qmp_events import ShutdownWatcher
from .base import BootImage, BootOutput, stream_process

_DONE_MARKERS = ("avps-runner: done", "avps-init: powering off")


def qemu_version(binary: str) -> str:
    try:
        text = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"version (\S+)", text)
    return match.group(1) if match else "unknown"


def accelerator() -> list[str]:
    """KVM only where the host is aarch64 and /dev/kvm is usable; TCG everywhere else."""
    if platform.machine() == "aarch64" and Path("/dev/kvm").exists():
        return ["-accel", "kvm", "-accel", "tcg"]
    return ["-accel", "tcg"]


class QemuTarget:
    """Boots one image on QEMU under one platform profile."""

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        self.config = config
        self.scratch = scratch
        self.binary = require_program(config.qemu, "qemu-system-arm")
        # Per-run host services, named by placeholders in the profile: {dir:NAME} in device
        # args (a shared directory), {qmp:NAME} (a QMP socket: host input injection),
        # {port:NAME} / {seed:NAME} in params (a TCP echo port; a shared directory's nonce),
        # {virtiofsd:NAME} (the vhost-user socket of a virtiofsd serving shared directory NAME),
        # {mem_mib} (the guest RAM size, for a memory backend object).
        self.shares = SharedDirectories(scratch)
        self.virtiofs = VirtiofsDaemons(scratch)
        self.tcp_echo: dict[str, TcpEchoServer] = {}
        self.monitors: list[QmpClient] = []
        # {device: vhost_user: ...}: reference device models served over vhost-user sockets.
        self.backends: list[VhostUserBackend] = []
        self.backend_problems: list[str] = []
        # {nonce:DISK} in params: one random 64-bit nonce per disk image for this target's run;
        # the guest derives what it writes from it and the host checks the image after the boot.
        self.disk_nonces: dict[str, str] = {}
        self.boot_nonce = new_nonce()  # makes each run's command line (and its digest) unique

    def platform_facts(self) -> dict[str, object]:
        facts: dict[str, object] = dict(self.config.to_json())
        facts["qemu_version"] = qemu_version(self.binary)
        facts["accelerator"] = accelerator()[1]
        return facts

    def _substitute(self, arg: str) -> str:
        def disk(match: re.Match[str]) -> str:
            return str(self.scratch / f"{match.group(1)}.img")

        def sock(match: re.Match[str]) -> str:
            return str(self.scratch / f"{match.group(1)}.sock")

        def share(match: re.Match[str]) -> str:
            return str(self.shares.path(match.group(1)))

        def qmp(match: re.Match[str]) -> str:
            return str(self.scratch / f"{match.group(1)}.qmp")

        # {mem_mib}: guest RAM size, for the shared memory backend vhost-user devices need.
        arg = arg.replace("{mem_mib}", str(self.config.memory_mib))
        def virtiofsd(match: re.Match[str]) -> str:
            return str(self.virtiofs.socket(match.group(1)))

        arg = re.sub(r"\{virtiofsd:(\w+)\}", virtiofsd, arg)
        arg = re.sub(r"\{dir:(\w+)\}", share, re.sub(r"\{qmp:(\w+)\}", qmp, arg))
        return re.sub(r"\{socket:(\w+)\}", sock, re.sub(r"\{disk:(\w+)\}", disk, arg))

    def _substitute_param(self, value: str) -> str:
        def port(match: re.Match[str]) -> str:
            server = self.tcp_echo.get(match.group(1))
            return str(server.port) if server else "0"

        def seed(match: re.Match[str]) -> str:
            return self.shares.seeds.get(match.group(1), "none")

        def nonce(match: re.Match[str]) -> str:
            return self.disk_nonces.setdefault(match.group(1), secrets.token_hex(8))

        value = re.sub(r"\{nonce:(\w+)\}", nonce, value)
        return re.sub(r"\{seed:(\w+)\}", seed, re.sub(r"\{port:(\w+)\}", port, value))

    def _placeholders(self, kind: str) -> list[str]:
        texts = [a for dev in self.config.devices for a in dev.args] + list(self.config.params.values())
        return sorted({m for t in texts for m in re.findall(r"\{" + kind + r":(\w+)\}", t)})

    def command(self, image: BootImage) -> list[str]:
        c = self.config
        machine = c.machine + ("," + c.machine_options if c.machine_options else "")
        cmd = [self.binary, "-machine", machine, "-cpu", c.cpu, "-smp", str(c.smp_for(image.name)), "-m", str(c.memory_mib),
               *accelerator(), "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
               "-nic", "none"]
        for key, value in c.globals.items():
            cmd += ["-global", f"{key}={value}"]
        cmd += ["-kernel", str(image.kernel)]
        if image.kind == "linux":
            if image.initrd is not None:
                cmd += ["-initrd", str(image.initrd)]
            # What the host configured, for the tests that compare it with what the guest sees.
            params = {"cpus": str(c.smp_for(image.name)), "mem_mib": str(c.memory_mib), **c.params, **image.params}
            if image.initrd is not None:
                params.setdefault("initrd_bytes", str(image.initrd.stat().st_size))
            # The last token digests everything before it, so boot.dt.chosen_bootargs can check
            # that the boot path hands over the command line byte for byte (a control may
            # declare another digest: params cmdline_digest).
            declared_digest = params.pop("cmdline_digest", None)
            append = c.append + "".join(f" avps.{k}={self._substitute_param(v)}" for k, v in params.items())
            cmd += ["-append", close_command_line(append, self.boot_nonce, declared_digest)]
        for dev in c.devices:
            cmd += [self._substitute(a) for a in dev.args]
        return cmd

    def cannot_boot(self, image: BootImage) -> str | None:
        """Direct kernel boot starts Linux Images and Image-header probes, not EFI applications."""
        if image.kernel.suffix == ".efi":
            return "an EFI application needs UEFI firmware; direct kernel boot has none"
        return None

    def _prepare_files(self) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        for dev in self.config.devices:
            for name, mib in dev.disks.items():
                path = self.scratch / f"{name}.img"
                path.unlink(missing_ok=True)
                with path.open("wb") as f:
                    f.truncate(mib * 1024 * 1024)
        for name in sorted(set(self._placeholders("dir")) | set(self._placeholders("virtiofsd"))):
            self.shares.create(name)

    def _request_handlers(self) -> tuple[dict[str, RequestHandler], list[QmpClient]]:
        handlers: dict[str, RequestHandler] = {}
        monitors = [QmpClient(self.scratch / f"{name}.qmp") for name in self._placeholders("qmp")]
        if monitors:
            self.host_input = HostInput(monitors[0])
            self.host_screen = HostScreen(monitors[0], self.scratch)
            handlers["AVPS-INPUT"] = self.host_input.handle_request
            handlers["AVPS-SCREEN"] = self.host_screen.handle_request
            self.host_balloon = HostBalloon(monitors[0], self.config.memory_mib)
            handlers["AVPS-BALLOON"] = self.host_balloon.handle_request
            self.host_announce = HostAnnounce(monitors[0])
            handlers["AVPS-ANNOUNCE"] = self.host_announce.handle_request
            self.host_balloon_stats = HostBalloonStats(monitors[0])
            handlers["AVPS-BALLOONSTATS"] = self.host_balloon_stats.handle_request
        if self.shares.seeds:
            handlers["AVPS-FILE"] = self.shares.handle_request
        if self._placeholders("nonce"):
            handlers["AVPS-DISK"] = lambda arguments: host_disk_content.handle_request(arguments, self.disk_images())
        return handlers, monitors

    def disk_images(self) -> dict[str, Path]:
        """nonce -> the image file of the disk it was issued for ({nonce:DISK} in params)."""
        return {n: self.scratch / f"{disk}.img" for disk, n in self.disk_nonces.items()}

    @contextlib.contextmanager
    def host_services(self) -> Iterator[list[EchoResponder]]:
        """Everything the host side of the platform runs around a boot: per-run disks and shared
        directories, a responder on every console socket (with the AVPS-INPUT/-SCREEN/-FILE
        handlers), TCP echo servers. Yields the console responders; stops it all on exit.
        LAVA's local runs use the same services (harness/avps_cts/lava/host_services.py)."""
        self._prepare_files()
        responders: list[EchoResponder] = []
        handlers, self.monitors = self._request_handlers()
        self.backends, self.backend_problems = [], []
        try:
            self._start_backends()
            for name in self._placeholders("port"):
                self.tcp_echo[name] = TcpEchoServer().start()
            for name in self._placeholders("virtiofsd"):
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

    def _start_backends(self) -> None:
        """Starts one vhost-user back end per device that declares one, before QEMU connects to it."""
        specs = [BackendSpec.from_yaml(dict(dev.vhost_user), f"device {dev.name}")
                 for dev in self.config.devices if dev.vhost_user]
        if not specs:
            return
        binary = backend_binary(self.scratch)
        for spec in specs:
            self.backends.append(VhostUserBackend(binary, spec, self.scratch).start())

    def host_evidence(self, responders: list[EchoResponder]) -> dict[str, object]:
        evidence: dict[str, object] = {"console_lines_received": [r for resp in responders for r in resp.received]}
        if self.tcp_echo:
            evidence["tcp_echo_bytes"] = {n: s.bytes_echoed for n, s in self.tcp_echo.items()}
        if self.backends:
            evidence["vhost_user_logs"] = {b.spec.socket: b.log_text().splitlines()[-20:] for b in self.backends}
        if self.monitors:
            evidence["input_injected"] = self.host_input.injected
            evidence["screen_seen"] = self.host_screen.seen
            evidence["balloon_targets_set"] = self.host_balloon.requested
            evidence["announcements_requested"] = self.host_announce.requested
        return evidence

    def boot(self, image: BootImage, log_path: Path, timeout_s: float | None = None) -> BootOutput:
        def finished(lines: list[str]) -> bool:
            return any(marker in line for line in lines[-3:] for marker in _DONE_MARKERS)

        with self.host_services() as responders:
            qmp_path = self.scratch / "events.qmp"
            qmp_path.unlink(missing_ok=True)
            watcher = ShutdownWatcher(qmp_path).start()
            out = stream_process(self.command(image) + ShutdownWatcher.qemu_args(qmp_path), log_path,
                                 timeout_s or self.config.timeout_s,
                                 stop_when=finished if image.kind == "linux" else None)
            watcher.join()
            out.host_evidence["shutdown_reason"] = watcher.reason
            if watcher.error:
                out.problems.append(f"host could not watch QMP events: {watcher.error}")
            # The platform has stopped: what the guest wrote is in the image files or nowhere.
            out.host_evidence["disk_content"] = host_disk_content.observe(out.lines, self.disk_images())
        out.problems.extend(self.backend_problems)
        out.host_evidence.update(self.host_evidence(responders))
        return out


def create(config: PlatformConfig, scratch: Path) -> QemuTarget:
    """Driver entry point (see cli._make_target)."""
    return QemuTarget(config, scratch)
