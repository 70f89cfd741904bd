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

With BACKUP_PASSPHRASE_FILE the tar is encrypted with that passphrase in the age format
(buurt.ops.agefile, which says why not pyrage), so Debian's ``age -d`` restores it without buurt.

The way back is buurt.ops.restore.
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
from sqlalchemy import text
from sqlalchemy.engine import make_url

from buurt import ROOT
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.models import AuditEntry, utcnow
from buurt.photostore import photo_store
from buurt.private_files import PRIVATE_DIR, PRIVATE_FILE, private_dir, sqlite_path, write_private

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
PHOTOS = "photos/"
MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
AUDIT_ACTION = "ops.backup"
LOCK = "backup"  # buurt.background.instance_lock
DUE_AFTER = timedelta(hours=20)  # a daily timer that fires a little early still makes its backup


class BackupError(UserError):
    """A backup or restore refused or failed before anything changed; ``message`` says why (Dutch)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    seconds: float
    rows: int
    photos: int
    photos_missing: int


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
    started, started_at = time.monotonic(), utcnow()
    folder = _archive_folder(app, output)
    staging = Path(tempfile.mkdtemp(prefix=".buurt-backup-", dir=folder))  # 0700
    try:
        snapshot = _dump_database(app, staging)
        plain = staging / "archive.tar"
        photos, missing = _write_tar(plain, snapshot, app, started_at)
        final = _final_name(folder, started_at, encrypted=passphrase is not None)
        partial = staging / final.name
        if passphrase is not None:
            _encrypt(plain, partial, passphrase)
        else:
            os.replace(plain, partial)
        partial.chmod(PRIVATE_FILE)
        os.replace(partial, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # BACKUP_DIR is buurt's own; a folder given with --output may hold archives someone keeps on purpose
    removed = prune(folder, int(app.config.get("BACKUP_KEEP") or 14)) if output is None else []
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


def _final_name(folder: Path, started_at: datetime, *, encrypted: bool) -> Path:
    stamp = started_at.strftime("%Y-%m-%dT%H%M%SZ")
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
        counts = {t: copy.execute(count_sql(t)).fetchone()[0] for t in sorted(tables)}
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
        counts = {t: conn.execute(text(count_sql(t))).scalar() for t in sorted(tables)}
        revision = None
        if "alembic_version" in counts:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        photos = set(conn.scalars(text("SELECT photo_filename FROM incident WHERE photo_filename IS NOT NULL")))
        command = [str(pg_tool(app, "pg_dump")), "--format=custom", f"--snapshot={snapshot_id}", "--no-password"]
        command += [f"--file={target}", f"--dbname={conninfo(url)}"]
        run_pg(command, url, what="pg_dump")
    target.chmod(PRIVATE_FILE)
    return _Snapshot("postgresql", target, revision, counts, photos)


def _write_tar(path: Path, snapshot: _Snapshot, app: Flask, started_at: datetime) -> tuple[int, int]:
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
            "created_at": started_at.isoformat(timespec="seconds"),
            "app_version": app_version(),
            "database": {
                "kind": snapshot.kind,
                "file": snapshot.path.name,
                "sha256": sha256_file(snapshot.path),
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
    """The age format with the passphrase (buurt.ops.agefile: streamed, so memory does not grow with the
    archive); the plain tar goes as soon as the encrypted one is written."""
    from buurt.ops import agefile

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with plain.open("rb") as source, os.fdopen(fd, "wb") as sink:
        agefile.encrypt(source, sink, passphrase)
    plain.unlink()


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


def count_sql(table: str) -> str:
    """COUNT(*) of a table named by the database's own catalog (never by the archive), quoted."""
    return 'SELECT count(*) FROM "' + table.replace('"', '""') + '"'  # noqa: S608 - see above


def sha256_file(path: Path) -> str:
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


def run_pg(command: list[str], url, *, what: str) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # the child's environment: never on a command line (ps shows those)
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 - our own argument list
    if done.returncode != 0:
        log.error("%s failed (exit %d): %s", what, done.returncode, _tool_reason(done.stderr, what))
        raise BackupError(f"{what} is mislukt (code {done.returncode}); de reden staat in het log.")


def _tool_reason(stderr: str, what: str) -> str:
    """The tool's own error lines, without what may quote rows: PostgreSQL's DETAIL (``Key
    (phone_e164)=(...)``) and the statement pg_restore echoes (``Command was: ...``)."""
    lines = [line.split("DETAIL:")[0].strip() for line in stderr.splitlines() if line.startswith(f"{what}:")]
    return " | ".join(lines[-3:])[-500:]
