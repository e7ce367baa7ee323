"""Run metadata for reports: the suite's git revision and the versions of the tools the run used."""
from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def suite_revision() -> str:
    """'<commit> (<date>)', with '+ local changes' when the work tree differs from it."""
    commit = _git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    date = _git("log", "-1", "--format=%cI")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} ({date})" + (" + local changes" if dirty else "")


def _package_version(package: str) -> str:
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def run_metadata() -> dict[str, Any]:
    tools = {"python": platform.python_version(), "host": f"{platform.system()} {platform.release()} "
                                                          f"{platform.machine()}"}
    for package in ("qemu-system-arm", "gcc-aarch64-linux-gnu", "xen-hypervisor-4.17-arm64", "qemu-efi-aarch64",
                    "u-boot-qemu", "lava-dispatcher"):
        version = _package_version(package)
        if version:
            tools[package] = version
    return {"suite_revision": suite_revision(), "command": " ".join(["avps-cts", *sys.argv[1:]]), "tools": tools}
