"""`flask buurt incidents export`: exact coordinates to standard output, for admins on the server."""

from __future__ import annotations

import csv
import io
import json

from buurt.extensions import db
from buurt.models import AuditEntry, IncidentStatus


def test_geojson_export_has_exact_coordinates(runner, make_incident):
    a = make_incident(lat=52.2127535, lon=4.4259686, hours_ago=5)
    make_incident(hours_ago=6, status=IncidentStatus.HIDDEN)
    result = runner.invoke(args=["buurt", "incidents", "export", "--format", "geojson"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [f["id"] for f in data["features"]] == [a.id]
    assert data["features"][0]["geometry"]["coordinates"] == [round(a.lon, 6), round(a.lat, 6)]
    assert "1 incidenten" in result.stderr
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="incidents.export.cli"))
    assert entry.details == {"count": 1, "format": "geojson", "since": None}


def test_csv_export_since_a_date(runner, make_incident):
    make_incident(hours_ago=24 * 40)
    recent = make_incident(hours_ago=5)
    from buurt.times import to_local

    day = to_local(recent.occurred_at).date().isoformat()
    result = runner.invoke(args=["buurt", "incidents", "export", "--format", "csv", "--since", day])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff")), delimiter=";"))
    assert [int(r["id"]) for r in rows] == [recent.id]


def test_bad_since_gives_a_dutch_usage_error(runner):
    result = runner.invoke(args=["buurt", "incidents", "export", "--since", "gisteren"])
    assert result.exit_code == 2
    assert "JJJJ-MM-DD" in result.output
