"""Photos in tests go through the app's photo store (buurt.photostore), as in the site: a test that
looked for files under instance/uploads would pass on a folder store and say nothing about S3."""

from __future__ import annotations

from flask import current_app

from buurt.incidents import photos
from buurt.photostore import photo_store
from tests.incidents.conftest import jpeg_with_gps


def store_test_photo(data: bytes | None = None) -> str:
    """A cleaned photo (a JPEG with GPS by default) in the current app's store; its name."""
    clean = photos.clean_photo(data if data is not None else jpeg_with_gps(), max_pixels=10**7)
    return photos.save(clean, photo_store(current_app))


def is_stored(name: str | None) -> bool:
    return bool(name) and photo_store(current_app).read(name) is not None


def stored_names(app=None) -> set[str]:
    return set(photo_store(app or current_app).names())
