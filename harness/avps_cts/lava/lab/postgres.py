"""The lab's own PostgreSQL cluster: data, Unix socket and log under the lab folder, no TCP, no system cluster touched."""
from __future__ import annotations

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
