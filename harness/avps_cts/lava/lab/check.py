"""make lava-lab-check: the suite's LAVA jobs through the local lab, compared case by case with a direct run of the same images."""
from __future__ import annotations

import dataclasses
import json
import shlex
import subprocess
import sys
from pathlib import Path

from ..artifacts import ArtifactServer, artifact_roots
from .jobs_client import Timing, WaitLimits
from .processes import LabError
from .server import Lab

AVPS = [sys.executable, "-m", "avps_cts"]


@dataclasses.dataclass(frozen=True)
class LabJob:
    label: str  # folder and timing name
    image: str  # avps-cts lava-job --image
    column: str  # lava-compare label: the same as make lava-check's, so lava/expected-differences.yaml applies
    boots: str  # the image, for lava-compare: linux or the probe's name


JOB_KINDS = ("shell", "linux", "probe")


def lab_jobs(probe: str, kinds: tuple[str, ...] = JOB_KINDS) -> list[LabJob]:
    """The suite's three LAVA jobs (test shell, Linux monitor, probe monitor), or those of kinds."""
    every = {"shell": LabJob("shell", "shell", "shell", "linux"), "linux": LabJob("linux", "linux", "monitor", "linux"),
             "probe": LabJob(f"probe-{probe}", f"probe:{probe}", "monitor", probe)}
    return [every[k] for k in JOB_KINDS if k in kinds]


def _run(args: list[str], log: Path | None = None) -> int:
    print("+ " + " ".join(shlex.quote(a) for a in args[2:] if a), flush=True)
    if log is None:
        return subprocess.run(args).returncode
    with log.open("w") as out:
        return subprocess.run(args, stdout=out, stderr=subprocess.STDOUT).returncode


