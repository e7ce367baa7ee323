"""Load and validate requirements/avps-v2.0.yaml and requirements/virtio-1.2.yaml.

Every problem is reported as ``file:line: message`` (lines from the YAML node marks), all of them
at once, in one CatalogueError.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from avps_cts.yaml_text import SAFE_LOADER

from avps_cts.catalogue.scope import RELEASES, device_type
from avps_cts.catalogue.suite import DEFAULT_SUITE, SuiteRequirement, load_suite
from avps_cts.catalogue.vbsa import DEFAULT_VBSA, VbsaRule, load_vbsa

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_AVPS = REPO_ROOT / "requirements" / "avps-v2.0.yaml"
DEFAULT_VIRTIO = REPO_ROOT / "requirements" / "virtio-1.2.yaml"

AVPS_ID_RE = re.compile(r"^AVPS\.[A-Z][A-Z0-9]*\.[1-9][0-9]*$")
VIRTIO_ID_RE = re.compile(r"^VIRTIO-(1\.2|1\.4): (\S.*\S) #([1-9][0-9]*)$")
SECTION_RE = re.compile(r"^[1-9][0-9]*(\.[1-9][0-9]*)*$")
SOURCE_RE = re.compile(r"^[A-Za-z0-9_./-]+\.tex:[1-9][0-9]*$")

LEVELS = ("mandatory", "conditional")
VERIFY = ("guest", "probe", "config", "document")
KEYWORDS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
GATING_KEYWORDS = ("MUST", "MUST NOT")

AVPS_TOP = {"schema": True, "layer": True, "spec": False, "requirements": True}
VIRTIO_TOP = {"schema": True, "layer": True, "releases": False, "requirements": True}
# key -> required?
AVPS_KEYS = {
    "id": True, "section": True, "title": True, "level": True, "level_verified": True,
    "level_note": False, "condition": True, "virtio": True, "summary": True, "verify": True,
    "rationale": False, "keywords": False, "spec_label": True, "verified": True,
}
VIRTIO_KEYS = {
    "id": True, "label": True, "side": True, "n": True, "keyword": True, "release": True,
    "source": True, "summary": True, "avps": True, "verify": False, "reason": False,
}
# A VIRTIO statement no guest-side observation can decide says so, with the reason, so that
# coverage counts stay honest (absent: observable).
VIRTIO_VERIFY = ("not-observable",)


class CatalogueError(ValueError):
    """One or more catalogue problems; each line reads ``file:line: message``."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclasses.dataclass(frozen=True)
class AvpsRequirement:
    id: str
    section_v1: str | None
    section_v2: str | None
    title: str
    level: str
    level_verified: bool
    level_note: str
    condition: str | None
    virtio: tuple[str, ...]
    summary: str
    verify: str
    rationale: str
    keywords: tuple[str, ...]
    spec_label: str | tuple[str, ...] | None
    verified: bool
    line: int = 0

    @property
    def layer(self) -> str:
        return "avps"

    @property
    def spec_labels(self) -> tuple[str, ...]:
        """The spec's own labels for this area (none until check-spec has verified it)."""
        if self.spec_label is None:
            return ()
        if isinstance(self.spec_label, str):
            return (self.spec_label,)
        return tuple(self.spec_label)

    @property
    def chapter(self) -> str:
        """The area name used for per-chapter coverage: the middle part of the ID."""
        return self.id.split(".")[1]

    @property
    def testable(self) -> bool:
        return self.verify != "document"

    @property
    def gating(self) -> bool:
        return True


@dataclasses.dataclass(frozen=True)
class VirtioStatement:
    id: str
    label: str
    side: str
    n: int
    keyword: str
    release: str
    source: str
    summary: str
    avps: tuple[str, ...]
    line: int = 0
    verify: str = ""      # "not-observable", or "" (observable)
    reason: str = ""      # why not observable

    @property
    def layer(self) -> str:
        return "virtio"

    @property
    def observable(self) -> bool:
        return self.verify != "not-observable"

    @property
    def chapter(self) -> str:
        return device_type(self.label)

    @property
    def device_type(self) -> str:
        return device_type(self.label)

    @property
    def testable(self) -> bool:
        return True

    @property
    def gating(self) -> bool:
        return self.keyword in GATING_KEYWORDS


Requirement = AvpsRequirement | VirtioStatement | VbsaRule | SuiteRequirement


