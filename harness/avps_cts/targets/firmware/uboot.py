"""U-Boot (Debian's u-boot-qemu) on QEMU virt: Linux through booti (fw_cfg) or bootefi (boot.scr on the ESP), probes through booti."""
from __future__ import annotations

import subprocess
from pathlib import Path

from ...cache import MissingToolError, require_program
from .boot import FirmwareQemuTarget, package_version
from .uboot_env import UBOOT_QEMU_ARM64, default_environment, write_flash_bank
from ...profiles import PlatformConfig
from ..base import BootImage

REMOVABLE_MEDIA_PATH = "EFI/BOOT/BOOTAA64.EFI"
# qfw: QEMU's fw_cfg (-kernel/-initrd/-append), the booti route; nvme0: the ESP disk.
BOOT_TARGETS = "qfw nvme0"


def bootefi_script(command_line: str) -> str:
    """boot.scr text: bootargs become the EFI stub's LoadOptions (its command line, initrd= included)."""
    return "\n".join([
        f'setenv bootargs "{command_line} initrd=/initrd.cpio.gz"',
        "load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} Image",
        "bootefi ${kernel_addr_r} ${fdtcontroladdr}",
        "echo avps-cts: bootefi returned",
        "poweroff",
    ]) + "\n"


class UbootTarget(FirmwareQemuTarget):
    """boot_path: booti (fw_cfg kernel + initrd, bootargs in QEMU's DT) or bootefi (ESP, boot.scr)."""

    firmware = "u-boot"

    def __init__(self, config: PlatformConfig, scratch: Path) -> None:
        super().__init__(config, scratch)
        self.bios = Path(str(self.config.options.get("bios", UBOOT_QEMU_ARM64)))
        if not self.bios.exists():
            raise MissingToolError(f"{self.bios} missing: install Debian package u-boot-qemu "
                                   "(harness/bootstrap.sh install u-boot-qemu)")
        self.env_flash = self.scratch / "ubootenv.img"

    def offers_uefi(self) -> bool:
        return self.boot_path == "bootefi"

    def host_params(self, image: BootImage) -> dict[str, str]:
        params = super().host_params(image)
        if image.kind == "probe" and "expect_uefi" in params:
            params["expect_uefi"] = "1" if image.kernel.suffix == ".efi" else "0"
        return params

    def platform_facts(self) -> dict[str, object]:
        facts = super().platform_facts()
        facts["firmware_package"] = f"u-boot-qemu {package_version('u-boot-qemu')}"
        return facts

    def keeps_direct_load(self, image: BootImage) -> bool:
        # Probes with an Image header always go through booti (qfw); EFI apps and bootefi Linux from the ESP.
        if image.kernel.suffix == ".efi":
            return False
        return image.kind == "probe" or self.boot_path == "booti"

    def environment(self) -> dict[str, str]:
        env = default_environment(self.bios)
        env["bootdelay"] = "0"  # the default 2 s countdown, gone
        env["boot_targets"] = BOOT_TARGETS
        # Probes have no initrd: booti with '-' as the ramdisk (the stock qfw command passes
        # ramdisk_addr_r:0, which booti refuses for an empty initrd on some builds).
        env["bootcmd_qfw"] = ("if qfw load ${kernel_addr_r} ${ramdisk_addr_r}; then "
                              "if test ${filesize} = 0; then booti ${kernel_addr_r} - ${fdtcontroladdr}; "
                              "else booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}; fi; fi")
        return env

    def prepare(self, image: BootImage) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        if image.kernel.suffix == ".efi":  # removable media path of the ESP
            # bootefi hands bootargs to the application as LoadOptions: the probe reads the
            # host's expectations (avps.mem_mib, ...) there, as Linux does on its command line.
            params = {**self.config.params, **image.params}
            env["bootargs"] = " ".join(f"avps.{k}={self.host.substitute_param(v)}" for k, v in params.items())
            self.build_esp({REMOVABLE_MEDIA_PATH: image.kernel})
        write_flash_bank(self.env_flash, env)  # per run: no state from earlier boots
        if image.kind == "linux" and self.boot_path == "bootefi":
            script = self.scratch / "boot.txt"
            script.write_text(bootefi_script(self.kernel_command_line(image)))
            mkimage = require_program("mkimage", "u-boot-tools")
            done = subprocess.run([mkimage, "-A", "arm64", "-O", "linux", "-T", "script", "-C", "none",
                                   "-n", "avps-cts bootefi", "-d", str(script), str(self.scratch / "boot.scr")],
                                  capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                raise OSError(f"mkimage failed: {done.stderr.strip()[:200]}")
            files: dict[str, Path | bytes] = {"Image": image.kernel, "boot.scr": self.scratch / "boot.scr"}
            if image.initrd is not None:
                files["initrd.cpio.gz"] = image.initrd
            self.build_esp(files)

    def firmware_args(self, image: BootImage) -> list[str]:
        return ["-bios", str(self.bios), "-drive", f"if=pflash,format=raw,unit=1,file={self.env_flash}"]


def create(config: PlatformConfig, scratch: Path) -> UbootTarget:
    """Driver entry point (see cli._make_target)."""
    return UbootTarget(config, scratch)
