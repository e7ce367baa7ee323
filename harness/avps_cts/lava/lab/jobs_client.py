"""One job through the local lab: submit with lavacli, wait with bounded timeouts, fetch results and log, judge the outcome, time it."""
from __future__ import annotations

import dataclasses
import datetime
import json
import time
from pathlib import Path
from typing import Any, Callable

from .processes import LabError
from .server import Lab, lavacli

# lava-server's job states and health values (lava_scheduler_app.models.TestJob), as the REST API shows them.
QUEUED = ("Submitted",)
FINISHED = "Finished"


@dataclasses.dataclass
class WaitLimits:
    """Seconds. queue: longest a job may stay Submitted (no worker or device took it);
    total: longest from submission to Finished."""

    queue: float = 120.0
    total: float = 1500.0
    poll: float = 0.5


@dataclasses.dataclass
class Timing:
    """Round trip measured by the client (submit -> results fetched) and the server's own timestamps."""

    round_trip: float = 0.0  # lavacli submit started -> tests and log saved
    submit: float = 0.0  # lavacli jobs submit
    queue: float | None = None  # server: submit_time -> start_time
    run: float | None = None  # server: start_time -> end_time
    fetch: float = 0.0  # REST tests + log download

    def line(self, label: str, job_id: int) -> str:
        def f(v: float | None) -> str:
            return "?" if v is None else f"{v:.1f}"
        return (f"lava-lab {label} (job {job_id}): round trip {f(self.round_trip)} s "
                f"(submit {f(self.submit)}, queue {f(self.queue)}, run {f(self.run)}, fetch {f(self.fetch)})")


def _stamp(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def server_times(job: dict[str, Any]) -> tuple[float | None, float | None]:
    submit, start, end = (_stamp(job.get(k)) for k in ("submit_time", "start_time", "end_time"))
    queue = (start - submit).total_seconds() if submit and start else None
    run = (end - start).total_seconds() if start and end else None
    return queue, run


def judge(job: dict[str, Any]) -> str | None:
    """None when the job finished Complete; else what happened, in one line. A Complete job may
    still hold failed test cases: those are verdicts, judged by the comparison, not here."""
    state, health = job.get("state"), job.get("health")
    if state != FINISHED:
        return f"job {job.get('id')} is {state}, not finished"
    if health == "Complete":
        return None
    why = (job.get("failure_comment") or "").strip()
    tags = job.get("failure_tags") or []
    return (f"job {job.get('id')} ended {health}" + (f": {why}" if why else " (the server gave no reason)")
            + (f" [failure tags {tags}]" if tags else ""))


def log_reason(tests: list[dict[str, Any]], log: str) -> str:
    """Why a job broke when the server gives no failure comment: LAVA's own 'job' result
    (error_type: error_msg) and the last console line before LAVA's first error."""
    import yaml
    reason = ""
    for test in tests:
        meta = test.get("metadata")
        meta = yaml.safe_load(meta) if isinstance(meta, str) else meta or {}
        if isinstance(meta, dict) and meta.get("definition") == "lava" and meta.get("case") == "job" \
                and meta.get("error_msg"):
            reason = f"{meta.get('error_type', 'Error')}: {meta['error_msg']}"
    console = ""
    for line in log.splitlines():
        if '"lvl": "target"' in line:
            console = line
        elif '"lvl": "error"' in line or '"lvl": "exception"' in line:
            break
    if console:
        try:
            record = yaml.safe_load(line_body(console))
            console = str(record.get("msg", "")) if isinstance(record, dict) else console
        except yaml.YAMLError:
            pass
        reason += ("; " if reason else "") + f"last console line: {console.strip()[:300]}"
    return reason


def line_body(line: str) -> str:
    """A stored LAVA log line is a YAML list item ('- {dt: ..., lvl: ..., msg: ...}')."""
    return line[2:] if line.startswith("- ") else line


def parse_job_id(output: str) -> int:
    """lavacli jobs submit prints the id, or 'Unable to submit ...' and still exits 0."""
    text = output.strip()
    if text.isdigit():
        return int(text)
    raise LabError(f"the server refused the job: {text or '(lavacli printed nothing)'}")


def wait(fetch: Callable[[], dict[str, Any]], limits: WaitLimits, clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Polls the job until Finished. Stuck in the queue longer than limits.queue, or unfinished after
    limits.total: a LabError naming the state it was left in (the caller cancels it)."""
    begin = clock()
    while True:
        job = fetch()
        waited = clock() - begin
        if job.get("state") == FINISHED:
            return job
        if job.get("state") in QUEUED and waited > limits.queue:
            raise LabError(f"job {job.get('id')} stuck in the queue: still {job.get('state')} after {waited:.0f} s "
                           "(no online worker with an idle, healthy device of its type took it)")
        if waited > limits.total:
            raise LabError(f"job {job.get('id')} not finished after {waited:.0f} s: left {job.get('state')}")
        sleep(limits.poll)


def all_tests(lab: Lab, job_id: int) -> list[dict[str, Any]]:
    """Every test result of the job through the REST API (it pages: follow 'next')."""
    results: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = lab.api(f"jobs/{job_id}/tests/?limit=500&offset={offset}")
        results.extend(page.get("results", []))
        if not page.get("next"):
            return results
        offset = len(results)


def run_job(lab: Lab, definition: Path, out: Path, label: str, limits: WaitLimits) -> tuple[int, Timing, str | None]:
    """Submits definition, waits, saves job.json, tests.json ({'results': [...]}) and log.yaml in out.
    Returns (job id, timing, problem or None). Whatever was fetched is saved before a problem is raised."""
    assert lab.state is not None
    out.mkdir(parents=True, exist_ok=True)
    timing = Timing()
    t0 = time.monotonic()
    job_id = parse_job_id(lavacli(lab.state, "jobs", "submit", str(definition)))
    timing.submit = time.monotonic() - t0
    (out / "job-id").write_text(f"{job_id}\n")
    problem = None
    try:
        job = wait(lambda: lab.api(f"jobs/{job_id}/"), limits)
    except LabError as exc:
        problem = str(exc)
        try:
            lavacli(lab.state, "jobs", "cancel", str(job_id))
        except LabError as cancel:
            problem += f"; cancelling it failed too: {cancel}"
        job = lab.api(f"jobs/{job_id}/")
    t1 = time.monotonic()
    tests = all_tests(lab, job_id)
    (out / "tests.json").write_text(json.dumps({"job": job_id, "results": tests}, indent=1))
    try:
        (out / "log.yaml").write_text(lavacli(lab.state, "jobs", "logs", "--raw", str(job_id)))
    except LabError as exc:
        problem = problem or f"job {job_id}: its log could not be fetched: {exc}"
    timing.fetch = time.monotonic() - t1
    timing.round_trip = time.monotonic() - t0
    timing.queue, timing.run = server_times(job)
    (out / "job.json").write_text(json.dumps({k: v for k, v in job.items() if k not in ("definition",)}, indent=1))
    (out / "timing.json").write_text(json.dumps(dataclasses.asdict(timing), indent=1))
    if problem is None:
        problem = judge(job)
        if problem and problem.endswith("(the server gave no reason)"):
            log = (out / "log.yaml").read_text(errors="replace") if (out / "log.yaml").exists() else ""
            reason = log_reason(tests, log)
            if reason:
                problem = problem.replace("(the server gave no reason)", f"({reason})")
    return job_id, timing, problem
