"""The lab's own PostgreSQL cluster: data, Unix socket and log under the lab folder, no TCP, no system cluster touched."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from .processes import PLAIN_PATH, LabError, tail

PG_USER = "postgres"  # the cluster runs as Debian's postgres account (initdb refuses root)


def pg_bin() -> Path:
    """The newest installed server version's bin folder (Debian: /usr/lib/postgresql/<v>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise LabError("PostgreSQL server binaries missing (/usr/lib/postgresql/*/bin/initdb): "
                       "install the 'postgresql' package (make lava-lab-check does, through harness/bootstrap.sh)")
    return found[-1].parent


class Cluster:
    """A throw-away cluster. Trust authentication on its socket only (listen_addresses is empty):
    the socket folder is the lab's, so only local processes that can reach the build folder connect."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "run"
        self.log = folder / "postgres.log"
        self.port = port

    def _run(self, args: list[str], what: str, stdin: str | None = None) -> str:
        done = subprocess.run(args, input=stdin, capture_output=True, text=True, user=PG_USER, group=PG_USER,
                              extra_groups=[], env={"PATH": PLAIN_PATH, "LANG": "C.UTF-8"}, cwd="/")
        if done.returncode != 0:
            raise LabError(f"PostgreSQL: {what} failed (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()}\n  server log {self.log}:\n{tail(self.log)}")
        return done.stdout

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """initdb once; the folder belongs to the postgres account."""
        if self.initialised():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        for path in (self.folder, self.socket_dir):
            shutil.chown(path, PG_USER, PG_USER)
        self._run([str(pg_bin() / "initdb"), "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                   "--locale=C.UTF-8"], "initdb")

    def running(self) -> bool:
        done = subprocess.run([str(pg_bin() / "pg_ctl"), "status", "-D", str(self.data)], capture_output=True,
                              user=PG_USER, group=PG_USER, extra_groups=[], env={"PATH": PLAIN_PATH}, cwd="/")
        return done.returncode == 0

    def start(self) -> None:
        if self.running():
            return
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=''"
        self._run([str(pg_bin() / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                   "-o", options], "starting the cluster")

    def stop(self) -> str:
        if not self.initialised() or not self.running():
            return "PostgreSQL cluster was not running"
        self._run([str(pg_bin() / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "60"],
                  "stopping the cluster")
        return "PostgreSQL cluster stopped"

    def psql(self, sql: str, what: str) -> str:
        return self._run(["psql", "-h", str(self.socket_dir), "-p", str(self.port), "-d", "postgres", "-q",
                          "-v", "ON_ERROR_STOP=1"], what, stdin=sql)

    def create_database(self, user: str, db: str) -> None:
        """Role and database as lava-server's own postinst.py makes them (idempotent)."""
        self.psql(f"""
DO $$ BEGIN
  CREATE ROLE "{user}" NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN;
  EXCEPTION WHEN DUPLICATE_OBJECT THEN RAISE NOTICE 'role {user} exists';
END $$;
SELECT 'CREATE DATABASE "{db}" LC_COLLATE "C.UTF-8" LC_CTYPE "C.UTF-8" ENCODING "UTF-8" OWNER "{user}" TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{db}')\\gexec
""", f"creating role and database {db}")


def _versions() -> str:
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", "lava-server", "lava-common"],
                          capture_output=True, text=True, env={"PATH": PLAIN_PATH})
    return done.stdout + str(pg_bin())


def _copy(source: Path, dest: Path) -> None:
    """cp -a: the files stay the postgres account's, with their modes (the data folder is 0700)."""
    done = subprocess.run(["cp", "-a", str(source), str(dest)], capture_output=True, text=True)
    if done.returncode != 0:
        raise LabError(f"copying the PostgreSQL data folder {source} failed: {done.stderr.strip()}")


class MigratedTemplate:
    """A stopped cluster in which lava-server's database is created and migrated, with no account yet,
    kept in the package cache under the installed versions (lava-server, lava-common, PostgreSQL).
    A new lab copies it instead of running the migrations again (about 2 minutes on this machine)."""

    def __init__(self, cache: Path) -> None:
        key = hashlib.sha256(_versions().encode()).hexdigest()[:16]
        self.folder = cache / "lava-lab-db" / key

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def usable(self) -> bool:
        return (self.data / "PG_VERSION").exists() and not (self.data / "postmaster.pid").exists()

    def copy_into(self, cluster: Cluster) -> bool:
        """The lab's cluster from the template (False: no template, the caller migrates)."""
        if not self.usable() or cluster.initialised():
            return False
        cluster.folder.mkdir(parents=True, exist_ok=True)
        cluster.socket_dir.mkdir(exist_ok=True)
        tmp = cluster.folder / f".data.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        _copy(self.data, tmp)
        os.replace(tmp, cluster.data)
        for path in (cluster.folder, cluster.socket_dir):
            shutil.chown(path, PG_USER, PG_USER)
        return True

    def save_from(self, cluster: Cluster) -> None:
        """Copies a stopped, freshly migrated cluster into the cache, atomically (temp folder + rename)."""
        if self.usable():
            return
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.folder.parent / f".{self.folder.name}.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        _copy(cluster.data, tmp / "data")
        (tmp / "data" / "postmaster.pid").unlink(missing_ok=True)
        try:
            os.replace(tmp, self.folder)
        except OSError:  # another lab saved it first
            shutil.rmtree(tmp, ignore_errors=True)
