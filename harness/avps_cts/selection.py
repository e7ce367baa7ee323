"""Which cases a run covers: image choice (--only, --no-probes, --probes-only) and rules (--requirement, --case, --skip)."""
from __future__ import annotations

import dataclasses
import fnmatch
from typing import Iterable

from .manifest import Manifest, ManifestCase
from .results import CaseResult, Status

# The reason a probe case or a Linux case its avps.cases filter left out is reported with
# (guest-tests/probe-runtime/case_filter.h, guest-tests/lib/case_selection.h): selected out, never a result.
PROBE_NOT_SELECTED = "not selected (avps.cases)"
# Longest filter the harness puts on a command line (refhv's bootargs hold 1023 characters, Linux's
# 2047 with the avps.* facts): a longer one is left off, the image runs everything and the harness
# drops what was not selected.
MAX_FILTER_CHARS = 700
LINUX_FILTER_CHARS = 400


class SelectionError(Exception):
    """Contradictory or unknown selection options: one clear line, exit 2."""


@dataclasses.dataclass
class Selection:
    """Cases selected out of a run are absent from its results; the rest are run (or not-run)."""

    only: str | None = None  # image name prefix ('linux' or a probe)
    no_probes: bool = False
    probes_only: bool = False
    requirements: list[str] = dataclasses.field(default_factory=list)
    case_globs: list[str] = dataclasses.field(default_factory=list)
    skip_globs: list[str] = dataclasses.field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.only or self.no_probes or self.probes_only or self.requirements
                    or self.case_globs or self.skip_globs)

    def image_wanted(self, image: str) -> bool:
        if self.no_probes and image != "linux":
            return False
        if self.probes_only and image == "linux":
            return False
        return not self.only or image.startswith(self.only)

    def wants(self, case: ManifestCase) -> bool:
        if not self.image_wanted(case.image):
            return False
        if self.requirements and not set(self.requirements) & set(case.requirements):
            return False
        if self.case_globs and not any(fnmatch.fnmatchcase(case.case_id, g) for g in self.case_globs):
            return False
        return not any(fnmatch.fnmatchcase(case.case_id, g) for g in self.skip_globs)

    def describe(self) -> str:
        parts = []
        if self.only:
            parts.append(f"--only {self.only}")
        if self.no_probes:
            parts.append("--no-probes")
        if self.probes_only:
            parts.append("--probes-only")
        parts += [f"--requirement {r}" for r in self.requirements]
        parts += [f"--case {g}" for g in self.case_globs]
        parts += [f"--skip {g}" for g in self.skip_globs]
        return " ".join(parts)

    def selected(self, manifest: Manifest) -> list[ManifestCase]:
        return [c for c in manifest.cases if self.wants(c)]

    def skipped(self, case_id: str) -> bool:
        """Named by --skip: never run, not even as the set-up of a later selected probe case."""
        return any(fnmatch.fnmatchcase(case_id, g) for g in self.skip_globs)

    def boot_params(self, manifest: Manifest, image: str) -> dict[str, str]:
        """What one boot of image is told to run: avps.only=<programs> for the Linux runner,
        avps.cases=<entries> for a probe; empty when it runs everything it carries."""
        wanted = {c.case_id for c in self.selected(manifest)}
        if image == "linux":
            return linux_filter(manifest, wanted)
        excluded = {c.case_id for c in manifest.for_program(image) if self.skipped(c.case_id)}
        return probe_filter(manifest, image, wanted, excluded)

    def images(self, manifest: Manifest) -> list[str]:
        """Names of the boot images that carry a selected case, in manifest order."""
        seen: dict[str, None] = {}
        for case in self.selected(manifest):
            seen.setdefault(case.image, None)
        return list(seen)


def from_options(manifest: Manifest, known_requirements: Iterable[str], *, only: str | None = None,
                 no_probes: bool = False, probes_only: bool = False, requirements: list[str] | None = None,
                 cases: list[str] | None = None, skip: list[str] | None = None) -> Selection:
    """A validated selection: contradictions, unknown IDs and globs that match nothing are errors."""
    if no_probes and probes_only:
        raise SelectionError("--no-probes and --probes-only contradict each other: nothing would run")
    sel = Selection(only=only, no_probes=no_probes, probes_only=probes_only, requirements=list(requirements or []),
                    case_globs=list(cases or []), skip_globs=list(skip or []))
    images = {c.image for c in manifest.cases}
    if only and not any(i.startswith(only) for i in images):
        raise SelectionError(f"--only {only}: no boot image starts with that (images: {', '.join(sorted(images))})")
    known = set(known_requirements)
    for req in sel.requirements:
        if req not in known:
            raise SelectionError(f"--requirement {req}: not a requirement ID of the catalogue")
        if not any(req in c.requirements for c in manifest.cases):
            raise SelectionError(f"--requirement {req}: no built case verifies it (it is not covered by the suite)")
    for glob in sel.case_globs + sel.skip_globs:
        if not any(fnmatch.fnmatchcase(c.case_id, glob) for c in manifest.cases):
            option = "--case" if glob in sel.case_globs else "--skip"
            raise SelectionError(f"{option} {glob}: matches no case of the build (see 'avps-cts manifest')")
    if not sel.selected(manifest):
        raise SelectionError(f"the selection '{sel.describe()}' leaves no case to run")
    return sel


