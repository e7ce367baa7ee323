"""Targets: one package or module per platform behind one small interface (prepare, boot, stream the console, stop)."""
from __future__ import annotations

import importlib
from types import ModuleType

# A profile's 'driver' -> the module (under targets/) whose create(config, scratch) builds the target.
DRIVERS = {
    "qemu": "qemu",
    "refhv": "refhv",
    "xen": "xen",
    "uefi": "firmware.uefi",
    "uboot": "firmware.uboot",
}


def driver_module(name: str) -> ModuleType:
    """The driver module for a profile's 'driver' name; KeyError for a name no target has."""
    return importlib.import_module(f".{DRIVERS[name]}", __name__)
