"""avps-cts command line: run a target, turn a captured console log into reports, check negative controls."""
from __future__ import annotations

import argparse
import datetime
import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Callable

from . import case_review, host_checks, host_disk_content, ktap, profiles
from .cache import MissingToolError
from .collect import collect_flat, collect_nested
from .kernel import GuestKernel, debian_kernel, user_kernel
from .manifest import Manifest, ManifestError, contract_problems, load as load_manifest
from .profiles import ProfileError
from .reports import summary, writer
from .results import CaseResult, RunResult, Status
from .run import attach_checks, linux_image, probe_images, report_folder, run_images
# Every case must carry its AVPS_CHECKS line and cite only what its review says it exercises:
# 'manifest --check' (run by every build) fails with the declaration's file:line otherwise.
CONTRACT_REQUIRED = True

REPO = Path(__file__).resolve().parents[2]


class UsageError(Exception):
    """A bad option or input: one clear line, exit 2."""


def _kernel(args: argparse.Namespace) -> GuestKernel:
    if args.kernel:
        return user_kernel(Path(args.kernel), Path(args.modules) if args.modules else None)
    return debian_kernel()


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
    written = writer.write_all(run, folder, extra_sections, extra_json)
    print(summary.terminal_table(run))
    for section in extra_sections[:1]:
        lines = section.splitlines()
        print()
        for line in lines[:14]:
            print(line if len(line) <= 160 else line[:157] + "...")
        if len(lines) > 14:
            print(f"    ... ({len(lines) - 14} more lines in summary.md)")
    print(f"\nreport: {folder}/ ({', '.join(p.name for p in written)})")
    return 0 if run.ok else 1


def _make_target(target: str, profile: str, scratch: Path):
    """The target's driver module (targets/<driver>.py) builds it: create(config, scratch)."""
    config = profiles.load(target, profile)
    try:
        driver = importlib.import_module(f".targets.{config.driver}", __package__)
    except ModuleNotFoundError as exc:
        raise UsageError(f"target '{target}' names driver '{config.driver}', which does not exist") from exc
    return driver.create(config, scratch), config


def cmd_run(args: argparse.Namespace) -> int:
    build = Path(args.build)
    manifest = _manifest(build)
    label = args.target + ("" if args.profile == "default" else f"-{args.profile}")
    target, config = _make_target(args.target, args.profile, build / "run" / label)
    images = []
    if not args.probes_only:
        images.append(linux_image(build, _kernel(args)))
    if not args.no_probes:
        images += probe_images(build, manifest)
    if args.only:
        images = [i for i in images if i.name.startswith(args.only) or (i.kind == "linux" and args.only == "linux")]
    folder = report_folder(Path(args.reports), label)
    run = RunResult(target=args.target, started=datetime.datetime.now().isoformat(timespec="seconds"))
    run.platform = target.platform_facts()
    if args.timeout:
        config.timeout_s = args.timeout
    print(f"avps-cts: {args.target} profile '{args.profile}': booting {', '.join(i.name for i in images)}; "
          f"console logs in {folder}/", flush=True)
    run_images(target, images, manifest, folder, run)
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


def results_from_log(lines: list[str], manifest: Manifest) -> tuple[list[CaseResult], list[str]]:
    """Cases from a console log of any hypervisor: Linux documents nested, probe documents flat."""
    cases: list[CaseResult] = []
    problems: list[str] = []
    seen_programs: set[str] = set()
    linux = set(manifest.linux_programs())
    probe_cases = {c.case_id: c.program for p in manifest.probes() for c in manifest.for_program(p)}
    for doc_lines in _split_documents(lines):
        doc = ktap.parse(doc_lines)
        names = {t.name for t in doc.tests}
        if names & linux or (not names and not doc.unfinished and doc.plan and doc.plan > 1):
            got, more = collect_nested(doc, manifest, manifest.linux_programs())
            host_disk_content.apply(got, doc_lines, None, more)  # a log holds no reading of the disk images
            seen_programs |= linux
        else:
            probes = set(manifest.probes())
            probe = next((n for n in names if n in probes), None) or \
                next((probe_cases[n] for n in names if n in probe_cases), None)
            if probe is None:
                problems.append("a KTAP document in the log matches no built program or probe")
                continue
            got, more = collect_flat(doc, manifest, probe)
            host_checks.apply(got, doc_lines, None, more, probe)
            seen_programs.add(probe)
        cases.extend(got)
        problems.extend(more)
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
    if not source.is_file():
        raise UsageError(f"{source}: no such file")
    manifest = _manifest(Path(args.build))
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
              f"{len(catalogue.vbsa)} VBSA rules: valid")
        return 0
    pairs = [(c.case_id, list(c.requirements)) for c in _manifest(Path(args.build)).cases]
    if args.action == "trace":
        trace = build_trace(catalogue, pairs)
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
        out = Path(args.build) / "avps-cts.reqif"
        out.write_bytes(reqif_bytes(catalogue, pairs))
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

    r = sub.add_parser("run", help="boot the guest images on a target and report")
    common(r)
    r.add_argument("--target", default="qemu-arm64")
    r.add_argument("--profile", default="default", help="platform profile (see 'avps-cts profiles')")
    r.add_argument("--kernel", help="your own arm64 kernel Image instead of Debian's")
    r.add_argument("--modules", help="root folder holding lib/modules/<version> for --kernel")
    r.add_argument("--timeout", type=float, help="seconds per boot before the guest counts as hung")
    r.add_argument("--no-probes", action="store_true", help="boot only the Linux image")
    r.add_argument("--probes-only", action="store_true", help="boot only the bare-metal probes")
    r.add_argument("--only", help="boot only images whose name starts with this ('linux' or a probe)")
    r.set_defaults(func=cmd_run)

    rep = sub.add_parser("report", help="reports from a console log captured on any hypervisor")
    common(rep)
    rep.add_argument("console_log", nargs="?")
    rep.add_argument("--lava-results", help="a LAVA job's results (the server's YAML/JSON, or lava-run's log)")
    rep.add_argument("--target", default="external", help="platform name for the report")
    rep.add_argument("--out", help="report folder (default: reports/<target>-log-<time>)")
    rep.set_defaults(func=cmd_report)

    m = sub.add_parser("manifest", help="list the test cases and requirement IDs of the build")
    m.add_argument("--quiet", action="store_true", help="only errors and the summary line")
    common(m)
    m.add_argument("--check", action="store_true", help="fail on requirement IDs not in the catalogue")
    m.set_defaults(func=cmd_manifest)

    rq = sub.add_parser("requirements", help="the requirement catalogue: validate, trace, reqif, check-spec FILE")
    common(rq)
    rq.add_argument("action", choices=["validate", "trace", "reqif", "check-spec"])
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
    except (UsageError, MissingToolError, ProfileError, ManifestError) as exc:
        print(f"avps-cts: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
