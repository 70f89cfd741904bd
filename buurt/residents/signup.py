"""Signing up: store a sign-up for the group whose area covers the address, the double opt-in,
and retrying addresses that could not be looked up when the resident signed up.

Statuses change only through buurt.residents.lifecycle. Personal data never reaches a log line
above DEBUG and never an audit entry (ids, counts and codes only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError

from buurt import audit
from buurt import once as once_tokens
from buurt.addresses.services import GeocoderUnavailable, geocode
from buurt.areas.services import Placement, place
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import AddressQuery
from buurt.mail import mail_enabled
from buurt.models import OutboxMessage, Resident, ResidentStatus, utcnow
from buurt.outbox import on_give_up, queue_mail
from buurt.residents import lifecycle
from buurt.residents.errors import AddressNotFound, DuplicatePhone
from buurt.residents.links import confirm_link, resident_for_confirmation
from buurt.residents.lookup import outside_error

log = logging.getLogger(__name__)
S = ResidentStatus

#: The purpose of the sign-up form's one-time token (buurt.once).
SIGNUP = "signup"
#: A sign-up counts as "active" (blocks a second one with the same number) unless removed.
INACTIVE = (S.REMOVED,)


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
    mail_on_its_way: bool = False  # the confirmation mail is queued or sent, the link not clicked yet
    is_border: bool = False
    needs_review: bool = False


def active_with_phone(phone_e164: str, exclude_id: int | None = None) -> Resident | None:
    """The active sign-up with this number, if any."""
    query = db.select(Resident).where(Resident.phone_e164 == phone_e164, Resident.status.not_in(INACTIVE))
    if exclude_id is not None:
        query = query.where(Resident.id != exclude_id)
    return db.session.scalars(query.order_by(Resident.id)).first()


def _expired_unconfirmed(resident: Resident) -> bool:
    limit = timedelta(seconds=current_app.config["SIGNUP_TOKEN_MAX_AGE"])
    return resident.status == S.UNCONFIRMED and resident.created_at < utcnow() - limit


def _expired_to_replace(phone_e164: str) -> Resident | None:
    """An earlier sign-up with this number that a new one replaces (never confirmed, link expired).

    Raises DuplicatePhone when the number has an active sign-up. Read-only: the replacement is
    written in the sign-up's own short transaction; the database has the last word (a partial
    unique index on active numbers, see Resident).
    """
    existing = active_with_phone(phone_e164)
    if existing is None:
        return None
    if _expired_unconfirmed(existing):
        return existing
    raise _duplicate_phone()


def _duplicate_phone() -> DuplicatePhone:
    return DuplicatePhone(
        _("Dit nummer is al aangemeld. Gebruik Mijn gegevens om uw aanmelding te bekijken of te wijzigen.")
    )


def waitlist_position(resident: Resident) -> int | None:
    """1-based place on the group's waitlist (by sign-up time), or None when not waitlisted."""
    if resident.status != S.WAITLIST or resident.group_id is None:
        return None
    ahead = db.session.scalar(
        db.select(func.count(Resident.id)).where(
            Resident.group_id == resident.group_id,
            Resident.status == S.WAITLIST,
            or_(
                Resident.created_at < resident.created_at,
                (Resident.created_at == resident.created_at) & (Resident.id < resident.id),
            ),
        )
    )
    return (ahead or 0) + 1


def apply_placement(resident: Resident, placement: Placement) -> None:
    """Group, area and border flags from where the resident's address lies."""
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


def sign_up(data: SignupData, once: str | None = None) -> SignupOutcome:
    """Store a sign-up for the group whose area covers the address.

    Raises DuplicatePhone, AddressNotFound or OutsideCoverage (nothing stored), or
    once.AlreadySubmitted when this form (its one-time token `once`) was stored already: a double
    tap or a resubmit answers with the first result. When the geocoder is unreachable the sign-up
    is stored as TO_GEOCODE (retried by `flask buurt geocode-pending`).

    Two phases: first everything slow and read-only (the duplicate check, the geocoder with its
    hard deadline), then one short transaction that claims the form token, takes the group's seat
    lock, decides PENDING or WAITLIST, inserts and commits. No lock is held while a geocoder
    answers, and the mail is only queued (buurt.outbox sends it after commit).
    """
    if (first := once_tokens.previous(once, SIGNUP)) is not None:
        raise once_tokens.AlreadySubmitted(first)
    replaced = _expired_to_replace(data.phone_e164)
    resident = _new_resident(data)
    placement = _locate(resident, data)

    claim = once_tokens.claim(once, SIGNUP)  # the first write: a concurrent double tap waits here
    if replaced is not None:
        lifecycle.unlink_tasks(replaced)
        db.session.delete(replaced)
        db.session.flush()  # gone before the new row arrives (a flush inserts before it deletes)
    confirming = bool(resident.email) and mail_enabled()
    if placement is not None:
        apply_placement(resident, placement)
        lifecycle.start(resident, S.UNCONFIRMED if confirming else lifecycle.queue_status(resident.group_id))
    db.session.add(resident)
    try:
        db.session.flush()
    except IntegrityError:  # the same number stored by a concurrent sign-up (another form)
        db.session.rollback()
        raise _duplicate_phone() from None
    if confirming and not _send_confirmation(resident) and resident.status == S.UNCONFIRMED:
        # The link cannot reach them: do not leave them waiting for it.
        lifecycle.set_status(resident, lifecycle.queue_status(resident.group_id))
    once_tokens.record(claim, resident_id=resident.id)
    audit.record("residents.signup", "resident", resident.id, status=resident.status.value)
    db.session.commit()
    log.info("sign-up %d stored as %s", resident.id, resident.status.value)
    return outcome_of(resident)


