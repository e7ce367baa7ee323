"""Reads the test-case manifest (case ID, KTAP name, declaration site, checks line, requirement IDs) from the built binaries' ELF section."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

SECTION = ".avps_manifest"
FIELD_SEPARATOR = "\x1f"
RECORD_TAG = "avps-case"
AT_PREFIX = "at="
CHECKS_PREFIX = "checks="


class ManifestError(Exception):
    """A binary's manifest cannot be read or is malformed."""


@dataclasses.dataclass(frozen=True)
class ManifestCase:
    case_id: str  # stable dotted ID, e.g. virtio.blk.flush
    ktap_name: str  # the name the program prints, e.g. global.flush
    requirements: tuple[str, ...]
    program: str  # KTAP name of the program: "virtio.blk" (Linux) or the probe's name
    image: str = "linux"  # which boot image carries it: "linux" or the probe's name
    checks: str = ""  # the case contract: one line saying what the case checks
    declared_at: str = ""  # source file:line of the declaration


@dataclasses.dataclass
class Manifest:
    cases: list[ManifestCase] = dataclasses.field(default_factory=list)

    def programs(self) -> list[str]:
        seen: dict[str, None] = {}
        for case in self.cases:
            seen.setdefault(case.program, None)
        return list(seen)

    def linux_programs(self) -> list[str]:
        return [p for p in self.programs() if self.for_program(p)[0].image == "linux"]

    def probes(self) -> list[str]:
        return [p for p in self.programs() if self.for_program(p)[0].image != "linux"]

    def for_program(self, program: str) -> list[ManifestCase]:
        return [c for c in self.cases if c.program == program]

    def requirement_ids(self) -> set[str]:
        return {r for c in self.cases for r in c.requirements}


def parse_records(blob: bytes, program: str, source: str, image: str = "linux") -> list[ManifestCase]:
    """Splits a section's bytes into records; raises ManifestError on a malformed one."""
    cases = []
    for raw in blob.split(b"\0"):
        if not raw:
            continue  # padding between records
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestError(f"{source}: manifest record is not UTF-8: {raw[:40]!r}") from exc
        fields = text.split(FIELD_SEPARATOR)
        if len(fields) < 4 or fields[0] != RECORD_TAG or not fields[1] or not fields[2]:
            raise ManifestError(f"{source}: malformed manifest record {text!r}")
        declared_at, checks, requirements = "", "", []
        for field in fields[3:]:
            if field.startswith(AT_PREFIX):
                declared_at = field[len(AT_PREFIX):]
            elif field.startswith(CHECKS_PREFIX):
                if checks:
                    raise ManifestError(f"{declared_at or source}: case {fields[1]} declares two checks lines")
                checks = field[len(CHECKS_PREFIX):].strip()
            else:
                requirements.append(field)
        cases.append(ManifestCase(case_id=fields[1], ktap_name=fields[2],
                                  requirements=tuple(requirements), program=program, image=image,
                                  checks=checks, declared_at=declared_at))
    return cases


def contract_problems(manifest: Manifest) -> list[str]:
    """file:line problems with the case contract: a case must say what it checks and cite something."""
    problems = []
    for case in manifest.cases:
        where = case.declared_at or case.program
        if not case.checks:
            problems.append(f"{where}: case {case.case_id} has no AVPS_CHECKS(\"...\") line (what it checks)")
        if not case.requirements:
            problems.append(f"{where}: case {case.case_id} cites no requirement ID")
    return problems


def read_elf(path: Path, program: str, image: str = "linux") -> list[ManifestCase]:
    """The manifest records of one ELF file (empty when it has no manifest section)."""
    try:
        with path.open("rb") as f:
            elf = ELFFile(f)
            section = elf.get_section_by_name(SECTION)
            if section is None:
                return []
            return parse_records(section.data(), program, str(path), image)
    except (ELFError, OSError) as exc:
        raise ManifestError(f"{path}: cannot read ELF manifest: {exc}") from exc


def linux_program_name(kselftest_dir: Path, binary: Path) -> str:
    """virtio/blk -> virtio.blk: the name the guest runner prints for that program."""
    rel = binary.relative_to(kselftest_dir)
    return ".".join(rel.parts)


def load(build: Path) -> Manifest:
    """The manifest of everything built: Linux test programs and probe ELF images."""
    manifest = Manifest()
    ksft = build / "guest" / "kselftest"
    list_file = ksft / "kselftest-list.txt"
    if list_file.exists():
        for line in list_file.read_text().splitlines():
            if ":" not in line:
                continue
            collection, test = line.split(":", 1)
            binary = ksft / collection / test
            cases = read_elf(binary, linux_program_name(ksft, binary))
            # Keep the order the program runs its cases in (the linker reverses records).
            manifest.cases.extend(reversed(cases))
    # Bare-metal probes: arm64 Image probes in probes/, EFI application probes in probes-uefi/.
    for folder in ("probes", "probes-uefi"):
        for elf in sorted((build / folder).glob("*.elf")):
            manifest.cases.extend(read_elf(elf, elf.stem, image=elf.stem))
    seen: dict[str, ManifestCase] = {}
    for case in manifest.cases:
        if case.case_id in seen:
            raise ManifestError(f"case ID {case.case_id} declared twice ({seen[case.case_id].program}, {case.program})")
        seen[case.case_id] = case
    return manifest
