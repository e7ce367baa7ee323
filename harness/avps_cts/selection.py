"""Which cases a run covers: image choice (--only, --no-probes, --probes-only) and rules (--requirement, --case, --skip)."""
from __future__ import annotations

import dataclasses
import fnmatch
from typing import Iterable

from .manifest import Manifest, ManifestCase


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
