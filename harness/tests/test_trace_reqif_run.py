"""Traceability outputs from a run: trace.md titles, levels and verdicts; ReqIF enumerations and stable LAST-CHANGE."""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from avps_cts import cli
from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.reqif import NS, reqif_bytes

Q = lambda t: f"{{{NS}}}{t}"  # noqa: E731
MAN = [("virtio.blk.flush", ["AVPS.STORAGE.1"]), ("psci.version", ["AVPS.POWER.1"])]


def stamps(data: bytes) -> dict[str, str]:
    return {e.get("IDENTIFIER"): e.get("LAST-CHANGE") for e in ET.fromstring(data).iter() if e.get("LAST-CHANGE")}


def test_reqif_keeps_last_change_of_unchanged_objects() -> None:
    cat = load_catalogue()
    first = reqif_bytes(cat, MAN, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    again = reqif_bytes(cat, MAN, first, now=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    assert again == first, "nothing changed: the same document"
    changed = reqif_bytes(cat, MAN + [("virtio.blk.ghost", ["AVPS.STORAGE.1"])], first,
                          now=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    new, old = stamps(changed), stamps(first)
    moved = {k for k in old if k in new and new[k] != old[k]}
    assert all(new[k] == "2026-06-01T00:00:00+00:00" for k in moved)
    assert len(moved) <= 3, moved  # the case specification (new child) only; objects keep their stamp
    assert any(k.startswith("case-virtio.blk.ghost") for k in set(new) - set(old))


def test_reqif_level_coverage_verdict_are_enumerations() -> None:
    cat = load_catalogue()
    root = ET.fromstring(reqif_bytes(cat, MAN, verdicts={"AVPS.POWER.1": "fail"}))
    enums = {e.get("LONG-NAME"): [v.get("LONG-NAME") for v in e.iter(Q("ENUM-VALUE"))]
             for e in root.iter(Q("DATATYPE-DEFINITION-ENUMERATION"))}
    assert enums["Level"] == ["mandatory", "conditional"] and "document-only" in enums["Coverage"]
    assert "not-applicable" in enums["Verdict"]
    power = next(o for o in root.iter(Q("SPEC-OBJECT")) if o.get("LONG-NAME") == "AVPS.POWER.1")
    refs = [r.text for r in power.iter(Q("ENUM-VALUE-REF"))]
    assert refs == ["ev-level-mandatory", "ev-coverage-covered", "ev-verdict-fail"]


def test_trace_takes_titles_levels_and_verdicts_from_a_run(build: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"target": "qemu-arm64", "cases": [
        {"case_id": "psci.version", "status": "fail", "requirements": ["AVPS.POWER.1"], "program": "psci"}]}))
    copy = tmp_path / "build"
    copy.mkdir()
    (copy / "guest").symlink_to(build / "guest")
    for folder in ("probes", "probes-uefi"):
        (copy / folder).symlink_to(build / folder)
    assert cli.main(["requirements", "--build", str(copy), "trace", "--results", str(results)]) == 0
    row = next(line for line in (copy / "trace.md").read_text().splitlines() if line.startswith("| AVPS.POWER.1 |"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[1].startswith("Power") and cells[2] == "mandatory" and cells[-1] == "fail"
    assert cli.main(["requirements", "--build", str(copy), "trace", "--results", str(tmp_path / "none")]) == 2


def test_trace_takes_the_build_folder_after_the_action_as_make_trace_passes_it(build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "build"
    copy.mkdir()
    for folder in ("guest", "probes", "probes-uefi"):
        (copy / folder).symlink_to(build / folder)
    assert cli.main(["requirements", "trace", "--build", str(copy)]) == 0
    assert (copy / "trace.md").exists()
