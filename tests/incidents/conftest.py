"""Incident fixtures: fictional incidents at literal points inside (and outside) the Rijnsoever areas."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from buurt.areas.services import place
from buurt.extensions import db
from buurt.models import Incident, IncidentCategory, ResidentStatus, utcnow

# Literal points inside each default area (area key -> lat, lon), and one outside all of them.
INSIDE = {
    "rijnsoever-west": (52.2127, 4.413965),
    "rijnsoever-midden-noord": (52.213822, 4.418965),
    "rijnsoever-midden-zuid": (52.209605, 4.421246),
    "rijnsoever-noord": (52.213456, 4.424538),
    "rijnsoever-oost": (52.208642, 4.42939),
}
OUTSIDE = (52.190, 4.400)


@pytest.fixture
def make_incident(app):
    """Factory: make_incident(lat=..., lon=..., hours_ago=2, category=..., **fields) -> Incident (placed)."""

    def make(
        lat=INSIDE["rijnsoever-noord"][0],
        lon=INSIDE["rijnsoever-noord"][1],
        hours_ago=2.0,
        category=IncidentCategory.FIETSDIEFSTAL,
        reported_hours_ago=None,
        **fields,
    ):
        placement = place(lat, lon)
        now = utcnow()
        incident = Incident(
            category=category,
            occurred_at=now - timedelta(hours=hours_ago),
            reported_at=now - timedelta(hours=hours_ago if reported_hours_ago is None else reported_hours_ago),
            lat=lat,
            lon=lon,
            area_id=placement.area.id if placement.area else None,
            group_id=placement.area.group_id if placement.area else None,
            description=fields.pop("description", "Fictieve omschrijving"),
            **fields,
        )
        db.session.add(incident)
        db.session.commit()
        return incident

    return make


@pytest.fixture
def resident(groups, make_resident):
    """A confirmed resident in the Noord group (in the WhatsApp group)."""
    return make_resident(groups[3], status=ResidentStatus.ADDED)


def reported(response) -> bool:
    """The answer to a resident's report is the thank-you page itself (a redirect would need the token in a URL)."""
    return response.status_code == 200 and "Bedankt voor uw melding" in response.get_data(as_text=True)


@pytest.fixture
def resident_link(app, resident):
    """The resident's personal report link (the token after '#')."""
    from buurt.incidents.reports import report_link

    with app.test_request_context():
        return report_link(resident, external=False)


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A JPEG made by Pillow carrying EXIF with GPS coordinates and a camera make."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "FictiefCameraMerk"  # Make
    exif[0x0112] = 1  # Orientation
    gps = {1: "N", 2: (52.0, 12.0, 43.5), 3: "E", 4: (4.0, 25.0, 26.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bytes(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


def report_data(**overrides) -> dict:
    """A valid report form submission (local date/time one hour ago, a map point in Noord)."""
    from buurt.times import to_local

    moment = to_local(utcnow() - timedelta(hours=1))
    data = {
        "category": "fietsdiefstal",
        "occurred_date": moment.strftime("%Y-%m-%d"),
        "occurred_time": moment.strftime("%H:%M"),
        "lat": str(INSIDE["rijnsoever-noord"][0]),
        "lon": str(INSIDE["rijnsoever-noord"][1]),
        "address": "",
        "description": "Fiets weggenomen bij de fictieve speeltuin.",
        "police_called": "nee",
    }
    data.update(overrides)
    return data
