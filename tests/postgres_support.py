"""A real PostgreSQL for tests that need one in every run (the two-host scenario, pg_dump backups).

In the PostgreSQL run (BUURT_TEST_DATABASE_URI, scripts/with_postgres.sh) the fixture uses that
server; in the SQLite run it starts its own throwaway cluster (Debian's postgresql package, which
`make test` installs like Chromium and redis-server), once per test worker, on a free port below
Linux's ephemeral range (see scripts/with_postgres.sh for why), with fsync off. Each caller gets
databases of its own::

    from tests.postgres_support import postgres_server  # noqa: F401 - the fixture

    def test_x(postgres_server):
        uri = postgres_server.new_database("twohosts")
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_names = itertools.count(1)


def run_database() -> str:
    """This run's kind of database: "postgresql" in the PostgreSQL run, else "sqlite".

    Tests of code with one path per database (job locks, backups) run the run's path: each path
    runs once in CI, not twice (the suite runs on both), which kept `make test` under ten minutes.
    """
    return "postgresql" if os.environ.get("BUURT_TEST_DATABASE_URI", "").startswith("postgresql") else "sqlite"


def pg_bin() -> Path:
    """Debian's newest PostgreSQL bin folder (initdb, pg_ctl, pg_dump, pg_restore, psql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[4].split(".")])
    if not found or not Path(found[-1], "initdb").exists():
        pytest.fail("PostgreSQL is not installed: run `make postgres` (apt-get install postgresql)")
    return Path(found[-1])


@dataclass
class PostgresServer:
    """A running server: ``new_database`` gives a fresh, empty database's SQLAlchemy URI."""

    host: str
    port: int
    user: str
    bin: Path
    _created: list[str] = field(default_factory=list)

    def uri(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self, prefix: str = "buurt") -> str:
        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        engine = create_engine(self.uri("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        self._created.append(name)
        return self.uri(name)

    def drop_all(self) -> None:
        engine = create_engine(self.uri("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for name in self._created:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()
        self._created.clear()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _as_postgres(command: list[str]) -> list[str]:
    """Run as the postgres user when we are root (initdb refuses root)."""
    if os.getuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL run's server, or a throwaway cluster until the block ends."""
    given = os.environ.get("BUURT_TEST_DATABASE_URI", "")
    if given.startswith("postgresql"):
        url = make_url(given)
        server = PostgresServer(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username, bin=pg_bin())
        try:
            yield server
        finally:
            server.drop_all()
        return
    binary = pg_bin()
    scratch = Path(tempfile.mkdtemp(prefix="buurt-pg-"))
    scratch.chmod(0o755)
    if os.getuid() == 0:
        shutil.chown(scratch, "postgres", "postgres")
    data = scratch / "data"
    log = scratch / "server.log"
    subprocess.run(
        _as_postgres([str(binary / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = None
    try:
        for candidate in range(25452 + (os.getpid() % 20) * 2, 25500):
            if not _port_free(candidate):
                continue
            options = f"-p {candidate} -k {scratch} -c listen_addresses=127.0.0.1 -c fsync=off"
            options += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            started = subprocess.run(
                _as_postgres(
                    [str(binary / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "120", "-o", options, "start"]
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if started.returncode == 0:
                port = candidate
                break
        if port is None:
            pytest.fail("PostgreSQL did not start: " + (log.read_text()[-2000:] if log.exists() else "no log"))
        server = PostgresServer(host="127.0.0.1", port=port, user="postgres", bin=binary)
        yield server
    finally:
        if port is not None:
            subprocess.run(
                _as_postgres([str(binary / "pg_ctl"), "-D", str(data), "stop", "-m", "fast"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL per test worker (see the module docstring)."""
    with running_postgres() as server:
        yield server
