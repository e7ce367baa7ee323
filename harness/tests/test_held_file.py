"""The held file of a virtio-fs share: the host holds up an open for writing for HOLD_S, never a read-only open."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from avps_cts.host.held_file import HELD_FILE, HOLD_S, HeldFile


def timed_open(path: Path, flags: int) -> float:
    start = time.monotonic()
    os.close(os.open(path, flags))
    return time.monotonic() - start


def test_an_open_for_writing_waits_for_the_hold_and_a_read_only_open_does_not(tmp_path: Path) -> None:
    held = HeldFile(tmp_path, tmp_path / "held.log")
    held.start()
    try:
        assert timed_open(tmp_path / HELD_FILE, os.O_RDONLY) < 0.1
        assert HOLD_S * 0.9 <= timed_open(tmp_path / HELD_FILE, os.O_RDWR) < HOLD_S + 2
        time.sleep(0.2)  # the lease is taken again once no writer has the file open
        assert HOLD_S * 0.9 <= timed_open(tmp_path / HELD_FILE, os.O_WRONLY) < HOLD_S + 2
    finally:
        held.stop()
    assert held.proc is None
    assert timed_open(tmp_path / HELD_FILE, os.O_RDWR) < 0.1  # no holder left behind


def test_a_host_that_cannot_hold_the_file_leaves_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("avps_cts.host.held_file.START_TIMEOUT_S", 0.0)
    held = HeldFile(tmp_path, tmp_path / "held.log")
    held.start()
    assert held.proc is None and not (tmp_path / HELD_FILE).exists()
