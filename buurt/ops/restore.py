"""`flask buurt restore`: an archive of buurt.ops.backup back into an instance, proven whole.

A restore checks everything it can before it touches the target: the archive reads (decrypted
into the private staging folder if need be: buurt.ops.agefile), the hashes match the manifest,
the database kind matches, and the target is empty (or ``force``). Then the database (one
transaction), then the photos, then it counts every table and hashes every photo again.
Anything failing after the first write raises :class:`HalfRestored`, whose message says what to
do. The site must be stopped meanwhile (docs/backup.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from buurt import ROOT
from buurt.extensions import db
from buurt.models import Incident, Resident, Revision, User
from buurt.ops import agefile
from buurt.ops.backup import (
    FORMAT,
    MANIFEST,
    MEMBERS,
    PHOTOS,
    BackupError,
    conninfo,
    count_sql,
    pg_tool,
    run_pg,
    sha256_file,
)
from buurt.photostore import photo_store, valid_name
from buurt.private_files import PRIVATE_FILE, private_dir, sqlite_path, write_private

log = logging.getLogger(__name__)

#: rows in any of these (or any photo) make a target "not empty": a restore would overwrite people's data
GUARDED = {Resident: "bewoners", User: "accounts", Incident: "incidenten"}


class HalfRestored(BackupError):
    """A restore failed after it started writing: the instance is not usable until it is repeated."""


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    photos: int
    photos_removed: int
    backup_revision: str | None
    code_revision: str | None


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
    if not archive.is_file():
        raise BackupError(f"Het archief {archive} is niet te lezen.")
    try:
        plain = _open_plain(archive, staging, passphrase)
        with plain, tarfile.open(fileobj=plain, mode="r:") as tar:
            for member in tar:
                _extract(tar, member, staging)
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    except (tarfile.TarError, EOFError, OSError, ValueError):
        raise BackupError(_DAMAGED) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("Dit archief is geen buurt-backup in een vorm die deze versie kent; er is niets veranderd.")
    return manifest


def _open_plain(archive: Path, staging: Path, passphrase: str | None) -> BinaryIO:
    """The tar: the archive itself, or its decrypted copy in the (0700) staging folder."""
    with archive.open("rb") as handle:
        if not agefile.is_encrypted(handle.read(len(agefile.MAGIC))):
            return archive.open("rb")
    if passphrase is None:
        raise BackupError(
            "Dit archief is versleuteld. Geef het wachtwoordbestand met --passphrase-file "
            "(of zet BACKUP_PASSPHRASE_FILE); er is niets veranderd."
        )
    plain = staging / "archive.tar"
    fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with archive.open("rb") as source, os.fdopen(fd, "wb") as sink:
            agefile.decrypt(source, sink, passphrase)
    except agefile.DecryptError:
        raise BackupError(
            "Het archief kon niet worden ontsleuteld: het wachtwoord klopt niet of het archief is beschadigd. "
            "Er is niets veranderd."
        ) from None
    return plain.open("rb")


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
    database, tables, photos = manifest.get("database"), manifest.get("tables"), manifest.get("photos")
    shapes = [(database, str, object), (tables, str, int), (photos, str, str)]
    if not all(
        isinstance(d, dict) and all(isinstance(k, a) and isinstance(v, b) for k, v in d.items()) for d, a, b in shapes
    ):
        raise BackupError(_DAMAGED)
    if database.get("kind") != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"Dit is een backup van een {names.get(database.get('kind'), '?')}-database en deze site gebruikt "
            f"{names.get(kind, kind)}. Een SQLite-backup gaat terug in SQLite, een PostgreSQL-backup in "
            "PostgreSQL; er is niets veranderd."
        )
    dump = staging / str(database.get("file"))
    if database.get("file") != MEMBERS[kind] or not dump.is_file() or sha256_file(dump) != database.get("sha256"):
        raise BackupError(_DAMAGED)
    for name, digest in photos.items():
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
    run_pg(command, url, what="pg_restore")  # one transaction: on an error the database is as it was


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
                found = conn.execute(text(count_sql(table))).scalar()
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
