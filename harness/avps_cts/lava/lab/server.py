"""The local lab's lava-server and lava-worker: settings through the environment, state under the lab folder, setup and daemons."""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from . import processes
from ...cache import cache_dir
from .postgres import Cluster, MigratedTemplate
from .processes import PLAIN_PATH, LabError

SERVER_USER = "lavaserver"  # Debian's lava-server account (its postinst creates it); the units run as it
ADMIN = "avps-admin"
DEVICE_TYPE = "qemu"  # lava-server's own template, /usr/share/lava-server/device-types/qemu.jinja2
DEVICE = "avps-qemu01"
REPO = Path(__file__).resolve().parents[4]
DEVICE_DICT = REPO / "lava" / "devices" / "avps-qemu-aarch64.jinja2"
# The one file Debian's lava-server only reads from /etc: the worker's dispatcher configuration
# (lava_server/files.py). It is named after the lab's worker and removed by 'lava-lab stop'.
DISPATCHER_D = Path("/etc/lava-server/dispatcher.d")
DAEMONS = ("gunicorn", "publisher", "scheduler", "worker")


@dataclasses.dataclass
class LabPaths:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "lab.json"

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def server(self) -> Path:  # everything lava-server writes: media (job logs), devices, device types
        return self.root / "server"

    @property
    def worker(self) -> Path:
        return self.root / "worker"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


@dataclasses.dataclass
class LabState:
    """What a started lab needs to be found again: ports, secrets, pids (lab.json, mode 0600)."""

    http_port: int
    publisher_port: int
    event_port: int
    pg_port: int
    secret_key: str
    token: str  # the admin's API token (lavacli and the REST API)
    worker: str
    worker_token: str = ""
    configured: bool = False
    pids: dict[str, int] = dataclasses.field(default_factory=dict)
    started: dict[str, int] = dataclasses.field(default_factory=dict)  # processes.started_at of each pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def rpc_uri(self) -> str:
        return f"http://{ADMIN}:{self.token}@127.0.0.1:{self.http_port}/RPC2"

    @classmethod
    def fresh(cls, root: Path) -> "LabState":
        ports: set[int] = set()
        while len(ports) < 4:
            ports.add(processes.free_port())
        http, pub, event, pg = sorted(ports)
        # One worker name per lab folder, so two checkouts never share the /etc dispatcher file.
        worker = "avps-lab-" + secrets.token_hex(4)
        return cls(http, pub, event, pg, secrets.token_urlsafe(40), secrets.token_hex(20), worker)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(self), indent=1))
        tmp.chmod(0o600)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "LabState | None":
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def settings(paths: LabPaths, state: LabState) -> dict[str, Any]:
    """lava-server settings for this lab. They go in LAVA_JSON_SETTINGS, which lava_server.settings.prod
    applies after /etc/lava-server/settings.d, so nothing under /etc decides for the lab."""
    return {
        "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "lavaserver",
                                  "USER": SERVER_USER, "PASSWORD": "", "HOST": str(paths.postgres / "run"),
                                  "PORT": str(state.pg_port)}},
        "SECRET_KEY": state.secret_key,
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
        "MEDIA_ROOT": str(paths.server / "media"),
        "DEVICES_PATH": str(paths.server / "devices"),
        "DEVICE_TYPES_PATHS": [str(paths.server / "device-types"), "/usr/share/lava-server/device-types"],
        "HEALTH_CHECKS_PATH": str(paths.server / "health-checks"),
        "DJANGO_LOGFILE": str(paths.logs / "django.log"),
        # The scheduler wakes on events instead of its 20 s poll (LAVA-NOTES: queue wait ~0.5 s).
        "EVENT_NOTIFICATION": True,
        "INTERNAL_EVENT_SOCKET": f"ipc://{paths.server / 'lava.events'}",
        "EVENT_SOCKET": f"tcp://127.0.0.1:{state.event_port}",
    }


