"""'avps-cts compare RESULTS...': several runs side by side (requirement x platform, case x platform), differences first."""
from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Callable

from ..reports import compare as comparison


def cmd_compare(args: argparse.Namespace) -> int:
    try:
        runs = [comparison.load_run(Path(p)) for p in args.results]
        cmp = comparison.compare(runs)
    except comparison.CompareError as exc:
        print(f"avps-cts compare: {exc}")
        return 2
    if args.out:
        folder = Path(args.out)
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = Path(args.reports) / f"compare-{stamp}"
        n = 1
        while folder.exists():
            n += 1
            folder = Path(args.reports) / f"compare-{stamp}-{n}"
    written = comparison.write(cmp, folder)
    labels = ", ".join(r.label for r in cmp.runs)
    print(f"compared {labels}: {len(cmp.case_differences)} of {len(cmp.case_ids)} cases and "
          f"{len(cmp.requirement_differences)} of {len(cmp.requirement_ids)} requirements differ")
    width = max([len(c) for c in cmp.case_differences] + [4])
    if cmp.case_differences:
        print(f"{'CASE'.ljust(width)}  " + "  ".join(r.label.ljust(10) for r in cmp.runs))
        for case_id in cmp.case_differences:
            print(f"{case_id.ljust(width)}  " + "  ".join(cmp.case_status(r, case_id).ljust(max(10, len(r.label)))
                                                        for r in cmp.runs))
    print(f"comparison: {folder}/ ({', '.join(p.name for p in written)})")
    return 0


def register(subparsers: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = subparsers.add_parser("compare", help="compare several runs' results.json: differences first, Markdown + HTML")
    common(p)
    p.add_argument("results", nargs="+", help="results.json files or report folders (one per platform/run)")
    p.add_argument("--out", help="output folder (default: reports/compare-<time>/)")
    p.set_defaults(func=cmd_compare)
