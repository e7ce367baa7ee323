"""Per-image vCPU counts (image_smp): the PSCI probe boots with >= 4 vCPUs while the Linux image keeps smp."""
from __future__ import annotations

from pathlib import Path

import pytest

from avps_cts import profiles
from avps_cts.targets.base import BootImage
from avps_cts.targets.qemu import QemuTarget


def _smp_arg(cmd: list[str]) -> int:
    return int(cmd[cmd.index("-smp") + 1])


def test_default_profile_gives_the_psci_probe_four_vcpus(tmp_path: Path) -> None:
    config = profiles.load("qemu-arm64", "default")
    target = QemuTarget(config, tmp_path)
    psci = target.command(BootImage(kind="probe", kernel=Path("psci.img"), name="psci"))
    linux = target.command(BootImage(kind="linux", kernel=Path("Image"), name="linux"))
    assert _smp_arg(psci) >= 4
    assert _smp_arg(linux) == config.smp
    assert "avps.cpus=%d" % config.smp in linux[linux.index("-append") + 1]


def test_profile_overrides_image_smp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"devices": {}, "smp": 2, "image_smp": {"psci": 4},
            "profiles": {"default": {}, "one": {"image_smp": {"psci": 1}}}}
    monkeypatch.setattr(profiles, "_load_target", lambda target: data)
    assert profiles.load("x", "default").smp_for("psci") == 4
    assert profiles.load("x", "one").smp_for("psci") == 1
    assert profiles.load("x", "one").smp_for("virtio") == 2


def test_bad_image_smp_is_a_profile_error(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"devices": {}, "image_smp": {"psci": "many"}, "profiles": {"default": {}}}
    monkeypatch.setattr(profiles, "_load_target", lambda target: data)
    with pytest.raises(profiles.ProfileError, match="image_smp"):
        profiles.load("x", "default")
