"""avps-cts control: boots negative-control profiles and checks each listed case fails for the named reason; --missing lists cases still waiting for one."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Callable

from .. import case_review, control_groups, profiles
from ..reports import writer
from ..results import CaseResult, RunResult, Status
from ..run import linux_image, probe_images, report_folder, run_images, run_scratch
from ..selection import linux_filter, probe_filter
from ..targets import driver_module

# A control flips a case when the case reports a failure of its own, not when it never ran.
FLIPPED = (Status.FAIL, Status.ERROR)


@dataclasses.dataclass(frozen=True)
class ControlRow:
    profile: str
    case_id: str
    status: str
    reason: str  # the diagnostic substring the profile names
    verdict: str  # "ok", "NOT FLIPPED", "WRONG REASON", "NOT RUN"

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def evidence_of(case: CaseResult) -> str:
    """Everything the case said about its failure: detail and diagnostic lines."""
    return "\n".join([case.detail, *case.diagnostics])


def check_profile(profile: str, expect_fail: dict[str, str], cases: list[CaseResult]) -> list[ControlRow]:
    """One row per case the control names: it must fail and its evidence must contain the named reason."""
    by_id = {c.case_id: c for c in cases}
    rows = []
    for case_id, reason in expect_fail.items():
        got = by_id.get(case_id)
        if got is None:
            rows.append(ControlRow(profile, case_id, "missing", reason, "NOT RUN"))
        elif got.status not in FLIPPED:
            rows.append(ControlRow(profile, case_id, got.status.value, reason, "NOT FLIPPED"))
        elif reason not in evidence_of(got):
            rows.append(ControlRow(profile, case_id, got.status.value, reason, "WRONG REASON"))
        else:
            rows.append(ControlRow(profile, case_id, got.status.value, reason, "ok"))
    return rows


def print_rows(rows: list[ControlRow], cases: dict[tuple[str, str], CaseResult]) -> None:
    width = max([len(r.case_id) for r in rows] + [4])
    print(f"{'PROFILE':26} {'CASE'.ljust(width)} {'RESULT':8} CONTROL")
    for r in rows:
        print(f"{r.profile:26} {r.case_id.ljust(width)} {r.status:8} {r.verdict}")
        if r.verdict == "WRONG REASON":
            got = cases.get((r.profile, r.case_id))
            seen = (got.detail if got else "") or "(no diagnostic)"
            print(f"{'':26} expected the failure to show '{r.reason}'; it said: {seen}")
    bad = sum(not r.ok for r in rows)
    print(f"negative controls: {len(rows) - bad} passed, {bad} failed")


def control_params(manifest, image: str, expect_fail: dict[str, str]) -> dict[str, str]:
    """What one boot of a control runs: the Linux programs and cases (avps.only, avps.cases) or the
    probe cases (avps.cases) it names, so a control that names one case runs one case."""
    named = set(expect_fail)
    return linux_filter(manifest, named) if image == "linux" else probe_filter(manifest, image, named)


def run_control(args: argparse.Namespace, target_name: str, name: str,
                make_target: Callable, kernel: Callable, manifest) -> tuple[list[ControlRow], list[CaseResult]]:
    """Boots each image carrying a case the control names once, under the control's profile."""
    config = profiles.load(target_name, name)
    target, _ = make_target(target_name, name, run_scratch(Path(args.build), f"{target_name}-{name}"))
    return boot_control(args, target_name, name, config, target, kernel, manifest)


def boot_control(args: argparse.Namespace, target_name: str, label: str, config: profiles.PlatformConfig, target,
                 kernel: Callable, manifest) -> tuple[list[ControlRow], list[CaseResult]]:
    """One boot per image carrying a case config.expect_fail names, each filtered to the named cases."""
    build = Path(args.build)
    program_of = {c.case_id: c.program for c in manifest.cases}
    wanted = {program_of.get(c, "") for c in config.expect_fail}
    images = []
    linux_wanted = sorted(wanted & set(manifest.linux_programs()))
    if linux_wanted:
        images.append(linux_image(build, kernel(args, config)))
    images += [i for i in probe_images(build, manifest) if i.name in wanted]
    images = [dataclasses.replace(i, params={**i.params, **control_params(manifest, i.name, config.expect_fail)})
              for i in images]
    folder = report_folder(Path(args.reports), f"{target_name}-{label}")
    run = RunResult(target=f"{target_name}/{config.profile}")
    run.platform = target.platform_facts()
    run_images(target, images, manifest, folder, run)
    writer.write_all(run, folder)
    return check_profile(f"{target_name}/{config.profile}", config.expect_fail, run.cases), run.cases


