"""Host side of the file-sharing test: per-run shared directories, a seeded nonce file, and checks of files the guest wrote."""
from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

SEED_FILE = "avps-host-seed"  # the host writes a per-run nonce here before boot
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


class SharedDirectories:
    """The {dir:NAME} directories of one run; each gets a fresh seed nonce."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.seeds: dict[str, str] = {}

    def path(self, name: str) -> Path:
        return self.scratch / f"share-{name}"

    def create(self, name: str) -> Path:
        directory = self.path(name)
        if directory.exists():
            for item in sorted(directory.rglob("*"), reverse=True):
                item.rmdir() if item.is_dir() and not item.is_symlink() else item.unlink()
        directory.mkdir(parents=True, exist_ok=True)
        self.seeds[name] = secrets.token_hex(8)
        (directory / SEED_FILE).write_text(self.seeds[name] + "\n")
        return directory

    def handle_request(self, arguments: str) -> str:
        """'<relpath> <sha256>' -> 'AVPS-FILE-REPLY <relpath> <sha256 the host sees|missing|refused>'.

        The host reports what it sees; the guest compares, so a wrong answer is the guest's
        verdict to give. Paths are relative, plain names only (no '..').
        """
        parts = arguments.split()
        if len(parts) != 2 or not _SAFE_NAME.fullmatch(parts[0]) or ".." in parts[0].split("/"):
            return "AVPS-FILE-REPLY ? refused"
        relpath = parts[0]
        for name in self.seeds:
            candidate = self.path(name) / relpath
            if candidate.is_file():
                return f"AVPS-FILE-REPLY {relpath} {hashlib.sha256(candidate.read_bytes()).hexdigest()}"
        return f"AVPS-FILE-REPLY {relpath} missing"
