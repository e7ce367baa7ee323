"""avps-cts kernel: build the suite's guest kernel (make kernel), show its cache entry, print the merged config fragment."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from .. import kernel_build


def cmd_kernel(args: argparse.Namespace) -> int:
    if args.action == "fragment":
        sys.stdout.write(kernel_build.merge_fragments(kernel_build.fragment_files()).text())
        return 0
    if args.action == "info":
        entry = kernel_build.cached()
        if entry is None:
            print("the suite's guest kernel for the current config fragments is not built yet: make kernel")
            return 1
    else:
        try:
            entry = kernel_build.build(force=args.force)
        except kernel_build.KernelBuildError as exc:
            print(f"avps-cts: {exc}", file=sys.stderr)
            return 2
    info = entry.info()
    print(f"guest kernel {info.get('kernel_release', '?')}: {entry.image} ({entry.image.stat().st_size / 2**20:.1f} MiB), "
          f"source {entry.source_version}, config {entry.config_hash}, built in {info.get('build_seconds', '?')} s")
    return 0


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("kernel", help="the suite's guest kernel: build (make kernel), info, fragment")
    p.add_argument("action", choices=["build", "info", "fragment"], nargs="?", default="build")
    p.add_argument("--force", action="store_true", help="rebuild even when the cache has this kernel")
    p.set_defaults(func=cmd_kernel)
