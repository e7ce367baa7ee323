"""The catalogue files load, hold the agreed IDs, and the loader reports bad input with file:line."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from avps_cts.catalogue import CatalogueError, load_catalogue
from avps_cts.catalogue.loader import VIRTIO_ID_RE

AGREED_AVPS_IDS = {
    "AVPS.ARCH.1", "AVPS.CONFORMANCE.1", "AVPS.HWVIRT.1", "AVPS.HWEMU.1", "AVPS.BOOT.1", "AVPS.BOOT.2",
    "AVPS.STORAGE.1", "AVPS.NET.1", "AVPS.NET.2", "AVPS.GPU.1", "AVPS.IOMMU.1", "AVPS.USB.1", "AVPS.CAN.1",
    "AVPS.LIN.1", "AVPS.FLEXRAY.1", "AVPS.CANXL.1", "AVPS.MOST.1", "AVPS.WATCHDOG.1", "AVPS.POWER.1",
    "AVPS.POWER.2", "AVPS.GPIO.1", "AVPS.SENSORS.1", "AVPS.AUDIO.1", "AVPS.MEDIA.1", "AVPS.RNG.1",
    "AVPS.TEE.1", "AVPS.RPMB.1", "AVPS.CRYPTO.1", "AVPS.CONSOLE.1", "AVPS.FS.1", "AVPS.INPUT.1",
    "AVPS.VIRTIO.1",
}

AVPS_OK = """\
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
VIRTIO_OK = """\
schema: 1
layer: virtio
requirements:
  - id: "VIRTIO-1.2: Device Types / Block Device / Device Operation #3"
    label: "Device Types / Block Device / Device Operation"
    side: device
    n: 3
    keyword: MUST
    release: "1.2-cs01"
    source: "content.tex:10"
    summary: "Answer unknown flags with UNSUPP."
    avps: [AVPS.STORAGE.1]
"""


def _load(tmp_path: Path, avps: str = AVPS_OK, virtio: str = VIRTIO_OK):
    a, v = tmp_path / "avps.yaml", tmp_path / "virtio.yaml"
    a.write_text(textwrap.dedent(avps))
    v.write_text(textwrap.dedent(virtio))
    return load_catalogue(a, v), a, v


def _errors(tmp_path: Path, **kw: str) -> list[str]:
    with pytest.raises(CatalogueError) as ei:
        _load(tmp_path, **kw)
    return ei.value.errors


def test_real_catalogue_loads_with_agreed_ids() -> None:
    cat = load_catalogue()
    assert set(cat.avps) == AGREED_AVPS_IDS
    assert all(VIRTIO_ID_RE.match(i) for i in cat.virtio)
    assert all(r.spec_label is None and r.verified is False for r in cat.avps.values())
    assert all(r.level_verified is False and r.level_note for r in cat.avps.values())
    musts = [s for s in cat.virtio.values() if s.keyword in ("MUST", "MUST NOT")]
    assert len(musts) == 376


def test_every_document_entry_has_a_rationale_and_conditionals_a_condition() -> None:
    cat = load_catalogue()
    for r in cat.avps.values():
        if r.verify == "document":
            assert r.rationale, r.id
        assert (r.condition is not None) == (r.level == "conditional"), r.id


def test_minimal_pair_loads(tmp_path: Path) -> None:
    cat, _, _ = _load(tmp_path)
    assert list(cat.avps) == ["AVPS.STORAGE.1"]
    assert cat.level_of(next(iter(cat.virtio.values()))) == "conditional"


def test_duplicate_id_reported_with_line(tmp_path: Path) -> None:
    entry = AVPS_OK.split("requirements:\n")[1]
    errs = _errors(tmp_path, avps=AVPS_OK + entry)
    assert any("avps.yaml:16:" in e and "duplicate ID AVPS.STORAGE.1" in e for e in errs), errs


def test_unknown_key_reported_with_line(tmp_path: Path) -> None:
    errs = _errors(tmp_path, avps=AVPS_OK.replace("    verify: guest\n", "    verify: guest\n    colour: blue\n"))
    assert any("avps.yaml:14:" in e and "unknown key 'colour'" in e for e in errs), errs


def test_bad_level(tmp_path: Path) -> None:
    errs = _errors(tmp_path, avps=AVPS_OK.replace("level: conditional", "level: optional"))
    assert any("avps.yaml:7:" in e and "bad level 'optional'" in e for e in errs), errs


def test_malformed_ids(tmp_path: Path) -> None:
    errs = _errors(tmp_path, avps=AVPS_OK.replace("id: AVPS.STORAGE.1", "id: avps-storage"))
    assert any("avps.yaml:4:" in e and "malformed AVPS ID" in e for e in errs), errs
    errs = _errors(tmp_path, virtio=VIRTIO_OK.replace("Device Operation #3", "Device Operation 3"))
    assert any("virtio.yaml:4:" in e and "malformed VIRTIO ID" in e for e in errs), errs
    errs = _errors(tmp_path, virtio=VIRTIO_OK.replace("    n: 3", "    n: 4"))
    assert any("virtio.yaml:4:" in e and "does not match" in e for e in errs), errs


def test_dangling_references(tmp_path: Path) -> None:
    errs = _errors(tmp_path, virtio=VIRTIO_OK.replace("avps: [AVPS.STORAGE.1]", "avps: [AVPS.NOPE.1]"))
    assert any("virtio.yaml:4:" in e and "AVPS.NOPE.1" in e for e in errs), errs
    errs = _errors(tmp_path, avps=AVPS_OK.replace("Device Types / Block Device", "Device Types / Tape Device"))
    assert any("avps.yaml:4:" in e and "Tape Device" in e for e in errs), errs


def test_document_needs_rationale_and_conditional_needs_condition(tmp_path: Path) -> None:
    errs = _errors(tmp_path, avps=AVPS_OK.replace("verify: guest", "verify: document"))
    assert any("needs a rationale" in e for e in errs), errs
    errs = _errors(tmp_path, avps=AVPS_OK.replace('condition: "block storage offered"', "condition: null"))
    assert any("needs a condition" in e for e in errs), errs


def test_driver_side_statement_rejected(tmp_path: Path) -> None:
    errs = _errors(tmp_path, virtio=VIRTIO_OK.replace("side: device", "side: driver"))
    assert any("virtio.yaml:6:" in e and "side must be 'device'" in e for e in errs), errs


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    errs = _errors(tmp_path, avps=AVPS_OK.replace('title: "Storage"', 'title: "Storage'))
    assert any(e.startswith(str(tmp_path / "avps.yaml") + ":") and "YAML syntax" in e for e in errs), errs
