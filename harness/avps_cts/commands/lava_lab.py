"""lava-lab subcommand: start/stop/status the local LAVA lab, and submit one job through it (wait, fetch, judge, time)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from ..lava.lab import check, jobs_client
from ..lava.lab.processes import LabError
from ..lava.lab.server import DEVICE, Lab
from ..results import EXIT_BROKEN_RUN


def _lab(args: argparse.Namespace) -> Lab:
    return Lab(Path(args.lab) if args.lab else Path(args.build) / "lava-lab")


def cmd_lab(args: argparse.Namespace) -> int:
    lab = _lab(args)
    try:
        if args.action == "start":
            state = lab.start(timeout=args.start_timeout)
            print(f"LAVA lab up: {state.url} (user avps-admin, API token in {lab.paths.state}), "
                  f"worker {state.worker}, device {DEVICE}; logs in {lab.paths.logs}")
            print(f"lavacli --uri http://avps-admin:TOKEN@127.0.0.1:{state.http_port}/RPC2 jobs list   "
                  f"(TOKEN: 'token' in {lab.paths.state})")
        elif args.action == "stop":
            for line in lab.stop():
                print(f"lava-lab stop: {line}")
        elif args.action == "status":
            if lab.state is None:
                print(f"no lab in {lab.paths.root}")
                return 1
            for name, pid in lab.state.pids.items():
                from ..lava.lab.processes import alive
                print(f"{name}: pid {pid} {'running' if alive(pid) else 'not running'}")
        elif args.action == "check":
            limits = jobs_client.WaitLimits(queue=args.queue_timeout, total=args.timeout)
            return check.check(Path(args.build), lab, args.probe, limits, args.keep, args.start_timeout,
                               tuple(args.jobs.split(",")))
        else:
            return _submit(lab, args)
    except LabError as exc:
        print(f"avps-cts lava-lab {args.action}: {exc}", file=sys.stderr)
        return EXIT_BROKEN_RUN
    return 0


def _submit(lab: Lab, args: argparse.Namespace) -> int:
    if lab.state is None or not lab.state.configured:
        raise LabError(f"no started lab in {lab.paths.root}: run 'avps-cts lava-lab start' first")
    limits = jobs_client.WaitLimits(queue=args.queue_timeout, total=args.timeout)
    out = Path(args.out)
    job_id, timing, problem = jobs_client.run_job(lab, Path(args.job), out, args.label, limits)
    line = timing.line(args.label, job_id)
    print(line)
    with (lab.paths.root / "timings.txt").open("a") as f:
        f.write(line + "\n")
    if problem:
        print(f"avps-cts lava-lab submit: {problem}; what was fetched is kept in {out}/", file=sys.stderr)
        return EXIT_BROKEN_RUN
    print(f"job {job_id} Complete: results {out / 'tests.json'}, log {out / 'log.yaml'}")
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("lava-lab", help="a local LAVA lab (PostgreSQL, lava-server, lava-worker): "
                                        "start, stop, status, submit a job, check (jobs vs a direct run)")
    common(p)
    p.add_argument("action", choices=["start", "stop", "status", "submit", "check"])
    p.add_argument("--lab", help="lab folder (default: <build>/lava-lab)")
    p.add_argument("--start-timeout", type=float, default=180, metavar="S",
                   help="start: longest wait for the web app and the worker (default 180 s)")
    p.add_argument("--job", help="submit: the job definition (YAML)")
    p.add_argument("--out", help="submit: folder for job.json, tests.json, log.yaml, timing.json")
    p.add_argument("--label", default="job", help="submit: a name for the timing line")
    p.add_argument("--queue-timeout", type=float, default=120, metavar="S",
                   help="submit: longest a job may wait in the queue (default 120 s)")
    p.add_argument("--timeout", type=float, default=1500, metavar="S",
                   help="submit: longest from submission to finished (default 1500 s)")
    p.add_argument("--probe", default="virtio-mmio", help="check: the probe image the third job boots")
    p.add_argument("--jobs", default=",".join(check.JOB_KINDS), type=_job_kinds,
                   help="check: which of the jobs to run, comma-separated (default: shell,linux,probe)")
    p.add_argument("--keep", action="store_true", help="check: leave the lab running (lava-lab stop ends it)")
    p.set_defaults(func=lambda a: cmd_lab(_check_submit(a, p)))


def _job_kinds(text: str) -> str:
    kinds = [k for k in text.split(",") if k]
    unknown = [k for k in kinds if k not in check.JOB_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"{text!r}: give some of {', '.join(check.JOB_KINDS)}, comma-separated")
    return ",".join(kinds)


def _check_submit(args: argparse.Namespace, parser: argparse.ArgumentParser) -> argparse.Namespace:
    if args.action == "submit" and not (args.job and args.out):
        parser.error("submit needs --job FILE and --out DIR")
    return args
