"""avps-cts command line: run a target, turn a captured console log into reports, check negative controls."""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import json
import pkgutil
import re
import sys
from pathlib import Path
from typing import Callable

from . import case_review, host_checks, ktap, profiles
from .host import disk_content as host_disk_content
from .host import watchdog_reset as host_watchdog_reset
from .cache import MissingToolError
from .collect import collect_flat, collect_nested
from .kernel import GuestKernel, select_kernel
from .manifest import Manifest, ManifestError, contract_problems, load as load_manifest
from .profiles import ProfileError
from .reports import summary, writer
from .results import EXIT_BAD_INPUT, CaseResult, RunResult, Status
from .boot_pool import default_jobs, jobs_argument
from .run import Progress, attach_checks, linux_image, probe_images, report_folder, run_images, run_scratch
from .selection import Selection, SelectionError, mark_selected_out
from .targets import DRIVERS, driver_module
from .waivers import WaiverError
from .platform_decl import DeclarationError
# Every case must carry its AVPS_CHECKS line and cite only what its review says it exercises:
# 'manifest --check' (run by every build) fails with the declaration's file:line otherwise.
CONTRACT_REQUIRED = True

REPO = Path(__file__).resolve().parents[2]


class UsageError(Exception):
    """A bad option or input: one clear line, exit 2."""


def _kernel(args: argparse.Namespace, config: profiles.PlatformConfig | None = None) -> GuestKernel:
    """--kernel wins; else the profile's 'guest_kernel' option (e.g. debian); else the suite's own kernel."""
    choice = args.kernel or (str(config.options["guest_kernel"]) if config and "guest_kernel" in config.options else None)
    return select_kernel(choice, args.modules)


def _manifest(build: Path) -> Manifest:
    manifest = load_manifest(build)
    if not manifest.cases:
        raise UsageError(f"no test cases found under {build}: run 'make' first")
    return manifest


def _finish(run: RunResult, folder: Path, manifest: Manifest | None) -> int:
    if manifest is not None:
        attach_checks(run.cases, manifest)
    extra_sections: list[str] = []
    extra_json: dict = {}
    try:
        from .verdicts import verdict_sections  # catalogue-based verdicts, when the catalogue is present
        extra_sections, extra_json = verdict_sections(run, manifest)
    except ImportError:
        pass
    from .reports.metadata import run_metadata
    known = profiles.known_nonconformance(run.target.split("/")[0], str(run.platform.get("profile") or "") or None)
    checks = {c.case_id: c.checks for c in manifest.cases} if manifest else {}
    written = writer.write_all(run, folder, extra_sections, extra_json, run_metadata(), known, checks)
    print(summary.terminal_table(run))
    for section in extra_sections[:1]:
        lines = section.splitlines()
        print()
        for line in lines[:14]:
            print(line if len(line) <= 160 else line[:157] + "...")
        if len(lines) > 14:
            print(f"    ... ({len(lines) - 14} more lines in summary.md)")
    print(f"\nreport: {folder}/ ({', '.join(p.name for p in written)})")
    status = run.exit_status()
    if status == 1:
        print("verdict: some case failed (exit 1)")
    elif status != 0:
        print(f"the run broke ({len(run.broken_by())} problem(s) above): the results seen are kept in the report, "
              f"but they are no verdict (exit {status})", file=sys.stderr)
    return status


def _known_requirements() -> set[str]:
    from .catalogue.loader import load_catalogue
    return set(load_catalogue().ids())


def _selection(args: argparse.Namespace, manifest: Manifest) -> Selection:
    from . import selection
    return selection.from_options(
        manifest, _known_requirements() if args.requirement else (),
        only=getattr(args, "only", None), no_probes=getattr(args, "no_probes", False),
        probes_only=getattr(args, "probes_only", False), requirements=args.requirement,
        cases=args.case, skip=args.skip)


def _declaration(args: argparse.Namespace):
    from . import platform_decl
    return platform_decl.load(Path(args.platform)) if args.platform else None


