"""Xen dom0less device tree: module placement, generated /chosen domain nodes, compiled with dtc onto QEMU's own DT."""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Sequence

# QEMU virt puts the DTB at 0x40000000 and Xen (an arm64 Image) at 0x40200000; Xen is
# under 1 MiB, so modules start at 0x42000000, each on a 2 MiB boundary (Xen 4.17
# booting.txt: modules must not overlap, Xen copies them where the domain needs them).
MODULE_BASE = 0x42000000
MODULE_ALIGN = 2 * 1024 * 1024


class DeviceTreeError(Exception):
    """The device tree could not be dumped, generated or compiled."""


@dataclasses.dataclass(frozen=True)
class Module:
    """One file QEMU's generic loader puts into guest RAM, at an address the DT names."""

    path: Path
    address: int
    size: int  # exact file size: Xen copies exactly this many bytes

    def loader_args(self) -> list[str]:
        return ["-device", f"loader,file={self.path},addr={self.address:#x},force-raw=on"]


@dataclasses.dataclass(frozen=True)
class DomainSpec:
    """One dom0less domU: its kernel (a Linux Image or a probe), optional ramdisk, console and size."""

    name: str  # DT node name, e.g. domU1
    kernel: Path
    bootargs: str = ""
    initrd: Path | None = None
    memory_mib: int = 256
    cpus: int = 2
    vpl011: bool = True  # the emulated SBSA UART: the domU's console


def place_modules(paths: Sequence[Path], base: int = MODULE_BASE, align: int = MODULE_ALIGN) -> dict[Path, Module]:
    """Addresses for each distinct file; a file named twice is loaded once and shared (Xen copies it per domain)."""
    placed: dict[Path, Module] = {}
    address = base
    for path in paths:
        key = Path(path).resolve()
        if key in placed:
            continue
        size = key.stat().st_size
        if size == 0:
            raise DeviceTreeError(f"{path}: empty file cannot be a Xen module")
        placed[key] = Module(path=key, address=address, size=size)
        address += (size + align - 1) // align * align
    return placed


def _cells64(value: int) -> str:
    return f"{value >> 32:#x} {value & 0xffffffff:#x}"


def _dts_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def chosen_dts(domains: Sequence[DomainSpec], modules: dict[Path, Module], xen_bootargs: str) -> str:
    """The /chosen block Xen's dom0less boot reads (docs/misc/arm/device-tree/booting.txt, dom0less.pandoc)."""
    out = ["", "/ {", "\tchosen {", "\t\t#address-cells = <0x2>;", "\t\t#size-cells = <0x2>;",
           f"\t\txen,xen-bootargs = {_dts_string(xen_bootargs)};"]
    for domain in domains:
        kernel = modules[Path(domain.kernel).resolve()]
        out += ["", f"\t\t{domain.name} {{", '\t\t\tcompatible = "xen,domain";',
                "\t\t\t#address-cells = <0x2>;", "\t\t\t#size-cells = <0x2>;",
                f"\t\t\tmemory = <0x0 {domain.memory_mib * 1024:#x}>;",  # KiB, as a 64-bit value
                f"\t\t\tcpus = <{domain.cpus:#x}>;"]
        if domain.vpl011:
            out.append("\t\t\tvpl011;")
        out += [f"\t\t\tmodule@{kernel.address:x} {{",
                '\t\t\t\tcompatible = "multiboot,kernel", "multiboot,module";',
                f"\t\t\t\treg = <{_cells64(kernel.address)} {_cells64(kernel.size)}>;"]
        if domain.bootargs:
            out.append(f"\t\t\t\tbootargs = {_dts_string(domain.bootargs)};")
        out.append("\t\t\t};")
        if domain.initrd is not None:
            ramdisk = modules[Path(domain.initrd).resolve()]
            out += [f"\t\t\tmodule@{ramdisk.address:x} {{",
                    '\t\t\t\tcompatible = "multiboot,ramdisk", "multiboot,module";',
                    f"\t\t\t\treg = <{_cells64(ramdisk.address)} {_cells64(ramdisk.size)}>;", "\t\t\t};"]
        out.append("\t\t};")
    out += ["\t};", "};", ""]
    return "\n".join(out)


def dump_qemu_dtb(qemu_command: Sequence[str], machine: str, out: Path, timeout_s: float = 60) -> Path:
    """QEMU's own DT for the same machine options (-machine ...,dumpdtb=), so Xen sees the real board."""
    command = list(qemu_command) + ["-machine", f"{machine},dumpdtb={out}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceTreeError(f"cannot dump QEMU's device tree: {exc}") from exc
    if not out.exists() or out.stat().st_size == 0:
        raise DeviceTreeError(f"QEMU did not dump its device tree: {(done.stderr or done.stdout).strip()[:300]}")
    return out


def _dtc(args: Sequence[str], timeout_s: float = 30) -> None:
    try:
        done = subprocess.run(["dtc", "-q", *args], capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceTreeError(f"dtc failed to start: {exc} (Debian package device-tree-compiler)") from exc
    if done.returncode != 0:
        raise DeviceTreeError(f"dtc {' '.join(args)}: {done.stderr.strip()[:400]}")


def compile_dom0less(base_dtb: Path, chosen: str, out_dtb: Path) -> Path:
    """base DT decompiled, the generated /chosen block appended (dtc merges it), compiled; the .dts is kept."""
    base_dts = out_dtb.with_suffix(".base.dts")
    _dtc(["-I", "dtb", "-O", "dts", "-o", str(base_dts), str(base_dtb)])
    merged = out_dtb.with_suffix(".dts")
    merged.write_text(base_dts.read_text() + chosen)
    _dtc(["-I", "dts", "-O", "dtb", "-o", str(out_dtb), str(merged)])
    return out_dtb