@dataclasses.dataclass
class Catalogue:
    avps: dict[str, AvpsRequirement]
    virtio: dict[str, VirtioStatement]
    avps_path: Path | None = None
    virtio_path: Path | None = None
    vbsa: dict[str, VbsaRule] = dataclasses.field(default_factory=dict)  # layer 3: Arm VBSA rules
    vbsa_path: Path | None = None
    suite: dict[str, SuiteRequirement] = dataclasses.field(default_factory=dict)  # layer 4: the suite's own
    suite_path: Path | None = None

    def get(self, req_id: str) -> Requirement | None:
        return self.avps.get(req_id) or self.virtio.get(req_id) or self.vbsa.get(req_id) or self.suite.get(req_id)

    def __contains__(self, req_id: object) -> bool:
        return req_id in self.avps or req_id in self.virtio or req_id in self.vbsa or req_id in self.suite

    def ids(self) -> list[str]:
        return list(self.avps) + list(self.virtio) + list(self.vbsa) + list(self.suite)

    def level_of(self, req: Requirement) -> str:
        """mandatory | conditional.  A VIRTIO statement is mandatory when an AVPS area that
        requires its device is mandatory (e.g. the common facilities under AVPS.VIRTIO.1)."""
        if isinstance(req, AvpsRequirement):
            return req.level
        if isinstance(req, (VbsaRule, SuiteRequirement)):
            return "conditional"   # reported per rule, never gating (requirements/README.md)
        if any(self.avps[a].level == "mandatory" for a in req.avps if a in self.avps):
            return "mandatory"
        return "conditional"


