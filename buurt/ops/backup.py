"""Backups that restore (issue 16): the database and every photo in one dated archive, and back.

An archive is a plain tar (readable without buurt, docs/backup.md) holding

- ``database.sqlite`` (SQLite's online backup API: a consistent copy while the site writes, never a
  file copy, which can tear a page being written) or ``database.pgdump`` (``pg_dump
  --format=custom`` of one exported snapshot);
- ``photos/<name>``: every photo in the photo store, read *after* the database snapshot, so every
  photo the dump names is there unless it was erased in between (counted in the manifest);
- ``manifest.json``: format, time, database kind, alembic revision, rows per table and the
  photos' SHA-256, counted in the same snapshot as the dump, so a restore can prove it is whole.
  No secret: no SECRET_KEY, no database URI.

With BACKUP_PASSPHRASE_FILE the tar is encrypted in the age format (scrypt passphrase) by pyrage,
so ``age -d`` (Debian's ``age``) restores it without buurt. pyrage's passphrase API works on bytes
in memory: a backup holds the archive twice in RAM for a moment (docs/backup.md has the numbers).

A restore checks everything it can before it touches the target: the archive reads, the hashes
match, the database kind matches, and the target is empty (or ``force``). Then the database (one
transaction), then the photos, then it counts and hashes again. Anything failing after the first
write raises :class:`HalfRestored`, whose message says what to do.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from buurt import ROOT
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.models import AuditEntry, Incident, Resident, Revision, User, utcnow
from buurt.photostore import photo_store, valid_name
from buurt.private_files import PRIVATE_DIR, PRIVATE_FILE, private_dir, sqlite_path, write_private

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
PHOTOS = "photos/"
MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
AGE_MAGIC = b"age-encryption.org/v1"
AUDIT_ACTION = "ops.backup"
LOCK = "backup"  # buurt.background.instance_lock
DUE_AFTER = timedelta(hours=20)  # a daily timer that fires a little early still makes its backup
#: rows in any of these (or any photo) make a target "not empty": a restore would overwrite people's data
GUARDED = {Resident: "bewoners", User: "accounts", Incident: "incidenten"}


class BackupError(UserError):
    """A backup or restore refused or failed before anything changed; ``message`` says why (Dutch)."""


class HalfRestored(BackupError):
    """A restore failed after it started writing: the instance is not usable until it is repeated."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    seconds: float
    rows: int
    photos: int
    photos_missing: int


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    photos: int
    photos_removed: int
    backup_revision: str | None
    code_revision: str | None


# --------------------------------------------------------------------------------------------
# Where and when


