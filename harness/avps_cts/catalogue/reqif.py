"""Export the catalogue and its test links as ReqIF 1.2 (OMG namespace of 2011-04-01).

Objects: one SPEC-OBJECT per AVPS area, VIRTIO statement and test case.  Test links are
SPEC-RELATIONs "verifies" (test case -> requirement); VIRTIO statements also get a relation
"required by" (statement -> AVPS area).  Two SPECIFICATIONs: the AVPS layer (VIRTIO statements as
children of the areas that require them) and the VIRTIO layer (flat), plus one for the test cases.
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import re
import xml.etree.ElementTree as ET
from typing import Mapping, Sequence

from avps_cts.catalogue.loader import AvpsRequirement, Catalogue

NS = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"
REQIF_VERSION = "1.0"  # the REQ-IF-VERSION value ReqIF 1.x documents carry

ET.register_namespace("", NS)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def xml_id(prefix: str, key: str) -> str:
    """An xsd:ID-safe identifier, readable and collision-free (hash suffix)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key).strip("_")[:60]
    h = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{safe}-{h}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, _q(tag), {k.replace("_", "-").upper(): v for k, v in attrs.items()})
    if text is not None:
        e.text = text
    return e


def _ref(parent: ET.Element, wrapper: str, ref_tag: str, target: str) -> None:
    w = _sub(parent, wrapper)
    _sub(w, ref_tag, target)


AVPS_ATTRS = ["ID", "Title", "Section v1.0", "Section v2.0", "Level note", "Condition", "Summary", "Verify", "Spec label", "Verified"]
VIRTIO_ATTRS = ["ID", "Label", "Ordinal", "Keyword", "Release", "Source", "Summary"]
CASE_ATTRS = ["ID"]
# Closed value sets are ReqIF enumerations, so a requirements tool can filter and report on them.
ENUMS = {
    "Level": ["mandatory", "conditional"],
    "Coverage": ["covered", "not-covered", "document-only"],
    "Verdict": ["pass", "fail", "not-applicable", "not-run", "not-covered"],
}
ENUM_ATTRS = {"sot-avps": ["Level", "Coverage", "Verdict"], "sot-virtio": ["Level", "Coverage", "Verdict"],
              "sot-case": []}


def _enum_value_id(enum: str, value: str) -> str:
    return f"ev-{enum.lower()}-{value}"


