"""Incident photos: checked by content (not by name), re-encoded without EXIF/GPS, stored under a random name.

Only JPEG, PNG and WebP are accepted. Re-encoding writes fresh pixels and nothing else: EXIF (with GPS),
XMP, ICC profiles and PNG text chunks are all dropped. The orientation from EXIF is applied first so the
photo still shows the right way up.
"""

from __future__ import annotations

import io
import logging
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from buurt.exceptions import UserError

log = logging.getLogger(__name__)

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_SIDE = 2560  # larger photos are scaled down (also keeps the stored file small)
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.")


class PhotoRejected(UserError, ValueError):
    """The upload is not an acceptable photo; the message is Dutch and says what to do."""


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    data: bytes
    mime: str
    extension: str


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read at most max_bytes; raise PhotoRejected when the stream is longer."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoRejected(
            f"De foto is te groot (meer dan {max_bytes // (1024 * 1024)} MB). Kies een kleinere foto of laat hem weg."
        )
    return data


def clean_photo(data: bytes, *, max_pixels: int) -> CleanPhoto:
    """Check the bytes are a JPEG/PNG/WebP image and re-encode them without any metadata."""
    if not data:
        raise PhotoRejected("Het bestand is leeg. Kies een foto (JPEG, PNG of WebP) of laat het veld leeg.")
    not_a_photo = PhotoRejected("Dit bestand is geen foto in JPEG-, PNG- of WebP-formaat. Kies een andere foto.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise not_a_photo
            width, height = image.size
            if width * height > max_pixels:
                raise PhotoRejected("Deze foto heeft te veel pixels. Verklein de foto en probeer het opnieuw.")
            image.load()
    except PhotoRejected:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        log.info("photo rejected: %s", type(error).__name__)
        raise not_a_photo from error
    fmt = image.format
    mime, extension = FORMATS[fmt]
    image = ImageOps.exif_transpose(image)  # apply the orientation, then forget all metadata
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    # A fresh image holding only the pixels: no info dict, no exif, no icc, no text chunks.
    bare = Image.new(image.mode, image.size)
    if image.mode == "P":
        bare.putpalette(image.getpalette())
    bare.paste(image)
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=85)
    return CleanPhoto(out.getvalue(), mime, extension)


def upload_dir(instance_path: str) -> Path:
    return Path(instance_path) / "uploads" / "incidents"


def store(photo: CleanPhoto, instance_path: str) -> str:
    """Write the photo under a random name; return that name."""
    folder = upload_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{photo.extension}"
    (folder / name).write_bytes(photo.data)
    return name


def path_of(name: str, instance_path: str) -> Path | None:
    """The file for a stored name, or None when the name is not one of ours."""
    if not name or not set(name) <= NAME_CHARS or name.count(".") != 1 or name.startswith("."):
        return None
    path = upload_dir(instance_path) / name
    return path if path.is_file() else None


def remove(name: str | None, instance_path: str) -> None:
    if name and (path := path_of(name, instance_path)) is not None:
        path.unlink(missing_ok=True)
