"""Incident use cases: report, correct, merge, hide; the shared filter behind table, map and exports;
the public (blurred) picture. Services own the transaction and raise IncidentError with a Dutch message.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app, url_for
from flask_babel import gettext as _

from buurt import audit
from buurt.areas import services as areas
from buurt.extensions import db
from buurt.geo.coords import distance_m, in_netherlands
from buurt.incidents import blur, labels, photos
from buurt.models import (
    Address,
    Area,
    Group,
    Incident,
    IncidentCategory,
    IncidentStatus,
    Resident,
    ResidentStatus,
    utcnow,
)
from buurt.residents.services import resident_from_token, resident_token_data
from buurt.tokens import InvalidToken, make_token

log = logging.getLogger(__name__)

REPORT_PURPOSE = "report"
#: Residents who may report: signed up and confirmed (waiting, on the waitlist or in the group).
REPORTING_STATUSES = (ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.ADDED)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # "no lower bound" for services that need one
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little
DETAIL_FIELDS = {
    "person": ("top", "bottom", "height", "build", "direction", "other"),
    "vehicle": ("make", "model", "colour", "plate", "direction", "other"),
}


class IncidentError(Exception):
    """A use case refused; `message` is Dutch and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidReportLink(IncidentError):
    pass


class OutsideAreas(IncidentError):
    pass


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_to_utc(day: date, clock: time) -> datetime:
    """A date and time as typed (Dutch local time) as aware UTC."""
    return datetime.combine(day, clock, tzinfo=local_zone()).astimezone(UTC)


# --- residents' report link ----------------------------------------------------------------------


def report_link(resident: Resident, *, external: bool = True) -> str:
    """The personal, signed link with which a signed-up resident reports incidents."""
    token = make_token(REPORT_PURPOSE, resident_token_data(resident))
    return url_for("incidents.report_resident", token=token, _external=external)


def resident_for_report(token: str) -> Resident:
    """The resident a report link belongs to; raises InvalidReportLink when it cannot be used."""
    try:
        resident = resident_from_token(REPORT_PURPOSE, token, current_app.config["REPORT_TOKEN_MAX_AGE"])
    except InvalidToken as error:
        if error.expired:
            raise InvalidReportLink(
                _("Deze meldlink is verlopen. Vraag de beheerder van uw groep om een nieuwe.")
            ) from error
        raise InvalidReportLink(
            _("Deze meldlink klopt niet. Gebruik de link uit uw bevestiging of vraag uw beheerder.")
        ) from error
    if resident.status not in REPORTING_STATUSES:
        raise InvalidReportLink(
            _("Met deze link kunt u niet (meer) melden: alleen aangemelde bewoners kunnen dat. Bel bij spoed 112.")
        )
    return resident


# --- reporting --------------------------------------------------------------------------------------


@dataclass
class ReportInput:
    """What the report form collected (plain values, checked by the form for shape)."""

    category: IncidentCategory
    occurred_at: datetime  # aware UTC
    description: str = ""
    police_called: bool = False
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    details: dict = field(default_factory=dict)
    photo: bytes | None = None


def check_occurred_at(moment: datetime, now: datetime | None = None) -> None:
    now = now or utcnow()
    if moment > now + FUTURE_SLACK:
        raise IncidentError(_("Dit tijdstip ligt in de toekomst. Vul in wanneer het gebeurde."))
    if moment < now - timedelta(days=current_app.config["INCIDENT_MAX_AGE_DAYS"]):
        raise IncidentError(_("Dit is meer dan een jaar geleden. Zulke oude voorvallen nemen we niet meer op."))


def clean_details(raw: dict) -> dict | None:
    """Keep only the known description-helper fields that were filled in, trimmed."""
    out: dict[str, dict[str, str]] = {}
    for kind, keys in DETAIL_FIELDS.items():
        values = {k: " ".join(str(raw.get(kind, {}).get(k) or "").split())[:120] for k in keys}
        values = {k: v for k, v in values.items() if v}
        if values:
            out[kind] = values
    return out or None