def export_reqif(catalogue: Catalogue, manifest: Sequence[tuple[str, Sequence[str]]] = (),
                 *, now: _dt.datetime | None = None, title: str = "avps-cts requirement catalogue",
                 verdicts: Mapping[str, str] | None = None) -> ET.ElementTree:
    """verdicts: requirement ID -> verdict of one run (the Verdict attribute); none without a run."""
    ts = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0).isoformat()
    root = ET.Element(_q("REQ-IF"))
    header = _sub(_sub(root, "THE-HEADER"), "REQ-IF-HEADER", identifier="header-avps-cts")
    _sub(header, "COMMENT", "AVPS layer: our IDs and own-words summaries; VIRTIO layer: device-side statements cited by label and ordinal.")
    _sub(header, "CREATION-TIME", ts)
    _sub(header, "REQ-IF-TOOL-ID", "avps-cts")
    _sub(header, "REQ-IF-VERSION", REQIF_VERSION)
    _sub(header, "SOURCE-TOOL-ID", "avps-cts")
    _sub(header, "TITLE", title)

    content = _sub(_sub(root, "CORE-CONTENT"), "REQ-IF-CONTENT")
    datatypes = _sub(content, "DATATYPES")
    _sub(datatypes, "DATATYPE-DEFINITION-STRING", identifier="dt-string", last_change=ts, long_name="String", max_length="4096")
    for enum, values in ENUMS.items():
        dt = _sub(datatypes, "DATATYPE-DEFINITION-ENUMERATION", identifier=f"dt-{enum.lower()}", last_change=ts,
                  long_name=enum)
        specified = _sub(dt, "SPECIFIED-VALUES")
        for key, value in enumerate(values):
            ev = _sub(specified, "ENUM-VALUE", identifier=_enum_value_id(enum, value), last_change=ts, long_name=value)
            _sub(_sub(ev, "PROPERTIES"), "EMBEDDED-VALUE", key=str(key), other_content=value)

    spec_types = _sub(content, "SPEC-TYPES")
    attr_ids: dict[tuple[str, str], str] = {}

    def object_type(tid: str, name: str, attrs: list[str]) -> None:
        t = _sub(spec_types, "SPEC-OBJECT-TYPE", identifier=tid, last_change=ts, long_name=name)
        sa = _sub(t, "SPEC-ATTRIBUTES")
        for a in attrs:
            aid = xml_id(f"ad-{tid}", a)
            attr_ids[(tid, a)] = aid
            ad = _sub(sa, "ATTRIBUTE-DEFINITION-STRING", identifier=aid, last_change=ts, long_name=a)
            _ref(ad, "TYPE", "DATATYPE-DEFINITION-STRING-REF", "dt-string")
        for a in ENUM_ATTRS[tid]:
            aid = xml_id(f"ad-{tid}", a)
            attr_ids[(tid, a)] = aid
            ad = _sub(sa, "ATTRIBUTE-DEFINITION-ENUMERATION", identifier=aid, last_change=ts, long_name=a,
                      multi_valued="false")
            _ref(ad, "TYPE", "DATATYPE-DEFINITION-ENUMERATION-REF", f"dt-{a.lower()}")

    object_type("sot-avps", "AVPS requirement area", AVPS_ATTRS)
    object_type("sot-virtio", "VIRTIO device-side statement", VIRTIO_ATTRS)
    object_type("sot-case", "Test case", CASE_ATTRS)
    _sub(spec_types, "SPEC-RELATION-TYPE", identifier="srt-verifies", last_change=ts, long_name="verifies")
    _sub(spec_types, "SPEC-RELATION-TYPE", identifier="srt-required-by", last_change=ts, long_name="required by")
    _sub(spec_types, "SPECIFICATION-TYPE", identifier="spt-layer", last_change=ts, long_name="Catalogue layer")

    objects = _sub(content, "SPEC-OBJECTS")

    def _enums(rid: str, level: str, req: object) -> dict[str, str]:
        coverage = "covered" if rid in covered else \
            "document-only" if isinstance(req, AvpsRequirement) and not req.testable else "not-covered"
        out = {"Level": level, "Coverage": coverage}
        if verdicts and verdicts.get(rid) in ENUMS["Verdict"]:
            out["Verdict"] = verdicts[rid]
        return out
    obj_id: dict[str, str] = {}

    covered = {r for _case, reqs in manifest for r in reqs}

    def spec_object(tid: str, key: str, prefix: str, values: dict[str, str],
                    enums: dict[str, str] | None = None) -> str:
        oid = xml_id(prefix, key)
        o = _sub(objects, "SPEC-OBJECT", identifier=oid, last_change=ts, long_name=key[:200])
        vals = _sub(o, "VALUES")
        for a, v in values.items():
            av = _sub(vals, "ATTRIBUTE-VALUE-STRING", the_value=v)
            _ref(av, "DEFINITION", "ATTRIBUTE-DEFINITION-STRING-REF", attr_ids[(tid, a)])
        for a, v in (enums or {}).items():
            av = _sub(vals, "ATTRIBUTE-VALUE-ENUMERATION")
            _ref(av, "DEFINITION", "ATTRIBUTE-DEFINITION-ENUMERATION-REF", attr_ids[(tid, a)])
            _ref(av, "VALUES", "ENUM-VALUE-REF", _enum_value_id(a, v))
        _ref(o, "TYPE", "SPEC-OBJECT-TYPE-REF", tid)
        return oid

    for r in catalogue.avps.values():
        obj_id[r.id] = spec_object("sot-avps", r.id, "avps", {
            "ID": r.id, "Title": r.title, "Section v1.0": r.section_v1 or "", "Section v2.0": r.section_v2 or "",
            "Level note": "" if r.level_verified else "level not verified against the spec text",
            "Condition": r.condition or "", "Summary": r.summary, "Verify": r.verify,
            "Spec label": ", ".join(r.spec_labels), "Verified": "true" if r.verified else "false",
        }, _enums(r.id, r.level, r))
    for s in catalogue.virtio.values():
        obj_id[s.id] = spec_object("sot-virtio", s.id, "virtio", {
            "ID": s.id, "Label": s.label, "Ordinal": str(s.n), "Keyword": s.keyword, "Release": s.release,
            "Source": s.source, "Summary": s.summary,
        }, _enums(s.id, catalogue.level_of(s), s))
    case_ids: dict[str, str] = {}
    for case, _reqs in manifest:
        if case not in case_ids:
            case_ids[case] = spec_object("sot-case", case, "case", {"ID": case})

    relations = _sub(content, "SPEC-RELATIONS")
    seen: set[tuple[str, str, str]] = set()

    def relation(tid: str, src: str, dst: str) -> None:
        if (tid, src, dst) in seen:
            return
        seen.add((tid, src, dst))
        rel = _sub(relations, "SPEC-RELATION", identifier=xml_id("rel", f"{tid}|{src}|{dst}"), last_change=ts)
        _ref(rel, "SOURCE", "SPEC-OBJECT-REF", src)
        _ref(rel, "TARGET", "SPEC-OBJECT-REF", dst)
        _ref(rel, "TYPE", "SPEC-RELATION-TYPE-REF", tid)

    for case, reqs in manifest:
        for r in reqs:
            if r in obj_id:  # unknown IDs are reported by trace.unknown_ids, not exported
                relation("srt-verifies", case_ids[case], obj_id[r])
    for s in catalogue.virtio.values():
        for a in s.avps:
            relation("srt-required-by", obj_id[s.id], obj_id[a])

    specs = _sub(content, "SPECIFICATIONS")

    def specification(key: str, name: str) -> ET.Element:
        sp = _sub(specs, "SPECIFICATION", identifier=xml_id("spec", key), last_change=ts, long_name=name)
        _ref(sp, "TYPE", "SPECIFICATION-TYPE-REF", "spt-layer")
        return _sub(sp, "CHILDREN")

    def hierarchy(parent: ET.Element, key: str, target: str) -> ET.Element:
        h = _sub(parent, "SPEC-HIERARCHY", identifier=xml_id("sh", key), last_change=ts)
        _ref(h, "OBJECT", "SPEC-OBJECT-REF", target)
        return h

    avps_children = specification("avps", "AVPS v2.0 areas")
    for r in catalogue.avps.values():
        h = hierarchy(avps_children, f"avps|{r.id}", obj_id[r.id])
        kids = [s for s in catalogue.virtio.values() if r.id in s.avps]
        if kids:
            ch = _sub(h, "CHILDREN")
            for s in kids:
                hierarchy(ch, f"avps|{r.id}|{s.id}", obj_id[s.id])
    virtio_children = specification("virtio", "VIRTIO device-side statements")
    for s in catalogue.virtio.values():
        hierarchy(virtio_children, f"virtio|{s.id}", obj_id[s.id])
    if case_ids:
        case_children = specification("cases", "Test cases")
        for case, oid in case_ids.items():
            hierarchy(case_children, f"case|{case}", oid)
    return ET.ElementTree(root)


