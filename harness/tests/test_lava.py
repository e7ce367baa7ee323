"""LAVA integration with the real dispatcher: runs 'make lava-check' (lava-run jobs compared case by case with a direct run)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_make_lava_check_matches_the_direct_run(qemu_ready: Path):
    """About a minute once lava-dispatcher is installed; the first run installs it through
    harness/bootstrap.sh (about 90 s, 258 MB). Never skipped: without root or lava-run it fails."""
    if os.geteuid() != 0:
        pytest.fail("lava-run must run as root: run 'make lava-check' (or 'make test') as root; "
                    "it installs lava-dispatcher through harness/bootstrap.sh")
    done = subprocess.run(["make", "--no-print-directory", "lava-check"], cwd=REPO, capture_output=True, text=True,
                          timeout=1200)
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
    assert done.returncode == 0, f"make lava-check failed (exit {done.returncode}); its last lines:\n{tail}"
    assert " 0 different" in done.stdout and "validate-uboot-shell: pass" in done.stdout, tail