def resolve_location(lat: float | None, lon: float | None, address: str) -> tuple[float, float, str | None]:
    """A point from the map click, else from the address; raises IncidentError."""
    from buurt.addresses.services import GeocoderUnavailable, geocode
    from buurt.geo.addresses import InvalidAddress
    from buurt.geo.geocoding import AddressQuery

    if lat is not None and lon is not None:
        if not (math.isfinite(lat) and math.isfinite(lon) and in_netherlands(lat, lon)):
            raise IncidentError(_("Dit punt op de kaart ligt niet in Nederland. Klik op de plek waar het gebeurde."))
        return lat, lon, None
    if not address.strip():
        raise IncidentError(_("Geef aan waar het gebeurde: vul een adres in of klik op de kaart."))
    try:
        result = geocode(AddressQuery.from_text(address))
    except InvalidAddress as error:
        raise IncidentError(str(error)) from error
    except GeocoderUnavailable as error:
        raise IncidentError(_("Het adres kon nu niet worden opgezocht. Klik de plek aan op de kaart.")) from error
    if result is None:
        raise IncidentError(_("Dit adres kennen we niet. Controleer het of klik de plek aan op de kaart."))
    return result.lat, result.lon, result.street


def report_incident(data: ReportInput, *, user=None, resident: Resident | None = None) -> Incident:
    """Store a report (with its area and group); residents may only report inside the areas."""
    check_occurred_at(data.occurred_at)
    lat, lon, label = resolve_location(data.lat, data.lon, data.address)
    placement = areas.place(lat, lon)
    if placement.area is None and resident is not None:
        raise OutsideAreas(
            _(
                "Deze plek ligt buiten de gebieden van BuurtWhatsApp Rijnsoever, dus hier kunt u het niet melden. "
                "Bel bij spoed 112, anders 0900-8844."
            )
        )
    cleaned = None
    if data.photo is not None:
        try:
            cleaned = photos.clean_photo(data.photo, max_pixels=current_app.config["UPLOAD_MAX_PIXELS"])
        except photos.PhotoRejected as error:
            raise IncidentError(str(error)) from error
    incident = Incident(
        category=data.category,
        occurred_at=data.occurred_at,
        lat=lat,
        lon=lon,
        location_label=label,
        area_id=placement.area.id if placement.area else None,
        group_id=placement.area.group_id if placement.area else None,
        description=data.description.strip(),
        details=clean_details(data.details),
        police_called=data.police_called,
        reporter_user_id=user.id if user is not None else None,
        reporter_resident_id=resident.id if resident is not None else None,
    )
    name = None
    try:
        if cleaned is not None:
            name = photos.store(cleaned, current_app.instance_path)
            incident.photo_filename, incident.photo_mime = name, cleaned.mime
        db.session.add(incident)
        db.session.flush()
        audit.record("incidents.report", "incident", incident.id, by_resident=resident is not None)
        db.session.commit()
    except Exception:
        db.session.rollback()
        photos.remove(name, current_app.instance_path)
        raise
    log.info("incident %s reported (group %s)", incident.id, incident.group_id)
    return incident


# --- moderation ---------------------------------------------------------------------------------------


def possible_duplicates(incident: Incident) -> list[tuple[Incident, float]]:
    """Visible reports within INCIDENT_DUPLICATE_M metres and _MINUTES of this one, nearest first."""
    cfg = current_app.config
    window = timedelta(minutes=cfg["INCIDENT_DUPLICATE_MINUTES"])
    radius = cfg["INCIDENT_DUPLICATE_M"]
    dlat = radius / 111_000 * 1.5
    dlon = dlat / max(math.cos(math.radians(incident.lat)), 0.1)
    candidates = db.session.scalars(
        db.select(Incident).where(
            Incident.id != incident.id,
            Incident.status == IncidentStatus.VISIBLE,
            Incident.occurred_at.between(incident.occurred_at - window, incident.occurred_at + window),
            Incident.lat.between(incident.lat - dlat, incident.lat + dlat),
            Incident.lon.between(incident.lon - dlon, incident.lon + dlon),
        )
    )
    found = [(c, distance_m(incident.lat, incident.lon, c.lat, c.lon)) for c in candidates]
    return sorted(((c, d) for c, d in found if d <= radius), key=lambda pair: (pair[1], pair[0].id))


@dataclass
class Correction:
    category: IncidentCategory
    occurred_at: datetime
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str = ""


