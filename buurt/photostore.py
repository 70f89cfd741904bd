"""Where incident photos live: a directory (one machine, or one every host mounts) or S3-compatible
object storage (issue 16). Chosen by PHOTO_STORE (buurt/config.py); every reader and writer of
photo files goes through :func:`photo_store`, so backups, the purge and the photo page see the same
files from any host.

Names are the random names buurt.incidents.photos gives ("<32 hex>.<ext>"); anything else is
refused (``read`` gives None, ``write`` raises ValueError), so a stored name can never walk out of
the store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import Flask

from buurt.private_files import private_dir, write_private

#: a name this store hands out or accepts: hex, one dot, a short extension
_NAME = re.compile(r"[0-9a-f]{8,64}\.[a-z0-9]{1,5}")


def valid_name(name: str | None) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


class PhotoStore(Protocol):
    """What buurt needs from a photo store."""

    def write(self, name: str, data: bytes) -> None:
        """Store `data` under the new `name` (readable by the site's user only)."""

    def read(self, name: str) -> bytes | None:
        """The photo's bytes, or None when there is no such photo (or the name is not ours)."""

    def delete(self, name: str) -> None:
        """Remove the photo; no error when it is gone already."""

    def names(self) -> Iterator[str]:
        """Every stored photo's name (for backups and checks), in no particular order."""

    def describe(self) -> str:
        """Where the photos are, for logs and the readiness check (no credentials)."""


class DirStore:
    """Photos as files in one folder: 0700 folder, 0600 files (buurt.private_files)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, name: str) -> Path | None:
        return self.folder / name if valid_name(name) else None

    def write(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path is None:
            raise ValueError("not a photo name")
        private_dir(self.folder)
        write_private(path, data)

    def read(self, name: str) -> bytes | None:
        path = self._path(name)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def delete(self, name: str) -> None:
        path = self._path(name)
        if path is not None:
            path.unlink(missing_ok=True)

    def names(self) -> Iterator[str]:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.is_file() and valid_name(entry.name):
                yield entry.name

    def describe(self) -> str:
        return f"map {self.folder}"


def default_folder(instance_path: str) -> Path:
    """Where photos go without PHOTO_STORE: the instance folder (one machine)."""
    return Path(instance_path) / "uploads" / "incidents"


def photo_store(app: Flask) -> PhotoStore:
    """The app's photo store (built once per app from PHOTO_STORE)."""
    store = app.extensions.get("buurt.photostore")
    if store is None:
        store = app.extensions["buurt.photostore"] = _build(app)
    return store


def _build(app: Flask) -> PhotoStore:
    setting = app.config.get("PHOTO_STORE")
    if not setting:
        return DirStore(default_folder(app.instance_path))
    setting = str(setting)
    if setting.startswith("file://"):
        return DirStore(setting[len("file://") :])
    if setting.startswith("s3://"):
        raise NotImplementedError("s3:// photo store: helper D1")
    if "://" in setting:
        raise ValueError(f"PHOTO_STORE: unknown kind {setting.split('://', 1)[0]!r} (use a path, file:// or s3://)")
    return DirStore(setting)
