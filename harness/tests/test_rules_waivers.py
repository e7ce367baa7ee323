"""Rule-based selection and waivers: what a waiver accepts, what it never does, and file:line errors for bad files."""
from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from avps_cts import cli, selection, waivers
from avps_cts.catalogue.loader import load_catalogue
from avps_cts.catalogue.verdict import judge
from avps_cts.manifest import Manifest, load as load_manifest
from avps_cts.results import CaseResult, RunResult, Status

from test_run_integrity import probe_log

TODAY = datetime.date(2026, 12, 1)


@pytest.fixture(scope="module")
def manifest(build: Path) -> Manifest:
    return load_manifest(build)


@pytest.fixture(scope="module")
def known() -> set[str]:
    return set(load_catalogue().ids())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


GOOD = """# accepted failures
waivers:
  - case: psci.version
    reason: "firmware update pending"
    who: "Jane Roe"
    expires: 2027-01-31
  - requirement: AVPS.POWER.1
    reason: "old waiver"
    who: "QA"
    expires: 2026-01-01
"""


def test_waiver_file_is_read_with_its_lines(tmp_path: Path, manifest: Manifest, known: set[str]) -> None:
    got = waivers.load(write(tmp_path, GOOD), manifest, known)
    assert [(w.case, w.requirement, w.where.rsplit(":", 1)[1]) for w in got] == \
        [("psci.version", None, "3"), (None, "AVPS.POWER.1", "7")]
    assert not got[0].expired(TODAY) and got[1].expired(TODAY)


