"""Where bootstrap.sh left Debian's arm64 packages, and a clear error when it has not run."""
from __future__ import annotations

import os
from pathlib import Path


class MissingToolError(Exception):
    """Something the harness needs is not installed or not cached: one clear line for the user."""


def cache_dir() -> Path:
    return Path(os.environ.get("AVPS_CACHE", str(Path.home() / ".cache" / "avps-cts")))


def arm64_package_dir(name: str) -> Path:
    path = cache_dir() / "arm64" / name
    if not (path / ".unpacked").exists():
        raise MissingToolError(f"arm64 package '{name}' is not cached in {path}: run 'make bootstrap' "
                               "(or harness/bootstrap.sh arm64)")
    return path


def require_program(name: str, package: str) -> str:
    """Absolute path of a host program, or MissingToolError naming the Debian package."""
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/sbin"]:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise MissingToolError(f"'{name}' not found: install Debian package {package} (make bootstrap does)")
