"""Backups that restore (issue 16, buurt.ops.backup and buurt.ops.restore): the real `flask buurt backup` and `restore`
commands as subprocesses, on SQLite and on a real PostgreSQL in every run.

The main test backs up a live gunicorn while threads post sign-ups and incident reports with
photos, restores the archive into a fresh instance (new folder, new database) and checks what a
restore must give: the counts the manifest claims, every photo the database names with the right
bytes, no row that was not in the site. A second backup after the writers stopped is compared with
the site table by table, row by row, photo by photo. Fictional people and places only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest
import requests
from PIL import Image
from sqlalchemy import create_engine, inspect, text

from buurt import create_app
from buurt.areas.services import seed_default_neighbourhood
from buurt.auth.services import create_user
from buurt.background import instance_lock
from buurt.extensions import db
from buurt.models import Address, Resident, ResidentStatus, Role, utcnow
from buurt.ops import agefile
from buurt.photostore import DirStore
from tests.gunicorn_support import ROOT, VENV_BIN, running_gunicorn, server_env
from tests.incidents.conftest import report_data
from tests.postgres_support import postgres_server, run_database  # noqa: F401 - the fixture

PASSWORD = "correct horse battery staple"
SERVER_CONFIG = {"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
#: rows that change after they are written (counters, logins, the outbox): compared by count only
#: when the site kept writing after the backup; `revision` a restore moves on (buurt.ops.restore)
CHANGING = {"revision", "rate_limit_counter", "user_session", "outbox_message", "seat_lock", "user", "form_submission"}


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


class Instance:
    """One buurt instance: a folder and a database, with its own app; commands through the real CLI
    (in this process with Flask's CLI runner, or as a `flask` subprocess where a test needs one)."""

    def __init__(self, folder: Path, uri: str, **config):
        self.folder, self.uri, self.config = folder, uri, config
        folder.mkdir(parents=True, exist_ok=True)
        self._app = None

    @property
    def app(self):
        if self._app is None:
            config = {"SQLALCHEMY_DATABASE_URI": self.uri, "SECRET_KEY": "test-secret-key-not-for-production"}
            self._app = create_app({**config, "TESTING": True, **self.config}, instance_path=str(self.folder))
        return self._app

    def close(self) -> None:
        if self._app is not None:
            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()

    def prepare(self) -> None:
        """The schema (as the tests make it) and Rijnsoever."""
        with self.app.app_context():
            db.create_all()
            seed_default_neighbourhood()
            db.session.remove()

    @property
    def backups(self) -> Path:
        return self.folder / "backups"

    @property
    def photos(self) -> DirStore:
        return DirStore(self.folder / "uploads" / "incidents")

    def flask(self, *args: str, stdin: str | None = None) -> Done:
        """`flask buurt ARGS` in this process (click's runner: the real command, options and exit code)."""
        result = self.app.test_cli_runner().invoke(args=["buurt", *args], input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Done(result.exit_code, result.stdout, result.stderr)

    def start(self, *args: str) -> subprocess.Popen:
        """`flask buurt ARGS` as a process of its own, as a timer starts it."""
        env = server_env(instance_path=self.folder, database_uri=self.uri, config=self.config)
        command = [str(VENV_BIN / "flask"), "--app", "app", "buurt", *args]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def archives(self) -> list[Path]:
        return sorted(self.backups.glob("buurt-*")) if self.backups.exists() else []

    def run(self, *args: str) -> Done:
        process = self.start(*args)
        out, err = process.communicate(timeout=300)
        return Done(process.returncode, out, err)

    def backup(self, *args: str, process: bool = False) -> Path:
        before = set(self.archives())
        done = self.run("backup", *args) if process else self.flask("backup", *args)
        assert done.returncode == 0, done.stderr[-2000:]
        (made,) = set(self.archives()) - before
        return made

    def tables(self) -> dict[str, list[tuple]]:
        """Every row of every table, in primary-key order."""
        engine = create_engine(self.uri)
        try:
            with engine.connect() as conn:
                found = {}
                for name in inspect(conn).get_table_names():
                    keys = inspect(conn).get_pk_constraint(name)["constrained_columns"] or ["1"]
                    order = ", ".join(f'"{k}"' for k in keys)
                    rows = conn.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}'))
                    found[name] = [tuple(map(_hashable, row)) for row in rows]
                return found
        finally:
            engine.dispose()

    def photo_bytes(self) -> dict[str, bytes]:
        return {name: self.photos.read(name) for name in self.photos.names()}


def _hashable(value):
    """JSON columns (PostgreSQL gives dicts) as text, so rows compare as sets too."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


@pytest.fixture(params=[run_database()])
def kind(request) -> str:
    return request.param


@pytest.fixture
def new_instance(kind, tmp_path, request):
    """new_instance(name, **config): an empty instance on this test's kind of database (schema, Rijnsoever)."""
    made: list[Instance] = []

    def make(name: str, *, schema: bool = True, other_kind: bool = False, **config) -> Instance:
        if (kind == "sqlite") != other_kind:
            uri = f"sqlite:///{tmp_path / name / 'buurt.sqlite'}"
        else:
            uri = request.getfixturevalue("postgres_server").new_database("backup")
        instance = Instance(tmp_path / name, uri, **config)
        made.append(instance)
        if schema:
            instance.prepare()
        return instance

    yield make
    for instance in made:
        instance.close()


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (seed % 256, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def add_photos(instance: Instance, count: int, start: int = 0) -> dict[str, bytes]:
    photos = {f"{n:032x}.jpg": jpeg(n) for n in range(start, start + count)}
    for name, data in photos.items():
        instance.photos.write(name, data)
    return photos


def add_resident(instance: Instance, phone: str) -> None:
    with instance.app.app_context():
        db.session.add(
            Resident(
                name="Fictief Persoon", phone_e164=phone, postcode="2221ZZ", house_number=1, street="Fictieweg",
                place="Katwijk", status=ResidentStatus.PENDING, consent_privacy_at=utcnow(),
                consent_rules_at=utcnow(), consent_age_at=utcnow(),
            )
        )  # fmt: skip
        db.session.commit()
        db.session.remove()


def manifest_of(archive: Path, passphrase: str | None = None) -> dict:
    data = archive.read_bytes()
    if passphrase is not None:
        data = pyrage.passphrase.decrypt(data, passphrase)  # the age format: Debian's `age -d` reads it too
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return json.load(tar.extractfile("manifest.json"))


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# ------------------------------------------------------------------------------------------------
# A live site under writes


class Writers:
    """Threads that report incidents with a photo and sign residents up through gunicorn, until stopped."""

    def __init__(self, url: str, email: str, addresses: list[tuple[str, int]]):
        self.url, self.email, self.addresses = url, email, addresses
        self.stop = threading.Event()
        self.reports = self.signups = 0
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._report, args=(n,)) for n in range(2)]
        self.threads.append(threading.Thread(target=self._sign_up))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def wait_for(self, *, reports: int, signups: int = 0) -> None:
        """Until that many reports and sign-ups are stored (a writer that fails ends the test)."""
        deadline = time.monotonic() + 120  # a guard against a hang, not a measurement
        while self.reports < reports or self.signups < signups:
            assert self.errors == []
            assert time.monotonic() < deadline, "the writers stopped writing"
            time.sleep(0.05)

    def _report(self, worker: int) -> None:
        session = requests.Session()
        answer = session.post(f"{self.url}/inloggen", data={"email": self.email, "password": PASSWORD}, timeout=30)
        if answer.status_code != 200 or "/inloggen" in answer.url:
            self.errors.append(f"login {answer.status_code}")
            return
        n = 0
        while not self.stop.is_set():
            n += 1
            form = session.get(f"{self.url}/incidenten/melden", timeout=30).text
            once = re.search(r'name="once" type="hidden" value="([^"]+)"', form) or re.search(
                r'type="hidden" name="once" value="([^"]+)"', form
            )
            data = report_data(once=once.group(1) if once else "")
            files = {"photo": (f"foto{n}.jpg", jpeg(worker * 1000 + n), "image/jpeg")}
            answer = session.post(f"{self.url}/incidenten/melden", data=data, files=files, timeout=30)
            if "/incidenten/" in answer.url and answer.url.rstrip("/").split("/")[-1].isdigit():
                self.reports += 1
            else:
                self.errors.append(f"report {answer.status_code}")

    def _sign_up(self) -> None:
        from tests.residents.conftest import form

        n = 0
        while not self.stop.is_set():
            n += 1
            postcode, number = self.addresses[n % len(self.addresses)]
            data = form(phone=f"06 4200{n:04d}", name=f"Fictief Buur {n}", postcode=postcode, house_number=str(number))
            answer = requests.post(f"{self.url}/aanmelden", data=data, timeout=30, allow_redirects=False)
            self.signups += answer.status_code == 302