@pytest.mark.parametrize("body, line, message", [
    ("waivers:\n  - case: psci.version\n    reason: x\n    who: y\n    expires: 2027-01-01\n    ticket: 4\n",
     6, "unknown key 'ticket'"),
    ("waivers:\n  - case: psci.version\n    reason: x\n    expires: 2027-01-01\n", 2, "without 'who'"),
    ("waivers:\n  - case: psci.version\n    reason: x\n    who: y\n    expires: next year\n", 5, "is not a date"),
    ("waivers:\n  - case: psci.version\n    requirement: AVPS.POWER.1\n    reason: x\n    who: y\n"
     "    expires: 2027-01-01\n", 2, "exactly one of"),
    ("waivers:\n  - requirement: AVPS.NOPE.9\n    reason: x\n    who: y\n    expires: 2027-01-01\n", 2,
     "unknown requirement ID 'AVPS.NOPE.9'"),
    ("waivers:\n  - case: no.such.case\n    reason: x\n    who: y\n    expires: 2027-01-01\n", 2, "matches no case"),
    ("waivers:\n  - case: [psci.version\n", 3, "not valid YAML"),
    ("waiver:\n  - case: psci.version\n", 1, "unknown top-level key 'waiver'"),
])
def test_bad_waiver_files_name_file_and_line(tmp_path: Path, manifest: Manifest, known: set[str],
                                              body: str, line: int, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(waivers.WaiverError) as err:
        waivers.load(path, manifest, known)
    assert str(err.value).startswith(f"{path}:{line}: ") and message in str(err.value), str(err.value)


def test_current_waiver_accepts_expired_does_not(tmp_path: Path, manifest: Manifest, known: set[str]) -> None:
    run = RunResult(target="t", cases=[
        CaseResult("psci.version", Status.FAIL, ["AVPS.POWER.1"], detail="PSCI 0.2"),
        CaseResult("psci.cpu_off", Status.FAIL, ["AVPS.POWER.1"], detail="CPU stays on"),
        CaseResult("psci.cpu_on.all_cores", Status.NOT_RUN, ["AVPS.POWER.1"]),
        CaseResult("psci.features.mandatory", Status.PASS, ["AVPS.POWER.1"])])
    waivers.apply(run, waivers.load(write(tmp_path, GOOD), manifest, known), TODAY)
    by_id = {c.case_id: c for c in run.cases}
    assert "firmware update pending (Jane Roe)" in by_id["psci.version"].waived
    assert not by_id["psci.cpu_off"].waived and "expired on 2026-01-01" in by_id["psci.cpu_off"].detail
    assert not by_id["psci.cpu_on.all_cores"].waived  # a case that never ran has nothing to accept
    assert [w["expired"] for w in run.waivers] == [False, True]
    assert run.exit_status() == 1


def test_verdict_with_waivers(manifest: Manifest) -> None:
    catalogue = load_catalogue()
    pairs = [(c.case_id, list(c.requirements)) for c in manifest.cases]
    run = RunResult(target="t", cases=[CaseResult(c.case_id, Status.PASS, list(c.requirements), program=c.program)
                                       for c in manifest.cases])
    failing = next(c for c in run.cases if c.case_id == "psci.version")
    failing.status = Status.FAIL
    before = judge(catalogue, pairs, run)
    assert set(failing.requirements) & set(before.platform_failures)
    failing.waived = "w.yaml:3, until 2027-01-31: pending (me)"
    run.waivers = [{"matched": ["psci.version"], "expired": False}]
    after = judge(catalogue, pairs, run)
    assert not set(failing.requirements) & set(after.platform_failures)
    assert set(after.waived) == {r for r in failing.requirements if after.verdicts[r].gating}
    assert "with 1 waiver" in after.headline and "NOT conformant" not in after.headline


def test_selection_rules(manifest: Manifest, known: set[str]) -> None:
    sel = selection.from_options(manifest, known, requirements=["AVPS.POWER.1"], skip=["psci.cpu_*"])
    chosen = {c.case_id for c in sel.selected(manifest)}
    assert chosen and all("AVPS.POWER.1" in c.requirements for c in sel.selected(manifest))
    assert not any(c.startswith("psci.cpu_") for c in chosen)
    assert set(sel.images(manifest)) == {c.image for c in sel.selected(manifest)}
    sel = selection.from_options(manifest, known, cases=["virtio.blk.*"])
    assert sel.images(manifest)[0] == "linux" and all(c.case_id.startswith("virtio.blk.") for c in sel.selected(manifest))


def test_report_with_waiver_in_every_format(build: Path, manifest: Manifest, tmp_path: Path) -> None:
    log = tmp_path / "psci.log"
    log.write_text("\n".join(probe_log(manifest, "psci", failing=("psci.version",))) + "\n")
    file = write(tmp_path, "waivers:\n  - case: psci.version\n    reason: pending firmware\n    who: QA\n"
                 "    expires: 2099-12-31\n")
    out = tmp_path / "out"
    argv = ["report", str(log), "--build", str(build), "--case", "psci.*", "--skip", "psci.system_*", "--skip", "psci.firmware.*", "--skip", "psci.hotplug.*",
            "--out", str(out)]
    assert cli.main(argv) == 1
    assert cli.main([*argv, "--waivers", str(file)]) == 0
    data = json.loads((out / "results.json").read_text())
    case = next(c for c in data["cases"] if c["case_id"] == "psci.version")
    assert case["status"] == "fail" and "pending firmware" in case["waived"]
    assert not any(c["case_id"].startswith("psci.system_") for c in data["cases"])
    assert "with 1 waiver" in data["conformance"]["headline"]
    assert "FAIL (waived)" in (out / "summary.md").read_text()
    tc = next(t for t in ET.parse(out / "junit.xml").iter("testcase") if t.get("name") == "version")
    assert tc.find("skipped") is not None and tc.find("failure") is None
    assert "waived" in (out / "report.html").read_text()
    from avps_cts.reports.compare import load_run
    assert load_run(out).cases["psci.version"].status == "fail (waived)"  # the compare page too


def test_readme_waiver_example_is_valid(repo: Path, manifest: Manifest, known: set[str], tmp_path: Path) -> None:
    import re
    block = re.search(r"```yaml\n(# waivers\.yaml.*?)```", (repo / "README.md").read_text(), re.S)
    assert block, "README.md has no waivers.yaml example"
    got = waivers.load(write(tmp_path, block.group(1)), manifest, known)
    assert [w.case or w.requirement for w in got] == ["psci.affinity_info.on", "AVPS.POWER.1"]
