"""What one boot is told to run (avps.only / avps.cases) for a selection, and how a left-out case comes back: selected out, never a result."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from avps_cts.manifest import Manifest, ManifestCase
from avps_cts.results import CaseResult, Status
from avps_cts.selection import (LINUX_FILTER_CHARS, PROBE_NOT_SELECTED, Selection, SelectionError, filter_selects,
                                linux_filter, mark_selected_out, probe_filter)


def _manifest(extra_blk: int = 0) -> Manifest:
    rows = [("virtio.blk.flush", "virtio.blk", "linux"), ("virtio.blk.size", "virtio.blk", "linux"),
            ("virtio.rng.request", "virtio.rng", "linux"), ("psci.version", "psci", "psci"),
            ("psci.cpu_on.smc32", "psci", "psci")]
    rows += [(f"virtio.blk.case_with_a_rather_long_name_{n}", "virtio.blk", "linux") for n in range(extra_blk)]
    return Manifest([ManifestCase(c, "global." + c.rsplit(".", 1)[1], (), p, i) for c, p, i in rows])


def test_a_case_glob_tells_the_runner_its_programs_and_cases_and_the_probe_its_cases() -> None:
    sel = Selection(case_globs=["virtio.blk.flush", "psci.cpu_on.*"])
    manifest = _manifest()
    assert sel.boot_params(manifest, "linux") == {"only": "virtio.blk", "cases": "virtio.blk.flush"}
    assert sel.boot_params(manifest, "psci") == {"cases": "psci.cpu_on.smc32"}


def test_whole_programs_need_no_case_list_and_everything_needs_no_filter() -> None:
    manifest = _manifest()
    assert Selection(case_globs=["virtio.blk.*"]).boot_params(manifest, "linux") == {"only": "virtio.blk"}
    assert Selection(case_globs=["virtio.*", "psci.*"]).boot_params(manifest, "linux") == {}
    assert Selection(case_globs=["psci.*"]).boot_params(manifest, "psci") == {}


def test_a_filter_too_long_for_the_command_line_falls_back_to_programs_then_to_nothing() -> None:
    manifest = _manifest(extra_blk=40)
    wanted = {c.case_id for c in manifest.cases if c.case_id.endswith(("_1", "_2", "_3")) or "_1" in c.case_id}
    params = linux_filter(manifest, wanted)
    assert params == {"only": "virtio.blk"}  # the case list did not fit: the program runs whole
    assert sum(len(f" avps.{k}={v}") for k, v in params.items()) <= LINUX_FILTER_CHARS
    assert probe_filter(manifest, "psci", {"psci.version"}) == {"cases": "psci.version"}


def test_a_case_the_filter_left_out_is_not_run_never_a_skip_or_a_pass() -> None:
    cases = [CaseResult("psci.version", Status.SKIP, detail=PROBE_NOT_SELECTED),
             CaseResult("psci.cpu_on.smc32", Status.SKIP, detail="the DT lists no usable secondary CPU"),
             CaseResult("psci.cpu_off", Status.PASS)]
    mark_selected_out(cases)
    assert [c.status for c in cases] == [Status.NOT_RUN, Status.SKIP, Status.PASS]
    assert "avps.cases" in cases[0].detail


def test_a_case_run_boots_only_the_selected_cases(qemu_ready: Path, repo: Path, tmp_path: Path) -> None:
    """Real boots: the runner runs one program of the Linux image, the psci probe its cases up to the selected one, and
    the two cases give the verdict they give in a full run on the default QEMU platform (pass)."""
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "run", "--build", str(qemu_ready), "--reports",
                           str(tmp_path), "--case", "virtio.rng.device_present", "--case", "psci.version"],
                          capture_output=True, text=True, cwd=repo, timeout=900,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    results = json.loads((folder / "results.json").read_text())
    assert {c["case_id"]: c["status"] for c in results["cases"]} == \
        {"virtio.rng.device_present": "pass", "psci.version": "pass"}
    assert "avps-runner: 1 test programs" in (folder / "console-linux.log").read_text()
    psci = (folder / "console-psci.log").read_text()
    assert "avps.cases: runs cases 1-1 " in psci and "psci.cpu_on.after_off # SKIP not selected (avps.cases)" in psci
    assert not (folder / "console-virtio-mmio.log").exists()


def _long_probe_manifest() -> Manifest:
    """A probe with more cases than fit on its command line one by one (the psci probe has 63, 1772 characters)."""
    ids = [f"psci.group_{g}.case_with_a_rather_long_name_{n}" for g in range(4) for n in range(10)]
    ids.insert(17, "psci.cpu_on.after_off")
    rows = [ManifestCase(i, i, (), "psci", "psci") for i in ids]
    rows += [ManifestCase(f"virtio.prog_{p}.case_{n}", f"global.case_{n}", (), f"virtio.prog_{p}", "linux")
             for p in range(40) for n in range(3)]
    return Manifest(rows)


def test_a_skipped_probe_case_reaches_the_probe_however_many_cases_it_carries() -> None:
    """--skip of one case of a probe whose case list is longer than a command line: the probe is told to
    leave that case out ('-<id>': never run, not even as set-up), instead of getting no filter and running it."""
    manifest = _long_probe_manifest()
    sel = Selection(skip_globs=["psci.cpu_on.after_off"])
    assert sel.boot_params(manifest, "psci") == {"cases": "-psci.cpu_on.after_off"}
    sel = Selection(case_globs=["psci.group_2.*", "psci.cpu_on.*"], skip_globs=["psci.cpu_on.after_off"])
    params = sel.boot_params(manifest, "psci")
    assert params == {"cases": "psci.group_2.*,-psci.cpu_on.after_off"}
    ids = [c.case_id for c in manifest.for_program("psci")]
    assert [i for i in ids if filter_selects(params["cases"], i)] == [i for i in ids if i.startswith("psci.group_2.")]


def test_a_skip_list_too_long_for_the_probe_command_line_is_an_error_not_a_silent_run() -> None:
    manifest = _long_probe_manifest()
    every_other = [c.case_id for c in manifest.for_program("psci")][::2]
    with pytest.raises(SelectionError, match="probe psci: the cases skipped"):
        Selection(skip_globs=every_other).boot_params(manifest, "psci")


def test_a_skipped_linux_case_reaches_the_runner_when_every_program_still_runs() -> None:
    """40 programs named one by one do not fit on the Linux command line: 'all but this case' does."""
    manifest = _long_probe_manifest()
    assert Selection(skip_globs=["virtio.prog_7.case_1"]).boot_params(manifest, "linux") == \
        {"cases": "-virtio.prog_7.case_1"}


def test_the_filter_text_selects_exactly_the_wanted_cases() -> None:
    """compress() + filter_selects() (the guest's reading) round-trip for every kind of selection."""
    manifest = _long_probe_manifest()
    linux_ids = [c.case_id for c in manifest.cases if c.image == "linux"]
    def runs(params: dict[str, str]) -> set[str]:
        programs = params["only"].split(",") if "only" in params else manifest.linux_programs()
        return {c.case_id for p in programs for c in manifest.for_program(p)
                if filter_selects(params.get("cases", ""), c.case_id)}
    for wanted in ({i for i in linux_ids if i.startswith(("virtio.prog_2.", "virtio.prog_25.")) and not i.endswith("_1")},
                   {i for i in linux_ids if "prog_3" in i},
                   set(linux_ids) - {linux_ids[5], linux_ids[40]}, {linux_ids[0]}):
        params = linux_filter(manifest, wanted)
        assert sum(len(f" avps.{k}={v}") for k, v in params.items()) <= LINUX_FILTER_CHARS
        assert runs(params) == wanted, params
    # 40 single cases fit neither way: the programs run whole and the harness drops the rest.
    wanted = {i for i in linux_ids if i.endswith("_1")}
    assert "cases" not in linux_filter(manifest, wanted) and runs(linux_filter(manifest, wanted)) > wanted


def test_a_skipped_probe_case_is_not_run_and_absent_from_every_report(qemu_ready: Path, repo: Path,
                                                                       tmp_path: Path) -> None:
    """Real boot: --skip of a psci case (the probe's case list is too long for its command line) is not run by
    the probe, is absent from results.json, junit.xml and summary.md, and a waiver naming it matches nothing."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - case: psci.cpu_on.after_off\n    reason: \"skipped\"\n    who: \"QA\"\n"
                       "    expires: 2099-01-01\n")
    reports = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "avps_cts", "run", "--build", str(qemu_ready), "--reports",
                           str(reports), "--only", "psci", "--skip", "psci.cpu_on.after_off", "--waivers", str(waivers)],
                          capture_output=True, text=True, cwd=repo, timeout=900,
                          env={"PYTHONPATH": str(repo / "harness"), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-2000:]
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    psci = (folder / "console-psci.log").read_text()
    assert "psci.cpu_on.after_off # SKIP not selected (avps.cases)" in psci
    assert "rounds of CPU_OFF" not in psci and "psci.cpu_on.smc32" in psci
    results = json.loads((folder / "results.json").read_text())
    ids = {c["case_id"] for c in results["cases"]}
    assert "psci.cpu_on.after_off" not in ids and "psci.cpu_on.smc32" in ids and len(ids) > 50
    assert [w["matched"] for w in results["waivers"]] == [[]]
    assert "psci.cpu_on.after_off" not in (folder / "junit.xml").read_text()
    summary = [line for line in (folder / "summary.md").read_text().splitlines() if "psci.cpu_on.after_off" in line]
    # Named only by the run's selection and by the waiver, which accepted nothing.
    assert len(summary) == 2 and "--skip psci.cpu_on.after_off" in summary[0] and summary[1].endswith("| no failure |")
