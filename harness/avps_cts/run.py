"""Orchestrates one run: build the boot images, boot each on the target, parse, collect, keep everything seen."""
from __future__ import annotations

import datetime
import shutil
import time
from pathlib import Path

from . import host_checks, host_disk_content, ktap
from .collect import collect_flat, collect_nested
from .initramfs import build_initramfs
from .kernel import GuestKernel
from .manifest import Manifest
from .results import CaseResult, RunResult, Status
from .targets.base import BootImage, BootOutput


def timestamp() -> str:
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def report_folder(reports: Path, label: str) -> Path:
    folder = reports / f"{label}-{timestamp()}"
    n = 1
    while folder.exists():
        n += 1
        folder = reports / f"{label}-{timestamp()}-{n}"
    folder.mkdir(parents=True)
    return folder


def linux_image(build: Path, kernel: GuestKernel) -> BootImage:
    ksft = build / "guest" / "kselftest"
    info = build_initramfs(kernel, ksft, build / "images" / "initramfs.cpio.gz")
    return BootImage(kind="linux", kernel=kernel.image, initrd=info.path, name="linux")


def probe_images(build: Path, manifest: Manifest) -> list[BootImage]:
    """Every probe: an arm64 Image (probes/<name>.img) or an EFI application (probes-uefi/<name>.efi)."""
    images = []
    for probe in manifest.probes():
        for image in (build / "probes" / f"{probe}.img", build / "probes-uefi" / f"{probe}.efi"):
            if image.exists():
                images.append(BootImage(kind="probe", kernel=image, name=probe))
                break
    return images


def _boot_problems(name: str, out: BootOutput) -> list[str]:
    return [f"{name}: {p}" for p in out.problems]


def results_from_boot(image: BootImage, out: BootOutput, manifest: Manifest) -> tuple[list[CaseResult], list[str]]:
    doc = ktap.parse(out.lines)
    if image.kind == "linux":
        cases, problems = collect_nested(doc, manifest, manifest.linux_programs(), out.times)
    else:
        cases, problems = collect_flat(doc, manifest, image.name, out.times)
    observed = out.host_evidence.get("shutdown_reason")
    host_checks.apply(cases, out.lines, observed if isinstance(observed, str) else None, problems, image.name)
    disk_content = out.host_evidence.get("disk_content")
    host_disk_content.apply(cases, out.lines, disk_content if isinstance(disk_content, dict) else None, problems)
    problems = [f"{image.name}: {p}" for p in problems] + _boot_problems(image.name, out)
    if out.exit_code not in (0, None) and not out.timed_out:
        problems.append(f"{image.name}: the target exited with status {out.exit_code}")
    return cases, problems


def not_run(manifest: Manifest, image: BootImage, why: str) -> list[CaseResult]:
    programs = manifest.linux_programs() if image.kind == "linux" else [image.name]
    return [CaseResult(case_id=c.case_id, status=Status.NOT_RUN, requirements=list(c.requirements),
                       detail=why, program=c.program)
            for p in programs for c in manifest.for_program(p)]


def attach_checks(cases: list[CaseResult], manifest: Manifest) -> None:
    """Gives each result the checks line its declaration carries, for the reports."""
    checks = {c.case_id: c.checks for c in manifest.cases}
    for case in cases:
        case.checks = case.checks or checks.get(case.case_id, "")


def run_images(target, images: list[BootImage], manifest: Manifest, folder: Path,
               run: RunResult, on_boot=None) -> RunResult:
    """Boots each image in turn; results land in run as they come, so an interruption loses nothing."""
    start = time.monotonic()
    try:
        for image in images:
            log = folder / f"console-{image.name}.log"
            unbootable = getattr(target, "cannot_boot", lambda _image: None)(image)
            if unbootable:
                # The boot path cannot load this kind of image at all (an EFI application
                # without firmware, an Image-header probe under EDK2): its cases do not apply.
                log.write_text(f"avps-cts: {image.name} not booted: {unbootable}\n")
                for case in not_run(manifest, image, f"not bootable on this boot path: {unbootable}"):
                    case.status = Status.SKIP
                    run.cases.append(case)
                continue
            try:
                out = target.boot(image, log)
            except OSError as exc:
                run.problems.append(f"{image.name}: cannot start the target: {exc}")
                run.cases.extend(not_run(manifest, image, f"target did not start: {exc}"))
                continue
            cases, problems = results_from_boot(image, out, manifest)
            run.cases.extend(cases)
            run.problems.extend(problems)
            run.platform.setdefault("boots", []).append(
                {"image": image.name, "seconds": out.duration_s, "exit_code": out.exit_code,
                 "command": " ".join(out.command), "host_evidence": out.host_evidence})
            if on_boot:
                on_boot(image, out)
    except KeyboardInterrupt:
        run.problems.append("interrupted by the user: results so far are kept, the rest is not-run")
        done = {c.program for c in run.cases}
        for image in images:
            run.cases.extend(c for c in not_run(manifest, image, "run interrupted") if c.program not in done)
    attach_checks(run.cases, manifest)
    run.duration_s = round(time.monotonic() - start, 2)
    run.console_log = ", ".join(sorted(p.name for p in folder.glob("console-*.log")))
    return run


def copy_console(source: Path, folder: Path) -> Path:
    dest = folder / "console-input.log"
    shutil.copyfile(source, dest)
    return dest
