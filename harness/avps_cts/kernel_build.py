"""Builds the suite's own arm64 guest kernel from Debian's linux-source-6.1 and caches it by (source version, config hash)."""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

from .cache import MissingToolError, cache_dir, require_program

REPO = Path(__file__).resolve().parents[2]
# Bump when the way the kernel is built changes (base config target, make goals, ...): a new cache entry.
RECIPE = "allnoconfig+fragments/Image/v1"
ARCH = "arm64"
CROSS_COMPILE = "aarch64-linux-gnu-"
# Host tools the kernel build runs, with the Debian package providing each (bootstrap.sh installs them).
BUILD_TOOLS = {"make": "make", "gcc": "gcc", "flex": "flex", "bison": "bison", "bc": "bc", "perl": "perl",
               f"{CROSS_COMPILE}gcc": "gcc-aarch64-linux-gnu", f"{CROSS_COMPILE}ld": "binutils-aarch64-linux-gnu"}
_OPTION = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.+)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")
_MISSING_TOOL = re.compile(r"(?:/bin/sh: \d+: |make.*: )?([\w.+-]+): (?:not found|No such file or directory)$")


class KernelBuildError(Exception):
    """The suite kernel could not be built: one line naming the option, the tool or the step."""


@dataclasses.dataclass(frozen=True)
class Fragment:
    """The merged kselftest-style config fragments: option -> (value, file that asked for it)."""

    options: dict[str, tuple[str, str]]

    def text(self) -> str:
        lines = []
        for name in sorted(self.options):
            value = self.options[name][0]
            lines.append(f"# {name} is not set" if value == "n" else f"{name}={value}")
        return "".join(line + "\n" for line in lines)

    def digest(self, compiler: str) -> str:
        return hashlib.sha256(f"{RECIPE}\n{compiler}\n{self.text()}".encode()).hexdigest()[:16]


def fragment_files(root: Path = REPO) -> list[Path]:
    """The platform fragment guest-tests/config, then each collection's guest-tests/<collection>/config."""
    files = [root / "guest-tests" / "config"] + sorted((root / "guest-tests").glob("*/config"))
    return [f for f in files if f.is_file()]


def parse_fragment(text: str, origin: str) -> dict[str, str]:
    """'CONFIG_X=y' / 'CONFIG_X="text"' / '# CONFIG_X is not set' lines; other comments and blanks ignored."""
    options: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        unset = _UNSET.match(line)
        if unset:
            options[unset.group(1)] = "n"
            continue
        if not line or line.startswith("#"):
            continue
        match = _OPTION.match(line)
        if not match:
            raise KernelBuildError(f"{origin}:{number}: not a kernel config line: '{line}'")
        options[match.group(1)] = match.group(2)
    return options


def merge_fragments(files: list[Path]) -> Fragment:
    """All fragments together; two files asking for different values of one option is an error."""
    if not files:
        raise KernelBuildError("no kernel config fragment found (guest-tests/config)")
    merged: dict[str, tuple[str, str]] = {}
    for path in files:
        origin = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
        for name, value in parse_fragment(path.read_text(), origin).items():
            if name in merged and merged[name][0] != value:
                raise KernelBuildError(f"{name}: {merged[name][1]} asks for {merged[name][0]}, {origin} for {value}")
            merged.setdefault(name, (value, origin))
    return Fragment(merged)


def parse_dotconfig(text: str) -> dict[str, str]:
    """A .config as option -> value ('n' for '# ... is not set')."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _OPTION.match(line) or _UNSET.match(line)
        if match:
            values[match.group(1)] = match.group(2) if match.re is _OPTION else "n"
    return values


def unmet_options(fragment: Fragment, dotconfig: dict[str, str]) -> list[str]:
    """Every fragment option whose value did not survive the config step, with the file that asked for it."""
    problems = []
    for name, (wanted, origin) in sorted(fragment.options.items()):
        got = dotconfig.get(name, "n")
        if got != wanted:
            shown = "unset" if got == "n" else f"={got}"
            problems.append(f"{name}={wanted} ({origin}) ended up {shown}")
    return problems


@dataclasses.dataclass(frozen=True)
class SuiteKernel:
    """One cache entry: the Image and the .config it was built from."""

    entry: Path
    source_version: str
    config_hash: str

    @property
    def image(self) -> Path:
        return self.entry / "Image"

    def info(self) -> dict:
        path = self.entry / "build-info.json"
        return json.loads(path.read_text()) if path.exists() else {}


def source_deb() -> Path:
    """Debian's linux-source-6.1 package, kept in the cache by bootstrap.sh."""
    debs = sorted((cache_dir() / "debs").glob("linux-source-6.1_*_all.deb"))
    if not debs:
        raise MissingToolError(f"linux-source-6.1 is not cached in {cache_dir() / 'debs'}: "
                               "run 'make bootstrap' (or harness/bootstrap.sh kernel-source)")
    return debs[-1]


