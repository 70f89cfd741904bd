"""Jobs that run once across hosts (issue 16): buurt.background.job_lock and the timers' commands.

Every process here is a real process with an instance folder of its own on one shared database
(a SQLite file, or a PostgreSQL database from the `postgres_server` fixture), as two hosts with
the same timers would be. What each process did goes into one shared log, a line per event,
appended atomically (O_APPEND): "one holder at a time" is read from the order of those lines,
never from timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from buurt.background import job_lock, lock_file, lock_key
from buurt.models import AuditEntry, OutboxMessage, ResidentStatus, Role
from tests.conftest import make_test_app
from tests.gunicorn_support import ROOT, VENV_BIN, prepare_database, server_env
from tests.postgres_support import postgres_server, run_database  # noqa: F401 - the fixture

# One process of a "host": builds the app from its environment (its own instance folder, the
# shared database) and does MODE with lock NAME, noting each step in LOG.
CHILD = r"""
import os, sys, time
from buurt import create_app
from buurt.background import job_lock

mode, name, log_path, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = create_app()

def note(what):
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, f"{what} {os.getpid()}\n".encode())
    os.close(fd)

def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.005)

if mode == "rounds":  # wait=True, `rounds` times; all start together
    note("ready")
    wait_for(log_path + ".go")
    for _ in range(rounds):
        with job_lock(app, name, wait=True) as got:
            note("enter" if got else "refused")
            time.sleep(0.01)  # a window in which a second holder would show
            note("exit")
elif mode == "hold":  # hold until told to let go (or until killed)
    with job_lock(app, name) as got:
        note("held" if got else "busy")
        if got:
            wait_for(log_path + ".release")
            note("releasing")
elif mode == "wait":
    note("waiting")
    with job_lock(app, name, wait=True) as got:
        note("got" if got else "refused")
"""

DEADLINE = 60.0  # seconds a process may take to start (imports, app) on a loaded machine


@pytest.fixture(params=[run_database()])
def shared_database(request, tmp_path) -> str:
    """One database that every "host" of a test uses."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_server").new_database("joblock")
    (tmp_path / "shared").mkdir(exist_ok=True)
    return f"sqlite:///{tmp_path / 'shared' / 'buurt.sqlite'}"