def _apply_rules(run: RunResult, sel: Selection, manifest: Manifest, waiver_file: str | None,
                 declaration=None, build: Path | None = None) -> None:
    """Cases selected out of the run are dropped (absent, not not-run); the platform declaration
    judges skips of declared features and UEFI-only cases; then waivers mark failures."""
    if declaration is not None:
        from . import platform_decl
        efi = {p.stem for p in (build / "probes-uefi").glob("*.efi")} if build else set()
        platform_decl.apply(run, declaration, efi_programs=efi)
    if sel.active:
        wanted = {c.case_id for c in sel.selected(manifest)}
        known = {c.case_id for c in manifest.cases}
        run.cases = [c for c in run.cases if c.case_id in wanted or c.case_id not in known]
        run.platform["selection"] = sel.describe()
    if waiver_file:
        from . import waivers
        waivers.apply(run, waivers.load(Path(waiver_file), manifest, _known_requirements()))


def _check_waivers(args: argparse.Namespace, manifest: Manifest) -> None:
    """A bad waiver file is refused before anything boots."""
    if args.waivers:
        from . import waivers
        waivers.load(Path(args.waivers), manifest, _known_requirements())


def _make_target(target: str, profile: str, scratch: Path):
    """The target's driver module (targets.DRIVERS) builds it: create(config, scratch)."""
    config = profiles.load(target, profile)
    try:
        driver = driver_module(config.driver)
    except KeyError as exc:
        raise UsageError(f"target '{target}' names driver '{config.driver}', which does not exist "
                         f"(drivers: {', '.join(sorted(DRIVERS))})") from exc
    return driver.create(config, scratch), config


def cmd_run(args: argparse.Namespace) -> int:
    build = Path(args.build)
    manifest = _manifest(build)
    sel = _selection(args, manifest)
    _check_waivers(args, manifest)
    declaration = _declaration(args)
    label = args.target + ("" if args.profile == "default" else f"-{args.profile}")
    target, config = _make_target(args.target, args.profile, run_scratch(build, label))
    if declaration is not None:
        for key, ours in (("cpus", getattr(config, "smp", None)), ("memory_mib", getattr(config, "memory_mib", None))):
            if ours is not None and int(ours) != getattr(declaration, key):
                raise UsageError(f"{declaration.path}: declares {key} {getattr(declaration, key)}, but target "
                                 f"{args.target} profile {args.profile} gives the guest {ours}")
    wanted_images = set(sel.images(manifest))
    images = []
    kernel = None
    if "linux" in wanted_images:
        kernel = _kernel(args, config)
        images.append(linux_image(build, kernel))
    images += [i for i in probe_images(build, manifest) if i.name in wanted_images]
    if not images:
        raise UsageError(f"the selection '{sel.describe()}' names no image that is built: run 'make' first")
    # Each boot runs only what the selection wants (the runner's programs, a probe's cases).
    images = [dataclasses.replace(i, params={**i.params, **sel.boot_params(manifest, i.name)}) for i in images]
    folder = report_folder(Path(args.reports), label)
    run = RunResult(target=args.target, started=datetime.datetime.now().isoformat(timespec="seconds"))
    run.platform = target.platform_facts()
    if kernel is not None:
        run.platform["guest_kernel"] = f"{kernel.version or 'unknown version'} ({kernel.image})"
    if args.timeout:
        config.timeout_s = args.timeout
    print(f"avps-cts: {args.target} profile '{args.profile}': booting {', '.join(i.name for i in images)}; "
          f"console logs in {folder}/", flush=True)
    run_images(target, images, manifest, folder, run, progress=Progress.for_terminal(len(images)), jobs=args.jobs)
    _apply_rules(run, sel, manifest, args.waivers, declaration, build)
    return _finish(run, folder, manifest)


def _split_documents(lines: list[str]) -> list[list[str]]:
    """A captured log may hold several boots: split at each top-level KTAP header."""
    docs: list[list[str]] = []
    for line in lines:
        clean = ktap.clean_line(line)
        if clean.strip() in ("KTAP version 1", "TAP version 13") and not clean.startswith(" "):
            docs.append([])
        if docs:
            docs[-1].append(line)
    return docs or [lines]


_PROBE_BANNER = re.compile(r"# probe (?P<name>[\w.-]+):")


