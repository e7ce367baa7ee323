"""Boot paths on real QEMU: the Linux image under EDK2 (ESP) and U-Boot (booti, bootefi), the UEFI probe under EDK2 and U-Boot."""
from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path
from types import ModuleType

import pytest

from avps_cts import profiles
from avps_cts.targets.firmware.esp_image import build_esp, list_esp
from avps_cts.targets.firmware.uboot_env import ENV_SIZE, default_environment, environment_image
from avps_cts.kernel import suite_kernel
from avps_cts.manifest import Manifest, load as load_manifest, read_elf
from avps_cts.results import Status
from avps_cts.run import linux_image, results_from_boot
from avps_cts.targets.firmware import uboot
from avps_cts.targets.firmware import uefi
from avps_cts.targets.base import BootImage

UEFI_PROBE = "avps-uefi"
EFI_CASES = ["boot.efi.firmware_present", "boot.efi.system_table", "boot.efi.variables_readable",
             "boot.efi.runtime_set_variable_as_declared", "boot.efi.runtime_get_time_as_declared",
             "boot.efi.memory_map_sane", "boot.efi.config_table_dt_or_acpi"]
DT_CASES = ["boot.dt.fdt_valid", "boot.dt.memory_node", "boot.dt.memory_matches_host", "boot.dt.cpus",
            "boot.dt.interrupt_controller", "boot.dt.timer", "boot.dt.psci", "boot.dt.console",
            "boot.dt.chosen_bootargs"]


@pytest.fixture(scope="module")
def firmware_ready(qemu_ready: Path) -> Path:
    for path in (uefi.AAVMF_CODE, uefi.AAVMF_VARS, str(uboot.UBOOT_QEMU_ARM64)):
        if not Path(path).exists():
            pytest.fail(f"{path} missing: 'make all' installs the firmware (guest-tests/boot/uefi.mk)")
    if not (qemu_ready / "probes-uefi" / f"{UEFI_PROBE}.efi").exists():
        pytest.fail("build/probes-uefi/avps-uefi.efi missing: run 'make all'")
    return qemu_ready


@pytest.fixture(scope="module")
def boot_only_image(firmware_ready: Path) -> BootImage:
    """The unchanged Linux image; avps.only=boot makes the runner run the boot tests alone."""
    image = linux_image(firmware_ready, suite_kernel())
    return dataclasses.replace(image, params={"only": "boot"})


def boot_statuses(target: uefi.FirmwareQemuTarget, image: BootImage, manifest: Manifest, log: Path) -> tuple[dict[str, Status], list[str]]:
    out = target.boot(image, log, timeout_s=150)
    cases, problems = results_from_boot(image, out, manifest)
    assert not out.timed_out, log.read_text()[-3000:]
    return {c.case_id: c.status for c in cases}, out.lines


def make(driver: ModuleType, target: str, profile: str, scratch: Path) -> uefi.FirmwareQemuTarget:
    return driver.create(profiles.load(target, profile), scratch)


# ---- pieces, no QEMU -----------------------------------------------------------------
def test_uboot_environment_image_keeps_every_default_variable() -> None:
    env = default_environment()
    assert env["bootcmd"] == "run distro_bootcmd" and "boot_targets" in env and len(env) >= 40
    image = environment_image({**env, "bootdelay": "0"})
    assert len(image) == ENV_SIZE
    assert int.from_bytes(image[:4], "little") == zlib.crc32(image[4:]), "CRC32 over the data, little endian"
    assert b"\0bootdelay=0\0" in image


def test_esp_is_a_gpt_disk_whose_first_partition_holds_the_files(tmp_path: Path) -> None:
    disk = build_esp(tmp_path / "esp.img", {"EFI/BOOT/BOOTAA64.EFI": b"MZ-not-really", "hello.txt": b"hi\n"})
    assert disk.read_bytes()[512:520] == b"EFI PART", "GPT header at LBA 1"
    names = " ".join(list_esp(disk)).upper()
    assert "EFI" in names and "HELLO" in names