def backup_dir(app: Flask) -> Path:
    return Path(app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")


def read_passphrase(path: str | Path | None) -> str | None:
    """The passphrase in `path` (one line; the newline an editor adds is not part of it)."""
    if not path:
        return None
    try:
        passphrase = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError:
        raise BackupError(f"Het wachtwoordbestand {path} is niet te lezen.") from None
    if not passphrase:
        raise BackupError(f"Het wachtwoordbestand {path} is leeg.")
    return passphrase


def last_backup() -> datetime | None:
    """When any host last made a backup (the audit log, so every host sees it)."""
    return db.session.scalar(db.select(db.func.max(AuditEntry.at)).where(AuditEntry.action == AUDIT_ACTION))


def backup_due(now: datetime, last: datetime | None) -> bool:
    if last is not None and last.tzinfo is None:  # SQLite gives naive UTC
        last = last.replace(tzinfo=now.tzinfo)
    return last is None or now - last >= DUE_AFTER


def archives(folder: Path) -> list[Path]:
    """buurt's archives in `folder`, oldest first."""
    found = [p for p in folder.glob("buurt-*.tar*") if p.name.endswith((".tar", ".tar.age")) and p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives; the ones deleted."""
    old = archives(folder)[: -max(keep, 1)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


# --------------------------------------------------------------------------------------------
# Making a backup


@dataclass
class _Snapshot:
    """What the dump holds, counted in the dump's own snapshot."""

    kind: str
    path: Path
    revision: str | None
    tables: dict[str, int]
    photos: set[str]


def make_backup(app: Flask, output: Path | None = None, *, passphrase: str | None = None) -> BackupResult:
    """Write one archive of the database and photos into `output` (default BACKUP_DIR); prune old ones."""
    started = time.monotonic()
    folder = _archive_folder(app, output)
    staging = Path(tempfile.mkdtemp(prefix=".buurt-backup-", dir=folder))  # 0700
    try:
        snapshot = _dump_database(app, staging)
        plain = staging / "archive.tar"
        photos, missing = _write_tar(plain, snapshot, app)
        final = _final_name(folder, encrypted=passphrase is not None)
        partial = staging / final.name
        if passphrase is not None:
            _encrypt(plain, partial, passphrase)
        else:
            os.replace(plain, partial)
        partial.chmod(PRIVATE_FILE)
        os.replace(partial, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    removed = prune(folder, int(app.config.get("BACKUP_KEEP") or 14))
    result = BackupResult(
        path=final,
        size=final.stat().st_size,
        seconds=time.monotonic() - started,
        rows=sum(snapshot.tables.values()),
        photos=photos,
        photos_missing=missing,
    )
    log.info(
        "backup: %d tables, %d rows, %d photos (%d erased meanwhile), %d bytes in %.1f s, %d old archives removed",
        len(snapshot.tables), result.rows, photos, missing, result.size, result.seconds, len(removed),
    )  # fmt: skip
    return result


def record_backup(result: BackupResult) -> None:
    """Note the backup in the audit log (what --if-due reads on every host): counts only."""
    from buurt import audit

    audit.record(AUDIT_ACTION, count=result.rows, photos=result.photos, size=result.size, commit=True)


def _archive_folder(app: Flask, output: Path | None) -> Path:
    if output is not None:
        return private_dir(Path(output))  # a folder of the caller's choosing: created 0700, else left alone
    folder = private_dir(backup_dir(app))
    folder.chmod(PRIVATE_DIR)  # buurt's own folder of residents' data: 0700 whatever it was
    return folder


def _final_name(folder: Path, *, encrypted: bool) -> Path:
    stamp = utcnow().strftime("%Y-%m-%dT%H%M%SZ")
    suffix = ".tar.age" if encrypted else ".tar"
    path, n = folder / f"buurt-{stamp}{suffix}", 1
    while path.exists():  # two backups in one second (tests, a manual run beside the timer)
        n += 1
        path = folder / f"buurt-{stamp}-{n}{suffix}"
    return path


def _dump_database(app: Flask, staging: Path) -> _Snapshot:
    kind = db.engine.dialect.name
    if kind == "sqlite":
        return _dump_sqlite(app, staging / MEMBERS["sqlite"])
    if kind == "postgresql":
        return _dump_postgresql(app, staging / MEMBERS["postgresql"])
    raise BackupError(f"Een backup van een {kind}-database kan buurt niet maken (alleen SQLite en PostgreSQL).")


def _dump_sqlite(app: Flask, target: Path) -> _Snapshot:
    source_path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if source_path is None or not source_path.exists():
        raise BackupError("De SQLite-database is niet gevonden; is `flask --app app buurt init` uitgevoerd?")
    write_private(target, b"")  # 0600 before the first page is copied
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: one read transaction, so one consistent moment
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        tables = [r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = [t for t in tables if not t.startswith("sqlite_")]
        counts = {t: copy.execute(_count_sql(t)).fetchone()[0] for t in sorted(tables)}
        revision = None
        if "alembic_version" in counts:
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = revision[0] if revision else None
        photos = {r[0] for r in copy.execute("SELECT photo_filename FROM incident WHERE photo_filename IS NOT NULL")}
    finally:
        copy.close()
        source.close()
    return _Snapshot("sqlite", target, revision, counts, photos)


def _dump_postgresql(app: Flask, target: Path) -> _Snapshot:
    """pg_dump of a snapshot this connection exports: the counts and the dump see the same moment."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
        tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).all()
        counts = {t: conn.execute(text(_count_sql(t))).scalar() for t in sorted(tables)}
        revision = None
        if "alembic_version" in counts:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        photos = set(conn.scalars(text("SELECT photo_filename FROM incident WHERE photo_filename IS NOT NULL")))
        command = [str(pg_tool(app, "pg_dump")), "--format=custom", f"--snapshot={snapshot_id}", "--no-password"]
        command += [f"--file={target}", f"--dbname={conninfo(url)}"]
        _run_pg(command, url, what="pg_dump")
    target.chmod(PRIVATE_FILE)
    return _Snapshot("postgresql", target, revision, counts, photos)


def _write_tar(path: Path, snapshot: _Snapshot, app: Flask) -> tuple[int, int]:
    """The database, then every photo in the store, then the manifest; (photos, named but erased)."""
    store = photo_store(app)
    hashes: dict[str, str] = {}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(snapshot.path, arcname=snapshot.path.name, recursive=False, filter=_plain_member)
        for name in sorted(store.names()):
            data = store.read(name)
            if data is None:  # erased between the listing and the read
                continue
            hashes[name] = hashlib.sha256(data).hexdigest()
            _add_bytes(tar, PHOTOS + name, data)
        missing = len(snapshot.photos - hashes.keys())
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(timespec="seconds"),
            "app_version": app_version(),
            "database": {
                "kind": snapshot.kind,
                "file": snapshot.path.name,
                "sha256": _sha256_file(snapshot.path),
                "alembic_revision": snapshot.revision,
            },
            "tables": snapshot.tables,
            "photos": hashes,
            "photos_named_but_erased": missing,
        }
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return len(hashes), missing


def _plain_member(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No user or group names of this machine in the archive; 0600 when unpacked by hand."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = PRIVATE_FILE
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), PRIVATE_FILE, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _encrypt(plain: Path, target: Path, passphrase: str) -> None:
    import pyrage

    data = plain.read_bytes()
    plain.unlink()
    encrypted = pyrage.passphrase.encrypt(data, passphrase)
    del data
    write_private(target, encrypted)


def app_version() -> str | None:
    """`git describe` of the code, if it is a git checkout (else None)."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],  # noqa: S607 - git from the PATH, as for a person
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _count_sql(table: str) -> str:
    """COUNT(*) of a table named by the database's own catalog (never by the archive), quoted."""
    return 'SELECT count(*) FROM "' + table.replace('"', '""') + '"'  # noqa: S608 - see above


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# PostgreSQL tools


def pg_tool(app: Flask, name: str) -> Path:
    """pg_dump or pg_restore: BACKUP_PG_DUMP's folder, else Debian's newest, else the PATH.

    pg_dump must be at least as new as the server, hence the newest of /usr/lib/postgresql/*/bin.
    """
    configured = app.config.get("BACKUP_PG_DUMP")
    if configured:
        return Path(configured) if name == "pg_dump" else Path(configured).with_name(name)
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_pg_version)
    if found:
        return Path(found[-1])
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise BackupError(f"{name} is niet gevonden. Installeer postgresql-client (apt-get install postgresql-client).")


def _pg_version(path: str) -> list[int]:
    return [int(p) for p in path.split("/")[4].split(".") if p.isdigit()]


def conninfo(url) -> str:
    """A libpq connection string for the URL, without its password (that goes in PGPASSWORD)."""
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts.update({k: v for k, v in url.query.items() if isinstance(v, str) and k != "password"})

    def quote(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v not in (None, ""))


def _run_pg(command: list[str], url, *, what: str) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # the child's environment: never on a command line (ps shows those)
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 - our own argument list
    if done.returncode != 0:
        # the tool's own message names tables and servers, never row data; the last lines say why
        log.error("%s failed (exit %d): %s", what, done.returncode, done.stderr.strip()[-500:])
        raise BackupError(f"{what} is mislukt (code {done.returncode}); de reden staat in het log.")


# --------------------------------------------------------------------------------------------
# Restoring


def restore_backup(app: Flask, archive: Path, *, force: bool = False, passphrase: str | None = None) -> RestoreResult:
    """Put the archive's database and photos into this instance (the site must be stopped)."""
    private_dir(Path(app.instance_path))
    staging = Path(tempfile.mkdtemp(prefix=".buurt-restore-", dir=app.instance_path))
    try:
        manifest = _unpack(archive, staging, passphrase)
        kind = db.engine.dialect.name
        _check_manifest(manifest, staging, kind)
        _refuse_non_empty(app, force)
        before = _revisions()
        db.session.remove()
        db.engine.dispose()  # no pooled connection may hold the old database open
        _restore_database(app, kind, staging / manifest["database"]["file"])
        try:
            photos, removed = _restore_photos(app, staging, manifest["photos"], force)
            rows = _verify(app, manifest)
            _bump_revisions(before)
        except HalfRestored:
            raise
        except Exception as error:
            log.error("restore stopped after the database: %s", type(error).__name__)
            raise HalfRestored(_HALF) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        tables=len(manifest["tables"]),
        rows=rows,
        photos=photos,
        photos_removed=removed,
        backup_revision=manifest["database"].get("alembic_revision"),
        code_revision=code_revision(),
    )


_HALF = (
    "LET OP: de database is teruggezet, maar het terugzetten is niet afgemaakt (de reden staat in het "
    "log). Start de site zo niet: herhaal `flask --app app buurt restore ARCHIEF --force`."
)
_DAMAGED = "Het archief is beschadigd of onvolledig; er is niets veranderd. Neem een ander archief."


def _unpack(archive: Path, staging: Path, passphrase: str | None) -> dict:
    """Read the archive into `staging` (only the members a backup writes) and return its manifest."""
    try:
        with archive.open("rb") as handle:
            head = handle.read(len(AGE_MAGIC))
    except OSError:
        raise BackupError(f"Het archief {archive} is niet te lezen.") from None
    try:
        plain = _open_plain(archive, encrypted=head == AGE_MAGIC, passphrase=passphrase)
        with plain, tarfile.open(fileobj=plain, mode="r:") as tar:
            for member in tar:
                _extract(tar, member, staging)
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    except (tarfile.TarError, EOFError, OSError, ValueError):
        raise BackupError(_DAMAGED) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("Dit archief is geen buurt-backup in een vorm die deze versie kent; er is niets veranderd.")
    return manifest


def _open_plain(archive: Path, *, encrypted: bool, passphrase: str | None):
    """The tar's bytes: the file itself, or the decrypted archive in memory."""
    if encrypted:
        return io.BytesIO(_decrypt(archive, passphrase))
    return archive.open("rb")


def _decrypt(archive: Path, passphrase: str | None) -> bytes:
    import pyrage

    if passphrase is None:
        raise BackupError(
            "Dit archief is versleuteld. Geef het wachtwoordbestand met --passphrase-file "
            "(of zet BACKUP_PASSPHRASE_FILE); er is niets veranderd."
        )
    try:
        return pyrage.passphrase.decrypt(archive.read_bytes(), passphrase)
    except pyrage.DecryptError:
        raise BackupError(
            "Het archief kon niet worden ontsleuteld: het wachtwoord klopt niet of het archief is beschadigd. "
            "Er is niets veranderd."
        ) from None


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path) -> None:
    name = member.name
    allowed = name == MANIFEST or name in MEMBERS.values() or (name.startswith(PHOTOS) and valid_name(name[7:]))
    if not (allowed and member.isfile()):
        raise ValueError("unexpected member")
    data = tar.extractfile(member).read()
    if len(data) != member.size:
        raise EOFError
    target = staging / name
    private_dir(target.parent)
    write_private(target, data)


def _check_manifest(manifest: dict, staging: Path, kind: str) -> None:
    database = manifest.get("database") or {}
    if database.get("kind") != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"Dit is een backup van een {names.get(database.get('kind'), '?')}-database en deze site gebruikt "
            f"{names.get(kind, kind)}. Een SQLite-backup gaat terug in SQLite, een PostgreSQL-backup in "
            "PostgreSQL; er is niets veranderd."
        )
    dump = staging / str(database.get("file"))
    if database.get("file") != MEMBERS[kind] or not dump.is_file() or _sha256_file(dump) != database.get("sha256"):
        raise BackupError(_DAMAGED)
    for name, digest in (manifest.get("photos") or {}).items():
        path = staging / PHOTOS / name
        if not valid_name(name) or not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise BackupError(_DAMAGED)


