"""EDK2 (Debian's AAVMF) on QEMU virt: Linux from the ESP (kernel loader or Shell startup.nsh), EFI probes from the removable path."""
from __future__ import annotations

import shutil
from pathlib import Path

from ...cache import MissingToolError
from .boot import FirmwareQemuTarget, package_version
from ...profiles import PlatformConfig
from ..base import BootImage

AAVMF_CODE = "/usr/share/AAVMF/AAVMF_CODE.fd"
# The plain variable store: the Secure Boot one (AAVMF_VARS.ms.fd) refuses unsigned images.
AAVMF_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd"
# The Shell counts down 5 s before startup.nsh ("Press ESC in 5 seconds to skip startup.nsh
# or any other key to continue."); any key but ESC runs it at once.
SHELL_COUNTDOWN_PROMPT = "skip startup.nsh"
REMOVABLE_MEDIA_PATH = "EFI/BOOT/BOOTAA64.EFI"


KERNEL_LOADER = "avps-loader.efi"


def loader_command_line(command_line: str) -> bytes:
    """\\avps-cmdline.txt for the kernel loader: the EFI stub's LoadOptions, initrd= included."""
    return f"{command_line} initrd=\\initrd.cpio.gz\n".encode("ascii")


def startup_script(command_line: str) -> bytes:
    """startup.nsh for the Shell: the kernel's EFI stub takes its command line (and initrd=) from it."""
    return f"fs0:\r\n\\Image {command_line} initrd=\\initrd.cpio.gz\r\n".encode("ascii")


class Edk2Target(FirmwareQemuTarget):
    """boot_path: esp-loader (ESP: BOOTAA64.EFI loads \\Image), esp-shell (ESP: Shell startup.nsh),
    fw_cfg (QEMU -kernel, EDK2 starts the stub), direct (no firmware)."""

    firmware = "edk2"

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        super().__init__(config, scratch)
        self.code = Path(str(self.config.options.get("code", AAVMF_CODE)))
        self.vars_template = Path(str(self.config.options.get("vars", AAVMF_VARS)))
        self.vars = self.scratch / "vars.fd"
        if self.boot_path != "direct":
            for path in (self.code, self.vars_template):
                if not path.exists():
                    raise MissingToolError(f"{path} missing: install Debian package qemu-efi-aarch64 "
                                           "(harness/bootstrap.sh install qemu-efi-aarch64)")

    def offers_uefi(self) -> bool:
        return self.boot_path != "direct"

    def platform_facts(self) -> dict[str, object]:
        facts = super().platform_facts()
        facts["firmware_package"] = f"qemu-efi-aarch64 {package_version('qemu-efi-aarch64')}"
        return facts

    def cannot_boot(self, image: BootImage) -> str | None:
        if self.boot_path != "direct" and image.kind == "probe" and image.kernel.suffix != ".efi":
            return ("EDK2 starts PE/COFF images only; this probe is an arm64 Image (boot it under "
                    "qemu-arm64 or qemu-arm64-uboot)")
        if self.boot_path == "direct" and image.kernel.suffix == ".efi":
            return "an EFI application needs firmware; this profile boots without any"
        return None

    def keeps_direct_load(self, image: BootImage) -> bool:
        return self.boot_path in ("direct", "fw_cfg") and image.kernel.suffix != ".efi"

    def prepare(self, image: BootImage) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        if self.boot_path == "direct":
            return
        shutil.copyfile(self.vars_template, self.vars)  # per run: every boot is a first boot
        if image.kernel.suffix == ".efi":
            self.build_esp({REMOVABLE_MEDIA_PATH: image.kernel})
        elif self.boot_path in ("esp-loader", "esp-shell") and image.kind == "linux":
            files: dict[str, Path | bytes] = {"Image": image.kernel}
            if self.boot_path == "esp-loader":
                files[REMOVABLE_MEDIA_PATH] = self.uefi_app(KERNEL_LOADER)
                files["avps-cmdline.txt"] = loader_command_line(self.kernel_command_line(image))
            else:
                files["startup.nsh"] = startup_script(self.kernel_command_line(image))
            if image.initrd is not None:
                files["initrd.cpio.gz"] = image.initrd
            self.build_esp(files)

    def firmware_args(self, image: BootImage) -> list[str]:
        if self.boot_path == "direct":
            return []
        # splash-time=0 makes QEMU offer etc/boot-menu-wait=0: no 5 s BDS timeout.
        return ["-drive", f"if=pflash,format=raw,unit=0,file={self.code},readonly=on",
                "-drive", f"if=pflash,format=raw,unit=1,file={self.vars}",
                "-boot", "menu=on,splash-time=0"]

    def wrap_command(self, command: list[str]) -> list[str]:
        if self.boot_path == "esp-shell" and self.uses_esp and "-kernel" not in command:
            return self.key_relay(SHELL_COUNTDOWN_PROMPT, " ") + command
        return command


def create(config: PlatformConfig, scratch: Path) -> Edk2Target:
    """Driver entry point (see cli._make_target)."""
    return Edk2Target(config, scratch)
