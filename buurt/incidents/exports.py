"""Exports of incidents with exact coordinates: CSV (spreadsheet-safe) and GeoJSON, always audited.

For the wijkagent's page (exactly the filtered rows of the table) and for the CLI (every visible incident).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from buurt import audit
from buurt.extensions import db
from buurt.incidents import scope
from buurt.incidents.queries import IncidentFilter, filtered_incidents
from buurt.models import Area, Group, Incident, IncidentCategory, IncidentStatus, Neighbourhood
from buurt.times import local_to_utc, to_local

CSV_COLUMNS = (
    "id",
    "categorie",
    "tijdstip",
    "lat",
    "lon",
    "straat",
    "buurt",
    "gebied",
    "groep",
    "politie_gebeld",
    "omschrijving",
    "foto",
    "gemeld_op",
)
#: A cell starting with one of these would be a formula (or its start) in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Spreadsheet-safe text: a leading =, +, -, @, tab or carriage return gets a quote in front."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _names() -> tuple[dict[int, str], dict[int, str]]:
    return (
        {a.id: a.name for a in db.session.scalars(db.select(Area))},
        {g.id: g.name for g in db.session.scalars(db.select(Group))},
    )


def _neighbourhood_names(incidents: list[Incident]):
    """incident -> the name of the neighbourhood it belongs to (buurt.incidents.scope), "" for none."""
    hood_names = {n.id: n.name for n in db.session.scalars(db.select(Neighbourhood))}
    group_hoods = dict(db.session.execute(db.select(Group.id, Group.neighbourhood_id)).all())
    outside = scope.outside_neighbourhoods() if any(i.group_id is None for i in incidents) else {}

    def name(incident: Incident) -> str:
        nid = group_hoods.get(incident.group_id) if incident.group_id else outside.get(incident.id)
        return hood_names.get(nid, "") if nid is not None else ""

    return name


def export_rows(incidents: list[Incident]) -> list[dict]:
    """One plain row per incident (local times, coordinates to 6 decimals), in CSV_COLUMNS order."""
    area_names, group_names = _names()
    neighbourhood_of = _neighbourhood_names(incidents)
    return [
        {
            "id": i.id,
            "categorie": IncidentCategory(i.category).value,
            "tijdstip": to_local(i.occurred_at).isoformat(timespec="minutes"),
            "lat": round(i.lat, 6),
            "lon": round(i.lon, 6),
            "straat": i.location_label or "",
            "buurt": neighbourhood_of(i),
            "gebied": area_names.get(i.area_id, "") if i.area_id else "",
            "groep": group_names.get(i.group_id, "") if i.group_id else "",
            "politie_gebeld": "ja" if i.police_called else "nee",
            "omschrijving": i.description or "",
            "foto": "ja" if i.photo_filename else "nee",
            "gemeld_op": to_local(i.reported_at).isoformat(timespec="minutes"),
        }
        for i in incidents
    ]


def to_csv(incidents: list[Incident]) -> str:
    """Semicolon-separated, with a BOM so Excel reads UTF-8; every text cell through safe_cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows(incidents):
        writer.writerow({k: v if isinstance(v, float | int) else safe_cell(v) for k, v in row.items()})
    return "\ufeff" + out.getvalue()


def to_geojson(incidents: list[Incident]) -> str:
    """A FeatureCollection of points (lon, lat) with the export row as properties."""
    features = []
    for row in export_rows(incidents):
        lat, lon = row.pop("lat"), row.pop("lon")
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "properties": row,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1)


def _body(incidents: list[Incident], fmt: str) -> str:
    return to_csv(incidents) if fmt == "csv" else to_geojson(incidents)


def export(f: IncidentFilter, fmt: str, now: datetime) -> tuple[str, int]:
    """The filtered incidents as CSV or GeoJSON, logged in the audit log."""
    incidents = filtered_incidents(f, now)
    body = _body(incidents, fmt)
    audit.record("incidents.export", "incident", None, count=len(incidents), format=fmt, **f.audit_details())
    db.session.commit()
    return body, len(incidents)


def export_since(since: date | None, fmt: str) -> tuple[str, int]:
    """For the CLI: every visible incident (optionally since a local date), exact coordinates."""
    query = db.select(Incident).where(Incident.status == IncidentStatus.VISIBLE)
    if since is not None:
        query = query.where(Incident.occurred_at >= local_to_utc(since))
    incidents = list(db.session.scalars(query.order_by(Incident.occurred_at.desc(), Incident.id.desc())))
    body = _body(incidents, fmt)
    audit.record(
        "incidents.export.cli",
        "incident",
        None,
        count=len(incidents),
        format=fmt,
        since=since.isoformat() if since else None,
    )
    db.session.commit()
    return body, len(incidents)