def test_a_backup_of_a_live_site_under_writes_restores_whole(new_instance):
    site = new_instance("site")
    assert site.flask("demo", "--scale", "0.05", "--yes").returncode == 0
    email = "fictief.coordinator@example.org"
    with site.app.app_context():
        create_user(email, "Fictieve Coordinator", Role.COORDINATOR, PASSWORD)
        query = db.select(Address.postcode, Address.house_number).where(Address.house_letter == "")
        addresses = [tuple(row) for row in db.session.execute(query.where(Address.house_addition == "").limit(40))]
        db.session.remove()
    with (
        running_gunicorn(database_uri=site.uri, instance_path=site.folder, config=SERVER_CONFIG, workers=2) as server,
        Writers(server.url, email, addresses) as writers,
    ):
        writers.wait_for(reports=3, signups=1)  # writing before the backup starts ...
        during = site.backup(process=True)  # (a timer's run: a process of its own)
        writers.wait_for(reports=writers.reports + 2)  # ... and after it ended
    assert writers.errors == []
    manifest = manifest_of(during)

    # Restore into a fresh instance: a new folder and a new, empty database
    fresh = new_instance("fresh", schema=False)
    done = fresh.flask("restore", str(during))
    assert done.returncode == 0, done.stderr
    assert "gecontroleerd" in done.stdout
    assert "Stop de site" in done.stdout
    restored, source = fresh.tables(), site.tables()
    assert {t: len(rows) for t, rows in restored.items()} == manifest["tables"]
    # Consistent: every photo a restored incident names is there, with the bytes the site has
    named = {row[0] for row in _photo_names(fresh)}
    photos = fresh.photo_bytes()
    assert named
    assert named <= photos.keys()
    assert {n: hashlib.sha256(d).hexdigest() for n, d in photos.items()} == manifest["photos"]
    assert all(site.photos.read(name) == data for name, data in photos.items())
    # ... and every row is one the site has (rows that only grow: the site wrote on after the backup)
    for table, rows in restored.items():
        if table not in CHANGING:
            assert set(rows) <= set(source[table]), table
    assert len(restored["incident"]) < len(source["incident"])  # the backup is a moment, not the end

    # Quiet now: a second backup restored holds exactly the site, table by table and photo by photo
    quiet = site.backup()
    again = new_instance("again", schema=False)
    done = again.flask("restore", str(quiet))
    assert done.returncode == 0, done.stderr
    restored = again.tables()
    source = site.tables()
    # the backup's own audit entry ("a backup was made") is written after its snapshot
    assert [row[3] for row in source["audit_entry"][-1:]] == ["ops.backup"]
    source["audit_entry"].pop()
    assert restored.keys() == source.keys()
    for table, rows in source.items():
        if table == "revision":  # moved past both values (buurt.ops.restore): no cache can be stale
            assert [r[0] for r in restored[table]] == [r[0] for r in rows]
            assert all(r[1] > s[1] for r, s in zip(restored[table], rows, strict=True))
        else:
            assert restored[table] == rows, table
    assert again.photo_bytes() == site.photo_bytes()


