"""Image building parts: cpio newc archives read back by the real cpio tool, module dependency order, profiles."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from avps_cts import profiles
from avps_cts.cpio_newc import NewcWriter
from avps_cts.kernel import parse_modules_dep, resolve_load_order


def test_newc_archive_lists_with_cpio() -> None:
    if shutil.which("cpio") is None:
        pytest.fail("cpio missing: harness/bootstrap.sh installs it")
    buf = io.BytesIO()
    w = NewcWriter(buf)
    w.file("etc/x.txt", b"hello")
    w.symlink("bin/sh", "busybox")
    w.char_device("dev/console", 5, 1)
    w.close()
    listing = subprocess.run(["cpio", "-itv", "--quiet"], input=buf.getvalue(), capture_output=True, check=True)
    text = listing.stdout.decode()
    assert "etc/x.txt" in text and "bin/sh -> busybox" in text
    assert any(line.startswith("crw") and "dev/console" in line for line in text.splitlines())


def test_modules_load_after_their_dependencies() -> None:
    deps = parse_modules_dep(
        "kernel/net/virtio_net.ko: kernel/net/net_failover.ko kernel/core/failover.ko\n"
        "kernel/net/net_failover.ko: kernel/core/failover.ko\n"
        "kernel/core/failover.ko:\n"
        "kernel/virtio/virtio_mmio.ko:\n")
    order, missing = resolve_load_order(deps, ["virtio_net", "virtio-mmio", "not_there"])
    assert order == ["kernel/core/failover.ko", "kernel/net/net_failover.ko", "kernel/net/virtio_net.ko",
                     "kernel/virtio/virtio_mmio.ko"]
    assert missing == ["not_there"]


def test_every_profile_loads() -> None:
    for target in profiles.available_targets():
        for name in profiles.profile_names(target):
            config = profiles.load(target, name)
            assert config.target == target and config.profile == name


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(profiles.ProfileError, match="no profile 'nope'"):
        profiles.load("qemu-arm64", "nope")
    with pytest.raises(profiles.ProfileError, match="unknown target"):
        profiles.load("no-such-target")