# ---- real boots ------------------------------------------------------------------------
def test_linux_from_the_esp_under_edk2(boot_only_image: BootImage, firmware_ready: Path, tmp_path: Path) -> None:
    target = make(uefi, "qemu-arm64-uefi", "default", tmp_path / "run")
    statuses, lines = boot_statuses(target, boot_only_image, load_manifest(firmware_ready), tmp_path / "edk2.log")
    assert any("avps-loader: starting \\Image" in line for line in lines), "booted through the ESP loader"
    for case in DT_CASES + EFI_CASES + ["boot.initrd.size_matches_host"]:
        assert statuses[case] is Status.PASS, (case, statuses[case])
    assert statuses["boot.dt.chosen_initrd_range"] is Status.SKIP, "the EFI stub passes the initrd as a table"


def test_linux_through_uboot_booti(boot_only_image: BootImage, firmware_ready: Path, tmp_path: Path) -> None:
    target = make(uboot, "qemu-arm64-uboot", "booti", tmp_path / "run")
    statuses, lines = boot_statuses(target, boot_only_image, load_manifest(firmware_ready), tmp_path / "booti.log")
    assert any("U-Boot" in line for line in lines) and any("Starting kernel" in line for line in lines)
    for case in DT_CASES + ["boot.dt.chosen_initrd_range", "boot.initrd.size_matches_host"]:
        assert statuses[case] is Status.PASS, (case, statuses[case])
    assert all(statuses[case] is Status.SKIP for case in EFI_CASES), "booti is no UEFI boot"


def test_linux_through_uboot_bootefi(boot_only_image: BootImage, firmware_ready: Path, tmp_path: Path) -> None:
    target = make(uboot, "qemu-arm64-uboot", "default", tmp_path / "run")
    statuses, lines = boot_statuses(target, boot_only_image, load_manifest(firmware_ready), tmp_path / "bootefi.log")
    assert any("Found U-Boot script /boot.scr" in line for line in lines)
    for case in DT_CASES + EFI_CASES + ["boot.initrd.size_matches_host"]:
        assert statuses[case] is Status.PASS, (case, statuses[case])
    text = "\n".join(lines)
    assert "SetVariable declared unsupported at runtime" in text, "U-Boot's RT_PROPERTIES: read-only variables"


@pytest.mark.parametrize("driver,target", [(uefi, "qemu-arm64-uefi"), (uboot, "qemu-arm64-uboot")])
def test_uefi_probe_passes_and_resets(driver: ModuleType, target: str, firmware_ready: Path, tmp_path: Path) -> None:
    elf = firmware_ready / "probes-uefi" / f"{UEFI_PROBE}.elf"
    manifest = Manifest(cases=read_elf(elf, UEFI_PROBE, image=UEFI_PROBE))
    image = BootImage(kind="probe", kernel=elf.with_suffix(".efi"), name=UEFI_PROBE)
    out = make(driver, target, "default", tmp_path / "run").boot(image, tmp_path / "probe.log", timeout_s=60)
    cases, problems = results_from_boot(image, out, manifest)
    assert len(cases) == 8 and problems == [], (problems, out.lines[-20:])
    assert all(c.status is Status.PASS for c in cases), [(c.case_id, c.status, c.detail) for c in cases]
    assert out.host_evidence["shutdown_reason"] == "guest-reset", "ResetSystem(EfiResetCold) seen by the host"


def test_image_probe_is_refused_by_edk2_without_starting_qemu(firmware_ready: Path, tmp_path: Path) -> None:
    image = BootImage(kind="probe", kernel=firmware_ready / "probes" / "psci.img", name="psci")
    out = make(uefi, "qemu-arm64-uefi", "default", tmp_path / "run").boot(image, tmp_path / "psci.log")
    assert out.exit_code is None and "PE/COFF" in out.problems[0]
