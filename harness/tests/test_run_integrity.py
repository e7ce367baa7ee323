"""A run is a verdict or an error: exit codes, bad options, duplicate boots, per-run folders, progress, concurrency."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from avps_cts import cli
from avps_cts.manifest import Manifest, load as load_manifest
from avps_cts.results import EXIT_BROKEN_RUN, CaseResult, RunResult, Status
from avps_cts.run import Progress, linux_image, report_folder, run_images, run_scratch
from avps_cts.targets.base import BootImage


def probe_log(manifest: Manifest, probe: str, failing: tuple[str, ...] = ()) -> list[str]:
    """A probe's KTAP document as a console shows it, every case ok except the failing ones."""
    cases = [c for c in manifest.for_program(probe)]
    lines = ["KTAP version 1", "1..1", "    KTAP version 1", f"    1..{len(cases)}"]
    for n, case in enumerate(cases, 1):
        lines.append(f"    {'not ok' if case.case_id in failing else 'ok'} {n} {case.ktap_name}")
    lines.append(f"{'not ok' if failing else 'ok'} 1 {probe}")
    return lines


def test_exit_status_separates_verdict_from_broken_run() -> None:
    run = RunResult(target="t", cases=[CaseResult("a", Status.PASS)])
    assert run.exit_status() == 0
    run.cases.append(CaseResult("b", Status.FAIL))
    assert run.exit_status() == 1
    run.cases[-1].waived = "w.yaml:3, until 2099-01-01: known (me)"
    assert run.exit_status() == 0
    run.cases.append(CaseResult("psci.system_reset", Status.NOT_RUN, detail="needs the host's observation"))
    run.problems.append("psci-reset: psci.system_reset: the platform gave no evidence whether guest-reset happened")
    assert run.exit_status() == 1, "a problem that is one not-run case's own verdict does not break the run"
    run.problems.append("linux: no end of run within 60 s: the guest hung; stopped it")
    assert run.exit_status() == EXIT_BROKEN_RUN >= 2


