"""Orchestrates one run: build the boot images, boot each on the target, parse, collect, keep everything seen."""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from . import host_checks, ktap
from .boot_pool import run_pool, workers_for
from .host import disk_content as host_disk_content
from .host import watchdog_reset as host_watchdog_reset
from .collect import collect_flat, collect_nested
from .initramfs import build_initramfs
from .kernel import GuestKernel
from .manifest import Manifest
from .results import CaseResult, RunResult, Status
from .selection import mark_selected_out
from .targets.base import BootImage, BootOutput, stop_all_boots


def timestamp() -> str:
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def report_folder(reports: Path, label: str) -> Path:
    """A new folder per run; two runs started in the same second get different ones."""
    reports.mkdir(parents=True, exist_ok=True)
    stamp = timestamp()
    n = 1
    while True:
        folder = reports / (f"{label}-{stamp}" if n == 1 else f"{label}-{stamp}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_scratch(build: Path, label: str) -> Path:
    """This run's own working folder (disks, sockets, shared directories): build/run/<label>.<pid>.

    Two runs in one checkout never share one. Folders of runs that ended are removed here, so
    the last run's folder stays for inspection and they do not pile up."""
    base = build / "run"
    base.mkdir(parents=True, exist_ok=True)
    for old in base.glob(f"{label}.*"):
        match = re.fullmatch(re.escape(label) + r"\.(\d+)", old.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            shutil.rmtree(old, ignore_errors=True)
    legacy = base / label  # the shared folder of earlier versions
    if legacy.is_dir() and not any(base.glob(f"{label}.*")):
        shutil.rmtree(legacy, ignore_errors=True)
    folder = base / f"{label}.{os.getpid()}"
    folder.mkdir(exist_ok=True)
    return folder


def _tree_fingerprint(digest: "hashlib._Hash", root: Path) -> None:
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}\n".encode())


def initramfs_key(kernel: GuestKernel, ksft: Path) -> str:
    """What the initramfs is made of: the builder's code, the kernel and its modules, busybox and
    the test collection (names, sizes, times). Same key, same image."""
    from . import cpio_newc, initramfs
    from .cache import arm64_package_dir

    digest = hashlib.sha256()
    for module in (initramfs, cpio_newc):
        digest.update(Path(module.__file__).read_bytes())
    for path in (kernel.image, arm64_package_dir("busybox") / "bin" / "busybox"):
        st = path.stat()
        digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    digest.update(f"{kernel.version}\0{kernel.modules_dir}\n".encode())
    if kernel.modules_dir is not None and kernel.modules_dir.exists():
        digest.update(str(kernel.modules_dir.stat().st_mtime_ns).encode())
    _tree_fingerprint(digest, ksft)
    return digest.hexdigest()


def linux_image(build: Path, kernel: GuestKernel) -> BootImage:
    """The Linux boot image; the initramfs is rebuilt only when one of its inputs changed, and
    replaced atomically, so a run booting the previous one is never handed a half-written file."""
    ksft = build / "guest" / "kselftest"
    out = build / "images" / "initramfs.cpio.gz"
    key_file = out.with_name(out.name + ".key")
    key = initramfs_key(kernel, ksft) if (ksft / "kselftest-list.txt").exists() else ""
    if not (key and out.exists() and key_file.exists() and key_file.read_text().strip() == key):
        tmp = out.with_name(f".{out.name}.{os.getpid()}")
        try:
            build_initramfs(kernel, ksft, tmp)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        key_tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}")
        key_tmp.write_text(key + "\n")
        os.replace(key_tmp, key_file)
    return BootImage(kind="linux", kernel=kernel.image, initrd=out, name="linux")


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
    mark_selected_out(cases)
    observed = out.host_evidence.get("shutdown_reason")
    host_checks.apply(cases, out.lines, observed if isinstance(observed, str) else None, problems, image.name)
    watchdog_boots = out.host_evidence.get("watchdog_boots")
    host_watchdog_reset.apply(cases, out.lines, watchdog_boots if isinstance(watchdog_boots, list) else None, problems)
    disk_content = out.host_evidence.get("disk_content")
    host_disk_content.apply(cases, out.lines, disk_content if isinstance(disk_content, dict) else None, problems)
    if isinstance(observed, str) and any("host-check:" in ktap.clean_line(line) for line in out.lines):
        # The host saw the event the probe announced (whatever it was): the call itself ended
        # the document, so a 'document stopped' problem says nothing more (pass or fail).
        problems = [p for p in problems if "KTAP document stopped" not in p]
    problems = [f"{image.name}: {p}" for p in problems] + _boot_problems(image.name, out)
    if out.exit_code not in (0, None) and not out.timed_out:
        said = f": {' / '.join(out.exit_errors)}" if out.exit_errors else ""
        exited = f"{image.name}: the target exited with status {out.exit_code}{said}"
        # What the target said about why it stopped comes first: a start failure leaves no KTAP at all.
        problems[:0 if out.exit_errors else len(problems)] = [exited]
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


_RESULT_LINE = re.compile(rb"^\s*(?:not )?ok \d+ ")


