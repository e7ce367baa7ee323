"""ReqIF 1.2 export: well-formed, required structure, every reference resolves."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.reqif import NS, reqif_bytes

Q = lambda t: f"{{{NS}}}{t}"  # noqa: E731
BLK = "VIRTIO-1.2: Device Types / Block Device / Device Operation #11"
MAN = [("virtio.blk.flush", ["AVPS.STORAGE.1", BLK]), ("virtio.blk.ghost", ["AVPS.NOPE.1"])]


@pytest.fixture(scope="module")
def root() -> ET.Element:
    cat = load_catalogue()
    data = reqif_bytes(cat, MAN, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert data.startswith(b"<?xml")
    return ET.fromstring(data)


def test_top_level_structure(root: ET.Element) -> None:
    assert root.tag == Q("REQ-IF")
    header = root.find(f"{Q('THE-HEADER')}/{Q('REQ-IF-HEADER')}")
    assert header is not None and header.get("IDENTIFIER")
    for tag in ("CREATION-TIME", "REQ-IF-TOOL-ID", "REQ-IF-VERSION", "SOURCE-TOOL-ID", "TITLE"):
        assert header.find(Q(tag)) is not None, tag
    assert header.findtext(Q("REQ-IF-VERSION")) == "1.0"
    content = root.find(f"{Q('CORE-CONTENT')}/{Q('REQ-IF-CONTENT')}")
    assert content is not None
    for tag in ("DATATYPES", "SPEC-TYPES", "SPEC-OBJECTS", "SPEC-RELATIONS", "SPECIFICATIONS"):
        assert content.find(Q(tag)) is not None, tag


def test_identifiers_unique_and_complete(root: ET.Element) -> None:
    ids = [e.get("IDENTIFIER") for e in root.iter() if e.get("IDENTIFIER") is not None]
    assert len(ids) == len(set(ids))
    for e in root.iter():
        if e.tag in (Q("SPEC-OBJECT"), Q("SPEC-RELATION"), Q("SPEC-HIERARCHY"), Q("SPECIFICATION"),
                     Q("SPEC-OBJECT-TYPE"), Q("SPEC-RELATION-TYPE"), Q("SPECIFICATION-TYPE"),
                     Q("ATTRIBUTE-DEFINITION-STRING"), Q("DATATYPE-DEFINITION-STRING")):
            assert e.get("IDENTIFIER") and e.get("LAST-CHANGE"), e.tag
            assert e.get("IDENTIFIER")[0].isalpha()


def test_every_reference_resolves(root: ET.Element) -> None:
    kinds = {
        "SPEC-OBJECT-REF": "SPEC-OBJECT", "SPEC-OBJECT-TYPE-REF": "SPEC-OBJECT-TYPE",
        "SPEC-RELATION-TYPE-REF": "SPEC-RELATION-TYPE", "SPECIFICATION-TYPE-REF": "SPECIFICATION-TYPE",
        "ATTRIBUTE-DEFINITION-STRING-REF": "ATTRIBUTE-DEFINITION-STRING",
        "DATATYPE-DEFINITION-STRING-REF": "DATATYPE-DEFINITION-STRING",
        "ATTRIBUTE-DEFINITION-ENUMERATION-REF": "ATTRIBUTE-DEFINITION-ENUMERATION",
        "DATATYPE-DEFINITION-ENUMERATION-REF": "DATATYPE-DEFINITION-ENUMERATION", "ENUM-VALUE-REF": "ENUM-VALUE",
    }
    defined: dict[str, set[str]] = {}
    for e in root.iter():
        if e.get("IDENTIFIER"):
            defined.setdefault(e.tag, set()).add(e.get("IDENTIFIER"))
    n = 0
    for e in root.iter():
        local = e.tag.split("}")[1]
        if local.endswith("-REF"):
            assert local in kinds, local
            assert e.text in defined.get(Q(kinds[local]), set()), (local, e.text)
            n += 1
    assert n > 1000


def test_content(root: ET.Element) -> None:
    cat = load_catalogue()
    objs = root.findall(f".//{Q('SPEC-OBJECT')}")
    assert len(objs) == len(cat.avps) + len(cat.virtio) + 2  # + two test cases
    rels = root.findall(f".//{Q('SPEC-RELATION')}")
    verifies = [r for r in rels if r.findtext(f"{Q('TYPE')}/{Q('SPEC-RELATION-TYPE-REF')}") == "srt-verifies"]
    assert len(verifies) == 2  # the unknown AVPS.NOPE.1 is not exported
    specs = root.findall(f".//{Q('SPECIFICATION')}")
    assert len(specs) == 3
    values = {v.get("THE-VALUE") for v in root.iter(Q("ATTRIBUTE-VALUE-STRING"))}
    assert BLK in values and "AVPS.STORAGE.1" in values