def _new_resident(data: SignupData) -> Resident:
    now = utcnow()
    return Resident(
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


def _locate(resident: Resident, data: SignupData) -> Placement | None:
    """Where the resident lives: the point they clicked, or the geocoder's answer (read-only).

    Fills in the resident's coordinates; None when the geocoder is unreachable (the resident is
    then TO_GEOCODE). Raises AddressNotFound or OutsideCoverage.
    """
    if data.pick_lat is not None and data.pick_lon is not None:
        resident.lat, resident.lon = round(data.pick_lat, 7), round(data.pick_lon, 7)
        resident.geocoder_source = "map"
        resident.location_from_map = True
        resident.needs_review = True
        placement = place(resident.lat, resident.lon)
        if placement.area is None:
            raise outside_error(resident.lat, resident.lon, None, "map")
        return placement
    try:
        result = geocode(AddressQuery(postcode=data.postcode, house=data.house))
    except GeocoderUnavailable:
        lifecycle.start(resident, S.TO_GEOCODE)
        return None
    if result is None:
        raise AddressNotFound(
            _(
                "We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer, "
                "of wijs uw huis aan op de kaart."
            )
        )
    placement = place(result.lat, result.lon)
    if placement.area is None:
        raise outside_error(result.lat, result.lon, result, result.source)
    resident.lat, resident.lon = result.lat, result.lon
    resident.geocoder_source = result.source
    resident.street, resident.place = result.street, result.place
    return placement


def outcome_of(resident: Resident) -> SignupOutcome:
    """The outcome page's facts; a sign-up waiting for its double opt-in has had its mail queued."""
    return SignupOutcome(
        resident_id=resident.id,
        status=resident.status,
        group_name=resident.group.name if resident.group else None,
        waitlist_position=waitlist_position(resident),
        mail_on_its_way=_awaits_confirmation(resident),
        is_border=resident.is_border,
        needs_review=resident.needs_review,
    )


def _awaits_confirmation(resident: Resident) -> bool:
    """A confirmation mail was queued at sign-up and the address is not confirmed yet."""
    return (
        resident.status in (S.UNCONFIRMED, S.TO_GEOCODE)
        and bool(resident.email)
        and resident.email_confirmed_at is None
        and mail_enabled()
    )


def _send_confirmation(resident: Resident) -> bool:
    days = max(current_app.config["SIGNUP_TOKEN_MAX_AGE"] // 86400, 1)
    body = render_template("email/signup_confirm.txt", days=days, link=confirm_link(resident))
    subject = _("Bevestig uw aanmelding bij BuurtWhatsApp Rijnsoever")
    return queue_mail(resident.email, subject, body, kind="signup_confirm", resident_id=resident.id)


def _link_on_its_way(resident: Resident) -> bool:
    """Their confirmation mail was not given up (else waiting for its link would be forever)."""
    given_up = db.session.scalar(
        db.select(OutboxMessage.id).where(
            OutboxMessage.resident_id == resident.id,
            OutboxMessage.kind == "signup_confirm",
            OutboxMessage.gave_up_at.is_not(None),
        )
    )
    return given_up is None


@on_give_up("signup_confirm")
def _confirmation_undeliverable(message: OutboxMessage) -> None:
    """The confirmation mail can never arrive: put the sign-up in the queue instead of leaving it waiting.

    Runs in the outbox's transaction (it commits); the queue decision takes the seat lock as always.
    """
    resident = db.session.get(Resident, message.resident_id) if message.resident_id else None
    if resident is None or resident.status != S.UNCONFIRMED or resident.group_id is None:
        return
    status = lifecycle.queue_status(resident.group_id)
    if lifecycle.transition(resident.id, [S.UNCONFIRMED], status):
        audit.record("residents.confirmation_undeliverable", "resident", resident.id, status=status.value)


def confirm_signup(token: str) -> SignupOutcome:
    """Double opt-in: the e-mail address is confirmed; UNCONFIRMED becomes PENDING (or WAITLIST).

    A conditional UPDATE: the link clicked twice, or in two tabs at once, confirms once.
    """
    resident = resident_for_confirmation(token)
    if resident.email_confirmed_at is None:
        resident.email_confirmed_at = utcnow()
    if resident.status == S.UNCONFIRMED:
        status = lifecycle.queue_status(resident.group_id)
        if lifecycle.transition(resident.id, [S.UNCONFIRMED], status):
            audit.record("residents.confirm", "resident", resident.id, status=status.value)
    db.session.commit()
    return outcome_of(resident)


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
    query = db.select(Resident).filter_by(status=S.TO_GEOCODE).order_by(Resident.created_at)
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
        apply_placement(resident, placement)
        if resident.email and resident.email_confirmed_at is None and mail_enabled() and _link_on_its_way(resident):
            lifecycle.set_status(resident, S.UNCONFIRMED)  # the link they got at sign-up still works
        else:
            lifecycle.set_status(resident, lifecycle.queue_status(resident.group_id))
        audit.record("residents.geocoded", "resident", resident.id, status=resident.status.value)
        db.session.commit()
        report.placed += 1
    return report