def _probe_banner(lines: list[str], probes: set[str]) -> str | None:
    """The probe a document belongs to, from the banner each probe prints first."""
    for line in lines:
        match = _PROBE_BANNER.search(ktap.clean_line(line))
        if match and match.group("name") in probes:
            return match.group("name")
    return None


def results_from_log(lines: list[str], manifest: Manifest) -> tuple[list[CaseResult], list[str]]:
    """Cases from a console log of any hypervisor: Linux documents nested, probe documents flat."""
    cases: list[CaseResult] = []
    problems: list[str] = []
    seen_programs: set[str] = set()
    boots: dict[str, int] = {}  # image -> how many boots of it the log holds
    linux = set(manifest.linux_programs())
    probe_cases = {c.case_id: c.program for p in manifest.probes() for c in manifest.for_program(p)}
    for doc_lines in _split_documents(lines):
        doc = ktap.parse(doc_lines)
        names = {t.name for t in doc.tests}
        if names & linux or (not names and not doc.unfinished and doc.plan and doc.plan > 1):
            got, more = collect_nested(doc, manifest, manifest.linux_programs())
            mark_selected_out(got)
            host_disk_content.apply(got, doc_lines, None, more)  # a log holds no reading of the disk images
            seen_programs |= linux
            image = "linux"
        else:
            probes = set(manifest.probes())
            probe = next((n for n in names if n in probes), None) or \
                next((probe_cases[n] for n in names if n in probe_cases), None) or \
                _probe_banner(doc_lines, probes)  # a document that stopped before any result
            if probe is None:
                problems.append("a KTAP document in the log matches no built program or probe")
                continue
            got, more = collect_flat(doc, manifest, probe)
            mark_selected_out(got)
            host_checks.apply(got, doc_lines, None, more, probe)
            host_watchdog_reset.apply(got, doc_lines, None, more)  # a log says not why or when a VM reset
            seen_programs.add(probe)
            image = probe
        boots[image] = boots.get(image, 0) + 1
        if boots[image] > 1:
            # The later boot's result stands; each case is reported once.
            replaced = {c.case_id for c in got}
            cases = [c for c in cases if c.case_id not in replaced]
        cases.extend(got)
        problems.extend(more)
    for image, count in boots.items():
        if count > 1:
            problems.append(f"the console log holds {count} boots of {image}: each case is reported once, "
                            "with the result of the last boot")
    for program in manifest.programs():
        if program not in seen_programs:
            for c in manifest.for_program(program):
                cases.append(CaseResult(case_id=c.case_id, status=Status.NOT_RUN, requirements=list(c.requirements),
                                        detail="not in the console log", program=program))
    if not any(c.status is not Status.NOT_RUN for c in cases):
        problems.append("the console log holds no test results")
    return cases, problems


def cmd_report(args: argparse.Namespace) -> int:
    source = Path(args.lava_results or args.console_log or "")
    if not (args.lava_results or args.console_log):
        raise UsageError("give a console log, or --lava-results FILE")
    if source.is_dir():
        raise UsageError(f"{source}: is a directory; give the console log file (or a LAVA results file) itself")
    if not source.is_file():
        raise UsageError(f"{source}: no such file")
    manifest = _manifest(Path(args.build))
    sel = _selection(args, manifest)
    _check_waivers(args, manifest)
    declaration = _declaration(args)
    run = RunResult(target=args.target, started=datetime.datetime.now().isoformat(timespec="seconds"),
                    console_log=str(source))
    if args.lava_results:
        from .lava.results import results_from_lava  # LAVA job results (YAML/JSON or lava-run's log)
        run.platform = {"source": f"LAVA results {source}"}
        run.cases, run.problems = results_from_lava(source, manifest)
    else:
        lines = source.read_bytes().decode("utf-8", "replace").splitlines()
        run.platform = {"source": f"console log {source}"}
        run.cases, run.problems = results_from_log(lines, manifest)
    _apply_rules(run, sel, manifest, args.waivers, declaration, Path(args.build))
    if declaration is not None and args.target == "external":
        run.target = declaration.name
    folder = Path(args.out) if args.out else report_folder(Path(args.reports), f"{args.target}-log")
    folder.mkdir(parents=True, exist_ok=True)
    return _finish(run, folder, manifest)


