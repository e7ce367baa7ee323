"""End to end on real QEMU: the default platform passes, hung/panicking/garbage guests keep their results."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from avps_cts import profiles
from avps_cts.initramfs import INSTALL_DIR, build_initramfs
from avps_cts.kernel import suite_kernel
from avps_cts.manifest import load as load_manifest
from avps_cts.results import RunResult, Status
from avps_cts.run import run_images
from avps_cts.targets.base import BootImage
from avps_cts.targets.qemu import QemuTarget

RUNNER = f"{INSTALL_DIR}/avps-runner {INSTALL_DIR}"


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "avps_cts", *args], cwd=repo, capture_output=True, text=True,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
                          timeout=900)


def only_report(folder: Path) -> Path:
    (report,) = [p for p in folder.iterdir() if p.is_dir()]
    return report


@pytest.fixture(scope="module")
def default_run(qemu_ready: Path, repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    proc = cli(repo, "run", "--target", "qemu-arm64", "--reports", str(reports))
    print(proc.stdout, proc.stderr)
    known = profiles.known_nonconformance("qemu-arm64")
    assert proc.returncode == (1 if known else 0), f"unexpected exit:\n{proc.stdout}\n{proc.stderr}"
    return only_report(reports)


def test_default_platform_passes_every_case(default_run: Path, build: Path) -> None:
    data = json.loads((default_run / "results.json").read_text())
    manifest = load_manifest(build)
    statuses = {c["case_id"]: c["status"] for c in data["cases"]}
    assert set(statuses) == {c.case_id for c in manifest.cases}, "every built case reports"
    failing = {k for k, v in statuses.items() if v not in ("pass", "skip")}
    # Only the platform findings recorded with evidence may fail; anything else is a regression.
    assert failing == set(profiles.known_nonconformance("qemu-arm64")) & set(statuses)
    assert data["problems"] == []
    assert (default_run / "junit.xml").exists() and (default_run / "summary.md").exists()


def test_el2_entry_platform_gives_the_same_verdicts(qemu_ready: Path, repo: Path, tmp_path: Path) -> None:
    """virtualization=on: probes enter at EL2 and drop to EL1, PSCI goes through SMC; verdicts must not change."""
    proc = cli(repo, "run", "--target", "qemu-arm64", "--profile", "el2-entry", "--reports", str(tmp_path))
    data = json.loads((only_report(tmp_path) / "results.json").read_text())
    failing = {c["case_id"] for c in data["cases"] if c["status"] not in ("pass", "skip")}
    assert failing == set(profiles.known_nonconformance("qemu-arm64")) & {c["case_id"] for c in data["cases"]}, \
        proc.stdout
    psci_log = (only_report(tmp_path) / "console-psci.log").read_text()
    assert "EL2 entry, SMCCC conduit smc" in psci_log


def test_captured_log_gives_the_same_results(default_run: Path, repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "captured.log"
    log.write_text("".join(p.read_text() for p in sorted(default_run.glob("console-*.log"))))
    proc = cli(repo, "report", str(log), "--target", "someone-elses-hv", "--out", str(tmp_path / "out"))
    known = profiles.known_nonconformance("qemu-arm64")
    assert proc.returncode == (1 if known else 0), proc.stdout + proc.stderr
    # Images the target could not boot at all (an EFI probe on direct boot) are not in the log.
    direct_cases = json.loads((default_run / "results.json").read_text())["cases"]
    # What only the host observed (QMP events; its disk images after power-off) is not in a console log.
    host_judged = {c["case_id"] for c in direct_cases
                   if c["detail"].startswith("host observed") or "bytes back from" in c["detail"]}
    direct = {c["case_id"]: c["status"] for c in direct_cases
              if "not bootable on this boot path" not in c["detail"] and c["case_id"] not in host_judged}
    via_log = {c["case_id"]: c["status"] for c in json.loads((tmp_path / "out" / "results.json").read_text())["cases"]
               if c["case_id"] in direct or c["case_id"] in host_judged}
    assert {k: v for k, v in via_log.items() if k in host_judged} == {k: "not-run" for k in host_judged}
    assert {k: v for k, v in via_log.items() if k in direct} == direct


def test_truncated_log_keeps_results_and_fails(default_run: Path, repo: Path, tmp_path: Path) -> None:
    lines = (default_run / "console-linux.log").read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if "global.capacity_from_config" in line and "ok" in line)
    log = tmp_path / "cut.log"
    log.write_text("\n".join(lines[: cut + 1]) + "\n\x00\x01\x02\x03\x04\x05 garbage \x06\x07\n")
    proc = cli(repo, "report", str(log), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, "a cut log is a broken run: results kept, no verdict"
    cases = {c["case_id"]: c for c in json.loads((tmp_path / "out" / "results.json").read_text())["cases"]}
    assert cases["virtio.blk.capacity_from_config"]["status"] == "pass"
    assert cases["virtio.rng.device_present"]["status"] == "not-run"
    assert "PROBLEM" in proc.stdout


def boot_custom_init(build: Path, tmp_path: Path, run_command: str, timeout_s: float,
                     params: dict[str, str] | None = None) -> RunResult:
    kernel = suite_kernel()
    info = build_initramfs(kernel, build / "guest" / "kselftest", tmp_path / "initrd.gz", run_command=run_command)
    config = profiles.load("qemu-arm64", "default")
    config.timeout_s = timeout_s
    target = QemuTarget(config, tmp_path / "scratch")
    image = BootImage(kind="linux", kernel=kernel.image, initrd=info.path, params=params or {})
    run = RunResult(target="qemu-arm64")
    return run_images(target, [image], load_manifest(build), tmp_path, run)


def statuses(run: RunResult) -> dict[str, Status]:
    return {c.case_id: c.status for c in run.cases}


def test_hung_guest_keeps_results_and_marks_the_rest_not_run(qemu_ready: Path, tmp_path: Path) -> None:
    run = boot_custom_init(qemu_ready, tmp_path, f"{RUNNER} | head -n 40; sleep 100000", timeout_s=45)
    got = statuses(run)
    seen = [c for c, s in got.items() if s in (Status.PASS, Status.SKIP)]
    missing = [c for c, s in got.items() if s is Status.NOT_RUN]
    assert seen and missing, got  # what came before the hang is kept, the rest is not-run
    assert not [c for c, s in got.items() if s in (Status.FAIL, Status.ERROR)]
    assert got["psci.hotplug.off_on_every_secondary"] is Status.NOT_RUN
    assert any("hung" in p for p in run.problems)
    assert not run.ok


def test_kernel_panic_is_reported(qemu_ready: Path, tmp_path: Path) -> None:
    # init (PID 1) exits: "Kernel panic - not syncing: Attempted to kill init!" on any kernel (the
    # suite's kernel has no magic SysRq to crash it with).
    run = boot_custom_init(qemu_ready, tmp_path, f"{RUNNER}; exit 1", timeout_s=120,
                           params={"only": "virtio.blk"})
    got = statuses(run)
    assert got["virtio.blk.flush"] is Status.PASS
    assert got["virtio.console.port_present"] is Status.NOT_RUN
    assert any("panic" in p for p in run.problems)
    assert not run.ok


def test_garbage_mid_document_keeps_every_result(qemu_ready: Path, tmp_path: Path) -> None:
    command = f"head -c 3000 /dev/urandom > /tmp/noise; {RUNNER} | sed '9r /tmp/noise'"
    run = boot_custom_init(qemu_ready, tmp_path, command, timeout_s=120)
    got = statuses(run)
    assert all(s in (Status.PASS, Status.SKIP) for s in got.values()), got
    assert sum(s is Status.PASS for s in got.values()) > 50
    assert any("garbage" in p for p in run.problems)
    assert not run.ok


def test_missing_tool_and_bad_options_give_one_clear_line(repo: Path, build: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "run", "--no-probes"], cwd=repo, capture_output=True,
                          text=True, env={"PYTHONPATH": str(repo / "harness"), "PATH": "/nonexistent"})
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "qemu-system-aarch64" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = cli(repo, "run", "--profile", "no-such-profile")
    assert proc.returncode == 2 and "no profile 'no-such-profile'" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(repo, "report", "/no/such/log")
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_runner_survives_crashing_and_hanging_programs(qemu_ready: Path, tmp_path: Path) -> None:
    """The guest runner reports a program killed by a signal as ERROR and one that hangs as TIMEOUT,
    then carries on with the next program and still powers the guest off."""
    import shutil

    from avps_cts import ktap

    tree = tmp_path / "kselftest"
    shutil.copytree(qemu_ready / "guest" / "kselftest", tree, symlinks=True)
    (tree / "faults").mkdir()
    for name, body in (("crash", "kill -SEGV $$"), ("hang", "sleep 1000")):
        script = tree / "faults" / name
        script.write_text(f"#!/bin/sh\necho 'TAP version 13'\necho '1..1'\n{body}\n")
        script.chmod(0o755)
    (tree / "kselftest-list.txt").write_text("faults:crash\nfaults:hang\npsci:firmware\n")
    kernel = suite_kernel()
    info = build_initramfs(kernel, tree, tmp_path / "initrd.gz")
    config = profiles.load("qemu-arm64", "default")
    target = QemuTarget(config, tmp_path / "scratch")
    image = BootImage(kind="linux", kernel=kernel.image, initrd=info.path, params={"timeout": "5"})
    out = target.boot(image, tmp_path / "console.log", timeout_s=120)
    doc = ktap.parse(out.lines)
    results = {t.name: t for t in doc.tests}
    assert doc.complete, out.lines[-20:]
    assert not results["faults.crash"].ok and results["faults.crash"].directive_word == "ERROR"
    assert "signal 11" in results["faults.crash"].directive
    assert not results["faults.hang"].ok and results["faults.hang"].directive_word == "TIMEOUT"
    assert results["psci.firmware"].ok
    assert out.host_evidence.get("shutdown_reason") == "guest-shutdown"


def test_kernel_run_kselftest_runs_the_installed_collection(qemu_ready: Path, tmp_path: Path) -> None:
    """The image carries the tests as a kselftest install: the kernel's own run_kselftest.sh runs them."""
    from avps_cts import ktap

    kernel = suite_kernel()
    command = f"cd {INSTALL_DIR} && ./run_kselftest.sh -c psci"
    info = build_initramfs(kernel, qemu_ready / "guest" / "kselftest", tmp_path / "initrd.gz", run_command=command)
    target = QemuTarget(profiles.load("qemu-arm64", "default"), tmp_path / "scratch")
    out = target.boot(BootImage(kind="linux", kernel=kernel.image, initrd=info.path), tmp_path / "console.log",
                      timeout_s=120)
    doc = ktap.parse(out.lines)
    names = {t.name: t for t in doc.tests}
    assert doc.complete, out.lines[-20:]
    assert set(names) == {"selftests: psci: firmware", "selftests: psci: hotplug"}, names
    assert all(t.ok for t in names.values())