def compress(ids: list[str], chosen: set[str]) -> list[str]:
    """The chosen IDs as filter entries, in ID order: 'a.b.*' stands for the IDs under the dotted
    prefix 'a.b.' when there are several and all of them are chosen (case_filter.h and
    case_selection.h read it so)."""
    entries: list[str] = []

    def walk(prefix: str, members: list[str]) -> None:
        groups: dict[str, None] = {}
        for case_id in members:
            groups.setdefault(case_id[len(prefix):].split(".", 1)[0], None)
        for head in groups:
            name = prefix + head
            if name in members and name in chosen:
                entries.append(name)
            under = [i for i in members if i.startswith(name + ".")]
            if len(under) > 1 and all(i in chosen for i in under):
                entries.append(name + ".*")
            elif any(i in chosen for i in under):
                walk(name + ".", under)
    walk("", ids)
    return entries


def filter_selects(text: str, case_id: str) -> bool:
    """What a boot filter ('a,b.*,-c') selects, read as the guest reads it: listed exactly or under a
    listed prefix ending in '*', and not under an entry starting with '-' (a case the run skips: a
    probe never runs it, not even as the set-up of a later case); no positive entry selects all."""
    def matches(entry: str) -> bool:
        return case_id.startswith(entry[:-1]) if entry.endswith("*") else case_id == entry
    entries = [e for e in text.split(",") if e]
    positive = [e for e in entries if not e.startswith("-")]
    if any(matches(e[1:]) for e in entries if e.startswith("-")):
        return False
    return not positive or any(matches(e) for e in positive)


def linux_filter(manifest: Manifest, wanted: set[str]) -> dict[str, str]:
    """avps.only=<programs> for the runner, plus avps.cases=<ids> (guest-tests/lib/case_selection.h)
    where a program runs only some of its cases; a whole program is 'program.*'. The Linux command
    line is short (2047 characters, refhv's 1023, most of it avps.* facts): a filter that does not
    fit in LINUX_FILTER_CHARS is left at the program list, or off."""
    programs = manifest.linux_programs()
    chosen = [p for p in programs if any(c.case_id in wanted for c in manifest.for_program(p))]
    params = boot_filter("only", programs, chosen)
    ids = [c.case_id for p in chosen for c in manifest.for_program(p)]
    picked = {i for i in ids if i in wanted}
    if len(picked) < len(ids):  # some program runs only some of its cases
        # The shorter of 'these cases' and 'all but these' ('-<id>', case_selection.h).
        named = ",".join(compress(ids, picked))
        left_out = ",".join("-" + e for e in compress(ids, set(ids) - picked))
        params["cases"] = named if len(named) <= len(left_out) else left_out

    def length() -> int:
        return sum(len(f" avps.{k}={v}") for k, v in params.items())
    if length() > LINUX_FILTER_CHARS:
        params.pop("cases", None)
    return params if length() <= LINUX_FILTER_CHARS else {}


def probe_filter(manifest: Manifest, probe: str, wanted: set[str], excluded: set[str] | None = None) -> dict[str, str]:
    """avps.cases=<entries> for a probe (guest-tests/probe-runtime/case_filter.h): the wanted cases
    (prefixes where a whole group is wanted), then '-<id>' for each skipped case, which the probe then
    never runs, not even as the set-up of a later case. A skip list too long for the command line is
    an error (the probe would run what the run skips); a too long wanted list is left off (the probe
    runs every case it does not skip, the harness drops the rest)."""
    ids = [c.case_id for c in manifest.for_program(probe)]
    skipped = [i for i in ids if i in (excluded or set())]
    chosen = [i for i in ids if i in wanted and i not in skipped]
    if not chosen:
        return {}
    negative = ["-" + e for e in compress(ids, set(skipped))]
    positive = [] if len(chosen) + len(skipped) == len(ids) else compress(ids, set(chosen))
    if len(",".join(negative)) > MAX_FILTER_CHARS:
        raise SelectionError(f"probe {probe}: the cases skipped ({len(skipped)}) do not fit on its command line "
                             f"({len(','.join(negative))} > {MAX_FILTER_CHARS} characters): skip by fewer globs")
    if len(",".join(positive + negative)) > MAX_FILTER_CHARS:
        positive = []
    text = ",".join(positive + negative)
    return {"cases": text} if text else {}


def boot_filter(key: str, everything: list[str], chosen: list[str]) -> dict[str, str]:
    """{key: 'a,b,...'} naming the chosen entries, or {} when they are all of them (or the list is
    too long for a command line: then the boot runs everything and the harness drops the rest)."""
    if not chosen or len(chosen) == len(everything):
        return {}
    text = ",".join(chosen)
    return {key: text} if len(text) <= MAX_FILTER_CHARS else {}


def mark_selected_out(cases: list[CaseResult]) -> None:
    """A case its avps.cases filter left out reports 'SKIP not selected': no result, so it is
    not-run (a run drops it with the rest of what it selected out; a wanted case stays not-run)."""
    for case in cases:
        if case.status is Status.SKIP and case.detail == PROBE_NOT_SELECTED:
            case.status = Status.NOT_RUN
            case.detail = "not run: this boot's avps.cases filter left it out"
