"""Shared fixtures: the harness package on sys.path, the repo's build folder, a QEMU availability gate."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1]
REPO = HARNESS.parent
sys.path.insert(0, str(HARNESS))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def build() -> Path:
    """The real build folder; `make test` builds it before pytest runs."""
    path = REPO / "build"
    if not (path / "guest" / "kselftest" / "kselftest-list.txt").exists():
        pytest.fail("build/ is missing: run 'make test' (it builds first), not pytest alone")
    return path


@pytest.fixture(scope="session")
def qemu_ready(build: Path) -> Path:
    if shutil.which("qemu-system-aarch64") is None:
        pytest.fail("qemu-system-aarch64 missing: 'make test' installs it through harness/bootstrap.sh")
    return build