def correct_incident(incident: Incident, change: Correction) -> list[str]:
    """Apply a beheerder's correction; returns the names of the fields that changed."""
    check_occurred_at(change.occurred_at)
    changed = []
    if change.lat is not None or change.address.strip():
        lat, lon, label = resolve_location(change.lat, change.lon, change.address)
        if (round(lat, 7), round(lon, 7)) != (round(incident.lat, 7), round(incident.lon, 7)):
            placement = areas.place(lat, lon)
            incident.lat, incident.lon = lat, lon
            incident.location_label = label
            incident.area_id = placement.area.id if placement.area else None
            incident.group_id = placement.area.group_id if placement.area else None
            changed.append("location")
    if change.category != incident.category:
        incident.category = change.category
        changed.append("category")
    if change.occurred_at != incident.occurred_at:
        incident.occurred_at = change.occurred_at
        changed.append("occurred_at")
    if change.description.strip() != (incident.description or ""):
        incident.description = change.description.strip()
        changed.append("description")
    if changed:
        audit.record("incidents.correct", "incident", incident.id, fields=changed)
    db.session.commit()
    return changed


def merge_incident(duplicate: Incident, keep: Incident) -> None:
    """Mark `duplicate` as merged into `keep` (both must be visible and different)."""
    if duplicate.id == keep.id:
        raise IncidentError(_("Een melding kan niet met zichzelf worden samengevoegd."))
    if duplicate.status != IncidentStatus.VISIBLE or keep.status != IncidentStatus.VISIBLE:
        raise IncidentError(_("Alleen zichtbare meldingen kunnen worden samengevoegd. Ververs de pagina."))
    duplicate.status = IncidentStatus.MERGED
    duplicate.merged_into_id = keep.id
    if duplicate.police_called and not keep.police_called:
        keep.police_called = True
    audit.record("incidents.merge", "incident", duplicate.id, into=keep.id)
    db.session.commit()


def hide_incident(incident: Incident) -> None:
    if incident.status == IncidentStatus.HIDDEN:
        return
    if incident.status == IncidentStatus.MERGED:
        raise IncidentError(_("Deze melding is al samengevoegd met een andere."))
    incident.status = IncidentStatus.HIDDEN
    audit.record("incidents.hide", "incident", incident.id)
    db.session.commit()


def restore_incident(incident: Incident) -> None:
    if incident.status == IncidentStatus.VISIBLE:
        return
    incident.status = IncidentStatus.VISIBLE
    incident.merged_into_id = None
    audit.record("incidents.restore", "incident", incident.id)
    db.session.commit()


# --- the one filter behind table, chart, map and exports ---------------------------------------------------


@dataclass(frozen=True)
class IncidentFilter:
    """What the wijkagent's page filters on; `window(now)` turns the period into [since, until)."""

    categories: tuple[IncidentCategory, ...] = ()
    group_id: int | None = None
    area_id: int | None = None
    period: str = "30d"
    date_from: date | None = None
    date_to: date | None = None

    def window(self, now: datetime) -> tuple[datetime | None, datetime]:
        if self.period == "range":
            since = local_to_utc(self.date_from, time.min) if self.date_from else None
            until = local_to_utc(self.date_to + timedelta(days=1), time.min) if self.date_to else now
            return since, until
        return now - labels.PERIODS[self.period], now

    def as_args(self) -> dict:
        """Query-string arguments that reproduce this filter (for iframe and export links)."""
        args: dict = {"periode": self.period}
        if self.categories:
            args["categorie"] = [c.value for c in self.categories]
        if self.group_id:
            args["groep"] = self.group_id
        if self.area_id:
            args["gebied"] = self.area_id
        if self.period == "range":
            if self.date_from:
                args["van"] = self.date_from.isoformat()
            if self.date_to:
                args["tot"] = self.date_to.isoformat()
        return args

    def audit_details(self) -> dict:
        return {
            "categories": [c.value for c in self.categories],
            "group_id": self.group_id,
            "area_id": self.area_id,
            "period": self.period,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }


def filtered_select(f: IncidentFilter, now: datetime):
    """The one query: visible incidents matching the filter, newest first."""
    since, until = f.window(now)
    query = db.select(Incident).where(Incident.status == IncidentStatus.VISIBLE, Incident.occurred_at < until)
    if since is not None:
        query = query.where(Incident.occurred_at >= since)
    if f.categories:
        query = query.where(Incident.category.in_(f.categories))
    if f.group_id:
        query = query.where(Incident.group_id == f.group_id)
    if f.area_id:
        query = query.where(Incident.area_id == f.area_id)
    return query.order_by(Incident.occurred_at.desc(), Incident.id.desc())


def filtered_page(f: IncidentFilter, now: datetime, page: int):
    return db.paginate(
        filtered_select(f, now),
        page=page,
        per_page=current_app.config["INCIDENT_PAGE_SIZE"],
        error_out=False,
        max_per_page=500,
    )


def filtered_incidents(f: IncidentFilter, now: datetime) -> list[Incident]:
    return list(db.session.scalars(filtered_select(f, now)))


