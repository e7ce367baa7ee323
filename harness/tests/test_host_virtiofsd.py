"""virtiofsd is started with absolute paths: it enters its own mount namespace, where a relative source path (make run's --build build) names nothing."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from avps_cts.host import virtiofsd as host_virtiofsd


class FakeDaemon:
    """Stands in for the virtiofsd process: records its command line, creates the socket it was given."""
    commands: list[list[str]] = []

    def __init__(self, command: list[str], **_: object) -> None:
        FakeDaemon.commands.append(command)
        socket = next(a.split("=", 1)[1] for a in command if a.startswith("--socket-path="))
        Path(socket).touch()

    def poll(self) -> int:
        return 0


class FakeHeld:
    """Stands in for the held file's holder: records the share it was given."""
    shares: list[Path] = []

    def __init__(self, directory: Path, log: Path) -> None:
        FakeHeld.shares.append(directory)

    def start(self) -> None:
        pass


@pytest.mark.skipif(os.geteuid() != 0, reason="VirtiofsDaemons refuses to start without root")
def test_virtiofsd_gets_absolute_source_and_socket_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(host_virtiofsd, "VIRTIOFSD", Path("/bin/true"))
    monkeypatch.setattr(subprocess, "Popen", FakeDaemon)
    monkeypatch.setattr(host_virtiofsd, "HeldFile", FakeHeld)
    Path("run/share").mkdir(parents=True)
    daemons = host_virtiofsd.VirtiofsDaemons(Path("run"))
    daemons.start("vfs0", Path("run/share"))
    (command,) = FakeDaemon.commands
    assert f"--socket-path={tmp_path / 'run' / 'vfs0.vfs.sock'}" in command
    assert f"source={tmp_path / 'run' / 'share'}" in command
    assert FakeHeld.shares == [tmp_path / "run" / "share"]  # the held file lives in the share virtiofsd serves