def _canonical(element: ET.Element) -> bytes:
    """An element's content without any LAST-CHANGE stamp: equal bytes, unchanged object."""
    clone = copy.deepcopy(element)
    clone.tail = None
    for e in clone.iter():
        e.attrib.pop("LAST-CHANGE", None)
    return ET.tostring(clone)


def keep_unchanged_stamps(root: ET.Element, previous: bytes) -> int:
    """Every identified element whose content equals the previous export's keeps that export's
    LAST-CHANGE, so a re-import sees only what really changed. Returns how many kept their stamp."""
    try:
        old_root = ET.fromstring(previous)
    except ET.ParseError:
        return 0
    old = {e.get("IDENTIFIER"): (e.get("LAST-CHANGE"), _canonical(e)) for e in old_root.iter()
           if e.get("IDENTIFIER") and e.get("LAST-CHANGE")}
    kept = 0
    for e in root.iter():
        ident = e.get("IDENTIFIER")
        if ident in old and e.get("LAST-CHANGE") and old[ident][1] == _canonical(e):
            e.set("LAST-CHANGE", old[ident][0])
            kept += 1
    if kept == sum(1 for e in root.iter() if e.get("LAST-CHANGE")):
        # Nothing changed at all: the document is the previous one, creation time included.
        created, old_created = root.find(f".//{_q('CREATION-TIME')}"), old_root.find(f".//{_q('CREATION-TIME')}")
        if created is not None and old_created is not None:
            created.text = old_created.text
    return kept


def reqif_bytes(catalogue: Catalogue, manifest: Sequence[tuple[str, Sequence[str]]] = (),
                previous: bytes | None = None, **kw: object) -> bytes:
    """The export; with previous (the last export's bytes), unchanged objects keep their LAST-CHANGE."""
    tree = export_reqif(catalogue, manifest, **kw)  # type: ignore[arg-type]
    ET.indent(tree, space=" ")
    if previous:
        keep_unchanged_stamps(tree.getroot(), previous)
    return ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