def filtered_count_rows(f: IncidentFilter, now: datetime) -> list:
    """Only what the counts need (category, occurred_at, area_id), for thousands of rows at once."""
    return list(
        db.session.execute(
            filtered_select(f, now).with_only_columns(Incident.category, Incident.occurred_at, Incident.area_id)
        )
    )


def filter_options() -> tuple[list[Group], list[Area]]:
    """Groups and current areas for the filter selects."""
    hood = areas.default_neighbourhood()
    groups = areas.groups_of(hood) if hood else []
    current = areas.current_areas()
    area_rows = list(
        db.session.scalars(db.select(Area).where(Area.id.in_([a.id for a in current.areas])).order_by(Area.sort_order))
    )
    return groups, area_rows


# --- counts and chart data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyCounts:
    months: list[tuple[int, int]]  # (year, month), ascending
    by_category: dict[IncidentCategory, list[int]]
    by_area: dict[str, list[int]]  # area name (or "buiten de gebieden") -> counts per month
    total: int

    @property
    def month_labels(self) -> list[str]:
        return [labels.month_label(y, m) for y, m in self.months]


def month_span(first: datetime, last: datetime) -> list[tuple[int, int]]:
    y, m = first.year, first.month
    out = []
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_counts(incidents: list, f: IncidentFilter, now: datetime) -> MonthlyCounts:
    """Counts per month (local time) by category and by area; `incidents` are rows or Incident objects."""
    since, until = f.window(now)
    moments = [to_local(i.occurred_at) for i in incidents]
    start = to_local(since) if since else (min(moments) if moments else to_local(now))
    end = to_local(min(until, now)) if until else to_local(now)
    if moments:
        start, end = min(start, min(moments)), max(end, max(moments))
    months = month_span(start, end)
    position = {ym: k for k, ym in enumerate(months)}
    names = {a.id: a.name for a in db.session.scalars(db.select(Area))}
    outside = _("buiten de gebieden")
    by_category = {c: [0] * len(months) for c in labels.CATEGORIES}
    by_area: dict[str, list[int]] = {}
    for incident, moment in zip(incidents, moments, strict=True):
        k = position[(moment.year, moment.month)]
        by_category[IncidentCategory(incident.category)][k] += 1
        name = names.get(incident.area_id, outside) if incident.area_id else outside
        by_area.setdefault(name, [0] * len(months))[k] += 1
    return MonthlyCounts(months, by_category, dict(sorted(by_area.items())), len(incidents))


# --- map -----------------------------------------------------------------------------------------------


def meldingen_points(since: datetime | None, until: datetime, group_ids: list[int] | None) -> list:
    """The meldingen layer, from the meldingen feature when it offers meldingen_for_map (else empty)."""
    from buurt.geo.incident_maps import MeldingPoint

    try:
        from buurt.meldingen import services as meldingen

        meldingen_for_map = meldingen.meldingen_for_map
    except (ImportError, AttributeError):
        return []
    category_names = getattr(meldingen, "CATEGORY_LABELS", {})
    names = {getattr(k, "value", k): str(v) for k, v in category_names.items()}
    try:
        rows = meldingen_for_map(since or EARLIEST, until, group_ids)
    except TypeError:
        log.warning("meldingen_for_map has an unexpected signature; meldingen layer left empty")
        return []
    points = []
    for row in rows or []:
        get = row.get if isinstance(row, dict) else lambda k, r=row: getattr(r, k, None)
        lat, lon = get("lat"), get("lon")
        if lat is None or lon is None:
            continue
        when = get("occurred_at")
        category = getattr(get("category"), "value", get("category"))
        title = get("title") or names.get(category) or _("Melding van de politie")
        points.append(
            MeldingPoint(
                float(lat),
                float(lon),
                str(title),
                to_local(when).strftime("%d-%m-%Y %H:%M") if isinstance(when, datetime) else "",
            )
        )
    return points


