"""Firmware fault shim: the ESP the harness builds puts it in front of the real boot image, its faults match the C side, and its runtime driver is laid out so the OS can run it."""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from avps_cts import profiles
from avps_cts.targets.base import BootImage
from avps_cts.targets.firmware import fault_shim, uefi
from avps_cts.targets.firmware.esp_image import list_esp

SERVICES_C = Path(__file__).resolve().parents[2] / "guest-tests" / "boot" / "uefi" / "fault_services.c"
# EFI_IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER, and EDK2's RUNTIME_PAGE_ALLOCATION_GRANULARITY on AArch64.
RUNTIME_DRIVER = 12
RUNTIME_GRANULE = 0x10000


def test_the_shim_goes_in_front_of_the_real_boot_image() -> None:
    probe, shim, driver = Path("probe.efi"), Path("shim.efi"), Path("driver.efi")
    files = fault_shim.with_fault_shim({fault_shim.REMOVABLE_MEDIA_PATH: probe, "Image": b"k"}, "reset-powers-off",
                                       shim, driver)
    assert files[fault_shim.REMOVABLE_MEDIA_PATH] == shim
    assert files[fault_shim.NEXT_STAGE] == probe and files[fault_shim.DRIVER] == driver
    assert files[fault_shim.FAULT_FILE] == b"reset-powers-off\n" and files["Image"] == b"k"


def test_an_unknown_fault_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(fault_shim.FaultShimError, match="not one the shim implements.*reset-powers-off"):
        fault_shim.with_fault_shim({fault_shim.REMOVABLE_MEDIA_PATH: Path("x")}, "get-time-slow", Path("s"), Path("d"))


def test_a_boot_without_a_removable_media_image_is_refused() -> None:
    """U-Boot's boot.scr and EDK2's startup.nsh start \\Image themselves: nothing to put the shim in front of."""
    with pytest.raises(fault_shim.FaultShimError, match="needs a boot through"):
        fault_shim.with_fault_shim({"Image": Path("Image"), "boot.scr": Path("boot.scr")}, "set-variable-fails",
                                   Path("s"), Path("d"))


def test_the_harness_and_the_shim_know_the_same_faults() -> None:
    table = SERVICES_C.read_text().split("firmware_faults[] = {", 1)[1]
    assert set(re.findall(r'\{"([a-z0-9.-]+)",', table)) == set(fault_shim.FAULTS)


def test_a_profile_with_an_unknown_fault_is_refused_before_booting(tmp_path: Path) -> None:
    config = profiles.load("qemu-arm64-uefi", "fault-reset-powers-off")
    config.options["firmware_fault"] = "no-such-fault"
    with pytest.raises(fault_shim.FaultShimError):
        uefi.create(config, tmp_path)


def test_every_fault_profile_names_a_known_fault() -> None:
    for target in profiles.available_targets():
        for name in profiles.profile_names(target):
            fault = profiles.load(target, name).options.get("firmware_fault")
            if fault:
                assert fault in fault_shim.FAULTS, (target, name)
                assert profiles.load(target, name).expect_fail, f"{target}/{name} breaks the firmware but checks nothing"


def test_the_fault_goes_on_the_esp_of_an_efi_probe(build: Path, tmp_path: Path) -> None:
    target = uefi.create(profiles.load("qemu-arm64-uefi", "fault-crc-stale"), tmp_path / "scratch")
    probe = BootImage(kind="probe", kernel=build / "probes-uefi" / "avps-uefi.efi", name="avps-uefi")
    command = target.command(probe)
    assert target.uses_esp and any("avps-esp" in a for a in command)
    assert {"::/EFI/", "::/avps-fault.txt"} <= set(list_esp(target.esp))
    assert target.platform_facts()["firmware_fault"] == "boot-services-crc-stale"


def test_a_fault_on_a_boot_path_without_an_esp_is_refused(tmp_path: Path) -> None:
    config = profiles.load("qemu-arm64-uefi", "fault-set-variable-fails")
    config.options["boot_path"] = "fw_cfg"
    target = uefi.create(config, tmp_path)
    linux = BootImage(kind="linux", kernel=tmp_path / "Image", name="linux", initrd=None)
    (tmp_path / "Image").write_bytes(b"\0" * 64)
    with pytest.raises(fault_shim.FaultShimError, match="needs an ESP boot"):
        target.command(linux)


def test_the_runtime_driver_is_a_runtime_driver_with_64k_sections(build: Path) -> None:
    """EDK2 marks a runtime image whose sections are not 64 KiB aligned execute-never in its
    memory attributes table; Linux then faults on the first call into a replaced service."""
    image = (build / "probes-uefi" / fault_shim.SHIM_DRIVER).read_bytes()
    assert image[:2] == b"MZ"
    pe = struct.unpack_from("<I", image, 0x3c)[0]
    assert image[pe:pe + 4] == b"PE\0\0"
    sections, optional_size = struct.unpack_from("<H12xH", image, pe + 6)
    optional = pe + 24
    assert struct.unpack_from("<I", image, optional + 32)[0] == RUNTIME_GRANULE  # SectionAlignment
    assert struct.unpack_from("<H", image, optional + 68)[0] == RUNTIME_DRIVER  # Subsystem
    table = optional + optional_size
    for index in range(sections):
        name, virtual_size, address, raw_size, raw_at = struct.unpack_from("<8sIIII", image, table + 40 * index)
        assert address % RUNTIME_GRANULE == 0, name
        assert raw_at + raw_size <= len(image), f"{name!r} reaches past the end of the file"
