"""Photos: checked by content, EXIF (with GPS) stripped, served only to beheerders and wijkagenten."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from buurt.extensions import db
from buurt.incidents.photos import PhotoRejected, clean_photo
from buurt.models import AuditEntry, Incident
from buurt.photostore import photo_store
from tests.incidents.conftest import jpeg_with_gps, png_bytes, report_data, reported
from tests.link_support import open_link, submit_link


def test_the_fixture_really_carries_gps():
    with Image.open(io.BytesIO(jpeg_with_gps())) as image:
        exif = image.getexif()
        assert exif.get_ifd(0x8825)[2] == (52.0, 12.0, 43.5)
        assert exif[0x010F] == "FictiefCameraMerk"


def test_jpeg_with_gps_in_none_out():
    clean = clean_photo(jpeg_with_gps(), max_pixels=10_000_000)
    assert clean.mime == "image/jpeg"
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert "icc_profile" not in image.info
    assert b"Exif" not in clean.data
    assert b"FictiefCameraMerk" not in clean.data


def test_png_text_chunks_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Fictieweg 12, 2221ZZ")
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG", pnginfo=info)
    clean = clean_photo(out.getvalue(), max_pixels=10_000_000)
    assert clean.mime == "image/png"
    assert b"Fictieweg" not in clean.data


def test_webp_is_accepted():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "WEBP")
    assert clean_photo(out.getvalue(), max_pixels=10_000_000).mime == "image/webp"


def test_orientation_is_applied_before_stripping():
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    clean = clean_photo(out.getvalue(), max_pixels=10_000_000)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.size == (20, 40)


def test_too_many_pixels_is_refused():
    with pytest.raises(PhotoRejected, match="te veel pixels"):
        clean_photo(png_bytes((200, 200)), max_pixels=1000)


def test_stored_names_are_only_ours(app):
    for name in ("../config.py", "/etc/passwd", "", "a/b.jpg", "..jpg", "x.jpg.png"):
        assert photo_store(app).read(name) is None


@pytest.fixture
def with_photo(client, resident_link):
    data = report_data(photo=(io.BytesIO(jpeg_with_gps()), "foto.jpg"))
    assert reported(submit_link(client, resident_link, data=data, content_type="multipart/form-data"))
    return db.session.scalar(db.select(Incident))


def test_uploaded_photo_on_disk_has_no_gps(app, with_photo):
    data = photo_store(app).read(with_photo.photo_filename)
    assert b"FictiefCameraMerk" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}


@pytest.mark.parametrize(
    ("role", "status"), [(None, 302), ("wijkagent", 200), ("beheerder", 200), ("coordinator", 200)]
)
def test_photo_route_permissions(client, make_user, login, groups, with_photo, role, status):
    if role:
        login(make_user(role, groups=[groups[0]] if role == "beheerder" else []))
    response = client.get(f"/incidenten/{with_photo.id}/foto")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "image/jpeg"
        assert "no-store" in response.headers["Cache-Control"]
        assert b"FictiefCameraMerk" not in response.data
        assert db.session.scalar(db.select(AuditEntry).filter_by(action="incidents.photo")) is not None


def test_resident_link_does_not_open_the_photo(client, resident_link, with_photo):
    open_link(client, resident_link)
    assert client.get(f"/incidenten/{with_photo.id}/foto").status_code == 302


def test_no_photo_is_a_dutch_404(client, make_user, login, make_incident):
    incident = make_incident()
    login(make_user("wijkagent"))
    response = client.get(f"/incidenten/{incident.id}/foto")
    assert response.status_code == 404
    assert "geen foto" in response.get_data(as_text=True)