def cmd_manifest(args: argparse.Namespace) -> int:
    manifest = _manifest(Path(args.build))
    for case in manifest.cases if not args.quiet else []:
        print(f"{case.case_id}\t{case.program}\t{'; '.join(case.requirements)}")
    if args.check:
        try:
            from .catalogue.loader import load_catalogue
        except ImportError:
            raise UsageError("the requirement catalogue loader is not available")
        catalogue = load_catalogue()
        known = set(catalogue.ids())
        bad = False
        for case in manifest.cases:
            for r in case.requirements:
                if r not in known:
                    bad = True
                    print(f"{case.declared_at or case.program}: unknown requirement ID '{r}' "
                          f"(case {case.case_id})", file=sys.stderr)
        problems = contract_problems(manifest)
        try:
            problems += case_review.build_problems(manifest, case_review.load())
        except case_review.ReviewError as exc:
            problems.append(str(exc))
        if CONTRACT_REQUIRED:
            bad = bad or bool(problems)
            for problem in problems:
                print(problem, file=sys.stderr)
        elif problems:
            print(f"warning: {len(problems)} case declarations lack the case contract, e.g. {problems[0]}",
                  file=sys.stderr)
        if bad:
            return 1
        print(f"manifest: {len(manifest.cases)} cases, every requirement ID is in the catalogue, every case carries its contract")
    return 0


def cmd_requirements(args: argparse.Namespace) -> int:
    from .catalogue.loader import CatalogueError, load_catalogue
    from .catalogue.trace import build_trace, coverage_figures, render_markdown
    try:
        catalogue = load_catalogue()
    except CatalogueError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 2
    if args.action == "check-spec":
        from .catalogue.check_spec import main as check_spec_main
        return check_spec_main(args.rest)
    if args.action == "validate":
        print(f"catalogue: {len(catalogue.avps)} AVPS areas, {len(catalogue.virtio)} VIRTIO statements, "
              f"{len(catalogue.vbsa)} VBSA rules, {len(catalogue.suite)} suite-defined requirements: valid")
        return 0
    run = None
    if args.rest:  # 'requirements trace --build B --results X' (make trace): options after the action land in rest
        extra = argparse.ArgumentParser(prog=f"avps-cts requirements {args.action}")
        extra.add_argument("--results")
        extra.add_argument("--build")
        late = extra.parse_args(args.rest)
        args.results = late.results or args.results
        args.build = late.build or args.build
    pairs = [(c.case_id, list(c.requirements)) for c in _manifest(Path(args.build)).cases]
    if args.results:
        from .reports.compare import CompareError, results_path
        try:
            source = results_path(Path(args.results))
            run = RunResult.from_json(json.loads(source.read_text()))
        except (CompareError, ValueError, KeyError) as exc:
            raise UsageError(f"--results {args.results}: not an avps-cts results.json ({exc})") from exc
    if args.action == "trace":
        trace = build_trace(catalogue, pairs, run)
        out = Path(args.build) / "trace.md"
        out.write_text(render_markdown(trace))
        figures = coverage_figures(trace)
        for layer in ("avps", "virtio"):
            t = trace["layers"][layer]["totals"]
            print(f"{layer}: {t['covered']} of {t['total']} covered, {t['document-only']} document-only, "
                  f"{t['not-covered']} not covered")
        print(f"traceability matrix: {out}")
        return 0 if figures else 1
    if args.action == "reqif":
        from .catalogue.reqif import reqif_bytes
        from .catalogue.verdict import requirement_verdicts
        out = Path(args.build) / "avps-cts.reqif"
        verdicts = {r: v.verdict.value for r, v in requirement_verdicts(catalogue, pairs, run).items()} if run else None
        previous = out.read_bytes() if out.exists() else None  # unchanged objects keep their LAST-CHANGE
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_bytes(reqif_bytes(catalogue, pairs, previous, verdicts=verdicts))
        tmp.replace(out)
        print(f"ReqIF 1.2 export: {out}")
        return 0
    raise UsageError(f"unknown requirements action {args.action}")