def _photo_names(instance: Instance) -> list[tuple]:
    engine = create_engine(instance.uri)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT photo_filename FROM incident WHERE photo_filename IS NOT NULL")).all()
    engine.dispose()
    return rows


# ------------------------------------------------------------------------------------------------
# Refusals: a non-empty target, a wrong passphrase, a damaged archive, the other kind of database


def test_a_restore_into_a_site_with_data_refuses_and_loses_nothing_unless_forced(new_instance):
    source = new_instance("source")
    add_resident(source, "+31612000001")
    source_photos = add_photos(source, 2)
    archive = source.backup()

    target = new_instance("target")
    add_resident(target, "+31612000099")
    add_photos(target, 1, start=500)
    before, before_photos = target.tables(), target.photo_bytes()
    done = target.flask("restore", str(archive))
    assert done.returncode == 1
    assert "bevat al gegevens (1 bewoners, 1 foto's)" in done.stderr
    assert "--force" in done.stderr
    assert target.tables() == before
    assert target.photo_bytes() == before_photos

    done = target.flask("restore", str(archive), "--force")
    assert done.returncode == 0, done.stderr
    assert "1 foto's die niet in de backup zaten zijn verwijderd" in done.stdout
    assert [r[2] for r in target.tables()["resident"]] == ["+31612000001"]
    assert target.photo_bytes() == source_photos


