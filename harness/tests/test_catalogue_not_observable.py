"""A VIRTIO statement no guest can observe is marked 'verify: not-observable' with its reason; the loader checks the pair and the trace counts it apart."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from avps_cts.catalogue import CatalogueError, load_catalogue
from avps_cts.catalogue.trace import build_trace, render_markdown

AVPS = """\
schema: 1
layer: avps
requirements:
  - id: AVPS.STORAGE.1
    section: {v1: "2.4.1", v2: null}
    title: "Storage"
    level: conditional
    level_verified: false
    level_note: "not verified"
    condition: "block storage offered"
    virtio: ["Device Types / Block Device"]
    summary: "Block storage is a VIRTIO block device."
    verify: guest
    spec_label: null
    verified: false
"""
STATEMENT = """\
  - id: "VIRTIO-1.2: Device Types / Block Device / Device Operation #{n}"
    label: "Device Types / Block Device / Device Operation"
    side: device
    n: {n}
    keyword: MUST
    release: "1.2-cs01"
    source: "content.tex:10"
    summary: "Something."
    avps: [AVPS.STORAGE.1]
"""


def _load(tmp_path: Path, extra: str):
    a, v = tmp_path / "avps.yaml", tmp_path / "virtio.yaml"
    a.write_text(AVPS)
    v.write_text("schema: 1\nlayer: virtio\nrequirements:\n" + STATEMENT.format(n=1) + STATEMENT.format(n=2) + extra)
    return load_catalogue(a, v)


def test_not_observable_statement_is_counted_apart(tmp_path: Path) -> None:
    cat = _load(tmp_path, STATEMENT.format(n=3) + '    verify: not-observable\n    reason: "happens inside the device"\n')
    s = cat.virtio["VIRTIO-1.2: Device Types / Block Device / Device Operation #3"]
    assert not s.observable and s.reason == "happens inside the device"
    t = build_trace(cat, [("virtio.blk.x", ["VIRTIO-1.2: Device Types / Block Device / Device Operation #1"])])
    totals = t["layers"]["virtio"]["totals"]
    assert (totals["covered"], totals["not-covered"], totals["not-observable"]) == (1, 1, 1)
    assert totals["must_not_observable"] == 1
    row = next(r for r in t["layers"]["virtio"]["requirements"] if r["id"].endswith("#3"))
    assert row["coverage"] == "not-observable" and row["not_observable"] == "happens inside the device"
    assert "| Block Device | 3 | 1 | 1 | 0 | 1 |" in render_markdown(t)


@pytest.mark.parametrize("extra, message", [
    ("    verify: not-observable\n", "needs a reason"),
    ('    verify: maybe\n    reason: "x"\n', "bad verify 'maybe'"),
    ('    reason: "x"\n', "reason without verify"),
])
def test_bad_not_observable_marks_name_the_line(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(CatalogueError) as err:
        _load(tmp_path, STATEMENT.format(n=3) + extra)
    assert message in str(err.value) and "virtio.yaml:" in str(err.value)


def test_catalogue_marks_only_with_reasons() -> None:
    cat = load_catalogue()
    marked = [s for s in cat.virtio.values() if not s.observable]
    assert all(s.reason.strip() for s in marked)
