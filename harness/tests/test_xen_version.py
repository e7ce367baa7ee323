"""The compare page and reports name Xen by its real version, never by its banner's printf format."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from avps_cts.targets.xen.driver import fetch_xen, xen_version


def test_xen_version_is_the_real_one(tmp_path: Path) -> None:
    binary = fetch_xen()
    version = xen_version(binary)
    assert "%" not in version and re.match(r"^Xen \d+\.\d+\.\d+", version), version
    alone = tmp_path / "boot" / binary.name  # without the package's changelog: from the binary itself
    alone.parent.mkdir()
    shutil.copyfile(binary, alone)
    assert xen_version(alone).split()[1] == version.split()[1]


def test_a_binary_with_only_the_banner_format_is_not_misread(tmp_path: Path) -> None:
    fake = tmp_path / "boot" / "xen-9.9-arm64"
    fake.parent.mkdir()
    fake.write_bytes(b"\0Xen version %d.%d%s (%s %s) (%s@%s) (%s) %s %s\0")
    assert xen_version(fake) == "xen-9.9-arm64"