def server_env(paths: LabPaths, state: LabState) -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(settings(paths, state)).encode()).decode()
    return {"PATH": PLAIN_PATH, "LANG": "C.UTF-8", "HOME": str(paths.server), "LAVA_JSON_SETTINGS": encoded}


def manage(paths: LabPaths, state: LabState, *args: str) -> str:
    """One 'lava-server manage' command as the lava-server account; a failure names the command."""
    done = subprocess.run(["lava-server", "manage", *args], capture_output=True, text=True,
                          env=server_env(paths, state), user=SERVER_USER, group=SERVER_USER, extra_groups=[],
                          cwd=paths.server)
    if done.returncode != 0:
        out = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise LabError(f"lava-server manage {' '.join(args[:2])} failed (exit {done.returncode}): "
                       + "\n    ".join(out[-12:]))
    return done.stdout


def lavacli(state: LabState, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(["lavacli", "--uri", state.rpc_uri, *args], capture_output=True, text=True,
                          env={"PATH": PLAIN_PATH, "LANG": "C.UTF-8", "HOME": "/nonexistent"}, timeout=timeout)
    if done.returncode != 0:
        raise LabError(f"lavacli {' '.join(args[:2])} failed (exit {done.returncode}): "
                       f"{(done.stderr or done.stdout).strip()}")
    return done.stdout


def check_installed() -> None:
    missing = [tool for tool in ("lava-server", "lava-worker", "lavacli", "gunicorn", "psql")
               if shutil.which(tool, path=PLAIN_PATH) is None]
    if missing:
        raise LabError(f"missing {', '.join(missing)}: install lava-server, lava-dispatcher, lavacli and postgresql "
                       "(make lava-lab-check does, through harness/bootstrap.sh)")
    try:
        import pwd
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise LabError(f"no '{SERVER_USER}' account: lava-server's postinst did not run "
                       "(dpkg --configure lava-server)") from None
    if os.geteuid() != 0:
        raise LabError("the LAVA lab must be started as root (the worker's lava-run needs root, "
                       "PostgreSQL and lava-server run as their own accounts)")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Lab:
    """A lab folder and its state; start() is idempotent, stop() ends what start() began."""

    def __init__(self, root: Path) -> None:
        self.paths = LabPaths(root.resolve())
        self.state = LabState.load(self.paths.state)

    # ---- start ------------------------------------------------------------------------------
    def start(self, timeout: float = 120) -> LabState:
        """Brings the whole lab up, or nothing: after a failure the lab is stopped (the error names why)."""
        check_installed()
        try:
            return self._start(timeout)
        except LabError:
            self.stop()
            raise

    def _refresh_ports(self, cluster_running: bool) -> None:
        """A stopped lab keeps its ports; one that another program took since gets a new one."""
        assert self.state is not None
        if any(processes.alive(pid) for pid in self.state.pids.values()):
            return
        for attr in ("http_port", "publisher_port", "event_port") + (() if cluster_running else ("pg_port",)):
            if not processes.port_free(getattr(self.state, attr)):
                taken = {self.state.http_port, self.state.publisher_port, self.state.event_port, self.state.pg_port}
                port = processes.free_port()
                while port in taken:
                    port = processes.free_port()
                setattr(self.state, attr, port)
        self.state.save(self.paths.state)

    def _start(self, timeout: float) -> LabState:
        if self.state is None or not self.state.configured or not Cluster(self.paths.postgres, 0).initialised():
            self._fresh_folder()
        state = self.state
        assert state is not None
        self._refresh_ports(Cluster(self.paths.postgres, state.pg_port).initialised()
                            and Cluster(self.paths.postgres, state.pg_port).running())
        cluster = Cluster(self.paths.postgres, state.pg_port)
        template = MigratedTemplate(cache_dir())
        migrated = not state.configured and template.copy_into(cluster)
        cluster.init()
        cluster.start()
        if not state.configured:
            self._configure_database(cluster, template, migrated)
        self._start_daemon("gunicorn", ["gunicorn", "lava_server.wsgi", "--log-level", "INFO",
                                        "--worker-class", "eventlet", "--workers", "2", "--timeout", "60",
                                        # 'lava-lab stop' waits 10 s before SIGKILL; gunicorn's own 30 s default
                                        # for idle workers made every stop wait all of it.
                                        "--graceful-timeout", "3",
                                        "--bind", f"127.0.0.1:{state.http_port}",
                                        "-u", SERVER_USER, "-g", SERVER_USER])
        self._start_daemon("publisher", ["lava-server", "manage", "lava-publisher", "--level", "INFO",
                                         "--host", "127.0.0.1", "--port", str(state.publisher_port)])
        self._start_daemon("scheduler", ["lava-server", "manage", "lava-scheduler", "--level", "INFO",
                                         "--event-url", f"tcp://127.0.0.1:{state.event_port}"])
        processes.wait_for(lambda: http_ok(state.url + "api/v0.2/system/version/"),
                           f"lava-server web app (gunicorn) on {state.url}", timeout,
                           self.paths.logs / "gunicorn.log", state.pids["gunicorn"])
        if not state.configured:
            self._register_worker_and_device()
        # Every start: 'stop' removes it from /etc again.
        dispatcher = self.paths.root / "dispatcher.yaml"
        dispatcher.write_text("# lava-run on this lab's worker: no default route needed.\ndispatcher_ip: 127.0.0.1\n")
        lavacli(state, "workers", "config", "set", state.worker, str(dispatcher))
        self._start_daemon("worker", ["lava-worker", "--name", state.worker, "--url", state.url,
                                      "--ws-url", f"http://127.0.0.1:{state.publisher_port}/ws/",
                                      "--token-file", str(self._worker_token_file()),
                                      "--worker-dir", str(self.paths.worker), "--ping-interval", "1",
                                      "--level", "INFO"], as_root=True)
        processes.wait_for(self._worker_online, f"lava-worker {state.worker} online on the server", timeout,
                           self.paths.logs / "worker.log", state.pids["worker"])
        return state

    def _fresh_folder(self) -> None:
        """A lab that never finished its setup starts again from nothing (its database included)."""
        if self.state is not None:
            self.stop()
        if self.paths.root.exists():
            shutil.rmtree(self.paths.root)
        for folder in (self.paths.server / "media" / "job-output", self.paths.server / "devices",
                       self.paths.server / "device-types", self.paths.server / "health-checks",
                       self.paths.worker, self.paths.logs):
            folder.mkdir(parents=True, exist_ok=True)
        # Django's log is opened by every lava-server process, some of them running as the
        # lava-server account: it must not be created by root first.
        (self.paths.logs / "django.log").touch()
        for path in (self.paths.server, *self.paths.server.rglob("*"), self.paths.logs, self.paths.logs / "django.log"):
            shutil.chown(path, SERVER_USER, SERVER_USER)
        self.state = LabState.fresh(self.paths.root)
        self.state.save(self.paths.state)

    def _configure_database(self, cluster: Cluster, template: MigratedTemplate, migrated: bool) -> None:
        """What lava-server's postinst does for a database (role, database, migrations: or a copy of
        the cached cluster where that was done), then the lab's own account and token."""
        assert self.state is not None
        if not migrated:
            cluster.create_database(SERVER_USER, "lavaserver")
            manage(self.paths, self.state, "migrate", "--noinput", "--fake-initial")
            manage(self.paths, self.state, "drop_materialized_views")
            manage(self.paths, self.state, "refresh_queries", "--all")
            cluster.stop()
            template.save_from(cluster)
            cluster.start()
        manage(self.paths, self.state, "users", "add", ADMIN, "--staff", "--superuser",
               "--passwd", secrets.token_urlsafe(16))
        manage(self.paths, self.state, "tokens", "add", "--user", ADMIN, "--secret", self.state.token,
               "--description", "avps-cts lava-lab")

    def _register_worker_and_device(self) -> None:
        assert self.state is not None
        out = manage(self.paths, self.state, "workers", "add", self.state.worker,
                     "--description", "avps-cts local worker")
        token = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Token:")), "")
        if not token:
            raise LabError(f"lava-server manage workers add printed no token: {out.strip()}")
        self.state.worker_token = token
        manage(self.paths, self.state, "device-types", "add", DEVICE_TYPE)
        manage(self.paths, self.state, "devices", "add", DEVICE, "--device-type", DEVICE_TYPE,
               "--worker", self.state.worker, "--description", "QEMU arm64 (TCG) on this machine")
        lavacli(self.state, "devices", "dict", "set", DEVICE, str(DEVICE_DICT))
        self.state.configured = True
        self.state.save(self.paths.state)

    def _start_daemon(self, name: str, command: list[str], as_root: bool = False) -> None:
        assert self.state is not None
        pid = self.state.pids.get(name)
        if pid and processes.alive(pid) and processes.started_at(pid) == self.state.started.get(name):
            return
        log = self.paths.logs / f"{name}.log"
        command = command + (["--log-file", str(log)] if name in ("gunicorn", "publisher", "scheduler", "worker")
                             else [])
        env = server_env(self.paths, self.state) if not as_root else {"PATH": PLAIN_PATH, "LANG": "C.UTF-8",
                                                                       "HOME": str(self.paths.worker)}
        # The daemons drop to the lava-server account themselves (gunicorn -u, manage --user default),
        # as the Debian units start them; their log files are opened first, as root.
        pid = processes.start(command, self.paths.logs / f"{name}.out", env,
                              cwd=self.paths.server if not as_root else self.paths.worker)
        self.state.pids[name], self.state.started[name] = pid, processes.started_at(pid)
        self.state.save(self.paths.state)
        time.sleep(0.2)

    def _worker_token_file(self) -> Path:
        """The worker's token in a 0600 file, not on a command line other users can read."""
        assert self.state is not None
        path = self.paths.worker / "token"
        path.touch(mode=0o600)
        path.write_text(self.state.worker_token)
        return path

    def _worker_online(self) -> bool:
        assert self.state is not None
        try:
            reply = self.api(f"workers/{self.state.worker}/")
        except LabError:
            return False
        return reply.get("state") == "Online"

    # ---- REST -------------------------------------------------------------------------------
    def api(self, path: str, method: str = "GET", data: bytes | None = None, raw: bool = False) -> Any:
        assert self.state is not None
        request = urllib.request.Request(self.state.url + "api/v0.2/" + path, data=data, method=method,
                                         headers={"Authorization": f"Token {self.state.token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                body = reply.read()
        except urllib.error.HTTPError as exc:
            raise LabError(f"lava-server REST {method} {path}: HTTP {exc.code} "
                           f"{exc.read()[:300].decode(errors='replace')}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise LabError(f"lava-server REST {method} {path}: {exc}") from None
        return body if raw else json.loads(body)

    # ---- stop -------------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Ends the daemons this lab started (by pid, worker first), the cluster, and removes the
        worker's /etc dispatcher file. The folder (logs, job output, database) stays."""
        if self.state is None:
            return [f"no lab in {self.paths.root}"]
        done = []
        for name in reversed(DAEMONS):
            pid = self.state.pids.pop(name, None)
            if pid:
                done.append(processes.stop(pid, name, self.state.started.pop(name, 0)))
        self.state.save(self.paths.state)
        try:
            done.append(Cluster(self.paths.postgres, self.state.pg_port).stop())
        except LabError as exc:
            done.append(str(exc))
        for path in (DISPATCHER_D / self.state.worker, DISPATCHER_D / f"{self.state.worker}.yaml"):
            if path.is_dir():
                shutil.rmtree(path)
                done.append(f"removed {path}")
            elif path.exists():
                path.unlink()
                done.append(f"removed {path}")
        return done