def cmd_profiles(args: argparse.Namespace) -> int:
    for target in profiles.available_targets():
        for name in profiles.profile_names(target):
            config = profiles.load(target, name)
            print(f"{target}\t{name}\t{config.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="avps-cts", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--build", default=str(REPO / "build"), help="build folder (default: build/)")
        sp.add_argument("--reports", default=str(REPO / "reports"), help="where report folders go")

    def rules(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--requirement", action="append", default=[], metavar="ID",
                        help="only the cases that verify this requirement ID (repeatable)")
        sp.add_argument("--case", action="append", default=[], metavar="GLOB",
                        help="only the cases whose ID matches this glob (repeatable)")
        sp.add_argument("--skip", action="append", default=[], metavar="GLOB",
                        help="leave out the cases whose ID matches this glob (repeatable)")
        sp.add_argument("--waivers", metavar="FILE", help="waiver file: failures it accepts are reported as waived")
        sp.add_argument("--platform", metavar="FILE", help="the platform's declaration (what it offers; see README)")

    r = sub.add_parser("run", help="boot the guest images on a target and report")
    common(r)
    r.add_argument("--target", default="qemu-arm64")
    r.add_argument("--profile", default="default", help="platform profile (see 'avps-cts profiles')")
    r.add_argument("--kernel", help="guest kernel: 'suite' (default: the suite's own build, every driver built in), "
                   "'debian' (Debian's arm64 kernel and its modules) or the path of your own arm64 Image")
    r.add_argument("--modules", help="root folder holding lib/modules/<version> for --kernel")
    r.add_argument("--timeout", type=float, help="seconds per boot before the guest counts as hung")
    r.add_argument("--no-probes", action="store_true", help="boot only the Linux image")
    r.add_argument("--probes-only", action="store_true", help="boot only the bare-metal probes")
    r.add_argument("--only", help="boot only images whose name starts with this ('linux' or a probe)")
    r.add_argument("--jobs", type=jobs_argument, default=default_jobs(), metavar="N",
                   help=f"boot up to N images at once, each with its own host services (default {default_jobs()}: "
                        "one per host core, at most 2; 1 boots one after another); firmware and hypervisor "
                        "targets boot one at a time")
    rules(r)
    r.set_defaults(func=cmd_run)

    rep = sub.add_parser("report", help="reports from a console log captured on any hypervisor")
    common(rep)
    rep.add_argument("console_log", nargs="?")
    rep.add_argument("--lava-results", help="a LAVA job's results (the server's YAML/JSON, or lava-run's log)")
    rep.add_argument("--target", default="external", help="platform name for the report")
    rep.add_argument("--out", help="report folder (default: reports/<target>-log-<time>)")
    rules(rep)
    rep.set_defaults(func=cmd_report)

    m = sub.add_parser("manifest", help="list the test cases and requirement IDs of the build")
    m.add_argument("--quiet", action="store_true", help="only errors and the summary line")
    common(m)
    m.add_argument("--check", action="store_true", help="fail on requirement IDs not in the catalogue")
    m.set_defaults(func=cmd_manifest)

    rq = sub.add_parser("requirements", help="the requirement catalogue: validate, trace, reqif, check-spec FILE")
    common(rq)
    rq.add_argument("action", choices=["validate", "trace", "reqif", "check-spec"])
    rq.add_argument("--results", help="trace/reqif: fill the verdicts from this run (report folder or results.json)")
    rq.add_argument("rest", nargs=argparse.REMAINDER, help="check-spec: FILE [--write]")
    rq.set_defaults(func=cmd_requirements)

    pr = sub.add_parser("profiles", help="list targets and their profiles")
    pr.set_defaults(func=cmd_profiles)

    # Further subcommands live in avps_cts/commands/<name>.py, each with register(subparsers, common).
    from . import commands
    for info in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f".commands.{info.name}", __package__).register(sub, common)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except (UsageError, MissingToolError, ProfileError, ManifestError, SelectionError, WaiverError,
            DeclarationError) as exc:
        print(f"avps-cts: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
