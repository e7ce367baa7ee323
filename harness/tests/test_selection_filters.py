"""What one boot is told to run (avps.only / avps.cases) for a selection, and how a left-out case comes back: selected out, never a result."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from avps_cts.manifest import Manifest, ManifestCase
from avps_cts.results import CaseResult, Status
from avps_cts.selection import (LINUX_FILTER_CHARS, PROBE_NOT_SELECTED, Selection, linux_filter, mark_selected_out,
                                probe_filter)


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
