"""Builds the Linux guest initramfs: busybox, the virtio modules in load order, the test collection, the init script."""
from __future__ import annotations

import dataclasses
import gzip
import io
from pathlib import Path

from .cache import MissingToolError, arm64_package_dir
from .cpio_newc import NewcWriter
from .kernel import GuestKernel, modules_for

# Drivers for every virtio device the suite tests, plus the filesystems the tests mount.
GUEST_MODULES = [
    "virtio_mmio", "virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "virtio-rng",
    "virtio_input", "virtio-gpu", "virtio_crypto", "virtio_scsi", "virtio_balloon",
    "9pnet_virtio", "9p", "virtiofs", "vmw_vsock_virtio_transport", "sd_mod", "efivarfs",
    "evdev", "algif_skcipher", "algif_hash",
]

INSTALL_DIR = "/opt/avps-cts"

INIT_SCRIPT = """#!/bin/sh
# avps-cts guest init: mount the basics, load the virtio drivers (modular kernels), run the suite, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
echo "avps-init: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus"
# Only for a modular kernel (Debian's); the suite's kernel has every driver built in and
# an empty list. insmod returns after the driver probed its devices and after any
# asynchronous work its init started (a SCSI scan): no settling delay is needed.
while read -r module; do
  insmod "/lib/modules/$(uname -r)/$module" 2>/dev/null || echo "avps-init: insmod $module failed"
done < /etc/avps/modules.load
__RUN__
echo "avps-init: powering off"
sync
poweroff -f
"""


@dataclasses.dataclass
class ImageInfo:
    path: Path
    modules: list[str]
    modules_missing: list[str]
    size: int


def _add_tree(writer: NewcWriter, source: Path, dest: str) -> None:
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        target = f"{dest}/{rel}"
        if path.is_symlink():
            writer.symlink(target, str(path.readlink()))
        elif path.is_dir():
            writer.directory(target)
        else:
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            writer.file(target, path.read_bytes(), mode)


def build_initramfs(kernel: GuestKernel, kselftest_dir: Path, out: Path,
                    run_command: str | None = None) -> ImageInfo:
    """Writes a gzip'd newc initramfs to out. run_command replaces the default runner invocation."""
    if not (kselftest_dir / "kselftest-list.txt").exists():
        raise MissingToolError(f"{kselftest_dir}/kselftest-list.txt missing: run 'make guest' first")
    busybox = arm64_package_dir("busybox") / "bin" / "busybox"
    modules, missing = modules_for(kernel, GUEST_MODULES)
    raw = io.BytesIO()
    w = NewcWriter(raw)
    for d in ("dev", "proc", "sys", "tmp", "run", "root", "etc/avps", "sbin", "usr/bin", "usr/sbin"):
        w.directory(d)
    w.char_device("dev/console", 5, 1)
    w.char_device("dev/null", 1, 3, 0o666)
    w.file("bin/busybox", busybox.read_bytes(), 0o755)
    w.symlink("bin/sh", "busybox")
    command = run_command or f"{INSTALL_DIR}/avps-runner {INSTALL_DIR} --poweroff"
    w.file("init", INIT_SCRIPT.replace("__RUN__", command).encode(), 0o755)
    if kernel.modules_dir is not None:
        for module in modules:
            w.file(f"lib/modules/{kernel.version}/{module}", (kernel.modules_dir / module).read_bytes())
    w.file("etc/avps/modules.load", "".join(m + "\n" for m in modules).encode())
    _add_tree(w, kselftest_dir, INSTALL_DIR.lstrip("/"))
    w.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)
    out.write_bytes(data)
    return ImageInfo(path=out, modules=modules, modules_missing=missing, size=len(data))
