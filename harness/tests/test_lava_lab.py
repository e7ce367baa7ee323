"""The local LAVA lab's quick parts: job outcome judgement, bounded waiting, settings, device dictionary, server-side job schema.

The last test runs the real lab (PostgreSQL + lava-server + lava-worker) with its smallest job set,
the probe monitor job, compared with a direct run; 'make lava-lab-check' runs all three jobs.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from avps_cts import profiles
from avps_cts.lava import jobs
from avps_cts.lava.lab import jobs_client
from avps_cts.lava.lab.processes import PLAIN_PATH, LabError
from avps_cts.lava.lab.server import DEVICE_DICT, LabPaths, LabState, server_env, settings
from avps_cts.lava.qemu_platform import platform_args

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "lava"
TEMPLATES = Path("/usr/share/lava-server/device-types")


def _job(job_id: int = 7, state: str = "Finished", health: str = "Complete", **extra) -> dict:
    return {"id": job_id, "state": state, "health": health, "failure_comment": None, "failure_tags": [], **extra}


# ---- outcome of one job ------------------------------------------------------------------------

def test_a_complete_job_is_no_problem_even_with_failed_cases():
    assert jobs_client.judge(_job()) is None


def test_an_incomplete_job_names_its_health_and_the_servers_reason():
    problem = jobs_client.judge(_job(health="Incomplete", failure_comment="login-action timed out after 179 seconds"))
    assert problem == "job 7 ended Incomplete: login-action timed out after 179 seconds"
    assert "gave no reason" in jobs_client.judge(_job(health="Canceled"))


def test_a_refused_submission_is_an_error_although_lavacli_exits_0():
    assert jobs_client.parse_job_id("12\n") == 12
    with pytest.raises(LabError, match="refused the job: Unable to submit j.yaml: extra keys not allowed"):
        jobs_client.parse_job_id("Unable to submit j.yaml: extra keys not allowed @ data['actions'][2]")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_job_left_in_the_queue_is_reported_stuck_after_the_queue_limit():
    clock = _Clock()
    with pytest.raises(LabError, match=r"job 7 stuck in the queue: still Submitted after 1[01] s"):
        jobs_client.wait(lambda: _job(state="Submitted", health="Unknown"),
                         jobs_client.WaitLimits(queue=10, total=100, poll=1), clock, clock.sleep)
    assert 10 < clock.now <= 12


def test_a_running_job_gets_the_total_limit_then_an_error_naming_its_state():
    clock = _Clock()
    states = iter(["Submitted", "Scheduled"] + ["Running"] * 1000)
    with pytest.raises(LabError, match=r"job 7 not finished after 3\d s: left Running"):
        jobs_client.wait(lambda: _job(state=next(states), health="Unknown"),
                         jobs_client.WaitLimits(queue=10, total=30, poll=1), clock, clock.sleep)


def test_waiting_returns_the_finished_job():
    clock = _Clock()
    states = iter(["Submitted", "Running", "Finished"])
    job = jobs_client.wait(lambda: _job(state=next(states)), jobs_client.WaitLimits(poll=1), clock, clock.sleep)
    assert job["state"] == "Finished" and clock.now == 2


def test_server_timestamps_give_queue_and_run_time():
    queue, run = jobs_client.server_times(_job(submit_time="2026-12-02T03:10:00.250000Z",
                                               start_time="2026-12-02T03:10:01.000000Z",
                                               end_time="2026-12-02T03:10:31.500000Z"))
    assert queue == pytest.approx(0.75) and run == pytest.approx(30.5)
    assert jobs_client.server_times(_job(start_time=None)) == (None, None)


# ---- lab configuration -------------------------------------------------------------------------

def test_the_servers_state_lives_in_the_lab_folder_and_reaches_it_through_the_environment(tmp_path: Path):
    paths = LabPaths(tmp_path / "lab")
    state = LabState.fresh(paths.root)
    config = settings(paths, state)
    written = [config["MEDIA_ROOT"], config["DEVICES_PATH"], config["HEALTH_CHECKS_PATH"], config["DJANGO_LOGFILE"],
               config["DEVICE_TYPES_PATHS"][0], config["DATABASES"]["default"]["HOST"],
               config["INTERNAL_EVENT_SOCKET"].removeprefix("ipc://")]
    assert all(Path(p).is_relative_to(paths.root) for p in written), written
    assert config["EVENT_SOCKET"] == f"tcp://127.0.0.1:{state.event_port}" and config["EVENT_NOTIFICATION"] is True
    env = server_env(paths, state)
    assert json.loads(base64.b64decode(env["LAVA_JSON_SETTINGS"])) == config
    assert "pyenv" not in env["PATH"] and len({state.http_port, state.publisher_port, state.event_port,
                                               state.pg_port}) == 4


def test_lab_state_round_trips_and_is_private(tmp_path: Path):
    state = LabState.fresh(tmp_path)
    state.pids["gunicorn"] = 4242
    state.save(tmp_path / "lab.json")
    assert LabState.load(tmp_path / "lab.json") == state
    assert (tmp_path / "lab.json").stat().st_mode & 0o077 == 0
    assert LabState.load(tmp_path / "missing.json") is None


@pytest.fixture(scope="module")
def lava_server_installed() -> None:
    """make lava-lab-install, once: skips only where Debian's lava-server packages cannot be installed."""
    if os.geteuid() != 0:
        pytest.fail("the LAVA lab must run as root (lava-run, PostgreSQL and lava-server accounts)")
    install = subprocess.run(["make", "--no-print-directory", "lava-lab-install"], cwd=REPO, capture_output=True,
                             text=True, timeout=1800)
    if install.returncode != 0:
        if shutil.which("lava-server", path=PLAIN_PATH) is None:
            pytest.skip(f"lava-server cannot be installed on this machine (make lava-lab-install, exit "
                        f"{install.returncode}):\n{_tail(install, 8)}")
        pytest.fail(f"make lava-lab-install failed (exit {install.returncode}):\n{_tail(install)}")