class _Ctx:
    def __init__(self, path: Path):
        self.path = path
        self.errors: list[str] = []

    def err(self, node: yaml.Node | None, msg: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.errors.append(f"{self.path}:{line}: {msg}")


def _compose(path: Path, ctx: _Ctx) -> tuple[yaml.Node | None, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        ctx.errors.append(f"{path}:0: cannot read: {e}")
        return None, None
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            ctx.errors.append(f"{path}:1: empty file")
            return None, None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 0
        ctx.errors.append(f"{path}:{line}: YAML syntax: {e.problem}")
        return None, None
    finally:
        loader.dispose()
    return node, data


def _pairs(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _check_keys(ctx: _Ctx, node: yaml.Node, spec: dict[str, bool], what: str) -> bool:
    if not isinstance(node, yaml.MappingNode):
        ctx.err(node, f"{what} must be a mapping")
        return False
    seen: set[str] = set()
    for k, _v in node.value:
        if k.value in seen:
            ctx.err(k, f"{what}: key {k.value!r} given twice")
        seen.add(k.value)
        if k.value not in spec:
            ctx.err(k, f"{what}: unknown key {k.value!r} (allowed: {', '.join(spec)})")
    for key, required in spec.items():
        if required and key not in seen:
            ctx.err(node, f"{what}: missing key {key!r}")
    return True


def _str(ctx: _Ctx, node: yaml.Node, val: Any, what: str, *, null: bool = False, one_line: bool = True) -> bool:
    if val is None and null:
        return True
    if not isinstance(val, str) or not val.strip():
        ctx.err(node, f"{what} must be a non-empty string{' or null' if null else ''}")
        return False
    if one_line and "\n" in val.strip():
        ctx.err(node, f"{what} must be one line")
        return False
    return True


def _str_list(ctx: _Ctx, node: yaml.Node, val: Any, what: str) -> bool:
    if not isinstance(val, list) or not all(isinstance(x, str) and x for x in val):
        ctx.err(node, f"{what} must be a list of strings")
        return False
    return True


def _entries(ctx: _Ctx, root: yaml.Node | None, data: Any, top: dict[str, bool], layer: str) -> Iterable[tuple[yaml.Node, dict[str, Any]]]:
    if root is None:
        return []
    if not _check_keys(ctx, root, top, "top level"):
        return []
    pairs = _pairs(root)
    if "layer" in pairs and data.get("layer") != layer:
        ctx.err(pairs["layer"][1], f"layer must be {layer!r}, got {data.get('layer')!r}")
    if "schema" in pairs and data.get("schema") != 1:
        ctx.err(pairs["schema"][1], "schema must be 1")
    if "requirements" not in pairs:
        return []
    seq = pairs["requirements"][1]
    if not isinstance(seq, yaml.SequenceNode):
        ctx.err(seq, "requirements must be a list")
        return []
    return list(zip(seq.value, data["requirements"]))


def _load_avps(path: Path, ctx: _Ctx) -> dict[str, AvpsRequirement]:
    root, data = _compose(path, ctx)
    out: dict[str, AvpsRequirement] = {}
    for node, d in _entries(ctx, root, data, AVPS_TOP, "avps"):
        if not _check_keys(ctx, node, AVPS_KEYS, "AVPS entry"):
            continue
        p = _pairs(node)
        rid = d.get("id")
        where = f"{rid}" if isinstance(rid, str) else "AVPS entry"
        n = lambda k: p[k][1] if k in p else node  # noqa: E731
        ok = True
        if not isinstance(rid, str) or not AVPS_ID_RE.match(rid):
            ctx.err(n("id"), f"malformed AVPS ID {rid!r} (expected AVPS.<AREA>.<n>)")
            ok = False
        elif rid in out:
            ctx.err(n("id"), f"duplicate ID {rid} (first at line {out[rid].line})")
            ok = False
        sec = d.get("section")
        v1 = v2 = None
        if not isinstance(sec, dict) or set(sec) - {"v1", "v2"} or not {"v1", "v2"} <= set(sec):
            ctx.err(n("section"), f"{where}: section must be a mapping with exactly v1 and v2")
            ok = False
        else:
            v1, v2 = sec["v1"], sec["v2"]
            for key, v in (("v1", v1), ("v2", v2)):
                if v is not None and (not isinstance(v, str) or not SECTION_RE.match(v)):
                    ctx.err(n("section"), f"{where}: section {key} must be a quoted number like \"2.4.1\" or null, got {v!r}")
                    ok = False
        ok &= _str(ctx, n("title"), d.get("title"), f"{where}: title")
        ok &= _str(ctx, n("summary"), d.get("summary"), f"{where}: summary")
        level = d.get("level")
        if level not in LEVELS:
            ctx.err(n("level"), f"{where}: bad level {level!r} (expected mandatory or conditional)")
            ok = False
        cond = d.get("condition")
        if level == "conditional" and not (isinstance(cond, str) and cond.strip()):
            ctx.err(n("condition"), f"{where}: a conditional requirement needs a condition (the platform feature that makes it apply)")
            ok = False
        if level == "mandatory" and cond is not None:
            ctx.err(n("condition"), f"{where}: a mandatory requirement has condition: null")
            ok = False
        for key in ("level_verified", "verified"):
            if key in p and not isinstance(d.get(key), bool):
                ctx.err(p[key][1], f"{where}: {key} must be true or false")
                ok = False
        if d.get("level_verified") is False and not d.get("level_note"):
            ctx.err(n("level_verified"), f"{where}: level_verified: false needs a level_note saying why")
            ok = False
        verify = d.get("verify")
        if verify not in VERIFY:
            ctx.err(n("verify"), f"{where}: bad verify {verify!r} (expected one of {', '.join(VERIFY)})")
            ok = False
        if verify == "document" and not (isinstance(d.get("rationale"), str) and d["rationale"].strip()):
            ctx.err(n("verify"), f"{where}: verify: document needs a rationale")
            ok = False
        if "virtio" in p:
            ok &= _str_list(ctx, p["virtio"][1], d.get("virtio"), f"{where}: virtio")
        if "keywords" in p:
            ok &= _str_list(ctx, p["keywords"][1], d.get("keywords"), f"{where}: keywords")
        label = d.get("spec_label")
        if isinstance(label, list):
            if _str_list(ctx, n("spec_label"), label, f"{where}: spec_label"):
                label = tuple(label)
            else:
                ok = False
        else:
            ok &= _str(ctx, n("spec_label"), label, f"{where}: spec_label (null, a string or a list)", null=True)
        if d.get("verified") is True and label is None:
            ctx.err(n("verified"), f"{where}: verified: true needs a spec_label")
            ok = False
        if ok:
            out[rid] = AvpsRequirement(
                id=rid, section_v1=v1, section_v2=v2, title=d["title"], level=level,
                level_verified=d["level_verified"], level_note=d.get("level_note") or "",
                condition=cond, virtio=tuple(d.get("virtio") or ()), summary=d["summary"],
                verify=verify, rationale=d.get("rationale") or "", keywords=tuple(d.get("keywords") or ()),
                spec_label=label, verified=d["verified"], line=node.start_mark.line + 1,
            )
    return out


def _load_virtio(path: Path, ctx: _Ctx) -> dict[str, VirtioStatement]:
    root, data = _compose(path, ctx)
    out: dict[str, VirtioStatement] = {}
    for node, d in _entries(ctx, root, data, VIRTIO_TOP, "virtio"):
        if not _check_keys(ctx, node, VIRTIO_KEYS, "VIRTIO entry"):
            continue
        p = _pairs(node)
        n = lambda k: p[k][1] if k in p else node  # noqa: E731
        rid = d.get("id")
        where = f"{rid}" if isinstance(rid, str) else "VIRTIO entry"
        ok = True
        m = VIRTIO_ID_RE.match(rid) if isinstance(rid, str) else None
        if not m:
            ctx.err(n("id"), f"malformed VIRTIO ID {rid!r} (expected 'VIRTIO-<1.2|1.4>: <label> #<n>')")
            ok = False
        elif rid in out:
            ctx.err(n("id"), f"duplicate ID {rid} (first at line {out[rid].line})")
            ok = False
        label, num, rel = d.get("label"), d.get("n"), d.get("release")
        ok &= _str(ctx, n("label"), label, f"{where}: label")
        if not isinstance(num, int) or isinstance(num, bool) or num < 1:
            ctx.err(n("n"), f"{where}: n must be a positive integer")
            ok = False
        if rel not in RELEASES:
            ctx.err(n("release"), f"{where}: release must be one of {', '.join(RELEASES)}")
            ok = False
        if d.get("side") != "device":
            ctx.err(n("side"), f"{where}: side must be 'device' (only device-side statements belong in this layer)")
            ok = False
        if d.get("keyword") not in KEYWORDS:
            ctx.err(n("keyword"), f"{where}: bad keyword {d.get('keyword')!r}")
            ok = False
        if m and ok and (m.group(1) != RELEASES[rel] or m.group(2) != label or int(m.group(3)) != num):
            ctx.err(n("id"), f"{where}: ID does not match release/label/n (expected 'VIRTIO-{RELEASES[rel]}: {label} #{num}')")
            ok = False
        src = d.get("source")
        if not isinstance(src, str) or not SOURCE_RE.match(src):
            ctx.err(n("source"), f"{where}: source must be 'file.tex:line'")
            ok = False
        ok &= _str(ctx, n("summary"), d.get("summary"), f"{where}: summary")
        verify, reason = d.get("verify"), d.get("reason")
        if verify is not None and verify not in VIRTIO_VERIFY:
            ctx.err(n("verify"), f"{where}: bad verify {verify!r} (expected {', '.join(VIRTIO_VERIFY)} or no verify key)")
            ok = False
        elif verify is not None and not (isinstance(reason, str) and reason.strip()):
            ctx.err(n("verify"), f"{where}: verify: {verify} needs a reason")
            ok = False
        elif verify is None and reason is not None:
            ctx.err(n("reason"), f"{where}: reason without verify: not-observable")
            ok = False
        if _str_list(ctx, n("avps"), d.get("avps"), f"{where}: avps"):
            for a in d["avps"]:
                if not AVPS_ID_RE.match(a):
                    ctx.err(n("avps"), f"{where}: malformed AVPS ID {a!r} in avps")
                    ok = False
        else:
            ok = False
        if ok:
            out[rid] = VirtioStatement(
                id=rid, label=label, side="device", n=num, keyword=d["keyword"], release=rel,
                source=src, summary=d["summary"], avps=tuple(d["avps"]), line=node.start_mark.line + 1,
                verify=verify or "", reason=reason or "",
            )
    return out


def _cross_check(cat: Catalogue, errors: list[str]) -> None:
    labels = {s.label for s in cat.virtio.values()}
    for s in cat.virtio.values():
        for a in s.avps:
            if a not in cat.avps:
                errors.append(f"{cat.virtio_path}:{s.line}: {s.id}: avps names {a}, which is not in {cat.avps_path}")
    for r in cat.avps.values():
        for v in r.virtio:
            if not any(lab == v or lab.startswith(v + " / ") for lab in labels):
                errors.append(f"{cat.avps_path}:{r.line}: {r.id}: virtio names {v!r}, which matches no statement label in {cat.virtio_path}")


def load_catalogue(avps_path: Path | str | None = None, virtio_path: Path | str | None = None,
                   vbsa_path: Path | str | None = None) -> Catalogue:
    """Load the layers, validate them and their cross-references; raise CatalogueError.
    The VBSA layer is loaded from vbsa_path, or from the repository's file when the default
    AVPS layer is used (a custom AVPS file may not hold the areas VBSA rules map to)."""
    ap = Path(avps_path) if avps_path else DEFAULT_AVPS
    vp = Path(virtio_path) if virtio_path else DEFAULT_VIRTIO
    actx, vctx = _Ctx(ap), _Ctx(vp)
    avps = _load_avps(ap, actx)
    virtio = _load_virtio(vp, vctx)
    errors = actx.errors + vctx.errors
    bp = Path(vbsa_path) if vbsa_path else (DEFAULT_VBSA if avps_path is None else None)
    vbsa = load_vbsa(bp, set(avps), errors) if bp is not None else {}
    sp = DEFAULT_SUITE if avps_path is None else None
    suite = load_suite(sp, set(avps), errors) if sp is not None else {}
    cat = Catalogue(avps=avps, virtio=virtio, avps_path=ap, virtio_path=vp, vbsa=vbsa, vbsa_path=bp,
                    suite=suite, suite_path=sp)
    _cross_check(cat, errors)
    if errors:
        raise CatalogueError(errors)
    return cat
