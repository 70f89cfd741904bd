"""Where incident photos live: a directory (one machine, or one every host mounts) or S3-compatible
object storage (issue 16). Chosen by PHOTO_STORE (buurt/config.py); every reader and writer of
photo files goes through :func:`photo_store`, so backups, the purge and the photo page see the same
files from any host.

Names are the random names buurt.incidents.photos gives ("<32 hex>.<ext>"); anything else is
refused (``read`` gives None, ``write`` raises ValueError), so a stored name can never walk out of
the store.

S3 (:class:`S3Store`): boto3 is imported only when PHOTO_STORE is s3://. Credentials come from
boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role), never
from buurt's config and never logged. A request to the store gives up after ~5 s to connect or
read, with at most 3 attempts in all, so a page never hangs on a slow provider; an unreachable
store raises :class:`PhotoStoreUnavailable` (a Dutch message on the page, the type in the log).
Objects get no ACL (private to the bucket's owner, also on buckets where ACLs are disabled, as on
new AWS buckets) and are read only through the site (the permission check and the audit entry of
the photo page); no public or presigned URL is ever made. Server-side encryption: the header
``x-amz-server-side-encryption: AES256`` (SSE-S3) by default; PHOTO_S3_SSE = "" leaves it off for
a provider that refuses it (MinIO without a KMS), "aws:kms" asks for KMS.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from flask import Flask

from buurt.private_files import private_dir, write_private

log = logging.getLogger(__name__)

#: a name this store hands out or accepts: hex, one dot, a short extension
_NAME = re.compile(r"[0-9a-f]{8,64}\.[a-z0-9]{1,5}")


def valid_name(name: str | None) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


class PhotoStoreUnavailable(Exception):
    """The store did not answer (S3 down, slow or refusing); the message names no credentials."""


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


#: at most this long to connect and to wait for an answer, per attempt (seconds)
S3_TIMEOUT = 5
#: attempts per request in all (the first and two retries, botocore's "standard" back-off)
S3_ATTEMPTS = 3


class S3Store:
    """Photos as objects under ``prefix`` in one bucket of an S3-compatible store (boto3)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        encryption: str | None = "AES256",
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.encryption = encryption or None
        self._client = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **options) -> S3Store:
        """From ``s3://bucket/prefix``."""
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError("PHOTO_STORE: s3://bucket/prefix needs a bucket")
        return cls(parts.netloc, parts.path, **options)

    def client(self):
        """The boto3 client, made on first use in each process (a client's connections do not
        survive a fork); clients are thread-safe."""
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        connect_timeout=S3_TIMEOUT,
                        read_timeout=S3_TIMEOUT,
                        retries={"total_max_attempts": S3_ATTEMPTS, "mode": "standard"},
                        # only where S3 requires a checksum: several S3-compatible stores refuse the
                        # CRC headers newer botocore adds by default
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                    )
                    session = boto3.session.Session()  # its own: boto3's default session is not thread-safe
                    self._client = session.client(
                        "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
                    )
                    self._pid = os.getpid()
        return self._client

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _failed(self, action: str, error: Exception) -> PhotoStoreUnavailable:
        """Log the error's type and S3 code (never its message: it may carry the key or the request)."""
        response = getattr(error, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
        log.error("photo store %s: %s%s", action, type(error).__name__, f" ({code})" if code else "")
        return PhotoStoreUnavailable(f"{action} failed: {type(error).__name__}")

    def write(self, name: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not valid_name(name):
            raise ValueError("not a photo name")
        extra = {"ServerSideEncryption": self.encryption} if self.encryption else {}
        try:
            self.client().put_object(Bucket=self.bucket, Key=self._key(name), Body=data, **extra)
        except (BotoCoreError, ClientError) as error:
            raise self._failed("write", error) from error

    def read(self, name: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not valid_name(name):
            return None
        try:
            answer = self.client().get_object(Bucket=self.bucket, Key=self._key(name))
            with answer["Body"] as body:
                return body.read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._failed("read", error) from error
        except BotoCoreError as error:
            raise self._failed("read", error) from error

    def delete(self, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not valid_name(name):
            return
        try:
            self.client().delete_object(Bucket=self.bucket, Key=self._key(name))  # no error when gone
        except (BotoCoreError, ClientError) as error:
            raise self._failed("delete", error) from error

    def names(self) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"][len(self.prefix) :]
                    if valid_name(name):
                        yield name
        except (BotoCoreError, ClientError) as error:
            raise self._failed("list", error) from error

    def describe(self) -> str:
        where = urlsplit(self.endpoint_url).hostname if self.endpoint_url else "AWS"
        return f"S3 {self.bucket}/{self.prefix} ({where})"


def default_folder(instance_path: str) -> Path:
    """Where photos go without PHOTO_STORE: the instance folder (one machine)."""
    return Path(instance_path) / "uploads" / "incidents"


def local_folder(app: Flask) -> Path | None:
    """The folder the app's photos are in (None for object storage): for `flask buurt init`'s
    file modes (buurt.private_files.tighten)."""
    store = photo_store(app)
    return store.folder if isinstance(store, DirStore) else None


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
        return S3Store.from_url(
            setting,
            endpoint_url=app.config.get("PHOTO_S3_ENDPOINT_URL"),
            region=app.config.get("PHOTO_S3_REGION"),
            encryption=app.config.get("PHOTO_S3_SSE", "AES256"),
        )
    if "://" in setting:
        raise ValueError(f"PHOTO_STORE: unknown kind {setting.split('://', 1)[0]!r} (use a path, file:// or s3://)")
    return DirStore(setting)
