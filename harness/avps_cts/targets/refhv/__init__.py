"""Reference hypervisor target: boots build/refhv/refhv.bin on QEMU with each image as a VM (see reference-hv/)."""
from __future__ import annotations

from pathlib import Path

from ...profiles import PlatformConfig
from .driver import RefhvTarget


def create(config: PlatformConfig, scratch: Path) -> RefhvTarget:
    """Driver entry point (see cli._make_target)."""
    return RefhvTarget(config, scratch)
