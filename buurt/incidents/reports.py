"""Reporting an incident (beheerders, and residents with their personal report link) and moderating
reports: correct, merge, hide, make visible again. Each use case owns its transaction and raises
IncidentError with a sentence for the user.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from buurt import audit
from buurt.addresses.services import GeocoderUnavailable, geocode
from buurt.areas import services as areas
from buurt.extensions import db
from buurt.geo.addresses import InvalidAddress
from buurt.geo.coords import box_around, distance_m, in_netherlands
from buurt.geo.geocoding import CHOICE_NAMED, AddressQuery, HouseChoice, HouseChoiceNeeded
from buurt.incidents import photos
from buurt.incidents.errors import IncidentError, InvalidReportLink, OutsideAreas
from buurt.models import Incident, IncidentCategory, IncidentStatus, Resident, ResidentStatus, utcnow
from buurt.once import claim as claim_once
from buurt.once import record as record_once
from buurt.photostore import PhotoStoreUnavailable, photo_store
from buurt.residents.links import resident_from_token, resident_token_data
from buurt.tokens import InvalidToken, make_token
from buurt.urls import personal_link

log = logging.getLogger(__name__)

REPORT_PURPOSE = "report"
#: Purpose of the report form's one-time token (buurt.once): a resubmit stores nothing new.
REPORT_FORM_PURPOSE = "incident.report"
#: Residents who may report: signed up and confirmed (waiting, on the waitlist or in the group).
REPORTING_STATUSES = (ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.ADDED)
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little
DETAIL_FIELDS = {
    "person": ("top", "bottom", "height", "build", "direction", "other"),
    "vehicle": ("make", "model", "colour", "plate", "direction", "other"),
}


# --- residents' report link ----------------------------------------------------------------------


def report_link(resident: Resident, *, external: bool = True) -> str:
    """The personal, signed link with which a signed-up resident reports incidents (under SITE_URL).

    The token after '#' (buurt.personal_links): no server or proxy log ever holds it.
    """
    token = make_token(REPORT_PURPOSE, resident_token_data(resident))
    return personal_link("incidents.report_resident", token, external=external)


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
    if lat is not None and lon is not None:
        if not (math.isfinite(lat) and math.isfinite(lon) and in_netherlands(lat, lon)):
            raise IncidentError(_("Dit punt op de kaart ligt niet in Nederland. Klik op de plek waar het gebeurde."))
        return lat, lon, None
    if not address.strip():
        raise IncidentError(_("Geef aan waar het gebeurde: vul een adres in of klik op de kaart."))
    try:
        result = geocode(AddressQuery.from_text(address))
    except InvalidAddress as error:
        raise IncidentError(error.message) from error
    except GeocoderUnavailable as error:
        raise IncidentError(_("Het adres kon nu niet worden opgezocht. Klik de plek aan op de kaart.")) from error
    except HouseChoiceNeeded as needed:
        raise IncidentError(house_choice_message(needed.choice)) from needed
    if result is None:
        raise IncidentError(_("Dit adres kennen we niet. Controleer het of klik de plek aan op de kaart."))
    return result.lat, result.lon, result.street


def house_choice_message(choice: HouseChoice) -> str:
    """A number with several addresses (a block of flats): which one, or the map."""
    houses = ", ".join(str(house) for house in choice.houses[:CHOICE_NAMED])
    if len(choice.houses) > CHOICE_NAMED:
        houses += " " + _("en %(count)d andere", count=len(choice.houses) - CHOICE_NAMED)
    where = f"{choice.street} {choice.number}" if choice.street else str(choice.number)
    return _(
        "Adressen op %(where)s: %(houses)s. Kies het huisnummer met toevoeging of klik op de kaart.",
        where=where,
        houses=houses,
    )


def report_incident(
    data: ReportInput, *, user=None, resident: Resident | None = None, once: str | None = None
) -> Incident:
    """Store a report (with its area and group); residents may only report inside the areas.

    `once` is the form's one-time token: a second post of the same form raises
    buurt.once.AlreadySubmitted with {"incident_id": ...} of the first, and stores nothing (no photo).
    """
    check_occurred_at(data.occurred_at)
    lat, lon, label = resolve_location(data.lat, data.lon, data.address)
    placement = areas.place(lat, lon)
    if placement.area is None and resident is not None:
        raise OutsideAreas(
            _(
                "Deze plek ligt buiten de gebieden van de buurtpreventiegroepen in %(gemeente)s, dus hier kunt u "
                "het niet melden. Bel bij spoed 112, anders 0900-8844.",
                gemeente=current_app.config["GEMEENTE_NAME"],
            )
        )
    cleaned = None
    if data.photo is not None:
        try:
            cleaned = photos.clean_photo(data.photo, max_pixels=current_app.config["UPLOAD_MAX_PIXELS"])
        except photos.PhotoRejected as error:
            raise IncidentError(error.message) from error
    claim = claim_once(once, REPORT_FORM_PURPOSE)  # the first write, after the slow read-only work
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
    store = photo_store(current_app)
    name = None
    try:
        if cleaned is not None:
            name = photos.save(cleaned, store)
            incident.photo_filename, incident.photo_mime = name, cleaned.mime
        db.session.add(incident)
        db.session.flush()
        record_once(claim, incident_id=incident.id)
        audit.record("incidents.report", "incident", incident.id, by_resident=resident is not None)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        if name is not None:
            _forget_photo(store, name)
        if isinstance(error, PhotoStoreUnavailable):
            raise IncidentError(
                _("De foto kon nu niet worden bewaard. Probeer het zo opnieuw, of meld het zonder foto.")
            ) from error
        raise
    log.info("incident %s reported (group %s)", incident.id, incident.group_id)
    return incident


def _forget_photo(store, name: str) -> None:
    """The photo of a report that was not stored goes too (best effort: the error that got us here counts)."""
    try:
        store.delete(name)
    except PhotoStoreUnavailable:
        log.warning("photo of an unsaved report left in the store")


# --- moderation ---------------------------------------------------------------------------------------


def possible_duplicates(incident: Incident) -> list[tuple[Incident, float]]:
    """Visible reports within INCIDENT_DUPLICATE_M metres and _MINUTES of this one, nearest first."""
    cfg = current_app.config
    window = timedelta(minutes=cfg["INCIDENT_DUPLICATE_MINUTES"])
    radius = cfg["INCIDENT_DUPLICATE_M"]
    box = box_around(incident.lat, incident.lon, radius * 1.5)  # a generous prefilter; distance_m decides
    candidates = db.session.scalars(
        db.select(Incident).where(
            Incident.id != incident.id,
            Incident.status == IncidentStatus.VISIBLE,
            Incident.occurred_at.between(incident.occurred_at - window, incident.occurred_at + window),
            Incident.lat.between(box.min_lat, box.max_lat),
            Incident.lon.between(box.min_lon, box.max_lon),
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
        raise IncidentError(_("Een incident kan niet met zichzelf worden samengevoegd."))
    if duplicate.status != IncidentStatus.VISIBLE or keep.status != IncidentStatus.VISIBLE:
        raise IncidentError(_("Alleen zichtbare incidenten kunnen worden samengevoegd. Laad de pagina opnieuw."))
    duplicate.status = IncidentStatus.MERGED
    duplicate.merged_into_id = keep.id
    if duplicate.police_called and not keep.police_called:
        keep.police_called = True
    audit.record("incidents.merge", "incident", duplicate.id, into=keep.id)
    db.session.commit()


def hide_incident(incident: Incident) -> None:
    """Take a report out of maps, counts and exports (it stays stored)."""
    if incident.status == IncidentStatus.HIDDEN:
        return
    if incident.status == IncidentStatus.MERGED:
        raise IncidentError(_("Dit incident is al samengevoegd met een ander incident."))
    incident.status = IncidentStatus.HIDDEN
    audit.record("incidents.hide", "incident", incident.id)
    db.session.commit()


def restore_incident(incident: Incident) -> None:
    """Make a hidden or merged report visible again."""
    if incident.status == IncidentStatus.VISIBLE:
        return
    incident.status = IncidentStatus.VISIBLE
    incident.merged_into_id = None
    audit.record("incidents.restore", "incident", incident.id)
    db.session.commit()