def source_version(deb: Path) -> str:
    return deb.name.split("_")[1].replace("%3a", ":")


def compiler_version() -> str:
    gcc = require_program(f"{CROSS_COMPILE}gcc", "gcc-aarch64-linux-gnu")
    out = subprocess.run([gcc, "--version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0] if out else "unknown"


def kernel_root() -> Path:
    return cache_dir() / "guest-kernel"


def cached(fragment: Fragment | None = None) -> SuiteKernel | None:
    """The cache entry for the current fragments and source, when it exists (nothing is built)."""
    deb = source_deb()
    fragment = fragment or merge_fragments(fragment_files())
    version = source_version(deb)
    digest = fragment.digest(compiler_version())
    kernel = SuiteKernel(kernel_root() / f"{version}-{digest}", version, digest)
    return kernel if kernel.image.is_file() else None


@contextlib.contextmanager
def _lock(path: Path, say: Callable[[str], None]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another guest kernel build ({path})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _extract_source(deb: Path, version: str, say: Callable[[str], None]) -> Path:
    """The unpacked source tree, extracted once per source version (temporary folder, then rename)."""
    tree = kernel_root() / f"src-{version}"
    if (tree / "Makefile").is_file():
        return tree
    say(f"unpacking {deb.name} (about 1.4 GiB)")
    tmp = Path(tempfile.mkdtemp(prefix=f"src-{version}.tmp.", dir=kernel_root()))
    try:
        pipeline = (f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO ./usr/src/linux-source-6.1.tar.xz "
                    f"| tar -xJ -C '{tmp}'")
        done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True)
        if done.returncode != 0 or not (tmp / "linux-source-6.1" / "Makefile").is_file():
            raise KernelBuildError(f"cannot unpack {deb} into {kernel_root()}: "
                                   f"{(done.stderr.strip().splitlines() or ['no linux-source-6.1/Makefile'])[-1]}")
        shutil.rmtree(tree, ignore_errors=True)
        (tmp / "linux-source-6.1").rename(tree)
    except OSError as exc:
        raise KernelBuildError(f"cannot unpack {deb} into {kernel_root()}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tree


def _missing_tool(lines: list[str]) -> str | None:
    for line in lines:
        match = _MISSING_TOOL.search(line.strip())
        if match and not match.group(1).endswith((".c", ".h", ".o", ".S")):
            return match.group(1)
    return None


def _make(tree: Path, out: Path, goals: list[str], log: Path, say: Callable[[str], None],
          extra: list[str] | None = None, progress_s: float = 60.0) -> None:
    """Runs make in the source tree with O=out, appending to log; a progress line every progress_s."""
    jobs = str(os.cpu_count() or 1)
    cmd = ["make", f"O={out}", f"ARCH={ARCH}", f"CROSS_COMPILE={CROSS_COMPILE}", f"-j{jobs}", *(extra or []), *goals]
    start = last = time.monotonic()
    compiled = 0
    tail: list[str] = []
    with log.open("a") as sink:
        sink.write(f"$ {' '.join(cmd)}\n")
        sink.flush()
        proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            sink.write(line)
            tail = (tail + [line.rstrip()])[-40:]
            if line.lstrip().startswith(("CC ", "AS ", "LD ", "AR ")):
                compiled += 1
            now = time.monotonic()
            if now - last >= progress_s:
                last = now
                say(f"building the guest kernel: {compiled} steps done, {now - start:.0f} s so far (log: {log})")
        code = proc.wait()
    if code != 0:
        tool = _missing_tool(tail)
        if tool:
            raise KernelBuildError(f"kernel build ({' '.join(goals)}) failed: '{tool}' not found; install it "
                                   f"(harness/bootstrap.sh kernel-source installs the build tools); log: {log}")
        last_error = next((t for t in reversed(tail) if "error" in t.lower() or "Error" in t), tail[-1] if tail else "")
        raise KernelBuildError(f"kernel build ({' '.join(goals)}) failed (exit {code}): {last_error.strip()}; log: {log}")


def _check_tools() -> None:
    for program, package in BUILD_TOOLS.items():
        try:
            require_program(program, package)
        except MissingToolError as exc:
            raise KernelBuildError(f"cannot build the guest kernel: {exc}") from exc


def _free_gib(path: Path) -> float:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize / 2**30


def build(say: Callable[[str], None] | None = None, force: bool = False) -> SuiteKernel:
    """The suite kernel for the current fragments: from the cache, else built (several minutes) and cached."""
    say = say or (lambda text: print(f"avps-cts: {text}", file=sys.stderr, flush=True))
    fragment = merge_fragments(fragment_files())
    deb = source_deb()
    version = source_version(deb)
    compiler = compiler_version()
    digest = fragment.digest(compiler)
    kernel = SuiteKernel(kernel_root() / f"{version}-{digest}", version, digest)
    if kernel.image.is_file() and not force:
        return kernel
    kernel_root().mkdir(parents=True, exist_ok=True)
    with _lock(kernel_root() / ".build.lock", say):
        if kernel.image.is_file() and not force:  # built by the process we waited for
            return kernel
        _check_tools()
        if _free_gib(kernel_root()) < 3:
            raise KernelBuildError(f"cannot build the guest kernel: less than 3 GiB free in {kernel_root()} "
                                   "(source and objects take about 2 GiB)")
        started = time.monotonic()
        say(f"building the suite's guest kernel from {deb.name} (config {digest}); "
            "the first build takes about 15 minutes on 2 cores, later runs reuse it")
        tree = _extract_source(deb, version, say)
        # One object folder per source version, reused across config changes (an incremental build).
        out = kernel_root() / f"build-{version}"
        out.mkdir(exist_ok=True)
        log = kernel_root() / f"build-{version}.log"
        log.write_text(f"guest kernel build {version}-{digest}\n")
        allconfig = out / "avps-fragment.config"
        allconfig.write_text(fragment.text())
        _make(tree, out, ["allnoconfig"], log, say, extra=[f"KCONFIG_ALLCONFIG={allconfig}"])
        problems = unmet_options(fragment, parse_dotconfig((out / ".config").read_text()))
        if problems:
            raise KernelBuildError(f"{len(problems)} kernel option(s) did not survive the config step "
                                   f"(a dependency missing from the fragment?): {'; '.join(problems)}")
        _make(tree, out, ["Image"], log, say)
        built = out / "arch" / ARCH / "boot" / "Image"
        if not built.is_file():
            raise KernelBuildError(f"make Image succeeded but {built} is missing; log: {log}")
        release = (out / "include" / "config" / "kernel.release").read_text().strip()
        seconds = time.monotonic() - started
        _store(kernel, built, out / ".config", {
            "source": deb.name, "source_version": version, "config_hash": digest, "recipe": RECIPE,
            "compiler": compiler, "kernel_release": release, "build_seconds": round(seconds, 1),
            "image_bytes": built.stat().st_size,
            "fragments": [str(p.relative_to(REPO)) for p in fragment_files()]})
        say(f"guest kernel {release} built in {seconds / 60:.1f} min: {kernel.image} "
            f"({built.stat().st_size / 2**20:.1f} MiB)")
        return kernel


def _store(kernel: SuiteKernel, image: Path, dotconfig: Path, info: dict) -> None:
    """Writes the cache entry into a temporary folder and renames it into place: never half-written."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{kernel.entry.name}.tmp.", dir=kernel.entry.parent))
    try:
        shutil.copyfile(image, tmp / "Image")
        shutil.copyfile(dotconfig, tmp / "config")
        (tmp / "build-info.json").write_text(json.dumps(info, indent=1) + "\n")
        if kernel.entry.exists():
            shutil.rmtree(kernel.entry)
        tmp.rename(kernel.entry)
    except OSError as exc:
        raise KernelBuildError(f"cannot write the kernel cache entry {kernel.entry}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
