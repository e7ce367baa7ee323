"""Negative controls: each listed case fails for the reason its profile names; every control of every target runs once in make test (controls that cannot interact share boots, test_control_groups.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from avps_cts import case_review, profiles
from avps_cts.commands.control import check_profile, control_params
from avps_cts.manifest import Manifest, ManifestCase
from avps_cts.profiles import ProfileError
from avps_cts.results import CaseResult, Status


def result(case_id: str, status: Status, detail: str = "", diagnostics: list[str] | None = None) -> CaseResult:
    return CaseResult(case_id, status, detail=detail, diagnostics=diagnostics or [])


# ---- the check itself, no QEMU -------------------------------------------------------------
def test_a_case_that_fails_for_the_named_reason_passes_the_control() -> None:
    (row,) = check_profile("qemu-arm64/no-rng", {"virtio.rng.device_present": "no virtio entropy device"},
                           [result("virtio.rng.device_present", Status.FAIL, "Test terminated by assertion",
                                   ["rng.c:45:device_present:no virtio entropy device (device ID 4)"])])
    assert row.ok


def test_a_case_that_fails_for_another_reason_is_named() -> None:
    (row,) = check_profile("qemu-arm64/no-rng", {"virtio.rng.device_present": "no virtio entropy device"},
                           [result("virtio.rng.device_present", Status.FAIL, "open /dev/hwrng: EIO")])
    assert row.verdict == "WRONG REASON" and row.reason == "no virtio entropy device"


@pytest.mark.parametrize("status,verdict", [(Status.PASS, "NOT FLIPPED"), (Status.SKIP, "NOT FLIPPED"),
                                            (Status.NOT_RUN, "NOT FLIPPED"), (Status.ERROR, "ok")])
def test_only_a_failure_of_the_case_itself_flips_it(status: Status, verdict: str) -> None:
    (row,) = check_profile("t/p", {"c": "why"}, [result("c", status, "why")])
    assert row.verdict == verdict


def test_a_case_the_run_never_reported_is_not_run() -> None:
    (row,) = check_profile("t/p", {"c": "why"}, [])
    assert row.verdict == "NOT RUN" and not row.ok


def _manifest() -> Manifest:
    rows = [("virtio.blk.flush", "virtio.blk", "linux"), ("virtio.blk.size", "virtio.blk", "linux"),
            ("virtio.rng.request", "virtio.rng", "linux"), ("boot.dt.cpus", "boot.dt", "linux"),
            ("psci.version", "psci", "psci"), ("psci.cpu_on.smc32", "psci", "psci"), ("psci.cpu_off", "psci", "psci")]
    return Manifest([ManifestCase(c, "global." + c.rsplit(".", 1)[1], (), p, i) for c, p, i in rows])


def test_a_control_boots_only_the_programs_and_probe_cases_it_names() -> None:
    manifest = _manifest()
    assert control_params(manifest, "linux", {"virtio.blk.flush": "why"}) == \
        {"only": "virtio.blk", "cases": "virtio.blk.flush"}
    assert control_params(manifest, "linux", {"virtio.rng.request": "x", "boot.dt.cpus": "y"}) == \
        {"only": "virtio.rng,boot.dt"}  # whole programs: no case list
    assert control_params(manifest, "linux", {"virtio.blk.flush": "x", "virtio.blk.size": "y",
                                              "virtio.rng.request": "z", "boot.dt.cpus": "w"}) == {}
    assert control_params(manifest, "psci", {"psci.cpu_on.smc32": "why"}) == {"cases": "psci.cpu_on.smc32"}
    everything = {"psci.version": "a", "psci.cpu_on.smc32": "b", "psci.cpu_off": "c"}
    assert control_params(manifest, "psci", everything) == {}  # all of them: no filter at all


def test_the_old_list_form_is_refused_with_file_and_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump({
        "devices": {}, "profiles": {"default": {}, "broken": {"expect": {"fail": ["virtio.rng.request"]}}}}))
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    with pytest.raises(ProfileError) as info:
        profiles.load("demo", "broken")
    message = str(info.value)
    assert "demo.yaml" in message and "profile broken" in message and "expect.fail is a list" in message


def test_every_control_names_a_reason_for_every_case() -> None:
    for target in profiles.available_targets():
        for name in profiles.profile_names(target):
            for case_id, reason in profiles.load(target, name).expect_fail.items():
                assert reason.strip(), (target, name, case_id)


def test_a_control_that_only_changes_declarations_says_it_lies() -> None:
    """A profile that changes nothing but avps.* params cannot break the platform: it must carry
    expect.lie, so the review test keeps it to cases that compare with the declaration."""
    for target in profiles.available_targets():
        raw = profiles._load_target(target)["profiles"]
        for name, spec in raw.items():
            config = profiles.load(target, name)
            if config.expect_fail and set(spec or {}) <= {"description", "params", "expect"}:
                assert config.expect_lie, f"harness/profiles/{target}.yaml: {name} only changes params"


def test_missing_lists_the_cases_waiting_for_a_fault_switch(repo: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "control", "--missing"], capture_output=True, text=True,
                          cwd=repo, env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    waiting = case_review.missing_controls(case_review.load())
    for switch, cases in waiting.items():
        assert f"{switch}:" in proc.stdout and all(f"  {c}" in proc.stdout for c in cases)


# ---- every control, once per profile, on the real platforms ---------------------------------
def targets_with_controls() -> list[str]:
    return [t for t in profiles.available_targets()
            if any(profiles.load(t, p).expect_fail for p in profiles.profile_names(t))]


@pytest.mark.parametrize("target", targets_with_controls())
def test_every_control_fails_its_cases_for_the_named_reason(target: str, qemu_ready: Path, repo: Path,
                                                            tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "control", "--target", target, "--reports", str(tmp_path)],
                          capture_output=True, text=True, cwd=repo, timeout=3600,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " 0 failed" in proc.stdout
