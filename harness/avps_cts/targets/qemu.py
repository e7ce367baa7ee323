"""QEMU 'virt' aarch64 target: builds the command line from a platform profile, boots, streams the console."""
from __future__ import annotations

import platform
import re
import subprocess
from pathlib import Path

from ..cache import require_program
from ..cmdline_digest import close_command_line, new_nonce
from ..host import disk_content as host_disk_content
from ..host.qmp_events import ShutdownWatcher
from ..host.services import HostServices
from ..profiles import PlatformConfig
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
    """Boots one image on QEMU under one platform profile, inside the host services it names."""

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        self.config = config
        self.scratch = scratch
        self.binary = require_program(config.qemu, "qemu-system-arm")
        self.host = HostServices(config, scratch)
        self.boot_nonce = new_nonce()  # makes each run's command line (and its digest) unique

    def worker(self, n: int) -> "QemuTarget":
        """A sibling for boots at once (run --jobs): the same platform and run nonce, its own
        host services in scratch/job<n> (disks, sockets, shares, echo ports, QMP)."""
        sibling = QemuTarget(self.config, self.scratch / f"job{n}")
        sibling.boot_nonce = self.boot_nonce
        return sibling

    def platform_facts(self) -> dict[str, object]:
        facts: dict[str, object] = dict(self.config.to_json())
        facts["qemu_version"] = qemu_version(self.binary)
        facts["accelerator"] = accelerator()[1]
        return facts

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
            append = c.append + "".join(f" avps.{k}={self.host.substitute_param(v)}" for k, v in params.items())
            cmd += ["-append", close_command_line(append, self.boot_nonce, declared_digest)]
        elif image.params.get("cases"):
            # A probe reads its case filter from /chosen/bootargs (guest-tests/probe-runtime/case_filter.h).
            cmd += ["-append", f"avps.cases={image.params['cases']}"]
        for dev in c.devices:
            cmd += [self.host.substitute(a) for a in dev.args]
        return cmd

    def cannot_boot(self, image: BootImage) -> str | None:
        """Direct kernel boot starts Linux Images and Image-header probes, not EFI applications."""
        if image.kernel.suffix == ".efi":
            return "an EFI application needs UEFI firmware; direct kernel boot has none"
        return None

    def boot(self, image: BootImage, log_path: Path, timeout_s: float | None = None) -> BootOutput:
        def finished(lines: list[str]) -> bool:
            return any(marker in line for line in lines[-3:] for marker in _DONE_MARKERS)

        with self.host.running() as responders:
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
            out.host_evidence["disk_content"] = host_disk_content.observe(out.lines, self.host.disk_images())
        out.problems.extend(self.host.backend_problems)
        out.host_evidence.update(self.host.evidence(responders))
        return out


def create(config: PlatformConfig, scratch: Path) -> QemuTarget:
    """Driver entry point (see cli._make_target)."""
    return QemuTarget(config, scratch)
