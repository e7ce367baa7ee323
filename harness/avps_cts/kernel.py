"""The guest kernel: the suite's own build by default, Debian's arm64 package or a user's Image, and the modules a kernel needs."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .cache import MissingToolError, arm64_package_dir


@dataclasses.dataclass(frozen=True)
class GuestKernel:
    image: Path
    modules_root: Path | None  # the directory holding lib/modules/<version>
    version: str

    @property
    def modules_dir(self) -> Path | None:
        return self.modules_root / "lib" / "modules" / self.version if self.modules_root else None


def debian_kernel() -> GuestKernel:
    root = arm64_package_dir("kernel")
    version = (root / "VERSION").read_text().strip()
    image = root / "boot" / f"vmlinuz-{version}"
    if not image.exists():
        raise MissingToolError(f"kernel image {image} missing from the cache: run 'make bootstrap'")
    return GuestKernel(image=image, modules_root=root, version=version)


def suite_kernel() -> GuestKernel:
    """The suite's own kernel (every driver built in, no modules): cached, built on first use."""
    from . import kernel_build
    try:
        built = kernel_build.build()
    except kernel_build.KernelBuildError as exc:
        raise MissingToolError(str(exc)) from exc
    release = built.info().get("kernel_release", f"{built.source_version}-avps")
    return GuestKernel(image=built.image, modules_root=None, version=release)


# --kernel words (anything else is the path of an Image) and a profile's 'guest_kernel' option.
KERNEL_CHOICES = {"suite": suite_kernel, "debian": debian_kernel}


def select_kernel(choice: str | None, modules: str | None = None) -> GuestKernel:
    """'suite' (default), 'debian', or the path of the user's own Image (with --modules ROOT)."""
    if not choice or choice in KERNEL_CHOICES:
        if modules:
            raise MissingToolError("--modules goes with --kernel PATH (your own Image), not a named kernel")
        return KERNEL_CHOICES[choice or "suite"]()
    return user_kernel(Path(choice), Path(modules) if modules else None)


def user_kernel(image: Path, modules_root: Path | None) -> GuestKernel:
    if not image.exists():
        raise MissingToolError(f"--kernel {image}: no such file")
    version = ""
    if modules_root is not None:
        versions = sorted(p.name for p in (modules_root / "lib" / "modules").glob("*") if p.is_dir())
        if len(versions) != 1:
            raise MissingToolError(f"--modules {modules_root}: expected exactly one lib/modules/<version>, "
                                   f"found {versions or 'none'}")
        version = versions[0]
    return GuestKernel(image=image, modules_root=modules_root, version=version)


def _module_name(path: str) -> str:
    name = Path(path).name
    for suffix in (".ko.xz", ".ko.zst", ".ko.gz", ".ko"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("-", "_")


def parse_modules_dep(text: str) -> dict[str, list[str]]:
    """modules.dep lines 'path: dep dep' -> {path: [deps]} (paths relative to the version directory)."""
    deps: dict[str, list[str]] = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        module, rest = line.split(":", 1)
        deps[module.strip()] = rest.split()
    return deps


def resolve_load_order(deps: dict[str, list[str]], wanted: list[str]) -> tuple[list[str], list[str]]:
    """Module paths to load, each after its dependencies; plus wanted names not found (built in or absent)."""
    by_name = {_module_name(path): path for path in deps}
    order: list[str] = []
    missing: list[str] = []
    visiting: set[str] = set()

    def visit(path: str) -> None:
        if path in order or path in visiting:
            return
        visiting.add(path)
        for dep in deps.get(path, []):
            visit(dep)
        visiting.discard(path)
        order.append(path)

    for name in wanted:
        path = by_name.get(name.replace("-", "_"))
        if path is None:
            missing.append(name)
        else:
            visit(path)
    return order, missing


def modules_for(kernel: GuestKernel, wanted: list[str]) -> tuple[list[str], list[str]]:
    """Resolve wanted module names against the kernel's modules.dep; built-in ones are reported missing."""
    if kernel.modules_dir is None:
        return [], list(wanted)
    dep_file = kernel.modules_dir / "modules.dep"
    if not dep_file.exists():
        raise MissingToolError(f"{dep_file} missing: run depmod -b {kernel.modules_root} {kernel.version}")
    return resolve_load_order(parse_modules_dep(dep_file.read_text()), wanted)
