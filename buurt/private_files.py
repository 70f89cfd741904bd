"""Files only the site's own user may read: the instance folder, the SQLite database, photos.

The database holds every resident's phone number and address; incident photos show people and
houses. With the usual umask (022) they were created world-readable (0644), so any other account
on the machine could copy them (issue 12). Now:

- folders the site creates are 0700 and files it writes are 0600, whatever the umask;
- `flask buurt init` (run by `make run` and `make dev` on every start) tightens an existing
  instance folder, database (with its -wal/-shm) and photos (also in a PHOTO_STORE folder
  outside the instance folder) to the same modes;
- gunicorn.conf.py sets the umask 077 for the server, for whatever else a worker creates
  (SQLite's own files among them).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: the files SQLite keeps beside a database in WAL mode
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents, each 0700; folders that exist are left alone."""
    missing = [folder for folder in [path, *path.parents] if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        folder.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a new file that only the owner can read, from its first byte on (never 0644 for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def sqlite_path(database_uri: str) -> Path | None:
    """The file of a sqlite:/// database URI, or None (another database, or one in memory)."""
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix):
        return None
    path = database_uri[len(prefix) :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def tighten(instance_path: str, database_uri: str, photo_folder: Path | None = None) -> list[Path]:
    """Make the instance folder 0700 and the database and photos in it 0600; the paths changed.

    `photo_folder` is a photo store's folder elsewhere (PHOTO_STORE = a shared folder,
    buurt.photostore.local_folder): the same modes there. The job locks' files beside the
    database (buurt.background) are 0600 too.
    """
    changed = []

    def chmod(path: Path, mode: int) -> None:
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            path.chmod(mode)
            changed.append(path)

    instance = Path(instance_path)
    chmod(instance, PRIVATE_DIR)
    database = sqlite_path(database_uri)
    if database is not None:
        for suffix in SQLITE_SUFFIXES:
            chmod(database.with_name(database.name + suffix), PRIVATE_FILE)
        for lock in database.parent.glob(f"{glob.escape(database.name)}.*.lock"):
            chmod(lock, PRIVATE_FILE)
    for tree in (instance / "uploads", photo_folder):
        if tree is not None and Path(tree).is_dir():
            for folder, _folders, files in os.walk(tree):
                chmod(Path(folder), PRIVATE_DIR)
                for name in files:
                    chmod(Path(folder) / name, PRIVATE_FILE)
    config = instance / "config.py"  # holds SECRET_KEY; written 0600, kept so
    chmod(config, PRIVATE_FILE)
    return changed