def _latest_results(folder: Path) -> Path | None:
    found = sorted(folder.glob("*/results.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def check(build: Path, lab: Lab, probe: str, limits: WaitLimits, keep: bool, start_timeout: float,
          kinds: tuple[str, ...] = JOB_KINDS) -> int:
    """0: every LAVA result equals the direct one or differs as documented. 1: an unexplained
    difference. 3: the lab or a job broke (server not up, job stuck or Incomplete): every result
    fetched so far stays in build/lava-lab-check/."""
    # Absolute paths: the worker runs QEMU from its own folder, so a relative socket or disk path
    # in a job names nothing there (QEMU: "Failed to connect to 'build/...con0.sock'").
    build = build.resolve()
    out = build / "lava-lab-check"
    out.mkdir(parents=True, exist_ok=True)
    for stale in (*out.glob("comparison-*.md"), out / "timings.txt"):
        stale.unlink(missing_ok=True)
    b = ["--build", str(build)]
    host = ["--host-dir", str(out / "host")]
    broken: list[str] = []
    different = False
    # The worker fetches every image over HTTP, as from a lab's artifact host: a job naming a
    # file:// path would pass here and break on any worker that is not this machine.
    artifacts = ArtifactServer(artifact_roots(build)).start()
    try:
        if _run(AVPS + ["lava-image", *b], out / "lava-image.txt") != 0:
            raise LabError(f"avps-cts lava-image failed: see {out / 'lava-image.txt'}")
        # The direct run boots exactly the images the jobs boot, one run each: an image no job
        # boots cannot break the comparison.
        direct: dict[str, Path] = {}
        for image in dict.fromkeys(job.boots for job in lab_jobs(probe, kinds)):
            folder, log = out / f"direct-{image}", out / f"direct-{image}.txt"
            rc = _run(AVPS + ["run", *b, "--only", image, "--reports", str(folder)], log)
            found = _latest_results(folder)
            if rc not in (0, 1) or found is None:
                raise LabError(f"the direct run of {image} broke (exit {rc}): see {log}")
            direct[image] = found
        print("== starting the LAVA lab", flush=True)
        state = lab.start(timeout=start_timeout)
        print(f"LAVA lab up: {state.url}, worker {state.worker}", flush=True)
        columns: dict[str, list[str]] = {}
        for job in lab_jobs(probe, kinds):
            print(f"== LAVA lab job {job.label}", flush=True)
            job_file = out / "jobs" / f"{job.label}.yaml"
            result_dir = out / job.label
            render = AVPS + ["lava-job", *b, *host, "--device-type", "qemu", "--image", job.image, "--boot-timeout",
                             "3", "--name", f"avps-cts-lava-lab-{job.label}", "--artifact-base", artifacts.base,
                             "-o", str(job_file)]
            fetched_before = len(artifacts.served.fetched)
            submit = AVPS + ["lava-lab", "submit", *b, "--lab", str(lab.paths.root), "--job", str(job_file),
                             "--out", str(result_dir), "--label", job.label, "--queue-timeout", str(limits.queue),
                             "--timeout", str(limits.total)]
            inner = " && ".join(" ".join(shlex.quote(a) for a in cmd) for cmd in (render, submit))
            rc = _run(AVPS + ["lava-services", *b, *host, "--", "sh", "-c", inner])
            tests = result_dir / "tests.json"
            if (result_dir / "timing.json").exists():
                timing = Timing(**json.loads((result_dir / "timing.json").read_text()))
                job_id = int((result_dir / "job-id").read_text())
                with (out / "timings.txt").open("a") as f:
                    f.write(timing.line(job.label, job_id) + "\n")
            if rc != 0:
                broken.append(f"job {job.label}: exit {rc} (its error is above; kept: {result_dir}/)")
            if not tests.exists():
                broken.append(f"job {job.label}: no results fetched")
                continue
            fetched = [f"{path} ({size} bytes)" for path, size in artifacts.served.fetched[fetched_before:]]
            print(f"job {job.label}: the worker fetched over HTTP: " + (", ".join(fetched) or "nothing"), flush=True)
            if not fetched:
                broken.append(f"job {job.label}: the worker fetched no image from {artifacts.base}")
            report = out / f"report-{job.label}"
            rc = _run(AVPS + ["report", *b, "--lava-results", str(tests), "--target", f"lava-lab-{job.label}",
                              "--out", str(report)], out / f"report-{job.label}.txt")
            if rc not in (0, 1) or not (report / "results.json").exists():
                broken.append(f"job {job.label}: its results did not make a report (exit {rc}, "
                              f"see {out / f'report-{job.label}.txt'})")
                continue
            columns.setdefault(job.boots, []).extend(["--lava", f"{job.column}:{job.boots}={report / 'results.json'}"])
        for image, lava in columns.items():
            table = out / f"comparison-{image}.md"
            rc = _run(AVPS + ["lava-compare", *b, "--direct", str(direct[image]), *lava], table)
            print(f"{image}: " + "\n  ".join(line for line in table.read_text().splitlines()
                                             if line.strip() and not line.startswith("|")))
            different = different or rc != 0
    except LabError as exc:
        broken.append(str(exc))
    finally:
        artifacts.close()
        if artifacts.served.refused:
            broken.append("the artifact server refused: " + ", ".join(artifacts.served.refused))
        if keep:
            print(f"lab left running (make lava-lab-stop ends it): {lab.paths.root}")
        else:
            for line in lab.stop():
                print(f"lava-lab stop: {line}")
    timings = out / "timings.txt"
    if timings.exists():
        print(f"round trips through lava-server (submit -> results fetched; {timings}):")
        print("\n".join("  " + line for line in timings.read_text().splitlines()))
    for problem in broken:
        print(f"lava-lab-check: BROKEN: {problem}", file=sys.stderr)
    if broken:
        return 3
    if different:
        print(f"lava-lab-check: a LAVA result differs from the direct run without an explanation "
              f"(tables: {out}/comparison-*.md)", file=sys.stderr)
        return 1
    print(f"lava-lab-check: the lab's results equal the direct run's (documented differences aside): "
          f"{out}/comparison-*.md")
    return 0