def _refuse_non_empty(app: Flask, force: bool) -> None:
    if force:
        return
    existing = set(inspect(db.engine).get_table_names())
    rows = {
        word: db.session.scalar(db.select(db.func.count()).select_from(model))
        for model, word in GUARDED.items()
        if model.__table__.name in existing
    }
    photos = sum(1 for _ in photo_store(app).names())
    db.session.remove()
    if any(rows.values()) or photos:
        held = ", ".join(f"{n} {t}" for t, n in rows.items() if n)
        held = ", ".join(filter(None, [held, f"{photos} foto's" if photos else ""]))
        raise BackupError(
            f"Deze site bevat al gegevens ({held}); er is niets veranderd. Terugzetten vervangt alles door de "
            "backup: wilt u dat echt, geef dan --force."
        )


def _revisions() -> dict[str, int]:
    """The cache revisions before the restore (none when the table is not there yet)."""
    if Revision.__table__.name not in inspect(db.engine).get_table_names():
        return {}
    values = dict(db.session.execute(db.select(Revision.name, Revision.value)).all())
    db.session.remove()
    return values


def _restore_database(app: Flask, kind: str, dump: Path) -> None:
    if kind == "sqlite":
        target = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
        if target is None:
            raise BackupError("Deze site heeft geen SQLite-bestand om in terug te zetten.")
        private_dir(target.parent)
        if not target.exists():
            write_private(target, b"")
        source, destination = sqlite3.connect(dump), sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination)  # one step, one transaction on the target: all or nothing
        except sqlite3.Error as error:
            log.error("restore of the SQLite database failed: %s", type(error).__name__)
            raise BackupError("Het terugzetten van de database is mislukt; de database is ongewijzigd.") from None
        finally:
            destination.close()
            source.close()
        target.chmod(PRIVATE_FILE)
        return
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    command = [str(pg_tool(app, "pg_restore")), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    command += ["--single-transaction", "--exit-on-error", "--no-password", f"--dbname={conninfo(url)}", str(dump)]
    _run_pg(command, url, what="pg_restore")  # one transaction: on an error the database is as it was


def _restore_photos(app: Flask, staging: Path, photos: dict[str, str], force: bool) -> tuple[int, int]:
    """Write the archive's photos; with `force`, photos the backup does not hold go (the site becomes
    the backup). The number written and removed."""
    store = photo_store(app)
    removed = 0
    if force:
        for name in list(store.names()):
            if name not in photos:
                store.delete(name)
                removed += 1
    for name in photos:
        data = (staging / PHOTOS / name).read_bytes()
        if store.read(name) != data:
            store.delete(name)
            store.write(name, data)
    return len(photos), removed


def _verify(app: Flask, manifest: dict) -> int:
    """Count every table and hash every photo in the restored instance against the manifest."""
    existing = set(inspect(db.engine).get_table_names())
    wrong = [t for t in manifest["tables"] if t not in existing]
    total = 0
    with db.engine.connect() as conn:
        for table, expected in manifest["tables"].items():
            if table in existing:
                found = conn.execute(text(_count_sql(table))).scalar()
                total += found
                if found != expected:
                    wrong.append(table)
    store = photo_store(app)
    bad_photos = [n for n, d in manifest["photos"].items() if hashlib.sha256(store.read(n) or b"").hexdigest() != d]
    if wrong or bad_photos:
        log.error("restore check failed: %d tables and %d photos differ", len(wrong), len(bad_photos))
        raise HalfRestored(
            f"LET OP: na het terugzetten kloppen {len(wrong)} tabellen en {len(bad_photos)} foto's niet met de "
            "backup. Start de site zo niet: herhaal `flask --app app buurt restore ARCHIEF --force`, of neem "
            "een ouder archief."
        )
    return total


def _bump_revisions(before: dict[str, int]) -> None:
    """Every cache revision past both its restored and its old value.

    The site is stopped, so no worker's cache survives; but should a process have kept running, its
    caches are keyed on the old revisions, which the restored (older) counters would reach again.
    """
    if Revision.__table__.name not in inspect(db.engine).get_table_names():
        return
    with db.engine.begin() as conn:
        for name, value in conn.execute(db.select(Revision.name, Revision.value)).all():
            fresh = max(value or 0, before.get(name) or 0) + 1
            conn.execute(db.update(Revision).where(Revision.name == name).values(value=fresh))


def code_revision() -> str | None:
    """The migration this code expects (alembic's head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(_alembic_config(Config)).get_current_head()
    except Exception:  # a checkout without migrations: no advice, no failure
        return None


def _alembic_config(config_class):
    config = config_class()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config
