"""Boot sharing of negative controls: who may share a boot (control_groups), and the guard that boots a control alone when the shared boot did not satisfy it."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from avps_cts import control_groups, profiles
from avps_cts.commands import control
from avps_cts.commands.control import ControlRow
from avps_cts.manifest import Manifest, ManifestCase

PARAMS = {"blk_bytes": "67108864"}


def _manifest() -> Manifest:
    rows = [("virtio.rng.request", "virtio-mmio"), ("virtio.blk.read", "virtio-mmio"),
            ("virtio.vq.used_flags", "virtio-mmio"), ("virtio.sound.jack", "virtio-mmio"),
            ("virtio.sound.pcm", "virtio-mmio"), ("psci.version", "psci")]
    cases = [ManifestCase(c, c, (), p, p) for c, p in rows]
    linux = [("virtio.net.link", "virtio.net"), ("virtio.net.mtu", "virtio.net"), ("virtio.gpio.edge", "virtio.gpio")]
    cases += [ManifestCase(c, c, (), p, "linux") for c, p in linux]
    return Manifest(cases)


def _device_control(devices: dict[str, str], cases: list[str], **extra: object) -> dict:
    spec = {"options": {"scenario": "virtio", "device_faults": devices}, "params": dict(PARAMS),
            "expect": {"fail": {c: f"reason of {c}" for c in cases}}}
    spec.update(extra)
    return spec


@pytest.fixture()
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Writes harness/profiles/demo.yaml in a temporary profile folder; returns a function taking its profiles."""
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)

    def write(controls: dict[str, dict]) -> list[str]:
        data = {"driver": "refhv", "devices": {}, "profiles": {"default": {}, **controls}}
        (tmp_path / "demo.yaml").write_text(yaml.safe_dump(data))
        return list(controls)
    return write


def _groups(names: list[str]) -> list[list[str]]:
    return [g.names for g in control_groups.plan("demo", names, _manifest())]


def test_faults_on_different_devices_share_one_boot_of_the_probe(target) -> None:
    names = target({"rng": _device_control({"entropy": "used-length-wrong"}, ["virtio.rng.request"]),
                    "blk": _device_control({"block": "used-length-wrong"}, ["virtio.blk.read"]),
                    "sound": _device_control({"sound": "jack"}, ["virtio.sound.jack"])})
    assert _groups(names) == [["rng", "blk", "sound"]]
    merged = control_groups.group_config("demo", ["rng", "blk", "sound"])
    assert merged.options["device_faults"] == {"entropy": "used-length-wrong", "block": "used-length-wrong",
                                               "sound": "jack"}
    assert set(merged.expect_fail) == {"virtio.rng.request", "virtio.blk.read", "virtio.sound.jack"}
    assert profiles.load("demo", "rng").options["device_faults"] == {"entropy": "used-length-wrong"}  # untouched


def test_two_faults_on_one_device_never_share(target) -> None:
    names = target({"jack": _device_control({"sound": "jack"}, ["virtio.sound.jack"]),
                    "pcm": _device_control({"sound": "pcm"}, ["virtio.sound.pcm"])})
    assert _groups(names) == [["jack"], ["pcm"]]


def test_a_hypervisor_fault_or_a_changed_platform_boots_alone(target) -> None:
    names = target({"rng": _device_control({"entropy": "x"}, ["virtio.rng.request"]),
                    "vm": _device_control({"block": "y"}, ["virtio.blk.read"], options={
                        "scenario": "virtio", "device_faults": {"block": "y"}, "faults": ["stage2-hole"]}),
                    "other-params": _device_control({"sound": "z"}, ["virtio.sound.jack"], params={"blk_bytes": "1"}),
                    "no-switch": {"params": dict(PARAMS), "options": {"scenario": "virtio"},
                                  "expect": {"fail": {"virtio.sound.pcm": "why"}}}})
    assert _groups(names) == [["rng"], ["vm"], ["other-params"], ["no-switch"]]


def test_a_fault_on_a_device_another_members_case_is_known_to_use_keeps_them_apart(target) -> None:
    """virtio.vq.used_flags is named by a control that faults entropy and block: it uses both, so a
    block fault never shares a boot with a control naming it."""
    names = target({"flags": _device_control({"entropy": "garbage"}, ["virtio.vq.used_flags"]),
                    "blk": _device_control({"block": "used-length-wrong"}, ["virtio.blk.read"]),
                    "both": _device_control({"entropy": "g", "block": "g"}, ["virtio.vq.used_flags"])})
    assert _groups(["flags", "blk"]) == [["flags"], ["blk"]]
    assert names


def test_linux_controls_share_only_across_programs(target) -> None:
    names = target({"link": _device_control({"net": "link-down"}, ["virtio.net.link"]),
                    "mtu": _device_control({"console": "x"}, ["virtio.net.mtu"]),
                    "gpio": _device_control({"gpio": "edge"}, ["virtio.gpio.edge"])})
    assert _groups(names) == [["link", "gpio"], ["mtu"]]


def test_members_that_boot_different_images_are_not_grouped(target) -> None:
    names = target({"rng": _device_control({"entropy": "x"}, ["virtio.rng.request"]),
                    "gpio": _device_control({"gpio": "edge"}, ["virtio.gpio.edge"])})
    assert _groups(names) == [["rng"], ["gpio"]]


def _args(alone: bool = False) -> argparse.Namespace:
    return argparse.Namespace(alone=alone, build="build", reports="reports")


def _row(name: str, ok: bool) -> ControlRow:
    return ControlRow(f"demo/{name}", "c", "fail", "why", "ok" if ok else "WRONG REASON")


def test_a_member_the_shared_boot_did_not_satisfy_is_booted_alone_and_judged_there(
        target, monkeypatch: pytest.MonkeyPatch) -> None:
    names = target({"rng": _device_control({"entropy": "x"}, ["virtio.rng.request"]),
                    "blk": _device_control({"block": "y"}, ["virtio.blk.read"])})
    alone: list[str] = []
    monkeypatch.setattr(control, "run_group", lambda args, t, group, kernel, manifest:
                        {"rng": ([_row("rng", True)], []), "blk": ([_row("blk", False)], [])})

    def run_alone(args, t, name, make_target, kernel, manifest):
        alone.append(name)
        return [_row(name, name == "blk")], []
    monkeypatch.setattr(control, "run_control", run_alone)
    got = control.run_target(_args(), "demo", names, None, None, _manifest())
    assert alone == ["blk"] and [(n, [r.ok for r in rows]) for n, rows, _ in got] == [("rng", [True]), ("blk", [True])]


def test_alone_boots_every_control_by_itself(target, monkeypatch: pytest.MonkeyPatch) -> None:
    names = target({"rng": _device_control({"entropy": "x"}, ["virtio.rng.request"]),
                    "blk": _device_control({"block": "y"}, ["virtio.blk.read"])})
    monkeypatch.setattr(control, "run_group", lambda *a: pytest.fail("no group with --alone"))
    monkeypatch.setattr(control, "run_control", lambda args, t, name, *rest: ([_row(name, True)], []))
    got = control.run_target(_args(alone=True), "demo", names, None, None, _manifest())
    assert [n for n, _, _ in got] == ["rng", "blk"]