class Progress:
    """One live line on a terminal while a run boots: images started of all, the images booting now,
    case results seen so far in their logs, elapsed time.

    It reads the console logs the target appends to, so it needs nothing from the target."""

    def __init__(self, stream: TextIO, total_images: int) -> None:
        self.stream = stream
        self.total = total_images
        self.start = time.monotonic()
        self.index = 0
        self.booting: dict[str, Path] = {}  # image name -> its console log, in start order
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @classmethod
    def for_terminal(cls, total_images: int, stream: TextIO | None = None) -> "Progress | None":
        stream = stream or sys.stderr
        return cls(stream, total_images) if stream.isatty() else None

    def begin(self, index: int, image: str, log: Path) -> None:
        with self._lock:
            self.index = max(self.index, index)
            self.booting[image] = log
        if not self._thread.is_alive():
            self._thread.start()

    def finish(self, image: str) -> None:
        """The image's boot ended: the line stops showing it (its log stays counted until then)."""
        with self._lock:
            self.booting.pop(image, None)

    @staticmethod
    def _cases_in_log(log: Path) -> int:
        try:
            data = log.read_bytes()
        except OSError:
            return 0
        return sum(1 for line in data.splitlines() if _RESULT_LINE.match(line))

    def line(self) -> str:
        with self._lock:
            booting = dict(self.booting)
            index = self.index
        results = sum(self._cases_in_log(log) for log in booting.values())
        return (f"avps-cts: [{index}/{self.total}] {' + '.join(booting) or 'between boots'}: {results} results, "
                f"{time.monotonic() - self.start:.0f} s elapsed")

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.stream.write("\r\033[K" + self.line())
            self.stream.flush()

    def end(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.stream.write("\r\033[K")
        self.stream.flush()


@dataclasses.dataclass
class _Booted:
    """What one image's boot adds to the run."""

    cases: list[CaseResult]
    problems: list[str]
    boot: dict[str, object] | None = None  # the platform's boots entry; None when it did not boot
    out: BootOutput | None = None
    image: BootImage | None = None


def _boot_image(target, image: BootImage, log: Path, manifest: Manifest) -> _Booted:
    unbootable = getattr(target, "cannot_boot", lambda _image: None)(image)
    if unbootable:
        # The boot path cannot load this kind of image at all (an EFI application
        # without firmware, an Image-header probe under EDK2): its cases do not apply.
        log.write_text(f"avps-cts: {image.name} not booted: {unbootable}\n")
        skipped = not_run(manifest, image, f"not bootable on this boot path: {unbootable}")
        for case in skipped:
            case.status = Status.SKIP
        return _Booted(skipped, [])
    try:
        out = target.boot(image, log)
    except OSError as exc:
        return _Booted(not_run(manifest, image, f"target did not start: {exc}"),
                       [f"{image.name}: cannot start the target: {exc}"])
    cases, problems = results_from_boot(image, out, manifest)
    boot = {"image": image.name, "seconds": out.duration_s, "exit_code": out.exit_code,
            "command": " ".join(out.command), "host_evidence": out.host_evidence}
    return _Booted(cases, problems, boot, out, image)


def run_images(target, images: list[BootImage], manifest: Manifest, folder: Path,
               run: RunResult, on_boot=None, progress: Progress | None = None, jobs: int = 1) -> RunResult:
    """Boots each image, up to jobs at once (a target with worker(n) gives each job its own
    target and host services; others boot one at a time). Results land in run in image order
    whatever order the boots end in; an interruption keeps every boot that finished."""
    start = time.monotonic()
    workers = workers_for(target, jobs)
    if len(workers) > 1:
        run.platform["parallel_boots"] = len(workers)

    def work(worker, index: int, image: BootImage) -> _Booted:
        return _boot_image(worker, image, folder / f"console-{image.name}.log", manifest)

    def started(index: int, image: BootImage) -> None:
        if progress:
            progress.begin(index + 1, image.name, folder / f"console-{image.name}.log")

    def ended(index: int, image: BootImage) -> None:
        if progress:
            progress.finish(image.name)

    try:
        booted = run_pool(workers, images, work, started, ended, cancel=stop_all_boots)
    except KeyboardInterrupt as interrupt:
        booted = interrupt.args[0] if interrupt.args and isinstance(interrupt.args[0], dict) else {}
        run.problems.append("interrupted by the user: results so far are kept, the rest is not-run")
        for index, image in enumerate(images):
            if index not in booted:
                booted[index] = _Booted(not_run(manifest, image, "run interrupted"), [])
    finally:
        if progress:
            progress.end()
    for index in sorted(booted):
        result = booted[index]
        run.cases.extend(result.cases)
        run.problems.extend(result.problems)
        if result.boot is not None:
            run.platform.setdefault("boots", []).append(result.boot)
        if on_boot and result.out is not None and result.image is not None:
            on_boot(result.image, result.out)
    attach_checks(run.cases, manifest)
    run.duration_s = round(time.monotonic() - start, 2)
    run.console_log = ", ".join(sorted(p.name for p in folder.glob("console-*.log")))
    return run


def copy_console(source: Path, folder: Path) -> Path:
    dest = folder / "console-input.log"
    shutil.copyfile(source, dest)
    return dest
