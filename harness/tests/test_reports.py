"""Report writers: JSON round trip, JUnit structure, Markdown and terminal table content."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from avps_cts.reports import junit, summary, writer
from avps_cts.results import CaseResult, RunResult, Status


def sample_run() -> RunResult:
    run = RunResult(target="qemu-arm64", started="2026-11-26T06:00:00", duration_s=4.2)
    run.cases = [
        CaseResult("virtio.blk.flush", Status.PASS, ["AVPS.STORAGE.1"], duration_s=0.5, program="virtio.blk"),
        CaseResult("virtio.blk.data", Status.FAIL, ["AVPS.STORAGE.1", "VIRTIO-1.2: B #11"],
                   detail="data differs at 4096", diagnostics=["blk.c:9: data differs at 4096"],
                   program="virtio.blk"),
        CaseResult("virtio.gpu.mode", Status.SKIP, ["AVPS.GPU.1"], detail="no gpu", program="virtio.gpu"),
        CaseResult("virtio.rng.x", Status.NOT_RUN, ["AVPS.RNG.1"], detail="guest hung", program="virtio.rng"),
    ]
    run.problems = ["linux: no end of run within 300 s"]
    return run


def test_json_round_trip(tmp_path: Path) -> None:
    run = sample_run()
    writer.write_all(run, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["counts"]["fail"] == 1 and data["counts"]["not-run"] == 1
    again = RunResult.from_json(data)
    assert [c.status for c in again.cases] == [c.status for c in run.cases]


def test_junit_structure(tmp_path: Path) -> None:
    junit.write(sample_run(), tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert root.get("tests") == "5" and root.get("failures") == "1" and root.get("errors") == "2"
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert cases["data"].find("failure").get("message") == "data differs at 4096"
    assert cases["x"].find("error").get("type") == "not-run"
    assert cases["mode"].find("skipped") is not None
    reqs = [p.get("value") for p in cases["data"].iter("property")]
    assert reqs == ["AVPS.STORAGE.1", "VIRTIO-1.2: B #11"]
    assert cases["run_integrity"].find("error") is not None


def test_markdown_and_table_show_requirements_and_problems() -> None:
    run = sample_run()
    md = summary.markdown(run)
    assert "`virtio.blk.data`" in md and "VIRTIO-1.2: B #11" in md and "FAIL" in md
    assert "no end of run" in md
    table = summary.terminal_table(run)
    assert "virtio.rng.x" in table and "NOT-RUN" in table and "PROBLEM:" in table
    assert not run.ok


def test_every_report_shows_what_each_case_checks(tmp_path: Path) -> None:
    """The case contract's checks line reaches results.json, summary.md, report.html and JUnit."""
    run = sample_run()
    run.cases[1].checks = "data written | read back identical"
    writer.write_all(run, tmp_path)
    again = RunResult.from_json(json.loads((tmp_path / "results.json").read_text()))
    assert again.cases[1].checks == "data written | read back identical"
    assert "| data written \\| read back identical |" in (tmp_path / "summary.md").read_text()
    assert "checks: data written | read back identical" in (tmp_path / "report.html").read_text()
    props = {p.get("name"): p.get("value") for tc in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
             if tc.get("name") == "data" for p in tc.iter("property")}
    assert props["checks"] == "data written | read back identical"


def test_a_console_log_given_as_a_relative_path_is_linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`avps-cts report console.log` from another folder (make lava-check does this): the link is absolute."""
    monkeypatch.chdir(tmp_path)
    Path("console.log").write_text("KTAP version 1\n")
    run = sample_run()
    run.console_log = "console.log"
    writer.write_all(run, tmp_path / "report")
    assert (tmp_path / "console.log").as_uri() in (tmp_path / "report" / "report.html").read_text()


def test_a_run_whose_logs_list_is_longer_than_a_file_name_still_gets_its_html_report(tmp_path: Path) -> None:
    from avps_cts.reports import html as html_report
    from avps_cts.results import RunResult
    names = ", ".join(f"console-probe-{i:03}.vm-guest.log" for i in range(40))   # > 255 characters
    run = RunResult(target="refhv", started="2026-12-02T12:00:00", console_log=names)
    assert len(names) > 255 and "avps-cts conformance report: refhv" in html_report.render(run, folder=tmp_path)
