"""check-spec: compare the AVPS layer with a copy of the official AVPS text the user supplies.

    avps-cts requirements check-spec FILE [--write] [--catalogue AVPS_YAML] [--json]

FILE is the AVPS PDF (converted with ``pdftotext`` from poppler-utils) or plain text.  The checker
finds the requirement statements under each *Requirements* heading, with the label printed at the
start of a statement if there is one, matches every statement to an AVPS-layer entry (by heading
title, section number and keywords), and lists what is unmatched on either side.  With --write it
records the labels as ``spec_label`` and sets ``verified: true`` on matched entries, editing only
those two values in the YAML text.

Exit status: 0 everything matched both ways, 1 something is unmatched, 2 usage or input error.
The label format of the official text is not known here, so the checker recognises the common
conventions and says which one the text uses: bracketed IDs (``[REQ-1] ...``), braced IDs
(``{REQ-1} ...``), prefixed IDs (``REQ-1: ...``), numbered lists without IDs (``1. ...``, ``a) ...``)
and tables (``| REQ-1 | The platform MUST ... |``). Statements are looked for under *Requirements*
headings; a text without such headings has its normative sentences taken from every section.
MUST, SHALL, SHOULD and MAY statements count alike (each is reported with its keyword).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import yaml

from avps_cts.catalogue.loader import DEFAULT_AVPS, DEFAULT_VIRTIO, AvpsRequirement, CatalogueError, load_catalogue

HEADING_RE = re.compile(r"^\s*(\d+(?:\.\d+)+)\.?\s+([A-Z][^\n]*?)\s*(?:\.{3,}\s*\d+)?\s*$")
MD_HEADING_RE = re.compile(r"^\s*#{1,6}\s+(?:(\d+(?:\.\d+)*)\.?\s+)?([A-Z][^\n]*?)\s*$")
TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}")
ID_CELL_RE = re.compile(r"^[\[{(]?((?=[A-Za-z0-9._:-]*\d)[A-Z][A-Za-z0-9]*(?:[-_.:][A-Za-z0-9]+)+)[\]})]?$")
NUMBERED_RE = re.compile(r"^\s*\(?(?:\d{1,3}|[a-z])[.)]\s+")
KEYWORDS = ("MUST", "SHALL", "SHOULD", "MAY")
CONVENTIONS = {
    "bracketed": "bracketed IDs ([REQ-1] ...)", "braced": "braced IDs ({REQ-1} ...)",
    "prefixed": "prefixed IDs (REQ-1: ...)", "numbered": "numbered lists without IDs (1. ..., a) ...)",
    "table": "tables (| ID | statement |)", "unlabelled": "plain paragraphs without IDs",
}
REQ_HEADING_RE = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?Requirements?\s*:?\s*$", re.I)
DISCUSSION_RE = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?Discussion\s*:?\s*$", re.I)
NORMATIVE_RE = re.compile(r"\b(MUST|SHALL|SHOULD|MAY|REQUIRED|RECOMMENDED)\b")
LABEL_RE = re.compile(
    r"^\s*[\[{(<]?\s*((?=[A-Za-z0-9._:-]*\d)[A-Z][A-Za-z0-9]*(?:[-_.:][A-Za-z0-9]+)+)\s*[\]})>]?\s*[:.]?\s+(?=\S)"
)
BULLET_RE = re.compile(r"^\s*(?:[•●◦▪*–-]|\(?[a-z0-9]{1,2}[.)])\s+")
FOOTER_RE = re.compile(r"^\s*(?:\d+|page\s+\d+(?:\s+of\s+\d+)?)\s*$", re.I)
DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
STOPWORDS = {"a", "an", "and", "the", "of", "in", "to", "for", "through", "on", "by", "with", "vs", "e", "g"}


@dataclasses.dataclass
class SpecStatement:
    section: str | None
    heading: str
    label: str | None
    text: str
    line: int
    style: str = "unlabelled"  # which labelling convention this statement uses (CONVENTIONS)

    @property
    def keyword(self) -> str:
        """MUST / SHALL / SHOULD / MAY: the strongest normative word of the statement."""
        found = NORMATIVE_RE.findall(self.text)
        for word in KEYWORDS:
            if word in found:
                return word
        return {"REQUIRED": "MUST", "RECOMMENDED": "SHOULD"}.get(found[0], found[0]) if found else ""

    def to_json(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "keyword": self.keyword}


@dataclasses.dataclass
class SpecSection:
    number: str
    title: str
    line: int
    statements: list[SpecStatement] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class CheckResult:
    matches: dict[str, list[SpecStatement]]
    unmatched_statements: list[SpecStatement]
    unmatched_entries: list[str]

    @property
    def ok(self) -> bool:
        return not self.unmatched_statements and not self.unmatched_entries

    def to_json(self) -> dict[str, object]:
        return {
            "matches": {k: [s.to_json() for s in v] for k, v in self.matches.items()},
            "unmatched_statements": [s.to_json() for s in self.unmatched_statements],
            "unmatched_entries": self.unmatched_entries,
        }


class SpecInputError(Exception):
    pass


def read_spec(path: Path) -> str:
    """Plain text of the spec: pdftotext for a PDF, the file itself otherwise."""
    data = path.read_bytes()
    if data[:5] == b"%PDF-":
        exe = shutil.which("pdftotext")
        if not exe:
            raise SpecInputError("pdftotext not found: install Debian's poppler-utils to read a PDF")
        proc = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=120)
        if proc.returncode != 0:
            raise SpecInputError(f"pdftotext failed on {path}: {proc.stderr.decode(errors='replace').strip()}")
        data = proc.stdout
    return data.decode("utf-8", errors="replace")


def _style(first_line: str, label: str | None) -> str:
    stripped = first_line.lstrip()
    if label:
        return "bracketed" if stripped.startswith("[") else "braced" if stripped.startswith("{") else "prefixed"
    return "numbered" if NUMBERED_RE.match(first_line) else "unlabelled"


def _table_row(line: str) -> tuple[str | None, str] | None:
    """(ID or None, statement) for a table row that holds a normative statement."""
    if "|" in line:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
    elif "\t" in line:
        cells = [c.strip() for c in line.split("\t")]
    else:
        return None
    if len(cells) < 2 or TABLE_RULE_RE.match(line):
        return None
    normative = [c for c in cells if NORMATIVE_RE.search(c)]
    if not normative:
        return None
    label = next((m.group(1) for c in cells if (m := ID_CELL_RE.match(c))), None)
    return label, " ".join(normative)


def parse_spec_text(text: str, anywhere: bool = False) -> list[SpecSection]:
    """Sections in document order, each with the normative statements of its Requirements part
    (with anywhere, of the whole section: for texts without Requirements headings). A text with
    no Requirements heading at all is read with anywhere."""
    text = text.replace("\f", "\n").translate(DASHES)
    if not anywhere and not any(REQ_HEADING_RE.match(line) for line in text.splitlines()):
        anywhere = True
    sections: list[SpecSection] = []
    current: SpecSection | None = None
    in_req = False
    stmt: list[str] = []
    stmt_line = 0

    def flush() -> None:
        nonlocal stmt
        if current is not None and stmt:
            joined = " ".join(s.strip() for s in stmt).strip()
            joined = re.sub(r"(\w)- (\w)", r"\1-\2", joined)  # words split at a line-end hyphen
            m = LABEL_RE.match(joined)
            label = m.group(1) if m else None
            body = joined[m.end():] if m else BULLET_RE.sub("", joined, count=1)
            if NORMATIVE_RE.search(body):
                current.statements.append(SpecStatement(current.number, current.title, label, body.strip(), stmt_line,
                                                        _style(stmt[0], label)))
        stmt = []

    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if REQ_HEADING_RE.match(line):
            flush()
            in_req = current is not None
            continue
        if DISCUSSION_RE.match(line):
            flush()
            in_req = False
            continue
        h = HEADING_RE.match(line) or MD_HEADING_RE.match(line)
        if h and not NORMATIVE_RE.search(h.group(2)) and not h.group(2).endswith(".") and len(h.group(2)) < 90:
            flush()
            current = SpecSection(h.group(1) or "", h.group(2).strip(), i)
            sections.append(current)
            in_req = anywhere
            continue
        if not in_req:
            continue
        row = _table_row(line)
        if row is not None and current is not None:
            flush()
            current.statements.append(SpecStatement(current.number, current.title, row[0], row[1], i, "table"))
            continue
        if "|" in line and (TABLE_RULE_RE.match(line) or line.strip().startswith("|")):
            flush()  # a table's header or rule
            continue
        if not line.strip() or FOOTER_RE.match(line):
            flush()
            continue
        if LABEL_RE.match(line) or BULLET_RE.match(line):
            flush()
        if not stmt:
            stmt_line = i
        stmt.append(line)
    flush()
    return sections


def detect_convention(sections: Sequence[SpecSection]) -> tuple[str, dict[str, int]]:
    """The labelling convention most statements use, and how many use each."""
    counts: dict[str, int] = {}
    for st in (st for sec in sections for st in sec.statements):
        counts[st.style] = counts.get(st.style, 0) + 1
    if not counts:
        return "unlabelled", {}
    return max(counts, key=lambda k: (counts[k], k != "unlabelled")), counts


def keyword_counts(sections: Sequence[SpecSection]) -> dict[str, int]:
    out = {k: 0 for k in KEYWORDS}
    for st in (st for sec in sections for st in sec.statements):
        if st.keyword in out:
            out[st.keyword] += 1
    return out


def _words(s: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", s.lower()):
        if w in STOPWORDS:
            continue
        if len(w) > 3 and w.endswith("s"):
            w = w[:-1]
        out.add(w)
    return out


def _kw_hits(keyword: str, text: str) -> int:
    case_sensitive = keyword.isupper() and len(keyword) <= 5  # CAN, LIN, MOST, TEE: not the English words
    flags = 0 if case_sensitive else re.I
    return len(re.findall(r"(?<![A-Za-z0-9])" + re.escape(keyword), text, flags))


def _heading_score(entry: AvpsRequirement, section: SpecSection) -> float:
    hw = _words(section.title)
    score = len(hw & _words(entry.title)) / len(hw) if hw else 0.0
    if entry.section_v2 and entry.section_v2 == section.number:
        score += 1.0
    return score


def match_spec(entries: dict[str, AvpsRequirement], sections: Sequence[SpecSection]) -> CheckResult:
    matches: dict[str, list[SpecStatement]] = {}
    unmatched: list[SpecStatement] = []
    order = list(entries)
    for sec in sections:
        if not sec.statements:
            continue
        scored = {eid: _heading_score(e, sec) for eid, e in entries.items()}
        cands = [eid for eid in order if scored[eid] >= 0.5]
        for st in sec.statements:
            pool = cands or order
            best: tuple[float, float, int] | None = None
            pick: str | None = None
            for idx, eid in enumerate(pool):
                e = entries[eid]
                kw = sum(_kw_hits(k, st.text) for k in e.keywords)
                if not cands:  # no heading match: fall back to the statement's own keywords
                    kw += sum(_kw_hits(k, sec.title) for k in e.keywords)
                    if kw == 0:
                        continue
                # Heading first (it names the area); keywords separate areas sharing a heading.
                key = (round(scored[eid], 2), float(kw), -idx) if cands else (float(kw), scored[eid], -idx)
                if best is None or key > best:
                    best, pick = key, eid
            if pick is None:
                unmatched.append(st)
            else:
                matches.setdefault(pick, []).append(st)
    return CheckResult(matches=matches, unmatched_statements=unmatched,
                       unmatched_entries=[e for e in order if e not in matches])


def write_labels(yaml_path: Path, result: CheckResult) -> list[str]:
    """Set spec_label / verified for matched entries that got labels; edit only those values.
    Returns the IDs updated."""
    text = yaml_path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[tuple[int, int, str]] = []
    updated: list[str] = []
    reqs = next(v for k, v in root.value if k.value == "requirements")
    for item in reqs.value:
        fields = {k.value: v for k, v in item.value}
        rid = fields["id"].value
        labels = sorted({s.label for s in result.matches.get(rid, []) if s.label})
        if not labels:
            continue
        new_label = json.dumps(labels[0]) if len(labels) == 1 else "[" + ", ".join(json.dumps(x) for x in labels) + "]"
        for key, value in (("spec_label", new_label), ("verified", "true")):
            node = fields[key]
            edits.append((node.start_mark.index, node.end_mark.index, value))
        updated.append(rid)
    for start, end, value in sorted(edits, reverse=True):
        text = text[:start] + value + text[end:]
    yaml_path.write_text(text, encoding="utf-8")
    return updated


def convention_line(sections: Sequence[SpecSection]) -> str:
    convention, counts = detect_convention(sections)
    words = ", ".join(f"{k} {v}" for k, v in keyword_counts(sections).items())
    others = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != convention)
    return (f"convention detected: {CONVENTIONS[convention]} ({counts.get(convention, 0)} statements"
            + (f"; also {others}" if others else "") + f"); keywords: {words}")


def _report(result: CheckResult, sections: list[SpecSection]) -> str:
    n_st = sum(len(s.statements) for s in sections)
    out = [convention_line(sections),
           f"{n_st} requirement statement(s); "
           f"{sum(len(v) for v in result.matches.values())} matched to {len(result.matches)} entr(y/ies)."]
    for eid, sts in result.matches.items():
        labels = ", ".join(s.label or "(no label)" for s in sts)
        out.append(f"  matched  {eid}: {labels}")
    for s in result.unmatched_statements:
        out.append(f"  unmatched statement (line {s.line}, {s.section} {s.heading}): {s.label or '(no label)'} {s.text[:100]}")
    for e in result.unmatched_entries:
        out.append(f"  unmatched entry {e}: nothing in the spec text matched it")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="avps-cts requirements check-spec",
                                 description="Check the AVPS layer against the official AVPS text (PDF or plain text).")
    ap.add_argument("file", type=Path, help="the AVPS specification: PDF or plain text")
    ap.add_argument("--write", action="store_true", help="record matched labels as spec_label and set verified: true")
    ap.add_argument("--catalogue", type=Path, default=DEFAULT_AVPS, help="AVPS-layer YAML (default: requirements/avps-v2.0.yaml)")
    ap.add_argument("--virtio", type=Path, default=DEFAULT_VIRTIO, help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(list(argv) if argv is not None else None)
    try:
        cat = load_catalogue(args.catalogue, args.virtio)
        text = read_spec(args.file)
    except (CatalogueError, SpecInputError, OSError) as e:
        print(f"check-spec: {e}", file=sys.stderr)
        return 2
    sections = parse_spec_text(text)
    if not any(s.statements for s in sections):
        print(f"check-spec: no requirement statements (MUST/SHALL/SHOULD/MAY sentences under numbered or '#' "
              f"headings) found in {args.file}", file=sys.stderr)
        return 2
    result = match_spec(cat.avps, sections)
    if args.json:
        convention, counts = detect_convention(sections)
        print(json.dumps({**result.to_json(), "convention": convention, "conventions": counts,
                          "keywords": keyword_counts(sections)}, indent=2))
    else:
        print(_report(result, sections))
    if args.write:
        updated = write_labels(args.catalogue, result)
        print(f"wrote spec_label/verified for {len(updated)} entr(y/ies) in {args.catalogue}", file=sys.stderr)
        try:
            load_catalogue(args.catalogue, args.virtio)
        except CatalogueError as e:  # never leave a broken file without saying so
            print(f"check-spec: the written catalogue does not validate:\n{e}", file=sys.stderr)
            return 2
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