def test_an_encrypted_backup_restores_with_its_passphrase_and_refuses_another(new_instance, tmp_path):
    secret, wrong = tmp_path / "wachtwoord", tmp_path / "ander-wachtwoord"
    secret.write_text("fictief lang wachtwoord voor de backup\n")
    wrong.write_text("een ander wachtwoord\n")
    source = new_instance("source", BACKUP_PASSPHRASE_FILE=str(secret))
    add_resident(source, "+31612000002")
    photos = add_photos(source, 3)
    archive = source.backup()
    assert archive.name.endswith(".tar.age")
    assert b"Fictieweg" not in archive.read_bytes()
    assert b"+31612000002" not in archive.read_bytes()
    assert manifest_of(archive, "fictief lang wachtwoord voor de backup")["photos"].keys() == photos.keys()

    target = new_instance("target")
    before = target.tables()
    for args in ((), ("--passphrase-file", str(wrong))):
        done = target.flask("restore", str(archive), *args)
        assert done.returncode == 1
        assert ("versleuteld" if not args else "wachtwoord klopt niet") in done.stderr
        assert "Traceback" not in done.stderr
        assert target.tables() == before
        assert target.photo_bytes() == {}
    done = target.flask("restore", str(archive), "--passphrase-file", str(secret))
    assert done.returncode == 0, done.stderr
    assert [r[2] for r in target.tables()["resident"]] == ["+31612000002"]
    assert target.photo_bytes() == photos

    # encrypted elsewhere with the reference implementation (as `age -p` would): buurt reads it too
    plain = pyrage.passphrase.decrypt(archive.read_bytes(), "fictief lang wachtwoord voor de backup")
    other = tmp_path / "elders-versleuteld.tar.age"
    other.write_bytes(pyrage.passphrase.encrypt(plain, "fictief lang wachtwoord voor de backup"))
    again = new_instance("again")
    done = again.flask("restore", str(other), "--passphrase-file", str(secret))
    assert done.returncode == 0, done.stderr
    assert again.photo_bytes() == photos


