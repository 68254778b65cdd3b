"""A real PostgreSQL server for the tests: Debian's initdb and pg_ctl on a temporary folder and a free port.

Started once per test session (`postgres` fixture in conftest.py); every test gets a schema of its
own (`PostgresServer.new_url`), so tests never see each other's rows. As root the server runs as
the `postgres` system user (PostgreSQL refuses to run as root). Installed by `make test` with
`apt-get install -y postgresql` when initdb is missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ports import free_port


def find_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, else the PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which and shutil.which("pg_ctl") else None


class PostgresServer:
    """A running server: `new_url()` gives a url to an empty schema of its own."""

    def __init__(self, host: str, port: int, user: str) -> None:
        self.host, self.port, self.user = host, port, user

    @property
    def url(self) -> str:
        """The server's `newsbot` database, default schema."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/newsbot"

    def new_url(self) -> str:
        """A url whose search_path is a fresh, empty schema."""
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f"CREATE SCHEMA {schema}")
        return f"{self.url}?options=-csearch_path%3D{schema}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """initdb + pg_ctl start on a temporary folder (trust auth, unix socket inside it), stopped after."""
    bindir = find_bin()
    if bindir is None:
        raise FileNotFoundError("initdb not found; install PostgreSQL (apt-get install -y postgresql)")
    root = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise FileNotFoundError("running as root needs the postgres system user (Debian's postgresql package "
                                    "creates it: apt-get install -y postgresql)") from None
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    port = free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "newsbot", "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True, timeout=120)
    options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
               " -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB")
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
                    "-t", "60", "start"], check=True, capture_output=True, timeout=90)
    try:
        import psycopg

        with psycopg.connect(f"postgresql://newsbot@127.0.0.1:{port}/postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE newsbot")
        yield PostgresServer("127.0.0.1", port, "newsbot")
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
