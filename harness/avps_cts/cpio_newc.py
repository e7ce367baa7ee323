"""Writes cpio 'newc' archives (the initramfs format) without root: files, directories, symlinks, device nodes."""
from __future__ import annotations


import stat
from pathlib import PurePosixPath
from typing import BinaryIO

_TRAILER = "TRAILER!!!"


class NewcWriter:
    """Appends entries to a newc archive; all entries are owned by root with a fixed mtime (reproducible)."""

    def __init__(self, out: BinaryIO, mtime: int = 0) -> None:
        self._out = out
        self._mtime = mtime
        self._inode = 1
        self._dirs: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        name = str(PurePosixPath(name)).lstrip("/") or "."
        encoded = name.encode() + b"\0"
        fields = [self._inode, mode, 0, 0, 1, self._mtime, len(data), 0, 0, rdev[0], rdev[1],
                  len(encoded), 0]
        self._inode += 1
        header = "070701" + "".join(f"{v:08x}" for v in fields)
        self._out.write(header.encode() + encoded)
        self._pad(110 + len(encoded))
        self._out.write(data)
        self._pad(len(data))

    def _pad(self, length: int) -> None:
        self._out.write(b"\0" * ((4 - length % 4) % 4))

    def directory(self, name: str, mode: int = 0o755) -> None:
        parts = PurePosixPath(name.lstrip("/")).parts
        for i in range(1, len(parts) + 1):
            path = "/".join(parts[:i])
            if path not in self._dirs:
                self._dirs.add(path)
                self._entry(path, stat.S_IFDIR | mode)

    def _parent(self, name: str) -> None:
        parent = str(PurePosixPath(name.lstrip("/")).parent)
        if parent not in (".", ""):
            self.directory(parent)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._parent(name)
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._parent(name)
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._parent(name)
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def close(self) -> None:
        self._entry(_TRAILER, 0)