def test_bad_selections_exit_2_with_one_line(build: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for argv, expected in ((["run", "--only", "nosuch"], "--only nosuch: no boot image starts with that"),
                           (["run", "--no-probes", "--probes-only"], "contradict each other"),
                           (["run", "--requirement", "AVPS.NOPE.1"], "not a requirement ID"),
                           (["run", "--case", "no.such.*"], "matches no case"),
                           (["run", "--no-probes", "--case", "psci.version"], "leaves no case to run"),
                           (["report", str(tmp_path)], "is a directory")):
        assert cli.main([*argv, "--build", str(build), "--reports", str(tmp_path)]) == 2, argv
        err = capsys.readouterr().err
        assert expected in err and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert not list(tmp_path.iterdir()), "a refused run leaves no report folder"


def test_two_boots_of_one_image_report_each_case_once(build: Path) -> None:
    manifest = load_manifest(build)
    first = probe_log(manifest, "psci", failing=("psci.version",))
    second = probe_log(manifest, "psci")
    cases, problems = cli.results_from_log(first + ["garbage between boots"] + second, manifest)
    psci = [c for c in cases if c.program == "psci"]
    assert len(psci) == len({c.case_id for c in psci}) == len(manifest.for_program("psci"))
    assert {c.case_id: c.status for c in psci}["psci.version"] is Status.PASS  # the later boot stands
    assert any("2 boots of psci" in p for p in problems)


def test_log_with_duplicate_boots_is_no_verdict(build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = load_manifest(build)
    log = tmp_path / "two-boots.log"
    log.write_text("\n".join(probe_log(manifest, "psci") * 2) + "\n")
    status = cli.main(["report", str(log), "--build", str(build), "--case", "psci.*", "--out", str(tmp_path / "o")])
    assert status == EXIT_BROKEN_RUN
    data = json.loads((tmp_path / "o" / "results.json").read_text())
    ids = [c["case_id"] for c in data["cases"]]
    assert len(ids) == len(set(ids)) and all(i.startswith("psci.") for i in ids)  # selected out: absent
    junit = (tmp_path / "o" / "junit.xml").read_text()
    assert junit.count("<testcase ") == len(ids) + 1  # + the run-integrity error
    assert "no verdict" in capsys.readouterr().err


class _CannotStart:
    """A target whose process cannot be started (a missing binary at boot time)."""

    def boot(self, image: BootImage, log: Path) -> None:
        raise FileNotFoundError(2, "No such file or directory", "qemu-system-aarch64")


def test_image_that_did_not_boot_is_not_run(build: Path, tmp_path: Path) -> None:
    manifest = load_manifest(build)
    run = RunResult(target="t")
    image = BootImage(kind="probe", kernel=build / "probes" / "psci.img", name="psci")
    run_images(_CannotStart(), [image], manifest, tmp_path, run)
    assert {c.status for c in run.cases} == {Status.NOT_RUN}
    assert len(run.cases) == len(manifest.for_program("psci"))
    assert run.exit_status() == EXIT_BROKEN_RUN


def test_each_run_gets_its_own_folders(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / "run" / f"qemu-arm64.{dead.pid}"
    stale.mkdir(parents=True)
    mine = run_scratch(tmp_path, "qemu-arm64")
    assert mine.name == f"qemu-arm64.{os.getpid()}" and mine.is_dir()
    assert not stale.exists(), "a folder of a run that ended is pruned"
    folders = {report_folder(tmp_path / "reports", "qemu-arm64") for _ in range(3)}
    assert len(folders) == 3


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_on_a_terminal_only(tmp_path: Path) -> None:
    assert Progress.for_terminal(3, io.StringIO()) is None
    stream = _Tty()
    progress = Progress.for_terminal(3, stream)
    assert progress is not None
    log = tmp_path / "console-psci.log"
    log.write_text("KTAP version 1\n1..3\nok 1 a\nnot ok 2 b\n# ok 3 is a comment\n")
    progress.begin(2, "psci", log)
    time.sleep(1.2)
    progress.end()
    assert "[2/3] psci: 2 results" in stream.getvalue() and "s elapsed" in stream.getvalue()


def test_initramfs_is_rebuilt_only_when_an_input_changes(build: Path, tmp_path: Path) -> None:
    import shutil

    from avps_cts.kernel import debian_kernel

    shutil.copytree(build / "guest" / "kselftest", tmp_path / "guest" / "kselftest", symlinks=True)
    kernel = debian_kernel()
    image = linux_image(tmp_path, kernel).initrd
    assert image is not None
    first = image.stat().st_mtime_ns
    assert linux_image(tmp_path, kernel).initrd.stat().st_mtime_ns == first
    (tmp_path / "guest" / "kselftest" / "kselftest-list.txt").write_text(
        (tmp_path / "guest" / "kselftest" / "kselftest-list.txt").read_text())
    os.utime(tmp_path / "guest" / "kselftest" / "kselftest-list.txt", ns=(first + 10**9, first + 10**9))
    assert linux_image(tmp_path, kernel).initrd.stat().st_mtime_ns != first
    assert not [p for p in (tmp_path / "images").iterdir() if p.name.startswith(".")], "no temp file left"


def test_two_concurrent_runs_in_one_checkout_both_hold(qemu_ready: Path, repo: Path, tmp_path: Path) -> None:
    """Two runs at once share the build folder but not their working folders: same, correct results."""
    env = {"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    procs = [subprocess.Popen([sys.executable, "-m", "avps_cts", "run", "--only", "psci", "--reports",
                               str(tmp_path / f"r{n}")], cwd=repo, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for n in (1, 2)]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), out
        (folder,) = (tmp_path / f"r{len(results) + 1}").iterdir()
        data = json.loads((folder / "results.json").read_text())
        assert data["problems"] == [], out
        results.append({c["case_id"]: c["status"] for c in data["cases"]})
    assert results[0] == results[1]
    assert all(c.startswith("psci.") for c in results[0]), "selected-out cases are absent"
    assert results[0]["psci.version"] == "pass" and results[0]["psci.system_off"] == "pass"


def test_make_run_passes_a_broken_run_on_and_keeps_a_verdict(qemu_ready: Path, repo: Path, tmp_path: Path) -> None:
    """make run: a verdict (exit 1) is not a make error; a broken run (exit 3) and bad input (2) are."""
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": os.environ.get("HOME", "/root")}

    def make_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["make", "-s", "run", *args], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600)

    hung = make_run(f"RUN_ARGS=--only psci --timeout 0.2 --reports {tmp_path / 'a'}")
    assert hung.returncode != 0 and "no verdict (exit 3)" in hung.stderr, hung.stdout + hung.stderr
    assert make_run("TARGET=no-such-target").returncode != 0
    from avps_cts import profiles
    probes = {c.case_id: c.image for c in load_manifest(repo / "build").cases if c.image != "linux"}
    known = [c for c in profiles.known_nonconformance("qemu-arm64") if c in probes]
    case = known[0] if known else "psci.version"  # a failing case if QEMU has a known one in a probe
    verdict = make_run(f"RUN_ARGS=--only {probes[case]} --case {case} --reports {tmp_path / 'b'}")
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert ("verdict: some case failed (exit 1)" in verdict.stdout) == bool(known)