def map_document(f: IncidentFilter, now: datetime) -> str:
    """The wijkagent's exact map for a filter, as an HTML document."""
    from buurt.geo.incident_maps import (
        IncidentMapLabels,
        IncidentPoint,
        OutlineArea,
        incident_map,
        incident_map_document,
    )

    since, until = f.window(now)
    rows = db.session.execute(
        filtered_select(f, now).with_only_columns(
            Incident.id, Incident.lat, Incident.lon, Incident.category, Incident.occurred_at
        )
    ).all()
    moments = [to_local(r.occurred_at) for r in rows]
    months = month_span(min(moments), max(moments)) if moments else []
    position = {ym: k for k, ym in enumerate(months)}
    cat_index = {c: k for k, c in enumerate(labels.CATEGORIES)}
    points = [
        IncidentPoint(
            r.id,
            r.lat,
            r.lon,
            cat_index[IncidentCategory(r.category)],
            position[(m.year, m.month)],
            int(r.occurred_at.timestamp() // 60),
        )
        for r, m in zip(rows, moments, strict=True)
    ]
    names = labels.category_labels()
    map_labels = IncidentMapLabels(
        categories=[names[c] for c in labels.CATEGORIES],
        colours=list(labels.COLOURS),
        months=[labels.month_label(y, m) for y, m in months],
        detail_url=url_for("incidents.detail", incident_id=0).replace("/0", "/{id}"),
        open_label=_("Melding openen"),
        all_months=_("Alle maanden"),
        slider_label=_("Tijd"),
        clusters=_("Incidenten (clusters)"),
        heatmap=_("Heatmap"),
        meldingen=_("Meldingen van de politie"),
        areas=_("Gebieden"),
    )
    current = areas.current_areas()
    outlines = [OutlineArea(a.name, a.geometry) for a in current.areas]
    group_ids = [f.group_id] if f.group_id else None
    m = incident_map(points, map_labels, meldingen=meldingen_points(since, until, group_ids), areas=outlines)
    return incident_map_document(m)


# --- exports -------------------------------------------------------------------------------------------------


CSV_COLUMNS = (
    "id",
    "categorie",
    "tijdstip",
    "lat",
    "lon",
    "straat",
    "gebied",
    "groep",
    "politie_gebeld",
    "omschrijving",
    "foto",
    "gemeld_op",
)


def _safe_cell(value) -> str:
    """Spreadsheet-safe text: a leading =, +, -, @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _names() -> tuple[dict[int, str], dict[int, str]]:
    return (
        {a.id: a.name for a in db.session.scalars(db.select(Area))},
        {g.id: g.name for g in db.session.scalars(db.select(Group))},
    )


def export_rows(incidents: list[Incident]) -> list[dict]:
    area_names, group_names = _names()
    return [
        {
            "id": i.id,
            "categorie": IncidentCategory(i.category).value,
            "tijdstip": to_local(i.occurred_at).isoformat(timespec="minutes"),
            "lat": round(i.lat, 6),
            "lon": round(i.lon, 6),
            "straat": i.location_label or "",
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
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows(incidents):
        writer.writerow({k: v if isinstance(v, float | int) else _safe_cell(v) for k, v in row.items()})
    return "\ufeff" + out.getvalue()  # BOM: Excel opens it as UTF-8


def to_geojson(incidents: list[Incident]) -> str:
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


def export(f: IncidentFilter, fmt: str, now: datetime) -> tuple[str, int]:
    """The filtered incidents as CSV or GeoJSON, logged in the audit log."""
    incidents = filtered_incidents(f, now)
    body = to_csv(incidents) if fmt == "csv" else to_geojson(incidents)
    audit.record("incidents.export", "incident", None, count=len(incidents), format=fmt, **f.audit_details())
    db.session.commit()
    return body, len(incidents)


def export_since(since: date | None, fmt: str) -> tuple[str, int]:
    """For the CLI: every visible incident (optionally since a date), exact coordinates."""
    query = db.select(Incident).where(Incident.status == IncidentStatus.VISIBLE)
    if since is not None:
        query = query.where(Incident.occurred_at >= local_to_utc(since, time.min))
    incidents = list(db.session.scalars(query.order_by(Incident.occurred_at.desc(), Incident.id.desc())))
    body = to_csv(incidents) if fmt == "csv" else to_geojson(incidents)
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


# --- the public picture --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicArea:
    name: str
    counts: dict[str, int]  # category value -> count
    total: int


@dataclass(frozen=True)
class PublicPeriod:
    key: str
    label: str
    areas: list[PublicArea]
    outside: int
    total: int


@dataclass(frozen=True)
class PublicPicture:
    periods: list[PublicPeriod]
    cells: tuple[blur.PublicCell, ...]
    suppressed: int
    map_period: str
    delay_hours: float
    grid_m: float
    cutoff: datetime


def _public_points(since: datetime, cutoff: datetime) -> list[blur.ExactPoint]:
    rows = db.session.execute(
        db.select(Incident.lat, Incident.lon, Incident.category, Incident.area_id).where(
            Incident.status == IncidentStatus.VISIBLE,
            Incident.occurred_at >= since,
            Incident.occurred_at <= cutoff,
            Incident.reported_at <= cutoff,
        )
    ).all()
    return [blur.ExactPoint(r.lat, r.lon, IncidentCategory(r.category).value, r.area_id) for r in rows]


def address_grid(cell_m: float) -> Counter:
    rows = db.session.execute(db.select(Address.lat, Address.lon)).all()
    return blur.address_counts(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), cell_m)


def public_picture(now: datetime | None = None, map_period: str = "3m") -> PublicPicture:
    """Counts per area and category for recent periods, and the blurred grid (after the delay)."""
    now = now or utcnow()
    cfg = current_app.config
    if map_period not in labels.PUBLIC_PERIODS:
        map_period = "3m"
    cutoff = blur.public_cutoff(now, cfg["PUBLIC_INCIDENT_DELAY_HOURS"])
    current = areas.current_areas()
    area_names = {a.id: a.name for a in db.session.scalars(db.select(Area))}
    order = [a.id for a in current.areas]
    period_names = labels.period_labels()
    periods, map_points = [], []
    for key in labels.PUBLIC_PERIODS:
        points = _public_points(cutoff - labels.PERIODS[key], cutoff)
        if key == map_period:
            map_points = points
        counts = blur.counts_by_area(points)
        ids = order + sorted(k for k in counts if k is not None and k not in order)
        public_areas = [
            PublicArea(
                area_names.get(aid, "?"), dict(counts.get(aid, Counter())), sum(counts.get(aid, Counter()).values())
            )
            for aid in ids
        ]
        outside = sum(counts.get(None, Counter()).values())
        periods.append(PublicPeriod(key, period_names[key], public_areas, outside, len(points)))
    grid = cfg["PUBLIC_GRID_M"]
    blurred = blur.blur_to_grid(map_points, address_grid(grid), cell_m=grid, min_addresses=cfg["PUBLIC_MIN_ADDRESSES"])
    return PublicPicture(
        periods, blurred.cells, blurred.suppressed, map_period, cfg["PUBLIC_INCIDENT_DELAY_HOURS"], grid, cutoff
    )


def public_map_document(picture: PublicPicture) -> str:
    from buurt.geo.incident_maps import (
        CELL_STEPS,
        OutlineArea,
        PublicCellShape,
        public_incident_map,
        public_incident_map_document,
    )

    names = labels.category_labels()
    cells = [
        PublicCellShape(
            c.ring,
            c.count,
            tuple(
                f"{n} × {names[IncidentCategory(cat)]}"
                for cat, n in sorted(c.categories.items(), key=lambda kv: -kv[1])
            ),
        )
        for c in picture.cells
    ]
    outlines = [OutlineArea(a.name, a.geometry) for a in areas.current_areas().areas]
    legend = [
        (CELL_STEPS[0][1], _("1 melding")),
        (CELL_STEPS[1][1], _("2–3 meldingen")),
        (CELL_STEPS[2][1], _("4–6 meldingen")),
        (CELL_STEPS[3][1], _("meer dan 6")),
    ]
    m = public_incident_map(
        cells,
        outlines,
        max_zoom=current_app.config["PUBLIC_MAX_ZOOM"],
        title_of={"cell": _("{n} melding(en) in dit vak"), "areas": _("Gebieden")},
        legend_title=_("Meldingen per vak van %(m)d m", m=int(picture.grid_m)),
        legend=legend,
    )
    return public_incident_map_document(m)


def public_json(picture: PublicPicture) -> dict:
    """The public summary for /incidenten/openbaar.json: counts and blurred cells only."""
    return {
        "generated_until": picture.cutoff.replace(microsecond=0).isoformat(),
        "delay_hours": picture.delay_hours,
        "grid_m": picture.grid_m,
        "categories": {c.value: label for c, label in labels.category_labels().items()},
        "periods": [
            {
                "period": p.key,
                "label": p.label,
                "total": p.total,
                "outside_areas": p.outside,
                "areas": [{"area": a.name, "total": a.total, "categories": a.counts} for a in p.areas],
            }
            for p in picture.periods
        ],
        "map": {
            "period": picture.map_period,
            "not_on_map": picture.suppressed,
            "cells": [
                {"lat": c.lat, "lon": c.lon, "count": c.count, "categories": c.categories} for c in picture.cells
            ],
        },
    }
