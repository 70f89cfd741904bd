"""Photo uploads cannot cost a worker hundreds of MB: pixels are counted from the header before any decoding.

Issue 12, finding 9: a 124 KB solid-colour PNG of 40 megapixels was accepted and cost ~300 MB to check.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, TiffImagePlugin

from buurt.extensions import db
from buurt.incidents.photos import (
    FULL_DECODE_MAX_PIXELS,
    PhotoRejected,
    clean_photo,
    jpeg_needs_full_buffer,
)
from buurt.models import Incident, ResidentStatus
from tests.incidents.conftest import report_data
from tests.link_support import submit_link
from tests.ops.photo_support import stored_names


@pytest.fixture
def resident_link(app, groups, make_resident):
    """The personal report path of a confirmed resident in the Noord group."""
    from buurt.incidents.reports import report_link

    resident = make_resident(groups[3], status=ResidentStatus.ADDED)
    with app.test_request_context():
        return report_link(resident, external=False)


def stored_files(app) -> set:
    return stored_names(app)


def post_photo(client, resident_link, content: bytes, name: str):
    data = report_data(description="Fictieve fiets bij de speeltuin", photo=(io.BytesIO(content), name))
    return submit_link(client, resident_link, data=data, content_type="multipart/form-data")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny (wrong) data chunk: Image.open reads the header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def jpeg(size, *, progressive=False) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, "JPEG", quality=80, progressive=progressive)
    return out.getvalue()


def test_the_40_megapixel_png_bomb_is_refused_through_the_report_form(client, resident_link, app):
    out = io.BytesIO()
    Image.new("RGB", (8000, 5000), (90, 140, 60)).save(out, "PNG")
    bomb = out.getvalue()
    assert len(bomb) < 200_000  # the finding: ~150 KB on the wire
    before = stored_files(app)
    response = post_photo(client, resident_link, bomb, "foto.png")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Deze foto heeft te veel pixels (40 megapixel). Maak een kleinere foto of een schermafbeelding." in page
    assert "Fictieve fiets bij de speeltuin" in page  # the form is kept
    assert db.session.scalars(db.select(Incident)).all() == []
    assert stored_files(app) == before


@pytest.mark.parametrize("size", [(20_000, 10_000), (65_535, 65_535)])
def test_a_header_past_pillows_own_limit_is_a_clear_message_not_a_500(client, resident_link, app, size):
    response = post_photo(client, resident_link, png_header_only(*size), "foto.png")
    assert response.status_code == 200
    assert "Deze foto heeft te veel pixels" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Incident)).all() == []


def test_png_is_capped_at_what_is_decoded_at_full_size():
    side = int(FULL_DECODE_MAX_PIXELS**0.5) + 1
    with pytest.raises(PhotoRejected, match="te veel pixels"):
        clean_photo(png_header_only(side, side), max_pixels=52_000_000)


def test_a_sequential_jpeg_is_decoded_at_reduced_scale_a_progressive_one_is_not():
    """Both 24 MP: the sequential one is drafted to 3000 x 2000 and accepted; the progressive one needs its
    full size in memory and is refused. A PNG header of the same size is refused too."""
    size = (6000, 4000)
    assert FULL_DECODE_MAX_PIXELS < 6000 * 4000
    sequential, progressive = jpeg(size), jpeg(size, progressive=True)
    assert not jpeg_needs_full_buffer(sequential)
    assert jpeg_needs_full_buffer(progressive)
    clean = clean_photo(sequential, max_pixels=52_000_000)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.size == (2560, 1707)
    with pytest.raises(PhotoRejected, match=r"te veel pixels \(24 megapixel\)"):
        clean_photo(progressive, max_pixels=52_000_000)
    with pytest.raises(PhotoRejected, match="te veel pixels"):
        clean_photo(png_header_only(*size), max_pixels=52_000_000)


def test_orientation_still_applied_after_reduced_decoding():
    image = Image.new("RGB", (6000, 3000), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    clean = clean_photo(out.getvalue(), max_pixels=52_000_000)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.size == (1280, 2560)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xd8", b"\xff\xd8\xff\xc0\x00", b"\xff\xd8\x00\x00", b"\xff\xd8\xff\xda\x00\x08\x01"],
)
def test_odd_jpeg_structure_counts_as_full_size(data):
    assert jpeg_needs_full_buffer(data)


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_of_an_animation_only_the_first_frame_is_kept(fmt):
    data = animated(fmt)
    with Image.open(io.BytesIO(data)) as source:
        assert source.n_frames == 3
    clean = clean_photo(data, max_pixels=52_000_000)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert getattr(result, "n_frames", 1) == 1
        assert result.convert("RGB").getpixel((10, 10))[0] > 200  # red: the first frame


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "foto.gif"), ("TIFF", "foto.jpg"), ("BMP", "foto.png")])
def test_other_formats_are_refused(client, resident_link, app, fmt, name):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, fmt)
    response = post_photo(client, resident_link, out.getvalue(), name)
    assert response.status_code == 200
    assert "geen foto in JPEG-, PNG- of WebP-formaat" in response.get_data(as_text=True)


def test_no_other_decoder_parses_an_upload(monkeypatch):
    """Only the JPEG, PNG and WebP plugins see the bytes: a TIFF is never handed to the TIFF parser."""
    seen = []
    original = TiffImagePlugin.TiffImageFile._open

    def spy(self):
        seen.append(True)
        return original(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", spy)
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, "TIFF")
    with pytest.raises(PhotoRejected, match="geen foto"):
        clean_photo(out.getvalue(), max_pixels=52_000_000)
    assert seen == []