def test_a_probe_document_without_results_is_still_its_probes(build: Path) -> None:
    """psci-reset calls SYSTEM_RESET before any result line: its banner still names the probe."""
    manifest = load_manifest(build)
    log = ["KTAP version 1", "1..1", "    KTAP version 1", "    1..1",
           "    # probe psci-reset: EL1 entry, SMCCC conduit hvc, boot MPIDR 0x0",
           "    # host-check: psci.system_reset expect=guest-reset"]
    cases, problems = cli.results_from_log(log + probe_log(manifest, "psci"), manifest)
    assert {c.case_id: c.status for c in cases}["psci.system_reset"] is Status.NOT_RUN
    assert not any("matches no built program" in p for p in problems), problems
    run = RunResult(target="log", cases=cases, problems=problems)
    assert run.broken_by() == [p for p in problems if "psci.system_reset" not in p]


@pytest.mark.parametrize("target_name", ["qemu-arm64", "refhv", "xen"])
def test_a_target_that_exits_at_start_names_its_own_error(qemu_ready: Path, tmp_path: Path, target_name: str) -> None:
    """QEMU refusing an option or missing a file says why on its stderr: the run's problem quotes that line
    (it was only in the console log, behind 'no KTAP header ... exited with status 1'); the run is broken."""
    import dataclasses
    from avps_cts import profiles
    from avps_cts.profiles import Device
    from avps_cts.run import probe_images
    from avps_cts.targets import qemu, refhv, xen
    manifest = load_manifest(qemu_ready)
    config = profiles.load(target_name)
    # In the real build folder: refhv boots the hypervisor built there (elsewhere it builds one first).
    scratch = qemu_ready / "run" / f"start-failure-{tmp_path.name}"
    if target_name == "qemu-arm64":
        config = dataclasses.replace(config, devices=[Device("bad", ["-device", "virtio-nosuch-device"])])
        target, said = qemu.create(config, scratch), "'virtio-nosuch-device' is not a valid device model"
    elif target_name == "refhv":
        target, said = refhv.create(dataclasses.replace(config, cpu="no-such-cpu"), scratch), "no-such-cpu"
    else:
        target, said = xen.create(config, scratch), "missing-xen"
        target.xen = tmp_path / "missing-xen"
    run = RunResult(target=target_name)
    image = next(i for i in probe_images(qemu_ready, manifest) if i.name == "psci")
    try:
        run_images(target, [image], manifest, tmp_path, run)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert run.problems[0].startswith("psci: the target exited with status ") and "qemu-system-aarch64: " in \
        run.problems[0] and said in run.problems[0], run.problems
    assert ": info: " not in run.problems[0]  # QEMU's QMP 'waiting for connection' line is no error
    assert run.exit_status() == EXIT_BROKEN_RUN >= 2