def test_the_lab_device_renders_the_same_qemu_options_as_the_local_lava_run_device(lava_server_installed: None):
    """Runs on every machine that can install lava-server (it used to skip on a fresh one: the templates
    arrive with lava-server, which only the later round-trip test installed)."""
    assert (TEMPLATES / "qemu.jinja2").exists(), f"lava-server installed but {TEMPLATES}/qemu.jinja2 is missing"
    jinja2 = pytest.importorskip("jinja2")
    from jinja2.sandbox import SandboxedEnvironment
    # As lava_scheduler_app renders a device dictionary: sandboxed, trim_blocks, job context as variables.
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader([str(DEVICE_DICT.parent), str(TEMPLATES)]),
                               autoescape=False, trim_blocks=True)
    device = yaml.safe_load(env.get_template(DEVICE_DICT.name).render(arch="arm64"))
    local = yaml.safe_load((REPO / "lava" / "devices" / "qemu-aarch64-local.yaml").read_text())
    qemu = device["actions"]["boot"]["methods"]["qemu"]["parameters"]
    assert qemu["command"] == "qemu-system-aarch64"
    assert qemu["options"] == local["actions"]["boot"]["methods"]["qemu"]["parameters"]["options"]
    assert not any("-net nic" in o for o in qemu["options"])  # qemu.jinja2's own card is gone


# ---- the jobs the lab gets ---------------------------------------------------------------------

def _suite_jobs(tmp_path: Path) -> dict[str, dict]:
    platform = platform_args(profiles.load("qemu-arm64", "default"), tmp_path, 40000)
    disks = {label: f"file:///d/{label}.img" for label in platform.disks}
    t = jobs.Timeouts(boot=3)
    testdef = yaml.safe_load((REPO / jobs.TESTDEF_PATH).read_text())
    return {
        "shell": jobs.qemu_job("s", "file:///k", platform, disks, jobs.shell_test(t, testdef), t,
                               ramdisk_url="file:///r.cpio.gz", prompt="avps-cts# "),
        "linux": jobs.qemu_job("l", "file:///k", platform, disks, jobs.monitor_test(t, jobs.LINUX_END), t,
                               ramdisk_url="file:///i.cpio.gz"),
        "probe": jobs.qemu_job("p", "file:///p.img", platform, disks, jobs.monitor_test(t, jobs.PROBE_END), t),
    }


def test_the_suite_jobs_pass_lava_servers_submission_schema(tmp_path: Path):
    """lava-server refuses what lava-run --validate accepts (e.g. params inside an inline definition):
    the jobs go through the server's own schema (lava_scheduler_app.schema) where it is installed,
    else through lava-common's strict schema, which the dispatcher shares with the server."""
    try:
        from django.conf import settings as django_settings
        if not django_settings.configured:
            django_settings.configure(EXTRA_CONTEXT_VARIABLES=[])
        from lava_scheduler_app.schema import validate_submission
    except ImportError:
        validate_submission = None
    schemas = pytest.importorskip("lava_common.schemas", reason="lava-common not installed (make lava-check installs it)")
    for name, job in _suite_jobs(tmp_path).items():
        data = yaml.safe_load(jobs.dump(job))
        if validate_submission is not None:
            assert validate_submission(data), name
        schemas.validate(data, strict=True)


def test_an_incomplete_job_without_a_server_comment_is_explained_from_its_results_and_log():
    """Recorded from this lab: a job with a relative socket path, which the worker's QEMU could not find."""
    tests = json.loads((DATA / "lab-incomplete-tests.json").read_text())["results"]
    reason = jobs_client.log_reason(tests, (DATA / "lab-incomplete-log.yaml").read_text())
    assert reason.startswith("Infrastructure: Connection closed; last console line: qemu-system-aarch64: ")
    assert "Failed to connect to 'build/lava-lab-check/host/con0.sock'" in reason


# ---- the real lab --------------------------------------------------------------------------------

def _tail(done: subprocess.CompletedProcess, lines: int = 25) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-lines:])


def test_a_job_through_the_real_lab_gives_the_direct_runs_results(qemu_ready: Path, lava_server_installed: None):
    """The round trip at its smallest, in make test: the probe monitor job submitted with lavacli to
    the real lava-server, run by its lava-worker, results fetched through the REST API and compared
    case by case with a direct run of the same probe. The lab is set up once in build/lava-lab/
    (restarted, not rebuilt, afterwards) and its migrated database comes from the package cache
    (postgres.MigratedTemplate), so only the first run ever waits for the migrations.
    AVPS_LAVA_LAB_JOBS=shell,linux,probe runs all three jobs, as 'make lava-lab-check' does.
    Skipped only where Debian's lava-server packages cannot be installed (the skip says why)."""
    jobs_wanted = os.environ.get("AVPS_LAVA_LAB_JOBS", "probe")
    done = subprocess.run(["make", "--no-print-directory", "lava-lab-check", f"LAVA_LAB_JOBS={jobs_wanted}"],
                          cwd=REPO, capture_output=True, text=True, timeout=2400)
    print(done.stdout)
    assert done.returncode == 0, f"make lava-lab-check failed (exit {done.returncode}); its last lines:\n{_tail(done)}"
    assert " 0 different" in done.stdout and "round trips through lava-server" in done.stdout, _tail(done)
    assert "lava-lab probe-virtio-mmio (job " in done.stdout, _tail(done)
