"""Incident photos: checked by content (not by name), re-encoded without EXIF/GPS, stored under a random name.

Only JPEG, PNG and WebP are accepted. Re-encoding writes fresh pixels and nothing else: EXIF (with GPS),
XMP, ICC profiles and PNG text chunks are all dropped. The orientation from EXIF is applied first so the
photo still shows the right way up.

Where the file goes is the photo store's business (buurt.photostore: a folder, a shared folder or
S3); this module only makes the bytes and the name.
"""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from buurt.exceptions import UserError
from buurt.photostore import PhotoStore

log = logging.getLogger(__name__)

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
OPENERS = ("JPEG", "PNG", "WEBP")  # Pillow tries no other decoder on an upload (MPO comes from JPEG's)
MAX_SIDE = 2560  # larger photos are scaled down (also keeps the stored file small)
# Pixels we let a decoder hold at full size (PNG, WebP, progressive JPEG): 4096 x 4096. Covers a 12 or
# 16 MP phone photo (4032 x 3024, 4624 x 3468) and a 5K screenshot; costs at most ~80 MB for a PNG and
# ~250 MB for a WebP (libwebp keeps two canvases). A sequential JPEG is decoded at reduced scale instead.
FULL_DECODE_MAX_PIXELS = 4096 * 4096


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


def clean_photo(data: bytes, *, max_pixels: int, max_full_decode_pixels: int = FULL_DECODE_MAX_PIXELS) -> CleanPhoto:
    """Check the bytes are a JPEG/PNG/WebP image and re-encode them without any metadata.

    The size in the header is checked before any pixel is decoded: at most `max_pixels` for a JPEG
    that libjpeg can decode at 1/2-1/8 scale (one sequential scan), at most `max_full_decode_pixels`
    for everything decoded at full size (PNG, WebP, progressive or multi-scan JPEG). Of an animation
    or a multi-picture JPEG only the first frame is kept.
    """
    if not data:
        raise PhotoRejected("Het bestand is leeg. Kies een foto (JPEG, PNG of WebP) of laat het veld leeg.")
    not_a_photo = PhotoRejected("Dit bestand is geen foto in JPEG-, PNG- of WebP-formaat. Kies een andere foto.")
    try:
        image = Image.open(io.BytesIO(data), formats=OPENERS)  # reads the header only
        fmt = "JPEG" if image.format == "MPO" else image.format
        if fmt not in FORMATS:
            raise not_a_photo
        _check_pixels(image, data, max_pixels=max_pixels, max_full_decode_pixels=max_full_decode_pixels)
        image.load()  # the first frame only
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Image.open itself refuses past 2 x Image.MAX_IMAGE_PIXELS (and warns past 1 x, an error where
        # warnings are errors), before our check can name the size.
        log.info("photo rejected: %s", type(error).__name__)
        raise _too_many_pixels(0) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        log.info("photo rejected: %s", type(error).__name__)
        raise not_a_photo from error
    mime, extension = FORMATS[fmt]
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))  # in place: no second full-size copy; the box is square,
    ImageOps.exif_transpose(image, in_place=True)  # so scaling first and turning after gives the same photo
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


def _check_pixels(image: Image.Image, data: bytes, *, max_pixels: int, max_full_decode_pixels: int) -> None:
    """Refuse before decoding what would cost too much memory; ask libjpeg for a reduced scale where it can."""
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(width * height)
    if image.format in ("JPEG", "MPO") and not jpeg_needs_full_buffer(data):
        # libjpeg scales by 1/2, 1/4 or 1/8 while decoding; the longest side stays >= MAX_SIDE.
        image.draft(None, (MAX_SIDE, 1) if width >= height else (1, MAX_SIDE))
    decoded_width, decoded_height = image.size
    if decoded_width * decoded_height > max_full_decode_pixels:
        raise _too_many_pixels(width * height)


def _too_many_pixels(pixels: int) -> PhotoRejected:
    if pixels <= 0:
        return PhotoRejected(_("Deze foto heeft te veel pixels. Maak een kleinere foto of een schermafbeelding."))
    return PhotoRejected(
        _(
            "Deze foto heeft te veel pixels (%(megapixels)s megapixel). "
            "Maak een kleinere foto of een schermafbeelding.",
            megapixels=max(1, round(pixels / 1_000_000)),
        )
    )


def jpeg_needs_full_buffer(data: bytes) -> bool:
    """True when libjpeg must hold the whole image's coefficients: progressive, or a first scan with
    fewer components than the frame (multi-scan). Such a file costs memory for its full size whatever
    scale it is decoded at. Walks the marker segments up to the first scan; anything odd counts as True.
    """
    pos, components = 2, None
    try:
        while pos + 4 <= len(data):
            if data[pos] != 0xFF:
                return True
            marker = data[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
                pos += 2
                continue
            length = int.from_bytes(data[pos + 2 : pos + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
                if marker not in (0xC0, 0xC1):  # progressive, lossless, arithmetic, hierarchical
                    return True
                components = data[pos + 9]
            elif marker == 0xDA:  # start of scan
                return components is None or data[pos + 4] < components
            pos += 2 + length
    except IndexError:
        return True
    return True


def save(photo: CleanPhoto, store: PhotoStore) -> str:
    """Store the photo under a new random name (private to the site); return that name."""
    name = f"{secrets.token_hex(16)}.{photo.extension}"
    store.write(name, photo.data)
    return name
