"""Unit tests for the LAVA pieces: job generator structure, results reader (lava-run log and server formats), comparison, guest script."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from avps_cts.lava import compare, jobs
from avps_cts.lava.qemu_platform import QemuPlatform
from avps_cts.lava.results import map_results, normalise, read_lava, results_from_lava
from avps_cts.manifest import Manifest, ManifestCase
from avps_cts.results import CaseResult, RunResult, Status

DATA = Path(__file__).parent / "data" / "lava"
REPO = Path(__file__).resolve().parents[2]


def _manifest() -> Manifest:
    cases = [
        ManifestCase("virtio.blk.flush", "global.flush", ("AVPS.STORAGE.1",), "virtio.blk"),
        ManifestCase("virtio.blk.multi_queue", "global.multi_queue", ("AVPS.STORAGE.1",), "virtio.blk"),
        ManifestCase("virtio.i2c.device_present", "global.device_present", ("AVPS.I2C.1",), "virtio.i2c"),
        ManifestCase("virtio.mmio.magic", "virtio.mmio.magic", ("AVPS.VIRTIO.1",), "virtio-mmio", "virtio-mmio"),
        ManifestCase("virtio.blk.write_readback", "virtio.blk.write_readback", ("AVPS.STORAGE.1",),
                     "virtio-mmio", "virtio-mmio"),
    ]
    return Manifest(cases=cases)


def _by_id(cases: list[CaseResult]) -> dict[str, Status]:
    return {c.case_id: c.status for c in cases}


def _platform() -> QemuPlatform:
    return QemuPlatform(args=["-smp", "2", "-device", "virtio-rng-device"], append="console=ttyAMA0 avps.x=1",
                        disks={"blk0": "-drive if=none,id=blk0,file={blk0},format=raw"}, echo_sockets=[],
                        silent_sockets=[])


# ---- job generator -------------------------------------------------------------------------

def test_qemu_shell_job_deploys_kernel_ramdisk_disks_and_runs_the_definition_inline():
    testdef = yaml.safe_load((REPO / "lava" / "testdefs" / "avps-cts.yaml").read_text())
    t = jobs.Timeouts(boot=3)
    job = jobs.qemu_job("j", "file:///k", _platform(), {"blk0": "file:///d/blk0.img"}, jobs.shell_test(t, testdef),
                        t, ramdisk_url="file:///r.cpio.gz", prompt="avps-cts# ")
    assert job["device_type"] == "qemu" and job["context"] == {"arch": "arm64"}
    deploy, boot, test = (next(iter(a.values())) for a in job["actions"])
    assert deploy["to"] == "tmpfs"
    images = deploy["images"]
    assert images["kernel"]["image_arg"].startswith("-kernel {kernel} -smp 2")
    assert '-append "console=ttyAMA0 avps.x=1"' in images["kernel"]["image_arg"]
    assert images["ramdisk"]["format"] == "cpio.newc" and images["ramdisk"]["overlays"] == {"lava": True}
    assert images["blk0"] == {"url": "file:///d/blk0.img", "image_arg": "-drive if=none,id=blk0,file={blk0},format=raw"}
    assert boot["method"] == "qemu" and boot["prompts"] == ["avps-cts# "] and boot["timeout"] == {"minutes": 3}
    assert boot["parameters"]["kernel-start-message"] == jobs.KERNEL_START
    definition = test["definitions"][0]
    assert definition["from"] == "inline" and definition["repository"]["metadata"]["name"] == "avps-cts"
    assert re.fullmatch(r"[-_a-zA-Z0-9.]+", definition["name"])  # LAVA's schema for definition names


def test_probe_job_has_no_ramdisk_no_prompt_and_a_ktap_monitor():
    t = jobs.Timeouts()
    job = jobs.qemu_job("p", "file:///probe.img", _platform(), {"blk0": "file:///b"},
                        jobs.monitor_test(t, jobs.PROBE_END), t)
    deploy, boot, test = (next(iter(a.values())) for a in job["actions"])
    assert "ramdisk" not in deploy["images"] and "-append" not in deploy["images"]["kernel"]["image_arg"]
    assert "prompts" not in boot
    monitor = test["monitors"][0]
    assert monitor["start"] == "KTAP version 1" and monitor["end"] == jobs.PROBE_END
    assert monitor["fixupdict"] == {"ok": "pass", "not ok": "fail", "SKIP": "skip"}


def test_board_templates_use_tftp_and_their_boot_method():
    t = jobs.Timeouts(deploy=7)
    uboot = jobs.uboot_job("rpi4", "u", "http://x/Image", jobs.shell_test(t, repository="https://g/avps-cts.git"),
                           t, "http://x/rd.cpio.gz", "http://x/b.dtb", "avps-cts# ", kernel_args="avps.blk_bytes=1")
    deploy = uboot["actions"][0]["deploy"]
    assert deploy["to"] == "tftp" and deploy["kernel"] == {"url": "http://x/Image", "type": "image"}
    assert deploy["ramdisk"]["install_overlay"] is True and deploy["timeout"] == {"minutes": 7}
    assert uboot["actions"][1]["boot"]["method"] == "u-boot" and uboot["context"]["extra_kernel_args"] == "avps.blk_bytes=1"
    assert uboot["actions"][2]["test"]["definitions"][0]["path"] == jobs.TESTDEF_PATH
    uefi = jobs.uefi_job("server", "e", "http://x/Image", jobs.monitor_test(t, jobs.LINUX_END), t, "http://x/rd")
    assert uefi["actions"][1]["boot"]["method"] == "grub"
    assert uefi["actions"][0]["deploy"]["ramdisk"]["install_overlay"] is False


def _ktap_matches(text: str) -> list[tuple[str, str]]:
    return [(m["test_case_id"], jobs.KTAP_FIXUP[m["result"]]) for m in re.finditer(jobs.KTAP_PATTERN, text)]


def test_monitor_pattern_reads_qemu_console_lines_including_nameless_kselftest_skips():
    text = (DATA / "runner-output.ktap").read_text().replace("\n", "\r\r\n")
    assert _ktap_matches(text) == [("global.flush", "pass"), ("global.multi_queue", "fail"), ("virtio.blk", "fail"),
                                   ("global.device_present", "skip"), ("virtio.i2c", "pass")]
    assert _ktap_matches("ok 3 psci.smccc.version # SKIP SMCCC 1.0 only\r\r\nok 4 partial") == [
        ("psci.smccc.version", "skip")]  # a line without its end yet is not matched early


# ---- results reader ------------------------------------------------------------------------

def test_lava_run_log_shell_results_map_to_case_ids_and_absent_cases_are_not_run():
    cases, problems = results_from_lava(DATA / "lava-run-shell.log", _manifest())
    assert _by_id(cases) == {"virtio.blk.flush": Status.PASS, "virtio.blk.multi_queue": Status.FAIL,
                             "virtio.i2c.device_present": Status.SKIP, "virtio.mmio.magic": Status.NOT_RUN,
                             "virtio.blk.write_readback": Status.NOT_RUN}
    assert problems == []
    flush = next(c for c in cases if c.case_id == "virtio.blk.flush")
    assert flush.requirements == ["AVPS.STORAGE.1"] and flush.program == "virtio.blk"


def test_lava_run_log_monitor_nested_names_belong_to_the_next_program_and_lava_failures_are_problems():
    cases, problems = results_from_lava(DATA / "lava-run-monitor.log", _manifest())
    assert _by_id(cases)["virtio.blk.flush"] is Status.PASS
    assert _by_id(cases)["virtio.blk.multi_queue"] is Status.FAIL
    assert _by_id(cases)["virtio.i2c.device_present"] is Status.SKIP  # found by LAVA's normalised name alone
    assert _by_id(cases)["virtio.mmio.magic"] is Status.PASS
    assert problems == ["LAVA action lava-test-monitor: fail (lava-test-monitor timed out after 120 seconds)"]


def test_server_results_yaml_and_api_json_are_read_and_the_job_verdict_is_only_a_problem():
    cases, problems = results_from_lava(DATA / "server-results.yaml", _manifest())
    assert _by_id(cases)["virtio.blk.flush"] is Status.PASS and _by_id(cases)["virtio.blk.multi_queue"] is Status.FAIL
    assert problems == ["LAVA job: fail (Connection closed)"]
    cases, problems = results_from_lava(DATA / "server-tests.json", _manifest())
    assert _by_id(cases)["virtio.mmio.magic"] is Status.PASS
    assert _by_id(cases)["virtio.blk.write_readback"] is Status.FAIL
    assert problems == ["LAVA result avps-ktap/no_such_case matches no case in the build manifest"]


def test_reader_edge_cases(tmp_path: Path):
    assert normalise(" V_L1PE.01 ") == "v_l1pe_01"
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: a mapping\n")
    cases, problems = results_from_lava(bad, _manifest())
    assert all(c.status is Status.NOT_RUN for c in cases) and "not LAVA results" in problems[0]
    assert read_lava(DATA / "lava-run-shell.log")[0].definition == "lava"
    twice = read_lava(DATA / "lava-run-shell.log")[2:4] * 2
    _, problems = map_results(twice, _manifest())
    assert any("twice" in p for p in problems)


# ---- comparison ----------------------------------------------------------------------------

def _run(statuses: dict[str, Status], problems: list[str] | None = None) -> RunResult:
    return RunResult(target="t", cases=[CaseResult(k, v) for k, v in statuses.items()], problems=problems or [])


def test_compare_uses_lava_vocabulary_and_documented_differences():
    m = _manifest()
    direct = _run({"virtio.blk.flush": Status.PASS, "virtio.blk.multi_queue": Status.TIMEOUT,
                   "virtio.i2c.device_present": Status.PASS})
    lava = _run({"virtio.blk.flush": Status.PASS, "virtio.blk.multi_queue": Status.FAIL,
                 "virtio.i2c.device_present": Status.SKIP})
    expected = {"virtio.i2c.device_present": {"jobs": ["shell"], "direct": "pass", "lava": "skip", "why": "because"}}
    rows = compare.compare(m, direct, [compare.LavaRun("shell", "linux", lava)], expected)
    assert [(r.case_id, r.same, r.ok) for r in rows] == [
        ("virtio.blk.flush", True, True), ("virtio.blk.multi_queue", True, True),
        ("virtio.i2c.device_present", False, True)]
    rows = compare.compare(m, direct, [compare.LavaRun("monitor", "linux", lava)], expected)
    assert not rows[2].ok  # the explanation is for the shell job only
    assert "1 different" in compare.table(rows, ["monitor"])
    broken = compare.LavaRun("m", "virtio-mmio", _run({}, ["LAVA job: fail", "other"]))
    assert compare.lava_problems([broken]) == ["m:virtio-mmio: LAVA job: fail"]


# ---- guest script (POSIX sh; busybox in the guest, the host's sh here) ----------------------

def _fake_install(tmp_path: Path) -> Path:
    """An install dir whose 'binaries' hold manifest records like the real ELF section."""
    (tmp_path / "virtio").mkdir()
    records = {"blk": [("virtio.blk.flush", "global.flush", "AVPS.STORAGE.1", "VIRTIO-1.2: Block #11"),
                       ("virtio.blk.multi_queue", "global.multi_queue", "AVPS.STORAGE.1")],
               "i2c": [("virtio.i2c.device_present", "global.device_present", "AVPS.I2C.1")]}
    for name, recs in records.items():
        blob = b"\x7fELF junk\0" + b"".join(b"\0" + "\x1f".join(("avps-case",) + r).encode() + b"\0" for r in recs)
        (tmp_path / "virtio" / name).write_bytes(blob)
    (tmp_path / "kselftest-list.txt").write_text("virtio:blk\nvirtio:i2c\n")
    return tmp_path


def test_guest_script_reports_case_ids_sets_and_requirements(tmp_path: Path):
    if shutil.which("sh") is None:
        pytest.fail("no POSIX sh on the host")
    install = _fake_install(tmp_path)
    out = subprocess.run(["sh", str(REPO / "lava" / "guest" / "avps-lava-cases.sh"), str(install),
                          str(DATA / "runner-output.ktap")], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}).stdout.splitlines()
    assert [line for line in out if line.startswith("lava-test")] == [
        "lava-test-set start virtio.blk",
        "lava-test-case virtio.blk.flush --result pass",
        "lava-test-case virtio.blk.multi_queue --result fail",
        "lava-test-set stop",
        "lava-test-set start virtio.i2c",
        "lava-test-case virtio.i2c.device_present --result skip",
        "lava-test-set stop",
    ]
    assert "avps-requirements: virtio.blk.flush AVPS.STORAGE.1; VIRTIO-1.2: Block #11" in out
    assert out[-1] == "avps-lava-cases: 3 cases reported"
