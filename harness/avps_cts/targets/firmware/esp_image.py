"""A GPT disk image with one EFI system partition (FAT32), built without root via mkfs.vfat, mtools and sgdisk."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Mapping

from ...cache import require_program

# U-Boot's distro boot needs a partition table (a bare FAT "superfloppy" is not scanned).
PARTITION_START_MIB = 1
FAT_MIB = 126  # FAT32 needs >= 65525 clusters: this size works with mkfs.vfat's defaults
DISK_MIB = PARTITION_START_MIB + FAT_MIB + 3  # room for the backup GPT at the end
_FAT_SECTORS_1K = FAT_MIB * 1024


def _run(command: list[str], env: Mapping[str, str] | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    if done.returncode != 0:
        raise OSError(f"{' '.join(command)} failed: {(done.stderr or done.stdout).strip()[:300]}")


def build_esp(disk: Path, files: Mapping[str, Path | bytes]) -> Path:
    """Writes disk: GPT, partition 1 = ESP (type EF00) holding files ('EFI/BOOT/BOOTAA64.EFI': source)."""
    for tool, package in (("mkfs.vfat", "dosfstools"), ("mcopy", "mtools"), ("sgdisk", "gdisk")):
        require_program(tool, package)
    fat = disk.with_suffix(".fat")
    for path in (fat, disk):
        path.unlink(missing_ok=True)
    _run(["mkfs.vfat", "-C", "-F", "32", "-n", "ESP", str(fat), str(_FAT_SECTORS_1K)])
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    folders = sorted({"/".join(name.split("/")[:i]) for name in files for i in range(1, name.count("/") + 1)})
    if folders:
        _run(["mmd", "-i", str(fat), *[f"::/{d}" for d in folders]], env)
    for name, source in files.items():
        if isinstance(source, bytes):
            staged = disk.parent / f".esp-{Path(name).name}"
            staged.write_bytes(source)
            source = staged
        _run(["mcopy", "-i", str(fat), str(source), f"::/{name}"], env)
    with disk.open("wb") as f:
        f.truncate(DISK_MIB * 1024 * 1024)
    # -o: without a fresh table sgdisk silently creates no partition on a zeroed file.
    _run(["sgdisk", "-o", "-n", f"1:{PARTITION_START_MIB * 2048}:+{FAT_MIB}M", "-t", "1:EF00",
          "-c", "1:ESP", str(disk)])
    with fat.open("rb") as src, disk.open("r+b") as dst:
        dst.seek(PARTITION_START_MIB * 1024 * 1024)
        while chunk := src.read(4 * 1024 * 1024):
            dst.write(chunk)
    fat.unlink()
    for staged in disk.parent.glob(".esp-*"):
        staged.unlink()
    return disk


def list_esp(disk: Path) -> list[str]:
    """Names in the ESP's root folder (a check that the image is readable)."""
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    done = subprocess.run(["mdir", "-b", "-i", f"{disk}@@{PARTITION_START_MIB}M", "::/"], capture_output=True,
                          text=True, env=env, timeout=30)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]
