"""Platform comparison: loading runs, differences first with evidence, per-area summary, Markdown/HTML/JSON and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from avps_cts.cli import main
from avps_cts.reports.compare import CompareError, compare, load_run, markdown, render_html, write


def _results(folder: Path, target: str, cases: dict[str, tuple[str, str]], verdicts: dict[str, str],
             profile: str = "default", extra: dict | None = None) -> Path:
    folder.mkdir(parents=True)
    data = {"target": target, "started": "2026-11-26T06:00:00", "duration_s": 4.5,
            "platform": {"profile": profile, "qemu_version": "7.2.22", **(extra or {})}, "problems": [],
            "cases": [{"case_id": c, "status": s, "detail": d, "diagnostics": [], "program": c.rsplit(".", 1)[0],
                       "requirements": ["AVPS.POWER.1"] if c.startswith("psci") else ["AVPS.RNG.1"]}
                      for c, (s, d) in cases.items()],
            "conformance": {"conformant": False,
                            "requirements": [{"id": k, "verdict": v} for k, v in verdicts.items()]}}
    (folder / "results.json").write_text(json.dumps(data))
    return folder


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    qemu = _results(tmp_path / "qemu-arm64-1", "qemu-arm64",
                    {"psci.version": ("pass", ""), "psci.affinity_info.on": ("pass", ""),
                     "virtio.rng.device_present": ("pass", "")},
                    {"AVPS.POWER.1": "pass", "AVPS.RNG.1": "pass", "VIRTIO-1.2: X #1": "not-covered"})
    xen = _results(tmp_path / "xen-1", "xen",
                   {"psci.version": ("pass", ""),
                    "psci.affinity_info.on": ("fail", "AFFINITY_INFO(0xfefe): expected INVALID_PARAMETERS (-2), got 1"),
                    "virtio.rng.device_present": ("fail", "no virtio-rng device"), "psci.system_off": ("not-run", "")},
                   {"AVPS.POWER.1": "fail", "AVPS.RNG.1": "fail", "VIRTIO-1.2: X #1": "not-covered"},
                   extra={"hypervisor": "Xen version 4.17.7"})
    return qemu, xen


def test_differences_are_found_with_each_platforms_evidence(two_runs: tuple[Path, Path]) -> None:
    cmp = compare([load_run(p) for p in two_runs])
    assert [r.label for r in cmp.runs] == ["qemu-arm64", "xen"]
    assert cmp.case_differences == ["psci.affinity_info.on", "psci.system_off", "virtio.rng.device_present"]
    assert cmp.requirement_differences == ["AVPS.POWER.1", "AVPS.RNG.1"]
    assert "VIRTIO-1.2: X #1" not in cmp.requirement_ids  # not covered anywhere: left out
    text = markdown(cmp)
    assert text.index("## Differences") < text.index("## Per AVPS area") < text.index("## Case × platform")
    assert "got 1" in text and "| `psci.system_off` | — | not-run |" in text
    assert "Xen version 4.17.7 on QEMU 7.2.22" in text
    assert cmp.area_summary(cmp.runs[1], "POWER") == "fail (1/3 pass)"
    assert cmp.area_summary(cmp.runs[0], "POWER") == "pass (2/2 pass)"


def test_html_marks_differences_and_escapes(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    cmp = compare([load_run(p) for p in two_runs])
    page = render_html(cmp)
    assert page.count("<tr class=diff>") == len(cmp.case_differences) * 2 + len(cmp.requirement_differences) * 2
    assert "INVALID_PARAMETERS (-2)" in page and "<script" not in page


def test_same_target_twice_gets_distinct_labels(tmp_path: Path) -> None:
    a = _results(tmp_path / "a", "xen", {"psci.version": ("pass", "")}, {})
    b = _results(tmp_path / "b", "xen", {"psci.version": ("pass", "")}, {}, profile="one-vcpu")
    c = _results(tmp_path / "c", "xen", {"psci.version": ("fail", "")}, {})
    cmp = compare([load_run(a), load_run(b), load_run(c / "results.json")])
    assert len({r.label for r in cmp.runs}) == 3 and cmp.runs[1].label == "xen/one-vcpu"


def test_bad_inputs_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CompareError, match="no such results file"):
        load_run(tmp_path / "missing")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(CompareError, match="not an avps-cts results.json"):
        load_run(tmp_path / "x.json")
    with pytest.raises(CompareError):
        compare([])


def test_cli_writes_markdown_html_json(tmp_path: Path, two_runs: tuple[Path, Path], capsys) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["compare.html", "compare.json", "compare.md"]
    data = json.loads((out / "compare.json").read_text())
    assert data["case_differences"]["psci.affinity_info.on"] == {"qemu-arm64": "pass", "xen": "fail"}
    assert "3 of 4 cases" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "nothing")]) == 2


def test_default_folder_is_under_reports(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    reports = tmp_path / "reports"
    assert main(["compare", "--reports", str(reports), *map(str, two_runs)]) == 0
    (folder,) = reports.glob("compare-*")
    assert write(compare([load_run(p) for p in two_runs]), folder)[0].exists()
