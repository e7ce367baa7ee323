"""KTAP / TAP-13 parser: console lines in, a tree of test results out. No I/O, tolerant of noise."""
from __future__ import annotations

import dataclasses
import re
from typing import Iterable

# A result line: "ok 1 name", "not ok 2 name # SKIP reason", with optional directive.
_RESULT = re.compile(r"^(?P<ok>ok|not ok) (?P<number>\d+)(?: (?P<name>[^#]*?))?\s*(?:#\s*(?P<directive>.*))?$")
_PLAN = re.compile(r"^1\.\.(?P<count>\d+)\s*(?:#.*)?$")
_HEADER = re.compile(r"^(?:K?TAP version \d+)\s*$")
# Prefixes that consoles put in front of guest lines (Xen's per-domain console, serial timestamps).
_CONSOLE_PREFIX = re.compile(r"^(?:\[\s*\d+\.\d+\]\s)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]")


@dataclasses.dataclass
class KtapTest:
    """One result line with the lines that belong to it (diagnostics, nested subtests)."""

    number: int
    name: str
    ok: bool
    directive: str = ""  # text after '#': "SKIP reason", "TIMEOUT ...", "ERROR ..."
    diagnostics: list[str] = dataclasses.field(default_factory=list)
    subtests: list["KtapTest"] = dataclasses.field(default_factory=list)
    subtest_plan: int | None = None
    line_number: int = 0
    first_line: int = 0  # first line that belongs to this result (its diagnostics or itself)

    @property
    def directive_word(self) -> str:
        return self.directive.split(" ", 1)[0].upper() if self.directive else ""

    @property
    def directive_reason(self) -> str:
        parts = self.directive.split(" ", 1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclasses.dataclass
class KtapDocument:
    """A parsed document: top-level plan and results, plus what went wrong while reading it."""

    plan: int | None = None
    tests: list[KtapTest] = dataclasses.field(default_factory=list)
    version_seen: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)
    garbage_lines: int = 0
    # Results of subtests whose parent result line never came (the log was cut),
    # outermost first: the last list belongs to the program that was running.
    unfinished: list[list[KtapTest]] = dataclasses.field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.plan is not None and len(self.tests) >= self.plan


@dataclasses.dataclass
class _Level:
    indent: int
    tests: list[KtapTest] = dataclasses.field(default_factory=list)
    plan: int | None = None
    pending_diag: list[str] = dataclasses.field(default_factory=list)
    pending_since: int = 0
    finished_child: "_Level | None" = None  # a closed subtest level waiting for its result line


def clean_line(raw: str) -> str:
    """Strips CR, ANSI escapes, control characters and console timestamp prefixes."""
    line = _ANSI.sub("", raw.rstrip("\r\n")).replace("\r", "")
    line = _CONTROL.sub("", line)
    return _CONSOLE_PREFIX.sub("", line)


def _looks_like_garbage(text: str) -> bool:
    """True for lines that are not text: binary noise, broken UTF-8, mostly control bytes."""
    text = _ANSI.sub("", text)
    if not text:
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\r")
    return printable / len(text) < 0.9 or "\ufffd" in text


def _is_ktap(stripped: str) -> bool:
    return bool(_HEADER.match(stripped) or _PLAN.match(stripped) or _RESULT.match(stripped)
                or stripped.startswith("#"))


def parse(lines: Iterable[str]) -> KtapDocument:
    """Parses the first KTAP document found in lines (anything before its header is ignored).

    Nesting follows indentation, as KTAP and kselftest print it: a subtest's lines are
    indented deeper and come before the parent's result line, which adopts them.
    Diagnostic lines ("# ...") attach to the next result at the same level. Other
    lines are kernel or firmware noise and are ignored; lines that are not text are
    counted as garbage and skipped.
    """
    doc = KtapDocument()
    stack: list[_Level] = []
    for number, raw in enumerate(lines, start=1):
        if _looks_like_garbage(raw.rstrip("\r\n")):
            doc.garbage_lines += 1
            continue
        line = clean_line(raw)
        stripped = line.lstrip(" ").rstrip()
        indent = len(line) - len(line.lstrip(" "))
        if not doc.version_seen:
            if _HEADER.match(stripped):
                doc.version_seen = True
                stack = [_Level(indent=indent, tests=doc.tests)]
            continue
        if not stripped or not _is_ktap(stripped):
            continue  # noise between KTAP lines is allowed
        if indent < stack[0].indent:
            indent = stack[0].indent
        while len(stack) > 1 and indent < stack[-1].indent:
            closed = stack.pop()
            stack[-1].finished_child = closed
        if indent > stack[-1].indent:
            stack.append(_Level(indent=indent))
        level = stack[-1]
        if _HEADER.match(stripped):
            continue
        plan = _PLAN.match(stripped)
        if plan:
            level.plan = int(plan.group("count"))
            if len(stack) == 1:
                doc.plan = level.plan
            continue
        result = _RESULT.match(stripped)
        if result:
            test = KtapTest(
                number=int(result.group("number")),
                name=(result.group("name") or "").strip(),
                ok=result.group("ok") == "ok",
                directive=(result.group("directive") or "").strip(),
                diagnostics=level.pending_diag,
                line_number=number,
                first_line=level.pending_since or number,
            )
            level.pending_diag = []
            level.pending_since = 0
            if level.finished_child is not None:
                test.subtests = level.finished_child.tests
                test.subtest_plan = level.finished_child.plan
                test.diagnostics = level.finished_child.pending_diag + test.diagnostics
                level.finished_child = None
            level.tests.append(test)
            continue
        if not level.pending_diag:
            level.pending_since = number
        level.pending_diag.append(stripped.lstrip("#").strip())
    # Levels still open at the end: a subtest whose parent never reported (cut log).
    doc.unfinished = []
    while len(stack) > 1:
        closed = stack.pop()
        doc.unfinished.insert(0, closed.tests)
        if stack[-1].finished_child is not None:
            doc.unfinished.insert(0, stack[-1].finished_child.tests)
    if stack and stack[0].finished_child is not None:
        doc.unfinished.append(stack[0].finished_child.tests)
    if not doc.version_seen:
        doc.problems.append("no KTAP header ('KTAP version 1' or 'TAP version 13') in the console output")
    elif doc.plan is None:
        doc.problems.append("the KTAP document has no plan line")
    elif len(doc.tests) < doc.plan:
        doc.problems.append(f"the KTAP document stopped after {len(doc.tests)} of {doc.plan} planned results")
    if doc.garbage_lines:
        doc.problems.append(f"{doc.garbage_lines} console line(s) were not text (garbage) and were skipped")
    return doc