class Hosts:
    """Processes with instance folders of their own on one database, and their shared log."""

    def __init__(self, root: Path, database_uri: str, config: dict | None = None):
        self.root, self.database_uri, self.config = root, database_uri, config or {}
        self.log = root / "events.log"
        self.processes: list[subprocess.Popen] = []
        self._n = 0

    def env(self) -> dict[str, str]:
        self._n += 1
        instance = self.root / f"host{self._n}"
        instance.mkdir(exist_ok=True)
        return server_env(instance_path=instance, database_uri=self.database_uri, config=self.config)

    def start(self, mode: str, name: str = "testjob", rounds: int = 1) -> subprocess.Popen:
        process = subprocess.Popen(
            [str(VENV_BIN / "python"), "-c", CHILD, mode, name, str(self.log), str(rounds)],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.processes.append(process)
        return process

    def events(self) -> list[tuple[str, int]]:
        if not self.log.exists():
            return []
        return [(what, int(pid)) for what, pid in (line.split() for line in self.log.read_text().splitlines())]

    def wait_for(self, what: str, count: int = 1, pid: int | None = None) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            found = [e for e in self.events() if e[0] == what and (pid is None or e[1] == pid)]
            if len(found) >= count:
                return
            for process in self.processes:
                if process.poll() not in (None, 0, -signal.SIGKILL):
                    pytest.fail(f"a host process failed: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.02)
        pytest.fail(f"no {count} x {what!r} in time; log: {self.events()}")

    def signal_file(self, suffix: str) -> None:
        Path(str(self.log) + suffix).write_text("")

    def finish(self) -> None:
        for process in self.processes:
            try:
                _out, err = process.communicate(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                pytest.fail("a host process did not finish")
            assert process.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate()  # closes the pipes


@pytest.fixture
def hosts(tmp_path, shared_database):
    made = Hosts(tmp_path, shared_database)
    yield made
    made.kill_all()


def test_the_key_is_the_same_in_every_process_and_differs_per_job():
    code = "from buurt.background import lock_key; print(lock_key('purge'))"
    other = subprocess.run([str(VENV_BIN / "python"), "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(other.stdout) == lock_key("purge")
    assert len({lock_key(n) for n in ("purge", "digest", "geocode-pending")}) == 3
    assert all(-(2**63) <= lock_key(n) < 2**63 for n in ("purge", "digest"))


def test_one_holder_at_a_time_across_processes(hosts):
    rounds, processes = 5, 3
    for _ in range(processes):
        hosts.start("rounds", rounds=rounds)
    hosts.wait_for("ready", processes)
    hosts.signal_file(".go")
    hosts.finish()

    events = hosts.events()
    inside, most = 0, 0
    for what, _pid in events:
        inside += {"enter": 1, "exit": -1}.get(what, 0)
        most = max(most, inside)
    assert [e for e in events if e[0] == "refused"] == []
    assert sum(e[0] == "enter" for e in events) == rounds * processes  # every round ran: wait=True waited
    assert most == 1  # never two inside
    # and each enter is followed by the same process's exit
    entries = [e for e in events if e[0] in ("enter", "exit")]
    assert all(a[0] == "enter" and b == ("exit", a[1]) for a, b in zip(entries[::2], entries[1::2], strict=True))


def test_a_busy_lock_says_so_at_once_and_wait_waits_for_it(hosts, tmp_path, shared_database):
    holder = hosts.start("hold")
    hosts.wait_for("held", pid=holder.pid)
    here = app_on(tmp_path / "here", shared_database)
    try:
        with job_lock(here, "testjob") as got:
            assert got is False  # this process, with its own instance folder: busy
        with job_lock(here, "another-job") as got:
            assert got is True  # other jobs are not held up
        waiter = hosts.start("wait")
        hosts.wait_for("waiting", pid=waiter.pid)
        time.sleep(1.0)  # room for a wrong "got" to show; the assertion below cannot fail by slowness
        assert ("got", waiter.pid) not in hosts.events()
        hosts.signal_file(".release")
        hosts.wait_for("got", pid=waiter.pid)
        hosts.finish()
        order = [what for what, _pid in hosts.events() if what in ("held", "waiting", "releasing", "got")]
        assert order.index("got") > order.index("releasing")
    finally:
        _dispose(here)


def test_a_killed_holder_frees_the_lock(hosts, tmp_path, shared_database):
    holder = hosts.start("hold")
    hosts.wait_for("held", pid=holder.pid)
    here = app_on(tmp_path / "here", shared_database)
    try:
        with job_lock(here, "testjob") as got:
            assert got is False
        os.kill(holder.pid, signal.SIGKILL)  # no finally, no unlock: only the kernel / the server can free it
        holder.wait(DEADLINE)
        assert _got_within(here, "testjob", DEADLINE)  # PostgreSQL ends the dead client's session
        assert ("releasing", holder.pid) not in hosts.events()
    finally:
        _dispose(here)


def test_sqlite_lock_file_is_beside_the_database_and_private(tmp_path):
    database = tmp_path / "db" / "buurt.sqlite"
    database.parent.mkdir()
    app = app_on(tmp_path / "a", f"sqlite:///{database}")
    old_umask = os.umask(0o022)
    try:
        with job_lock(app, "purge") as got:
            assert got
    finally:
        os.umask(old_umask)
        _dispose(app)
    path = lock_file(database, "purge")
    assert path == database.with_name("buurt.sqlite.purge.lock")
    assert (path.stat().st_mode & 0o777) == 0o600
    assert not list((tmp_path / "a" / "instance").glob("*.lock"))  # not in the instance folder


def app_on(folder: Path, database_uri: str):
    """An app in this test process with an instance folder of its own on the shared database."""
    folder.mkdir(parents=True, exist_ok=True)
    return make_test_app(folder, SQLALCHEMY_DATABASE_URI=database_uri)


def _got_within(app, name: str, seconds: float) -> bool:
    """Try the lock until it is free (a bound, so a lock that is never freed fails instead of hanging)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with job_lock(app, name) as got:
            if got:
                return True
        time.sleep(0.05)
    return False


def _dispose(app) -> None:
    from buurt.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the timers' commands on two hosts at once --------------------------------------------------------


def _seed_digest_work(database_uri: str, tmp_path: Path) -> None:
    """A beheerder of the first group and two new sign-ups there (fictional)."""
    from buurt.auth.services import create_user
    from buurt.extensions import db
    from buurt.models import Group, Resident, utcnow

    setup = app_on(tmp_path / "setup", database_uri)
    with setup.app_context():
        group = db.session.scalars(select(Group).order_by(Group.sort_order)).first()
        create_user("beheerder.digest@example.org", "Fictieve Beheerder", Role.BEHEERDER, groups=[group])
        for n in (1, 2):
            db.session.add(
                Resident(
                    group_id=group.id,
                    status=ResidentStatus.PENDING,
                    name=f"Fictief Persoon {n}",
                    phone_e164=f"+316100000{n:02d}",
                    postcode="2221ZZ",
                    house_number=n,
                    street="Fictieweg",
                    place="Katwijk",
                    lat=52.2134,
                    lon=4.4245,
                    geocoder_source="register",
                    consent_privacy_at=utcnow(),
                    consent_rules_at=utcnow(),
                    consent_age_at=utcnow(),
                )
            )
        db.session.commit()
    _dispose(setup)


def _run_on_two_hosts(tmp_path: Path, database_uri: str, args: list[str], config: dict) -> list[str]:
    """`flask --app app ARGS` started at once on two hosts; both must exit 0; their outputs."""
    started = []
    for host in ("a", "b"):
        instance = tmp_path / f"host-{host}"
        instance.mkdir(exist_ok=True)
        started.append(
            subprocess.Popen(
                [str(VENV_BIN / "flask"), "--app", "app", *args],
                cwd=ROOT,
                env=server_env(instance_path=instance, database_uri=database_uri, config=config),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    for process in started:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
        outputs.append(out)
    return outputs


def _count(database_uri: str, statement) -> int:
    engine = create_engine(database_uri)
    try:
        with engine.connect() as conn:
            return conn.execute(statement).scalar_one()
    finally:
        engine.dispose()


def test_purge_on_two_hosts_at_once_runs_once(tmp_path, shared_database):
    prepare_database(instance_path=tmp_path / "prepare", database_uri=shared_database)
    config = {"PURGE_HOUR": 0}  # due at any hour of the test run
    outputs = _run_on_two_hosts(tmp_path, shared_database, ["buurt", "purge", "--apply", "--if-due"], config)

    purges = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "retention.purge")
    assert _count(shared_database, purges) == 1
    assert sum("overgeslagen" in out for out in outputs) == 1, outputs
    # and the next timer run that day (the thread or a third host) finds it done
    again = _run_on_two_hosts(tmp_path, shared_database, ["buurt", "purge", "--apply", "--if-due"], config)
    assert all("overgeslagen" in out for out in again), again
    assert _count(shared_database, purges) == 1


def test_digest_on_two_hosts_at_once_queues_mail_once(tmp_path, shared_database, smtp_server):
    prepare_database(instance_path=tmp_path / "prepare", database_uri=shared_database)
    _seed_digest_work(shared_database, tmp_path)
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port}
    outputs = _run_on_two_hosts(tmp_path, shared_database, ["buurt", "digest", "--if-due"], config)

    digests = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "digest")
    assert _count(shared_database, digests) == 1
    assert sum("overgeslagen" in out for out in outputs) == 1, outputs
    assert len(smtp_server.inbox.messages) == 1
    runs = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "residents.digest.run")
    assert _count(shared_database, runs) == 1


def test_geocode_pending_says_busy_and_exits_0(tmp_path, shared_database):
    prepare_database(instance_path=tmp_path / "prepare", database_uri=shared_database)
    here = app_on(tmp_path / "here", shared_database)
    try:
        with job_lock(here, "geocode-pending") as got:
            assert got
            instance = tmp_path / "host-b"
            instance.mkdir()
            done = subprocess.run(
                [str(VENV_BIN / "flask"), "--app", "app", "buurt", "geocode-pending"],
                cwd=ROOT,
                env=server_env(instance_path=instance, database_uri=shared_database),
                capture_output=True,
                text=True,
                timeout=120,
            )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "geocode-pending: overgeslagen, al bezig op een andere machine/proces."
    finally:
        _dispose(here)


def test_postgresql_holds_the_lock_outside_any_transaction(tmp_path, postgres_server):  # noqa: F811 - the fixture
    """The holder's connection is idle, not "idle in transaction": no snapshot held for the whole job
    (vacuum goes on), no idle_in_transaction_session_timeout can end it; and it is not the session's."""
    from sqlalchemy import text

    from buurt.extensions import db

    uri = postgres_server.new_database("joblock")
    here = app_on(tmp_path / "here", uri)
    try:
        with here.app_context(), job_lock(here, "purge") as got:
            assert got
            session_pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            holders = db.session.execute(
                text(
                    "SELECT a.pid, a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted"
                )
            ).all()
            db.session.rollback()
        assert len(holders) == 1
        [(pid, state)] = holders
        assert state == "idle"
        assert pid != session_pid
    finally:
        _dispose(here)
