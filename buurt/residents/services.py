"""Residents' use cases: which group covers an address, signing up, double opt-in, "Mijn gegevens",
the beheerders' digest, retrying addresses that could not be looked up, and the retention rule.

Every function here owns its transaction. Personal data never reaches a log line above DEBUG and
never an audit entry (ids, counts and codes only).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import phonenumbers
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_

from buurt import audit
from buurt.addresses.services import GeocoderUnavailable, geocode
from buurt.areas.services import Placement, current_areas, group_stats, group_stats_for, place
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, InvalidAddress, format_postcode
from buurt.geo.geocoding import AddressQuery, GeocodeResult
from buurt.mail import mail_enabled, send_mail
from buurt.models import (
    Group,
    GroupTask,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
    User,
    utcnow,
)
from buurt.tokens import InvalidToken, make_token, read_token

log = logging.getLogger(__name__)

SIGNUP_PURPOSE = "signup"
MY_DATA_PURPOSE = "mydata"
# A sign-up counts as "active" (blocks a second one with the same number) unless removed.
INACTIVE = (ResidentStatus.REMOVED,)
# What the retention rule removes; see purge_stale_signups.
PURGED_STATUSES = (
    ResidentStatus.UNCONFIRMED,
    ResidentStatus.TO_GEOCODE,
    ResidentStatus.PENDING,
    ResidentStatus.NOT_REACHABLE,
    ResidentStatus.REMOVED,
)


# ---------------------------------------------------------------------------------------------
# Errors


class ResidentError(Exception):
    """A domain error; `message` is a sentence for the resident (in the page's language)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DuplicatePhone(ResidentError):
    """This mobile number already has an active sign-up (we do not say where)."""


class AddressNotFound(ResidentError):
    """No geocoder knows the address: check it, or pick the house on the map."""


class OutsideCoverage(ResidentError):
    """The address lies outside every group's area; `lookup` says what is nearest."""

    def __init__(self, message: str, lookup: LookupResult):
        super().__init__(message)
        self.lookup = lookup


class LookupUnavailable(ResidentError):
    """The geocoder could not answer (only for corrections; sign-ups are kept as TO_GEOCODE)."""


# ---------------------------------------------------------------------------------------------
# Phone numbers


def normalize_mobile(text: str, region: str = "NL") -> str:
    """E.164 form of a mobile number typed by a resident; raises ResidentError with a sentence."""
    raw = (text or "").strip()
    if not raw:
        raise ResidentError(_("Vul uw mobiele nummer in, bijvoorbeeld 06 12345678."))
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise ResidentError(
            _("Dit is geen telefoonnummer dat we begrijpen. Schrijf het bijvoorbeeld als 06 12345678.")
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ResidentError(_("Dit telefoonnummer bestaat niet. Controleer de cijfers, bijvoorbeeld 06 12345678."))
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ResidentError(
            _(
                "Dit lijkt een vast nummer. Vul het mobiele nummer in waarop u WhatsApp gebruikt, "
                "bijvoorbeeld 06 12345678."
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """A stored number as people write it (06 12345678 for Dutch numbers)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 31:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# ---------------------------------------------------------------------------------------------
# Lookup


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AreaRef:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The answer to "which group covers this address" (reused by /api/v1/lookup).

    status: "found" | "outside" | "unknown" | "unavailable" | "invalid".
    `lat`/`lon` are the asker's own address: show them to the asker only, never store or log them.
    """

    status: str
    message_nl: str
    group: GroupRef | None = None
    area: AreaRef | None = None
    lat: float | None = None
    lon: float | None = None
    is_border: bool = False
    distance_m: float | None = None  # to the nearest other area (inside) or nearest area (outside)
    nearest_group: GroupRef | None = None
    source: str | None = None
    has_room: bool | None = None
    waitlist: int = 0
    contact_email: str | None = None
    address: str | None = None  # display form as found
    postcode: str | None = None
    house: HouseNumber | None = None

    @property
    def found(self) -> bool:
        return self.status == "found"

    def as_dict(self) -> dict:
        """Plain JSON-able dict (house number as its display string)."""
        data = asdict(self)
        data["house"] = str(self.house) if self.house else None
        return data


def _contact_for(placement_area, areas=None) -> str:
    if placement_area is not None:
        email = (areas or current_areas()).contacts.get(placement_area.neighbourhood_id)
        if email:
            return email
    return current_app.config["CONTACT_EMAIL"]


def _lookup_from_point(lat: float, lon: float, result: GeocodeResult | None, source: str) -> LookupResult:
    areas = current_areas()
    placement: Placement = place(lat, lon, areas=areas)
    common = {
        "lat": lat,
        "lon": lon,
        "source": source,
        "address": result.display_name if result else None,
        "postcode": result.postcode if result else None,
        "house": result.house_number if result else None,
    }
    if placement.area is None:
        nearest = placement.other
        with force_locale("nl"):
            message = _("Dit adres ligt buiten de gebieden van BuurtWhatsApp Rijnsoever.")
            if nearest is not None and placement.distance_m is not None:
                message += " " + _(
                    "De dichtstbijzijnde groep is %(group)s, op %(distance)d meter.",
                    group=nearest.group_name,
                    distance=round(placement.distance_m),
                )
        return LookupResult(
            "outside",
            message,
            nearest_group=GroupRef(nearest.group_id, nearest.group_name) if nearest else None,
            distance_m=placement.distance_m,
            contact_email=_contact_for(nearest, areas),
            **common,
        )
    area = placement.area
    stats = group_stats_for(area.group_id)
    with force_locale("nl"):
        if stats.is_full:
            message = _(
                "Uw adres valt onder %(group)s (%(area)s). De groep is vol: u komt op de wachtlijst.",
                group=area.group_name,
                area=area.name,
            )
        else:
            message = _(
                "Uw adres valt onder %(group)s (%(area)s). Er is plek: meld u aan.",
                group=area.group_name,
                area=area.name,
            )
        if placement.is_border:
            message += " " + _("Uw adres ligt dicht bij de grens van een ander gebied; een beheerder kijkt mee.")
    return LookupResult(
        "found",
        message,
        group=GroupRef(area.group_id, area.group_name),
        area=AreaRef(area.key, area.name),
        is_border=placement.is_border,
        distance_m=placement.distance_m,
        nearest_group=GroupRef(placement.other.group_id, placement.other.group_name) if placement.other else None,
        has_room=not stats.is_full,
        waitlist=stats.waitlist,
        contact_email=_contact_for(area, areas),
        **common,
    )


def make_query(
    postcode: str | None = None,
    house_number: str | None = None,
    addition: str | None = None,
    street: str | None = None,
    text: str | None = None,
) -> AddressQuery:
    """An AddressQuery from form fields (postcode or street, plus number and addition) or free text.

    Raises InvalidAddress (Dutch `.message`).
    """
    if text and not (postcode or street or house_number):
        return AddressQuery.from_text(text[:200])
    house = parse_house(house_number, addition)
    if postcode and postcode.strip():
        return AddressQuery.structured(postcode, house)
    if street and street.strip():
        return AddressQuery(street=" ".join(street.split())[:120], house=house, place="Katwijk")
    raise InvalidAddress("Vul de postcode of de straat in, bijvoorbeeld 2221 AB of Voorbeeldlaan.")


def parse_house(house_number: str | None, addition: str | None = None) -> HouseNumber:
    """House number plus an optional separate addition field ("12" + "a" -> 12a)."""
    from buurt.geo.addresses import parse_house_number

    text = " ".join(part for part in ((house_number or "").strip(), (addition or "").strip()) if part)
    return parse_house_number(text)


def lookup_address(query: AddressQuery | str) -> LookupResult:
    """Which group covers an address; never raises for bad input or an unreachable geocoder."""
    with force_locale("nl"):
        try:
            if isinstance(query, str):
                query = AddressQuery.from_text(query[:200])
        except InvalidAddress as error:
            return LookupResult("invalid", error.message)
        try:
            result = geocode(query)
        except GeocoderUnavailable as error:
            return LookupResult("unavailable", error.message)
        if result is None:
            return LookupResult(
                "unknown",
                _(
                    "We kennen dit adres niet. Controleer de postcode en het huisnummer, of bekijk "
                    "de stratenlijst per groep."
                ),
                postcode=query.postcode,
                house=query.house,
            )
    return _lookup_from_point(result.lat, result.lon, result, result.source)


def lookup_map_document(lookup: LookupResult) -> str | None:
    """The map for one lookup answer: every area, the answer's area highlighted, the asker's point.

    Rendered into the answer page itself (iframe srcdoc): the point never gets a URL of its own.
    """
    from buurt.areas.services import current_areas
    from buurt.geo.folium_assets import render_map_document
    from buurt.geo.maps import MapArea, areas_map

    if lookup.lat is None or lookup.lon is None:
        return None
    highlighted = lookup.group.id if lookup.group else (lookup.nearest_group.id if lookup.nearest_group else None)
    shapes = [
        MapArea(
            key=a.key,
            name=a.group_name,
            geometry=a.geometry,
            lines=(a.name,),
            colour="#31a354" if a.group_id == highlighted else "#d1d5db",
            highlight=a.group_id == highlighted,
        )
        for a in current_areas().areas
    ]
    m = areas_map(shapes, point=(lookup.lat, lookup.lon), point_label=_("Uw adres"))
    return render_map_document(m)


@dataclass(frozen=True, slots=True)
class GroupStreets:
    """A group with the streets of its area ("partly" when the street also runs through another area)."""

    id: int
    slug: str
    name: str
    area_names: tuple[str, ...]
    streets: tuple[tuple[str, bool], ...]


def street_list() -> list[GroupStreets]:
    """Streets per group of the default neighbourhood, from the address register (public, no numbers)."""
    from buurt.addresses.services import streets_by_group
    from buurt.areas.services import current_areas, default_neighbourhood, groups_of

    hood = default_neighbourhood()
    if hood is None:
        return []
    per_group = streets_by_group()
    seen: dict[str, int] = {}
    for streets in per_group.values():
        for street, _count in streets:
            seen[street] = seen.get(street, 0) + 1
    areas = current_areas().areas
    return [
        GroupStreets(
            g.id,
            g.slug,
            g.name,
            tuple(a.name for a in areas if a.group_id == g.id),
            tuple((street, seen[street] > 1) for street, _count in per_group.get(g.id, [])),
        )
        for g in groups_of(hood)
    ]


# ---------------------------------------------------------------------------------------------
# Sign-up


@dataclass(slots=True)
class SignupData:
    """A validated sign-up form."""

    name: str
    postcode: str
    house: HouseNumber
    phone_e164: str
    email: str | None = None
    household_size: int = 1
    pick_lat: float | None = None  # the resident clicked their house on the map
    pick_lon: float | None = None


@dataclass(slots=True)
class SignupOutcome:
    """What happened to a sign-up, for the confirmation page."""

    resident_id: int
    status: ResidentStatus
    group_name: str | None
    waitlist_position: int | None = None
    mail_sent: bool = False
    is_border: bool = False
    needs_review: bool = False


def resident_token_data(resident: Resident) -> dict:
    """Ties a link to one record (SQLite may reuse the id of a deleted row)."""
    return {"r": resident.id, "c": int(resident.created_at.timestamp())}


def resident_from_token(purpose: str, token: str, max_age: int) -> Resident:
    data = read_token(purpose, token, max_age)
    if not isinstance(data, dict):
        raise InvalidToken()
    resident = db.session.get(Resident, data.get("r"))
    if resident is None or int(resident.created_at.timestamp()) != data.get("c"):
        raise InvalidToken()
    return resident


def external_url(endpoint: str, **values) -> str:
    """Absolute URL under SITE_URL, also from the command line."""
    base = current_app.config["SITE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def _active_with_phone(phone_e164: str, exclude_id: int | None = None) -> Resident | None:
    query = db.select(Resident).where(Resident.phone_e164 == phone_e164, Resident.status.not_in(INACTIVE))
    if exclude_id is not None:
        query = query.where(Resident.id != exclude_id)
    return db.session.scalars(query.order_by(Resident.id)).first()


def _expired_unconfirmed(resident: Resident) -> bool:
    limit = timedelta(seconds=current_app.config["SIGNUP_TOKEN_MAX_AGE"])
    return resident.status == ResidentStatus.UNCONFIRMED and resident.created_at < utcnow() - limit


def _check_duplicate(phone_e164: str) -> None:
    existing = _active_with_phone(phone_e164)
    if existing is None:
        return
    if _expired_unconfirmed(existing):  # never confirmed and the link expired: the new sign-up replaces it
        db.session.delete(existing)
        db.session.flush()
        return
    raise DuplicatePhone(
        _("Dit nummer is al aangemeld. Gebruik Mijn gegevens om uw aanmelding te bekijken of te wijzigen.")
    )


def _full(group_id: int) -> bool:
    return group_stats_for(group_id).is_full


def waitlist_position(resident: Resident) -> int | None:
    """1-based place on the group's waitlist (by sign-up time), or None when not waitlisted."""
    if resident.status != ResidentStatus.WAITLIST or resident.group_id is None:
        return None
    ahead = db.session.scalar(
        db.select(func.count(Resident.id)).where(
            Resident.group_id == resident.group_id,
            Resident.status == ResidentStatus.WAITLIST,
            or_(
                Resident.created_at < resident.created_at,
                (Resident.created_at == resident.created_at) & (Resident.id < resident.id),
            ),
        )
    )
    return (ahead or 0) + 1


def _apply_placement(resident: Resident, placement: Placement) -> None:
    area = placement.area
    resident.group_id = area.group_id
    resident.area_id = area.id
    resident.is_border = placement.is_border
    if placement.is_border and placement.other is not None:
        resident.border_group_id = placement.other.group_id
        resident.border_distance_m = round(placement.distance_m or 0.0, 1)
        resident.needs_review = True
    else:
        resident.border_group_id = None
        resident.border_distance_m = None
        resident.needs_review = resident.location_from_map


def _queue_status(resident: Resident) -> ResidentStatus:
    """PENDING, or WAITLIST when the group is full right now."""
    return ResidentStatus.WAITLIST if _full(resident.group_id) else ResidentStatus.PENDING


def _outside(lat: float, lon: float, result: GeocodeResult | None, source: str) -> OutsideCoverage:
    lookup = _lookup_from_point(lat, lon, result, source)
    return OutsideCoverage(_("Dit adres ligt buiten de gebieden van BuurtWhatsApp Rijnsoever."), lookup)


def sign_up(data: SignupData) -> SignupOutcome:
    """Store a sign-up for the group whose area covers the address.

    Raises DuplicatePhone, AddressNotFound or OutsideCoverage (nothing stored). When the geocoder
    is unreachable the sign-up is stored as TO_GEOCODE (retried by `flask buurt geocode-pending`).
    """
    _check_duplicate(data.phone_e164)
    now = utcnow()
    resident = Resident(
        name=data.name.strip(),
        phone_e164=data.phone_e164,
        email=(data.email or None),
        postcode=data.postcode,
        house_number=data.house.number,
        house_letter=data.house.letter or "",
        house_addition=data.house.addition or "",
        household_size=data.household_size,
        consent_privacy_at=now,
        consent_rules_at=now,
        consent_age_at=now,
        created_at=now,
    )
    if data.pick_lat is not None and data.pick_lon is not None:
        resident.lat, resident.lon = round(data.pick_lat, 7), round(data.pick_lon, 7)
        resident.geocoder_source = "map"
        resident.location_from_map = True
        resident.needs_review = True
        placement = place(resident.lat, resident.lon)
        if placement.area is None:
            db.session.rollback()
            raise _outside(resident.lat, resident.lon, None, "map")
    else:
        try:
            result = geocode(AddressQuery(postcode=data.postcode, house=data.house))
        except GeocoderUnavailable:
            result, placement = None, None
            resident.status = ResidentStatus.TO_GEOCODE
        else:
            if result is None:
                db.session.rollback()
                raise AddressNotFound(
                    _(
                        "We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer, "
                        "of wijs uw huis aan op de kaart."
                    )
                )
            placement = place(result.lat, result.lon)
            if placement.area is None:
                db.session.rollback()
                raise _outside(result.lat, result.lon, result, result.source)
            resident.lat, resident.lon = result.lat, result.lon
            resident.geocoder_source = result.source
            resident.street, resident.place = result.street, result.place
    if placement is not None:
        _apply_placement(resident, placement)
        if resident.email and mail_enabled():
            resident.status = ResidentStatus.UNCONFIRMED
        else:
            resident.status = _queue_status(resident)
    db.session.add(resident)
    db.session.flush()
    mail_sent = False
    if resident.email and mail_enabled():
        mail_sent = _send_confirmation(resident)
        if not mail_sent and resident.status == ResidentStatus.UNCONFIRMED:
            # The link cannot reach them: do not leave them waiting for it.
            resident.status = _queue_status(resident)
    audit.record("residents.signup", "resident", resident.id, status=resident.status.value)
    db.session.commit()
    log.info("sign-up %d stored as %s", resident.id, resident.status.value)
    return outcome_of(resident, mail_sent=mail_sent)


def outcome_of(resident: Resident, mail_sent: bool = False) -> SignupOutcome:
    return SignupOutcome(
        resident_id=resident.id,
        status=resident.status,
        group_name=resident.group.name if resident.group else None,
        waitlist_position=waitlist_position(resident),
        mail_sent=mail_sent,
        is_border=resident.is_border,
        needs_review=resident.needs_review,
    )


def _send_confirmation(resident: Resident) -> bool:
    link = external_url("residents.confirm", token=make_token(SIGNUP_PURPOSE, resident_token_data(resident)))
    days = current_app.config["SIGNUP_TOKEN_MAX_AGE"] // 86400
    body = _(
        "Hallo,\n\nU heeft zich aangemeld bij BuurtWhatsApp Rijnsoever. Bevestig uw aanmelding met deze link "
        "(%(days)d dagen geldig):\n\n%(link)s\n\nHeeft u zich niet aangemeld? Dan kunt u deze e-mail negeren; "
        "de aanmelding wordt dan vanzelf verwijderd.\n\nBuurtWhatsApp Rijnsoever",
        days=max(days, 1),
        link=link,
    )
    return send_mail(resident.email, _("Bevestig uw aanmelding bij BuurtWhatsApp Rijnsoever"), body)


def confirmable(token: str) -> Resident:
    """The resident a confirmation link is for; raises InvalidToken (expired or forged)."""
    return resident_from_token(SIGNUP_PURPOSE, token, current_app.config["SIGNUP_TOKEN_MAX_AGE"])


def confirm_signup(token: str) -> SignupOutcome:
    """Double opt-in: the e-mail address is confirmed; UNCONFIRMED becomes PENDING (or WAITLIST)."""
    resident = confirmable(token)
    if resident.email_confirmed_at is None:
        resident.email_confirmed_at = utcnow()
    if resident.status == ResidentStatus.UNCONFIRMED:
        resident.status = _queue_status(resident)
        audit.record("residents.confirm", "resident", resident.id, status=resident.status.value)
    db.session.commit()
    return outcome_of(resident)


# ---------------------------------------------------------------------------------------------
# Geocoding later


@dataclass
class GeocodeReport:
    placed: int = 0
    not_found: int = 0
    outside: int = 0
    still_unavailable: int = 0
    ids_for_review: list[int] = field(default_factory=list)


def geocode_pending(limit: int | None = None) -> GeocodeReport:
    """Retry the sign-ups stored while the geocoder was unreachable; stop at the first outage."""
    report = GeocodeReport()
    query = db.select(Resident).filter_by(status=ResidentStatus.TO_GEOCODE).order_by(Resident.created_at)
    if limit:
        query = query.limit(limit)
    residents = list(db.session.scalars(query))
    for index, resident in enumerate(residents):
        house = HouseNumber(resident.house_number, resident.house_letter or None, resident.house_addition or None)
        try:
            result = geocode(AddressQuery(postcode=resident.postcode, house=house))
        except GeocoderUnavailable:
            report.still_unavailable = len(residents) - index
            break
        placement = place(result.lat, result.lon) if result else None
        if result is None or placement.area is None:
            if result is None:
                report.not_found += 1
            else:
                report.outside += 1
            resident.needs_review = True
            report.ids_for_review.append(resident.id)
            db.session.commit()
            continue
        resident.lat, resident.lon, resident.geocoder_source = result.lat, result.lon, result.source
        resident.street, resident.place = result.street or resident.street, result.place or resident.place
        _apply_placement(resident, placement)
        if resident.email and resident.email_confirmed_at is None and mail_enabled():
            resident.status = ResidentStatus.UNCONFIRMED  # the link they got at sign-up still works
        else:
            resident.status = _queue_status(resident)
        audit.record("residents.geocoded", "resident", resident.id, status=resident.status.value)
        db.session.commit()
        report.placed += 1
    return report


# ---------------------------------------------------------------------------------------------
# Beheerders' digest


@dataclass
class DigestLine:
    group_id: int
    group_name: str
    pending: int = 0
    waitlist: int = 0
    needs_review: int = 0
    recipients: int = 0
    sent: bool = False


def send_signup_digest() -> list[DigestLine]:
    """Mail each group's beheerders how many new sign-ups await them (counts only, no personal data).

    Residents counted are stamped (digest_sent_at) only when the mail went out. No MAIL_SERVER: nothing.
    """
    if not mail_enabled():
        return []
    rows = list(
        db.session.scalars(
            db.select(Resident).where(
                Resident.digest_sent_at.is_(None),
                Resident.group_id.is_not(None),
                Resident.status.in_((ResidentStatus.PENDING, ResidentStatus.WAITLIST)),
            )
        )
    )
    by_group: dict[int, list[Resident]] = {}
    for r in rows:
        by_group.setdefault(r.group_id, []).append(r)
    coordinators = [u.email for u in db.session.scalars(db.select(User).filter_by(role=Role.COORDINATOR, active=True))]
    console = external_url("beheer.index")
    lines = []
    for group_id, residents in sorted(by_group.items()):
        group = db.session.get(Group, group_id)
        line = DigestLine(
            group_id,
            group.name,
            pending=sum(r.status == ResidentStatus.PENDING for r in residents),
            waitlist=sum(r.status == ResidentStatus.WAITLIST for r in residents),
            needs_review=sum(r.needs_review for r in residents),
        )
        recipients = [u.email for u in group.beheerders if u.active] or coordinators
        line.recipients = len(recipients)
        stats = group_stats([group])[group_id]
        body = _(
            "Hallo,\n\nEr zijn nieuwe aanmeldingen voor %(group)s:\n\n"
            "- %(pending)d om toe te voegen in WhatsApp\n- %(waitlist)d op de wachtlijst (de groep is vol)\n"
            "- %(review)d om te controleren (grensadres of zelf aangewezen op de kaart)\n\n"
            "De groep heeft nu %(members)d leden, %(open)d aanmeldingen in behandeling en %(room)d vrije plaatsen.\n\n"
            "Namen en nummers ziet u alleen in de beheeromgeving: %(link)s\n\nBuurtWhatsApp Rijnsoever",
            group=group.name,
            pending=line.pending,
            waitlist=line.waitlist,
            review=line.needs_review,
            members=stats.members,
            open=stats.pending,
            room=stats.room,
            link=console,
        )
        if recipients and send_mail(recipients, _("Nieuwe aanmeldingen voor %(group)s", group=group.name), body):
            line.sent = True
            now = utcnow()
            for r in residents:
                r.digest_sent_at = now
            audit.record("residents.digest", "group", group_id, count=len(residents), recipients=len(recipients))
        lines.append(line)
    db.session.commit()
    return lines


# ---------------------------------------------------------------------------------------------
# Mijn gegevens


def my_data_link(resident: Resident) -> str:
    """A signed, expiring link to the resident's own data (for the mail, or shown by a beheerder)."""
    return external_url("residents.my_data", token=make_token(MY_DATA_PURPOSE, resident_token_data(resident)))


def resident_for_my_data(token: str) -> Resident:
    """The resident a "Mijn gegevens" link is for; raises InvalidToken."""
    return resident_from_token(MY_DATA_PURPOSE, token, current_app.config["MY_DATA_TOKEN_MAX_AGE"])


def request_my_data_link(contact: str) -> int:
    """Mail a link to every record matching a phone number or e-mail address that has an e-mail.

    Returns how many mails went out; the page never tells (no way to test who is signed up).
    """
    contact = (contact or "").strip()[:254]
    if "@" in contact:
        query = db.select(Resident).where(func.lower(Resident.email) == contact.lower())
    else:
        try:
            phone = normalize_mobile(contact)
        except ResidentError:
            return 0
        query = db.select(Resident).where(Resident.phone_e164 == phone)
    sent = 0
    hours = current_app.config["MY_DATA_TOKEN_MAX_AGE"] // 3600
    for resident in db.session.scalars(query):
        if not resident.email:
            continue
        body = _(
            "Hallo,\n\nU vroeg om uw gegevens bij BuurtWhatsApp Rijnsoever. Met deze link (%(hours)d uur geldig) "
            "kunt u ze bekijken, downloaden, verbeteren of laten verwijderen:\n\n%(link)s\n\n"
            "Heeft u hier niet om gevraagd? Dan kunt u deze e-mail negeren.\n\nBuurtWhatsApp Rijnsoever",
            hours=max(hours, 1),
            link=my_data_link(resident),
        )
        if send_mail(resident.email, _("Uw gegevens bij BuurtWhatsApp Rijnsoever"), body):
            sent += 1
    audit.record("residents.my_data_request", count=sent, commit=True)
    return sent


STATUS_LABELS = {
    ResidentStatus.UNCONFIRMED: lambda: _("wacht op bevestiging van uw e-mailadres"),
    ResidentStatus.TO_GEOCODE: lambda: _("adres wordt nog opgezocht"),
    ResidentStatus.PENDING: lambda: _("aangemeld; een beheerder voegt u toe"),
    ResidentStatus.WAITLIST: lambda: _("op de wachtlijst"),
    ResidentStatus.ADDED: lambda: _("lid van de WhatsApp-groep"),
    ResidentStatus.NOT_REACHABLE: lambda: _("de beheerder kon u niet bereiken"),
    ResidentStatus.REMOVED: lambda: _("uit de groep gehaald"),
}


def status_label(status: ResidentStatus) -> str:
    return STATUS_LABELS[ResidentStatus(status)]()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(resident: Resident) -> dict:
    """Everything stored about one resident, as JSON-able data (also what the page shows)."""
    tasks = db.session.scalars(db.select(GroupTask).filter_by(resident_id=resident.id)).all()
    return {
        "id": resident.id,
        "name": resident.name,
        "phone": resident.phone_e164,
        "email": resident.email,
        "email_confirmed_at": _iso(resident.email_confirmed_at),
        "postcode": resident.postcode,
        "house_number": resident.house_number,
        "house_letter": resident.house_letter,
        "house_addition": resident.house_addition,
        "street": resident.street,
        "place": resident.place,
        "lat": resident.lat,
        "lon": resident.lon,
        "location_source": resident.geocoder_source,
        "location_from_map": resident.location_from_map,
        "household_size": resident.household_size,
        "group": resident.group.name if resident.group else None,
        "area": resident.area.name if resident.area else None,
        "status": resident.status.value,
        "waitlist_position": waitlist_position(resident),
        "is_border": resident.is_border,
        "border_group": resident.border_group.name if resident.border_group else None,
        "border_distance_m": resident.border_distance_m,
        "needs_review": resident.needs_review,
        "consent_privacy_at": _iso(resident.consent_privacy_at),
        "consent_rules_at": _iso(resident.consent_rules_at),
        "consent_age_at": _iso(resident.consent_age_at),
        "created_at": _iso(resident.created_at),
        "updated_at": _iso(resident.updated_at),
        "added_at": _iso(resident.added_at),
        "removed_at": _iso(resident.removed_at),
        "removal_reason": resident.removal_reason,
        "digest_sent_at": _iso(resident.digest_sent_at),
        "open_tasks_for_beheerders": [
            {"kind": t.kind.value, "created_at": _iso(t.created_at), "done_at": _iso(t.done_at)} for t in tasks
        ],
    }


def view_my_data(token: str, *, download: bool = False) -> tuple[Resident, dict]:
    """Load the resident for a link and log the view or download (ids only)."""
    resident = resident_for_my_data(token)
    data = export_data(resident)
    audit.record("residents.my_data_download" if download else "residents.my_data_view", "resident", resident.id)
    db.session.commit()
    return resident, data


@dataclass(slots=True)
class Correction:
    name: str
    phone_e164: str
    email: str | None
    postcode: str
    house: HouseNumber
    household_size: int


def _remove_task(resident: Resident, group_id: int, reason: str) -> GroupTask:
    task = GroupTask(
        group_id=group_id,
        kind=TaskKind.REMOVE_FROM_WHATSAPP,
        resident_id=None,
        display_name=resident.name,
        phone_e164=resident.phone_e164,
        reason=reason,
    )
    db.session.add(task)
    return task


def correct_my_data(token: str, change: Correction) -> list[str]:
    """Apply a resident's correction; returns what changed (field codes). Re-geocodes a new address.

    Raises InvalidToken, DuplicatePhone, AddressNotFound, OutsideCoverage, LookupUnavailable
    (nothing changed then).
    """
    resident = resident_for_my_data(token)
    changed: list[str] = []
    if change.phone_e164 != resident.phone_e164 and _active_with_phone(change.phone_e164, exclude_id=resident.id):
        raise DuplicatePhone(_("Dit nummer is al aangemeld bij een andere aanmelding."))
    address_changed = (
        change.postcode,
        change.house.number,
        change.house.letter or "",
        change.house.addition or "",
    ) != (
        resident.postcode,
        resident.house_number,
        resident.house_letter,
        resident.house_addition,
    )
    placement = result = None
    if address_changed:
        try:
            result = geocode(AddressQuery(postcode=change.postcode, house=change.house))
        except GeocoderUnavailable as error:
            db.session.rollback()
            raise LookupUnavailable(
                _("De adreszoeker is nu niet bereikbaar. Uw gegevens zijn niet gewijzigd; probeer het later opnieuw.")
            ) from error
        if result is None:
            db.session.rollback()
            raise AddressNotFound(
                _("We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer; er is niets gewijzigd.")
            )
        placement = place(result.lat, result.lon)
        if placement.area is None:
            db.session.rollback()
            raise _outside(result.lat, result.lon, result, result.source)
    was_in_whatsapp = resident.status == ResidentStatus.ADDED
    old_group_id = resident.group_id
    if change.phone_e164 != resident.phone_e164:
        if was_in_whatsapp:
            _remove_task(resident, old_group_id, "nummer gewijzigd door bewoner")
            resident.status = ResidentStatus.PENDING  # to be added again with the new number
        resident.phone_e164 = change.phone_e164
        changed.append("phone")
    if change.name.strip() != resident.name:
        resident.name = change.name.strip()
        changed.append("name")
    if (change.email or None) != resident.email:
        resident.email = change.email or None
        resident.email_confirmed_at = None
        changed.append("email")
    if change.household_size != resident.household_size:
        resident.household_size = change.household_size
        changed.append("household_size")
    if address_changed:
        resident.postcode, resident.house_number = change.postcode, change.house.number
        resident.house_letter, resident.house_addition = change.house.letter or "", change.house.addition or ""
        resident.lat, resident.lon, resident.geocoder_source = result.lat, result.lon, result.source
        resident.street, resident.place = result.street, result.place
        resident.location_from_map = False
        _apply_placement(resident, placement)
        changed.append("address")
        if resident.group_id != old_group_id:
            if resident.status == ResidentStatus.ADDED and old_group_id is not None:
                _remove_task(resident, old_group_id, "verhuisd naar een ander gebied")
            if resident.status in (
                ResidentStatus.ADDED,
                ResidentStatus.PENDING,
                ResidentStatus.WAITLIST,
                ResidentStatus.NOT_REACHABLE,
                ResidentStatus.TO_GEOCODE,
            ):
                resident.status = ResidentStatus.PENDING  # provisional, so the queue check below sees it
                resident.status = ResidentStatus.WAITLIST if _full_without(resident) else ResidentStatus.PENDING
            changed.append("group")
        elif resident.status == ResidentStatus.TO_GEOCODE:
            resident.status = _queue_status(resident)
    if changed:
        audit.record("residents.my_data_correct", "resident", resident.id, fields=",".join(changed))
    db.session.commit()
    return changed


def _full_without(resident: Resident) -> bool:
    """Is the resident's (new) group full, not counting the resident themselves?"""
    db.session.flush()
    stats = group_stats_for(resident.group_id)
    occupied = stats.occupied - (1 if resident.status == ResidentStatus.PENDING else 0)
    return occupied >= stats.capacity


def delete_my_data(token: str) -> int:
    """Erase a resident: the row goes, the beheerders get a "remove from WhatsApp" task if needed.

    What remains is anonymous: an audit entry with the group id, the former status and the
    household size (counts), and the task (name + number, erased when the beheerder marks it done).
    Returns the group id the resident was in (or 0).
    """
    resident = resident_for_my_data(token)
    group_id = resident.group_id
    status = resident.status
    if group_id is not None and status in (ResidentStatus.ADDED, ResidentStatus.PENDING):
        _remove_task(resident, group_id, "gegevens verwijderd op verzoek van de bewoner")
    for task in db.session.scalars(db.select(GroupTask).filter_by(resident_id=resident.id)):
        task.resident_id = None
    audit.record(
        "residents.my_data_delete",
        "resident",
        resident.id,
        group_id=group_id,
        status=status.value,
        household_size=resident.household_size,
        count=1,
    )
    db.session.delete(resident)
    db.session.commit()
    return group_id or 0


# ---------------------------------------------------------------------------------------------
# Retention


@dataclass
class PurgeReport:
    """What the retention rule removes (or would remove), counted per status."""

    by_status: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    applied: bool = False

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def stale_signups(now: datetime | None = None) -> list[Resident]:
    """Sign-ups the retention rule removes: never confirmed or never added, older than RETENTION_DAYS.

    - UNCONFIRMED, TO_GEOCODE: counted from the sign-up;
    - PENDING and NOT_REACHABLE (never added): counted from the confirmation, or the sign-up;
    - REMOVED (left the group): counted from the removal (the privacy statement promises it).
    WAITLIST is kept: those people confirmed and wait for room, as promised on the site; a
    beheerder removes them from the waitlist when they no longer want to wait.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    started = func.coalesce(Resident.email_confirmed_at, Resident.created_at)
    query = db.select(Resident).where(
        Resident.is_demo.is_(False),
        or_(
            Resident.status.in_((ResidentStatus.UNCONFIRMED, ResidentStatus.TO_GEOCODE))
            & (Resident.created_at < cutoff),
            Resident.status.in_((ResidentStatus.PENDING, ResidentStatus.NOT_REACHABLE)) & (started < cutoff),
            (Resident.status == ResidentStatus.REMOVED)
            & (func.coalesce(Resident.removed_at, Resident.updated_at) < cutoff),
        ),
    )
    return list(db.session.scalars(query.order_by(Resident.id)))


def purge_stale_signups(apply: bool = False) -> PurgeReport:
    """Remove (apply=True) or list (dry run) what the retention rule covers. Logged without personal data."""
    report = PurgeReport(applied=apply)
    for resident in stale_signups():
        report.by_status[resident.status.value] = report.by_status.get(resident.status.value, 0) + 1
        report.ids.append(resident.id)
        if apply:
            for task in db.session.scalars(db.select(GroupTask).filter_by(resident_id=resident.id)):
                task.resident_id = None
            db.session.delete(resident)
    if apply:
        audit.record("residents.purge", count=report.total, **{f"n_{k}": v for k, v in report.by_status.items()})
        db.session.commit()
    else:
        db.session.rollback()
    return report


def format_address_of(resident: Resident) -> str:
    """Display address of a resident, e.g. "Fictieweg 12a, 2221 ZZ Katwijk"."""
    from buurt.geo.addresses import format_address

    house = None
    if resident.house_number:
        house = HouseNumber(resident.house_number, resident.house_letter or None, resident.house_addition or None)
    return format_address(resident.street, house, resident.postcode, resident.place) or format_postcode(
        resident.postcode or ""
    )
