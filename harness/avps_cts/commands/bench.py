"""avps-cts bench: boot and test-phase timings of the default target, repeated, printed as a table with ratios;
checks per boot and per second; --stability N: N boots of the probes, are the verdicts identical?"""
from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from .. import profiles
from ..kernel import debian_kernel
from ..manifest import load as load_manifest
from ..run import linux_image, probe_images
from ..targets.base import BootOutput
from ..targets.qemu import QemuTarget
from ..bench_checks import case_outcomes, checks_per_boot, stability


# A probe boot with all its cases must stay under 2 s of QEMU time (issue 16).
PROBE_GUEST_BUDGET_MS = 2000


def phase_times(out: BootOutput) -> tuple[float | None, float | None]:
    """(seconds from start to the first KTAP header, seconds from there to the last line)."""
    start = next((t for line, t in zip(out.lines, out.times) if "KTAP version 1" in line), None)
    if start is None or not out.times:
        return None, None
    return start, out.times[-1] - start


def guest_ms(out: BootOutput) -> float | None:
    """A probe's own boot-to-verdict time on the guest counter ('# probe: boot-to-verdict N ms')."""
    for line in out.lines:
        m = re.search(r"probe: boot-to-verdict (\d+) ms", line)
        if m:
            return float(m.group(1))
    return None


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cmd_stability(args: argparse.Namespace) -> int:
    """Boots each probe image (or --only ones) N times in a row; exit 1 when any verdict differed."""
    build = Path(args.build)
    images = [i for i in probe_images(build, load_manifest(build)) if i.name.startswith(args.only or "")]
    config = profiles.load(args.target, "default")
    identical = True
    with tempfile.TemporaryDirectory(prefix="avps-stability-") as tmp:
        target = QemuTarget(config, Path(tmp) / "scratch")
        images = [i for i in images if not target.cannot_boot(i)]
        for image in images:
            runs, seconds = [], []
            for n in range(args.stability):
                out = target.boot(image, Path(tmp) / f"{image.name}-{n}.log")
                runs.append(case_outcomes(out.lines))
                seconds.append(out.duration_s)
            same, diffs = stability(runs)
            identical &= same
            checks = [checks_per_boot(r) for r in runs]
            print(f"{image.name}: {args.stability} boots, {min(checks)}-{max(checks)} checks per boot, "
                  f"median {_median(seconds):.1f} s per boot: verdicts {'identical' if same else 'DIFFERED'}")
            for line in diffs:
                print(f"  {line}")
    return 0 if identical else 1


def cmd_bench(args: argparse.Namespace) -> int:
    if args.stability:
        return cmd_stability(args)
    build = Path(args.build)
    t0 = time.monotonic()
    manifest = load_manifest(build)
    images = [linux_image(build, debian_kernel())] + probe_images(build, manifest)
    image_build_s = time.monotonic() - t0
    config = profiles.load(args.target, "default")
    rows: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="avps-bench-") as tmp:
        target = QemuTarget(config, Path(tmp) / "scratch")
        images = [i for i in images if not target.cannot_boot(i)]  # e.g. an EFI probe on direct boot
        for _ in range(args.repeat):
            for image in images:
                out = target.boot(image, Path(tmp) / f"{image.name}.log")
                boot, tests = phase_times(out)
                row = rows.setdefault(image.name, {"boot": [], "tests": [], "total": [], "guest_ms": [], "checks": []})
                row["total"].append(out.duration_s)
                row["checks"].append(float(checks_per_boot(case_outcomes(out.lines))))
                ms = guest_ms(out)
                if ms is not None:
                    row["guest_ms"].append(ms)
                if boot is not None and tests is not None:
                    row["boot"].append(boot)
                    row["tests"].append(tests)
    linux_total = _median(rows.get("linux", {}).get("total", []))
    print(f"initramfs + probe image preparation: {image_build_s:.2f} s")
    print(f"{'image':14} {'runs':>4} {'boot->KTAP s':>13} {'tests s':>9} {'total s':>9} {'total/linux':>12} "
          f"{'checks/boot':>12} {'checks/s':>9}")
    for name, row in rows.items():
        total = _median(row["total"])
        checks = _median(row["checks"])
        print(f"{name:14} {len(row['total']):>4} {_median(row['boot']):>13.2f} {_median(row['tests']):>9.2f} "
              f"{total:>9.2f} {total / linux_total:>12.3f} {checks:>12.0f} {checks / total if total else 0:>9.1f}")
    print("(medians; this machine is shared and noisy: compare ratios from one run, not absolute seconds)")
    for name, row in rows.items():
        if row["guest_ms"]:
            ms = _median(row["guest_ms"])
            verdict = "within" if ms < PROBE_GUEST_BUDGET_MS else "OVER"
            print(f"{name}: all cases in {ms:.0f} ms of guest (QEMU) time, {verdict} the "
                  f"{PROBE_GUEST_BUDGET_MS} ms budget")
    _refhv_ratio(build, [i for i in probe_images(build, manifest) if i.name == "psci"], args.target)
    return 0


def _refhv_ratio(build: Path, images: list, target_name: str) -> None:
    """The PSCI probe on the reference hypervisor against the same probe on the default target, one run each.
    (Linux does not boot on refhv yet, so the Linux ratio is not measured.)"""
    from ..targets.refhv import RefhvTarget
    if not images:
        return
    with tempfile.TemporaryDirectory(prefix="avps-bench-refhv-") as tmp:
        qemu = QemuTarget(profiles.load(target_name, "default"), Path(tmp) / "qemu")
        refhv = RefhvTarget(profiles.load("refhv", "default"), build / "run" / "refhv-bench")
        totals = {}
        for name, target in (("qemu", qemu), ("refhv", refhv)):
            out = target.boot(images[0], Path(tmp) / f"psci-{name}.log")
            totals[name] = out.duration_s
    print(f"psci probe, one run each: {target_name} {totals['qemu']:.2f} s, refhv {totals['refhv']:.2f} s, "
          f"ratio refhv/{target_name} {totals['refhv'] / totals['qemu']:.2f}")


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("bench", help="boot/test-phase timings of the default target (make bench)")
    common(p)
    p.add_argument("--target", default="qemu-arm64")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--stability", type=int, default=0, metavar="N",
                   help="boot each probe image N times; report whether every verdict was identical (exit 1 if not)")
    p.add_argument("--only", default="", help="with --stability: only probe images whose name starts with this")
    p.set_defaults(func=cmd_bench)
