"""Boot through guest firmware on QEMU: what firmware-based targets share (host-declared expectations, ESP, the command)."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from ... import profiles
from ...cache import MissingToolError, require_program
from .esp_image import build_esp
from .fault_shim import SHIM, SHIM_DRIVER, FaultShimError, check_fault, with_fault_shim
from ...profiles import PlatformConfig
from ..base import BootImage, BootOutput
from ..qemu import QemuTarget

# The ESP is an NVMe disk: both firmwares boot from it, and the guest kernel (NVMe is a
# module the initramfs does not load) never sees it, so the virtio-blk tests find only
# the disks the profile declares.
# bootindex=0: firmware tries it before the other disks and the network (PXE).
ESP_DEVICE_ARGS = ["-drive", "if=none,id=avps-esp,file={esp},format=raw",
                   "-device", "nvme,drive=avps-esp,serial=avps-esp,bootindex=0"]
# The options that make QEMU itself load the guest (the direct / fw_cfg route).
_DIRECT_LOAD_OPTIONS = ("-kernel", "-initrd", "-append")
# First console line that shows the guest itself (not the firmware) is running.
GUEST_STARTED_MARKERS = ("avps-init:", "KTAP version 1", "AVPS-UEFI-PROBE")
KEY_RELAY = Path(__file__).resolve().parent / "key_relay.py"
REPO_BUILD = Path(__file__).resolve().parents[4] / "build"
UEFI_APPS = "probes-uefi"  # where guest-tests/boot/uefi.mk puts the EFI applications


def package_version(package: str) -> str:
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "not installed"


def with_devices_of(config: PlatformConfig) -> PlatformConfig:
    """options.devices_from: NAME takes that target's default devices and their params, so a boot
    path runs the same Linux image against the same platform as the direct-boot target."""
    source = config.options.get("devices_from")
    if not source:
        return config
    base = profiles.load(str(source), "default")
    names = {d.name for d in config.devices}
    removed = set(config.options.get("remove_devices") or [])
    devices = [d for d in base.devices if d.name not in names and d.name not in removed] + config.devices
    params = {k: v for d in devices for k, v in d.params.items()}
    params.update({k: v for k, v in config.params.items()})
    globals_ = {**base.globals, **config.globals}
    return dataclasses.replace(config, devices=devices, params=params, globals=globals_)


class FirmwareQemuTarget(QemuTarget):
    """QEMU with guest firmware; subclasses say how the firmware finds and starts each image."""

    firmware = "none"
    # Not shared by boots at once (run --jobs): each boot rewrites the ESP and firmware state it
    # keeps in its scratch folder; with no worker() the run boots one image at a time.
    worker = None

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        super().__init__(with_devices_of(config), scratch)
        self.boot_path = str(self.config.options.get("boot_path", "direct"))
        self.esp = self.scratch / "esp.img"
        self.uses_esp = False
        self.dtb_args: list[str] = []
        # options.firmware_fault: NAME -> the fault shim breaks that firmware service (controls).
        fault = self.config.options.get("firmware_fault")
        self.firmware_fault = check_fault(str(fault)) if fault else None

    # ---- what the host knows and declares to the guest tests ---------------------------
    def offers_uefi(self) -> bool:
        return False

    def host_params(self, image: BootImage) -> dict[str, str]:
        """avps.* expectations the host knows for this boot; profile params (controls) win."""
        params = {"mem_mib": str(self.config.memory_mib), "expect_uefi": "1" if self.offers_uefi() else "0"}
        if image.initrd is not None:
            params["initrd_bytes"] = str(image.initrd.stat().st_size)
        return {k: v for k, v in params.items() if k not in self.config.params}

    def declared(self, image: BootImage) -> BootImage:
        return dataclasses.replace(image, params={**self.host_params(image), **image.params})

    def kernel_command_line(self, image: BootImage) -> str:
        """The same text QemuTarget passes with -append, plus the profile's extra_append."""
        command = super().command(self.declared(image))
        text = command[command.index("-append") + 1] if "-append" in command else self.config.append
        extra = str(self.config.options.get("extra_append", "") or "")
        return f"{text} {extra}".strip()

    # ---- the QEMU command ---------------------------------------------------------------
    def firmware_args(self, image: BootImage) -> list[str]:
        return []

    def wrap_command(self, command: list[str]) -> list[str]:
        return command

    def cannot_boot(self, image: BootImage) -> str | None:
        return None

    def prepare(self, image: BootImage) -> None:
        """Per-run firmware state (variable store, environment, ESP): fresh copies each boot,
        made when the command is built."""

    def keeps_direct_load(self, image: BootImage) -> bool:
        return self.boot_path == "direct"

    def command(self, image: BootImage) -> list[str]:
        """QemuTarget.boot calls this once its per-run services (TCP echo port, shared-folder seed)
        exist, so the command line written onto the ESP carries their real values."""
        image = self.declared(image)
        self.uses_esp = False
        self.prepare(image)
        if self.firmware_fault and not self.uses_esp:
            raise FaultShimError(f"firmware_fault '{self.firmware_fault}' needs an ESP boot; this boot path "
                                 f"({self.boot_path}, {image.name}) has no ESP")
        base = super().command(image)
        if self.keeps_direct_load(image):
            if image.kind == "linux" and "-append" in base:
                base[base.index("-append") + 1] = self.kernel_command_line(image)
        else:
            kept: list[str] = []
            skip = False
            for arg in base:
                if skip:
                    skip = False
                    continue
                if arg in _DIRECT_LOAD_OPTIONS:
                    skip = True
                    continue
                kept.append(arg)
            base = kept
        esp = [a.replace("{esp}", str(self.esp)) for a in ESP_DEVICE_ARGS] if self.uses_esp else []
        return self.wrap_command(base + self.firmware_args(image) + esp + self.dtb_args)

    def uefi_app(self, name: str) -> Path:
        """An EFI application of the build (build/probes-uefi/NAME), next to the run folder or in the repo's build."""
        for build in (self.scratch.parent.parent, REPO_BUILD):
            path = build / UEFI_APPS / name
            if path.exists():
                return path
        raise MissingToolError(f"{UEFI_APPS}/{name} is not built: run 'make'")

    def modified_dtb(self) -> list[str]:
        """options.dtb_remove: ["/psci", "/chosen:stdout-path"] -> QEMU's own DT for this machine with
        those nodes (or node:property) removed; options.dtb_fdtput: [["-c", "{dtb}", "/node"], ...]
        -> fdtput runs with those arguments ({dtb} = the blob) to add nodes or properties. Passed
        with -dtb (negative controls). QEMU still fixes up /chosen (bootargs, initrd) and the
        memory@ nodes of a -dtb it loads."""
        remove = [str(r) for r in (self.config.options.get("dtb_remove") or [])]
        edits = [[str(a) for a in e] for e in (self.config.options.get("dtb_fdtput") or [])]
        if not remove and not edits:
            return []
        fdtput = require_program("fdtput", "device-tree-compiler")
        dtb = self.scratch / "modified.dtb"
        c = self.config
        machine = c.machine + ("," + c.machine_options if c.machine_options else "") + f",dumpdtb={dtb}"
        done = subprocess.run([self.binary, "-machine", machine, "-cpu", c.cpu, "-smp", str(c.smp), "-m",
                               str(c.memory_mib), "-display", "none", "-nic", "none"],
                              capture_output=True, text=True, timeout=60)
        if not dtb.exists():
            raise OSError(f"QEMU could not dump its devicetree: {done.stderr.strip()[:200]}")
        commands = [[fdtput, "-d", str(dtb), *item.split(":", 1)] if ":" in item else [fdtput, "-r", str(dtb), item]
                    for item in remove]
        commands += [[fdtput, *(a.replace("{dtb}", str(dtb)) for a in edit)] for edit in edits]
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                raise OSError(f"{' '.join(command[1:])}: fdtput failed: {done.stderr.strip()[:200]}")
        return ["-dtb", str(dtb)]

    def key_relay(self, when: str, send: str) -> list[str]:
        """Prefix that types `send` once `when` shows on the console (firmware countdowns)."""
        return [sys.executable, str(KEY_RELAY), "--when", when, "--send", send, "--"]

    def build_esp(self, files: dict[str, Path | bytes]) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        if self.firmware_fault:
            files = with_fault_shim(files, self.firmware_fault, self.uefi_app(SHIM), self.uefi_app(SHIM_DRIVER))
        build_esp(self.esp, files)
        self.uses_esp = True

    # ---- the interface --------------------------------------------------------------------
    def platform_facts(self) -> dict[str, object]:
        facts = super().platform_facts()
        facts["firmware"] = self.firmware
        facts["boot_path"] = self.boot_path
        if self.firmware_fault:
            facts["firmware_fault"] = self.firmware_fault
        return facts

    def boot(self, image: BootImage, log_path: Path, timeout_s: float | None = None) -> BootOutput:
        why = self.cannot_boot(image)
        if why:
            with log_path.open("a") as log:
                log.write(f"avps-cts: {image.name} not booted: {why}\n")
            return BootOutput(problems=[f"not booted on this path: {why}"])
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.dtb_args = self.modified_dtb()
        out = super().boot(image, log_path, timeout_s)
        for line, when in zip(out.lines, out.times):
            if any(marker in line for marker in GUEST_STARTED_MARKERS):
                out.host_evidence["seconds_to_guest"] = when
                break
        out.host_evidence["boot_path"] = f"{self.firmware}/{self.boot_path}"
        return out