def run_group(args: argparse.Namespace, target_name: str, names: list[str], kernel: Callable,
              manifest) -> dict[str, tuple[list[ControlRow], list[CaseResult]]]:
    """Boots a group of controls that cannot interact (control_groups) together; judges each member on it."""
    config = control_groups.group_config(target_name, names)
    label = f"group-{names[0]}-and-{len(names) - 1}"
    target = driver_module(config.driver).create(config, run_scratch(Path(args.build), f"{target_name}-{label}"))
    _, cases = boot_control(args, target_name, label, config, target, kernel, manifest)
    out = {}
    for name in names:
        expect = profiles.load(target_name, name).expect_fail
        out[name] = (check_profile(f"{target_name}/{name}", expect, cases), cases)
    return out


def run_target(args: argparse.Namespace, target_name: str, names: list[str], make_target: Callable,
               kernel: Callable, manifest) -> list[tuple[str, list[ControlRow], list[CaseResult]]]:
    """Every named control of one target, in order. Controls that cannot interact share boots (unless
    --alone); a member whose cases did not all fail for their named reasons in the shared boot is booted
    alone and judged there, so sharing can neither pass nor fail a control that would not alone."""
    names = [n for n in names if profiles.load(target_name, n).expect_fail]
    done: dict[str, tuple[list[ControlRow], list[CaseResult]]] = {}
    groups = [[n] for n in names] if args.alone or len(names) < 2 else \
        [g.names for g in control_groups.plan(target_name, names, manifest)]
    for group in groups:
        if len(group) > 1:
            print(f"boot group {target_name}: {', '.join(group)}", flush=True)
            for name, (rows, cases) in run_group(args, target_name, group, kernel, manifest).items():
                if all(r.ok for r in rows):
                    done[name] = (rows, cases)
                else:
                    print(f"{target_name}/{name}: not all its cases failed for the named reason in the shared "
                          f"boot; booting it alone", flush=True)
        for name in group:
            if name not in done:
                done[name] = run_control(args, target_name, name, make_target, kernel, manifest)
    return [(name, *done[name]) for name in names]


def print_missing() -> int:
    """Every behavioural case without a platform-breaking control, grouped by what would break it."""
    groups = case_review.missing_controls(case_review.load())
    total = sum(len(v) for v in groups.values())
    for switch, cases in groups.items():
        print(f"{switch}:")
        for case_id in cases:
            print(f"  {case_id}")
    print(f"{total} behavioural cases wait for a fault switch ({len(groups)} switches)")
    return 0


def cmd_control(args: argparse.Namespace) -> int:
    if args.missing:
        return print_missing()
    from ..cli import UsageError, _kernel, _make_target, _manifest
    manifest = _manifest(Path(args.build))
    targets = [t for t in profiles.available_targets()] if args.all_targets else [args.target]
    if args.all_targets and args.profile:
        raise UsageError("--all-targets runs every control; leave out --profile")
    rows: list[ControlRow] = []
    seen: dict[tuple[str, str], CaseResult] = {}
    for target_name in targets:
        names = args.profile or [p for p in profiles.profile_names(target_name) if p != "default"]
        for name, got, cases in run_target(args, target_name, names, _make_target, _kernel, manifest):
            rows += got
            seen.update({(f"{target_name}/{name}", c.case_id): c for c in cases})
    if not rows:
        print("avps-cts: no negative control selected (no profile with expect.fail)", file=sys.stderr)
        return 2
    print_rows(rows, seen)
    return 0 if all(r.ok for r in rows) else 1


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    c = sub.add_parser("control", help="run negative-control profiles and check each case fails for the named reason")
    common(c)
    c.add_argument("--target", default="qemu-arm64")
    c.add_argument("--profile", action="append", help="profile to check (repeatable; default: all of the target)")
    c.add_argument("--all-targets", action="store_true", help="every control of every target")
    c.add_argument("--missing", action="store_true",
                   help="list behavioural cases without a platform-breaking control (from requirements/case-review)")
    c.add_argument("--alone", action="store_true",
                   help="boot every control alone (default: controls that cannot interact share boots; "
                        "harness/avps_cts/control_groups.py says when)")
    c.add_argument("--kernel")
    c.add_argument("--modules")
    c.set_defaults(func=cmd_control)