def test_a_truncated_or_garbled_archive_is_refused_and_changes_nothing(new_instance, tmp_path):
    source = new_instance("source")
    add_resident(source, "+31612000003")
    add_photos(source, 3)
    archive = source.backup()
    data = archive.read_bytes()
    truncated = tmp_path / "afgebroken.tar"
    truncated.write_bytes(data[: len(data) // 2])
    garbled = tmp_path / "beschadigd.tar"
    garbled.write_bytes(data[:2000] + bytes(b ^ 0x55 for b in data[2000:2100]) + data[2100:])  # inside the database
    not_a_tar = tmp_path / "geen-archief.tar"
    not_a_tar.write_bytes(b"dit is geen archief\n" * 50)
    odd_manifest = tmp_path / "vreemd-manifest.tar"  # a tar as a backup writes it, but its manifest is wrong
    with tarfile.open(archive) as original, tarfile.open(odd_manifest, "w") as tar:
        manifest = json.load(original.extractfile("manifest.json"))
        manifest["photos"] = sorted(manifest["photos"])  # a list where the names and hashes belong
        for member in original.getmembers():
            if member.name != "manifest.json":
                tar.addfile(member, original.extractfile(member))
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    target = new_instance("target")
    before = target.tables()
    for bad in (truncated, garbled, not_a_tar, odd_manifest):
        done = target.flask("restore", str(bad), "--force")
        assert done.returncode == 1, bad.name
        assert "beschadigd of onvolledig" in done.stderr
        assert "niets veranderd" in done.stderr
        assert "Traceback" not in done.stderr
        assert target.tables() == before
        assert target.photo_bytes() == {}


def test_a_backup_goes_back_only_into_the_same_kind_of_database(new_instance, kind):
    archive = new_instance("source").backup()
    other = new_instance("other", other_kind=True)
    done = other.flask("restore", str(archive), "--force")
    assert done.returncode == 1
    wrong, right = ("SQLite", "PostgreSQL") if kind == "sqlite" else ("PostgreSQL", "SQLite")
    assert f"Dit is een backup van een {wrong}-database en deze site gebruikt {right}." in done.stderr


# ------------------------------------------------------------------------------------------------
# Timers: one at a time, --if-due, retention, file modes


def test_backups_take_turns_and_if_due_skips_cleanly(new_instance):
    site = new_instance("site")
    with site.app.app_context(), instance_lock(site.app, "backup", wait=True) as held:  # another host's backup, running
        assert held
        done = site.flask("backup", "--if-due")
        assert done.returncode == 0
        assert done.stdout.strip() == "Overgeslagen: een ander proces maakt nu een backup."
        waiting = site.start("backup")
        for _ in range(30):  # it waits for the lock: it neither ends nor writes while the other runs
            time.sleep(0.1)
            assert waiting.poll() is None
            assert site.archives() == []
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert len(site.archives()) == 1
    assert "Backup gemaakt" in out

    done = site.flask("backup", "--if-due")  # a backup was made minutes ago: the timer's run skips
    assert done.returncode == 0
    assert done.stdout.strip() == "Overgeslagen: er is de laatste 20 uur al een backup gemaakt."
    assert len(site.archives()) == 1


def test_the_newest_archives_are_kept_and_private(new_instance, tmp_path):
    site = new_instance("site", BACKUP_KEEP=2)
    add_photos(site, 1)
    made = [site.backup() for _ in range(3)]
    assert site.archives() == sorted(made[1:])
    assert mode(site.backups) == 0o700
    assert all(mode(a) == 0o600 for a in site.archives())
    elsewhere = tmp_path / "elders" / "backups"
    for _ in range(3):
        done = site.flask("backup", "--output", str(elsewhere))
        assert done.returncode == 0, done.stderr
    made_elsewhere = list(elsewhere.iterdir())
    assert len(made_elsewhere) == 3  # a folder given with --output is the caller's: nothing pruned there
    assert all(mode(a) == 0o600 for a in made_elsewhere)
    assert mode(elsewhere) == 0o700
    assert len(site.archives()) == 2  # the archives in BACKUP_DIR are not touched by one made elsewhere


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536, 200_000])
def test_the_age_files_buurt_writes_and_reads_are_the_age_format_of_the_reference_implementation(size):
    """buurt.ops.agefile against rage (pyrage), both ways, at the 64 KiB chunk edges."""
    data = os.urandom(size)
    ours = io.BytesIO()
    agefile.encrypt(io.BytesIO(data), ours, "fictief wachtwoord", work_factor=10)  # quick; the default is 18
    assert pyrage.passphrase.decrypt(ours.getvalue(), "fictief wachtwoord") == data
    if size in (0, 65536, 65537):  # rage tunes scrypt to ~1 s of CPU: the other way at three edges only
        theirs, back = pyrage.passphrase.encrypt(data, "fictief wachtwoord"), io.BytesIO()
        agefile.decrypt(io.BytesIO(theirs), back, "fictief wachtwoord")
        assert back.getvalue() == data
    sealed = ours.getvalue()
    for damaged in (sealed[:-1], sealed[: len(sealed) // 2], sealed[:-20] + bytes(20), sealed + b"x"):
        with pytest.raises(agefile.DecryptError):
            agefile.decrypt(io.BytesIO(damaged), io.BytesIO(), "fictief wachtwoord")
    with pytest.raises(agefile.DecryptError):
        agefile.decrypt(io.BytesIO(sealed), io.BytesIO(), "een ander wachtwoord")


def test_a_restore_that_fails_after_the_database_says_so_loudly_and_can_be_repeated(new_instance):
    source = new_instance("source")
    add_resident(source, "+31612000004")
    photos = add_photos(source, 2)
    archive = source.backup()
    target = new_instance("target")
    blocker = target.folder / "uploads" / "incidents"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("geen map")  # the photo folder cannot be made: the photos cannot be written
    done = target.flask("restore", str(archive), "--force")
    assert done.returncode == 2
    assert "LET OP" in done.stderr
    assert "Start de site zo niet" in done.stderr
    assert "--force" in done.stderr
    blocker.unlink()
    done = target.flask("restore", str(archive), "--force")  # what the message says to do
    assert done.returncode == 0, done.stderr
    assert target.photo_bytes() == photos


def test_a_failing_pg_dump_is_a_clear_failure_that_leaves_nothing_behind(postgres_server, tmp_path):  # noqa: F811
    site = Instance(tmp_path / "site", postgres_server.new_database("backup"), BACKUP_PG_DUMP="/bin/false")
    try:
        site.prepare()
        done = site.flask("backup")
        assert done.returncode == 1
        assert "pg_dump is mislukt (code 1)" in done.stderr
        assert list(site.backups.iterdir()) == []  # no archive, no half-written staging folder
        site.config.pop("BACKUP_PG_DUMP")
        site.close()
        site._app = None
        assert site.backup().name.endswith(".tar")  # the lock went with the failed run
    finally:
        site.close()
