"""Firmware fault shim on the ESP: avps-fault.efi runs as BOOTAA64.EFI, breaks one firmware service, then starts the real boot image."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

REMOVABLE_MEDIA_PATH = "EFI/BOOT/BOOTAA64.EFI"
# Built by guest-tests/boot/uefi.mk: the application boot managers start (fault_shim.c) and the
# runtime driver it loads, which installs the fault (fault_driver.c, fault_services.c).
SHIM = "avps-fault.efi"
SHIM_DRIVER = "avps-fault-services.efi"
# Where the shim finds its fault's name, the driver, and the image it starts next (fault_shim.c).
FAULT_FILE = "avps-fault.txt"
DRIVER = "EFI/avps/fault-services.efi"
NEXT_STAGE = "EFI/avps/next.efi"
# The faults guest-tests/boot/uefi/fault_services.c implements (test_firmware_fault_shim.py
# keeps the two lists equal), each with what the firmware then gets wrong.
FAULTS = {
    "set-variable-stores-nothing": "SetVariable answers SUCCESS and stores nothing",
    "set-variable-fails": "SetVariable answers DEVICE_ERROR without an RT_PROPERTIES table declaring it",
    "listed-variable-unreadable": "GetVariable(PlatformLangCodes) answers DEVICE_ERROR while GetNextVariableName lists it",
    "reset-powers-off": "ResetSystem powers the machine off whatever reset type is asked",
    "output-string-fails": "ConOut->OutputString prints and answers DEVICE_ERROR",
    "boot-services-crc-stale": "a boot service is replaced and the boot services table's CRC32 left stale",
    "system-table-revision-1.10": "the system table declares UEFI 1.10",
    "rt-properties-bad-version": "an EFI_RT_PROPERTIES_TABLE with Version 2 is installed",
    "dtb-table-removed": "the devicetree configuration table is removed",
}


class FaultShimError(OSError):
    """The profile asks for a fault the shim does not know, or a boot the shim cannot sit in front of."""


def check_fault(fault: str) -> str:
    if fault not in FAULTS:
        raise FaultShimError(f"firmware_fault '{fault}' is not one the shim implements ({', '.join(sorted(FAULTS))})")
    return fault


def with_fault_shim(files: Mapping[str, Path | bytes], fault: str, shim: Path,
                    driver: Path) -> dict[str, Path | bytes]:
    """The ESP's files with the shim in front: BOOTAA64.EFI = shim, the real one moved to NEXT_STAGE."""
    check_fault(fault)
    if REMOVABLE_MEDIA_PATH not in files:
        raise FaultShimError(f"firmware_fault '{fault}' needs a boot through \\{REMOVABLE_MEDIA_PATH} "
                             "(EDK2 esp-loader, or an EFI probe); this boot path has none")
    shimmed = {name: source for name, source in files.items() if name != REMOVABLE_MEDIA_PATH}
    shimmed[NEXT_STAGE] = files[REMOVABLE_MEDIA_PATH]
    shimmed[REMOVABLE_MEDIA_PATH] = shim
    shimmed[DRIVER] = driver
    shimmed[FAULT_FILE] = f"{fault}\n".encode("ascii")
    return shimmed
