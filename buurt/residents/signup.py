"""Signing up: store a sign-up for the group whose area covers the address, the double opt-in,
and retrying addresses that could not be looked up when the resident signed up.

The sign-up form answers the same whether or not the number is already signed up (else it would
tell anyone which numbers belong to the neighbourhood's groups): the same work, the same redirect,
the same page (``SignupReceipt``: what follows from the form as typed and the group's seats). For a
known number nothing is stored; the owner is told by mail instead, when their sign-up has a
confirmed e-mail address, with the way to "Mijn gegevens".

Statuses change only through buurt.residents.lifecycle. Personal data never reaches a log line
above DEBUG and never an audit entry (ids, counts and codes only).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError

from buurt import audit
from buurt import once as once_tokens
from buurt.addresses.services import GeocoderUnavailable, geocode, geocode_for_signup
from buurt.areas.services import Placement, place
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
from buurt.mail import mail_enabled
from buurt.models import Group, OutboxMessage, Resident, ResidentStatus, utcnow
from buurt.outbox import on_give_up, queue_mail
from buurt.residents import lifecycle
from buurt.residents.errors import AddressNotFound, PickNotConfirmed, SignupElsewhere
from buurt.residents.links import confirm_link, resident_for_confirmation
from buurt.residents.lookup import lookup_point, nearest_group_area, neighbourhood_ref, outside_error
from buurt.residents.mailing import mail_names
from buurt.urls import external_url

log = logging.getLogger(__name__)
S = ResidentStatus

#: The purpose of the sign-up form's one-time token (buurt.once).
SIGNUP = "signup"
#: A sign-up counts as "active" (blocks a second one with the same number) unless removed.
INACTIVE = (S.REMOVED,)
#: At most one "someone used your number" mail per sign-up in this time (a stranger cannot flood the owner).
DUPLICATE_NOTICE_EVERY = timedelta(hours=24)


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
    pick_confirmed: bool = False  # they ticked "yes, that is my house" after seeing its area


@dataclass(frozen=True, slots=True)
class SignupReceipt:
    """What the page after the sign-up form shows: the same for a new number and a known one.

    Only what follows from the form as typed (the group of the address, border or map point, an
    e-mail address given) and the group's seats at that moment (room or waitlist): the status a new
    sign-up with this form gets. No resident id and no waitlist position, which would tell a
    stranger whether a row was stored; the resident finds those in "Mijn gegevens". Kept in the
    session cookie and in the one-time token's record, so codes only.
    """

    status: str  # a ResidentStatus value: unconfirmed, to_geocode, pending or waitlist
    group_id: int | None = None
    is_border: bool = False
    needs_review: bool = False
    mail_on_its_way: bool = False  # an e-mail address was typed and mail is enabled

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> SignupReceipt | None:
        """The receipt kept in the session or a token's record; None for anything else (an old format)."""
        if not isinstance(data, dict) or data.get("status") not in {s.value for s in S}:
            return None
        group_id = data.get("group_id")
        return cls(
            status=data["status"],
            group_id=group_id if isinstance(group_id, int) else None,
            is_border=data.get("is_border") is True,
            needs_review=data.get("needs_review") is True,
            mail_on_its_way=data.get("mail_on_its_way") is True,
        )


@dataclass(slots=True)
class SignupOutcome:
    """What a status means for the resident, for the pages after the form and after the confirmation link."""

    resident_id: int | None
    status: ResidentStatus
    group_name: str | None
    waitlist_position: int | None = None
    mail_on_its_way: bool = False  # the confirmation mail is queued or sent, the link not clicked yet
    is_border: bool = False
    needs_review: bool = False
    hood_name: str | None = None  # the group's neighbourhood (group names repeat across the gemeente)


def active_with_phone(phone_e164: str, exclude_id: int | None = None) -> Resident | None:
    """The active sign-up with this number, if any."""
    query = db.select(Resident).where(Resident.phone_e164 == phone_e164, Resident.status.not_in(INACTIVE))
    if exclude_id is not None:
        query = query.where(Resident.id != exclude_id)
    return db.session.scalars(query.order_by(Resident.id)).first()


def _expired_unconfirmed(resident: Resident) -> bool:
    limit = timedelta(seconds=current_app.config["SIGNUP_TOKEN_MAX_AGE"])
    return resident.status == S.UNCONFIRMED and resident.created_at < utcnow() - limit


def _expired_to_replace(phone_e164: str) -> tuple[Resident | None, int | None]:
    """(an earlier sign-up with this number that a new one replaces, the id of one that stays).

    Replaced: never confirmed and its link expired. Stays: any other active sign-up with this number;
    the new one is then not stored (the caller answers as if it were). Read-only: the replacement is
    written in the sign-up's own short transaction; the database has the last word (a partial
    unique index on active numbers, see Resident).
    """
    existing = active_with_phone(phone_e164)
    if existing is None:
        return None, None
    if _expired_unconfirmed(existing):
        return existing, None
    return None, existing.id


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


def nearest_placement(lat: float, lon: float, placement: Placement) -> Placement | None:
    """For an address in no area: the nearest group's placement when it may take the address (in the
    gemeente, within NEAREST_GROUP_MAX_M; buurt.residents.lookup.nearest_group_area), else None.

    Its ``area`` is the nearest area, ``other`` None and ``distance_m`` the distance to it: what
    ``apply_placement(..., nearest=True)`` stores.
    """
    area = nearest_group_area(lat, lon, placement)
    return Placement(area, False, None, placement.distance_m) if area is not None else None


def is_nearest_group_signup(resident: Resident) -> bool:
    """A sign-up stored for the nearest group of an address between neighbourhoods (in no area).

    Stored without a new column: ``is_border`` and ``needs_review`` set (so the beheerders see it
    among the sign-ups to check), ``area_id`` and ``border_group_id`` empty (the address lies in no
    area and there is no neighbouring group to move it to), ``border_distance_m`` the distance to the
    group's area.
    """
    return bool(resident.is_border) and resident.area_id is None and resident.border_group_id is None


def apply_placement(resident: Resident, placement: Placement, *, nearest: bool = False) -> None:
    """Group, area and border flags from where the resident's address lies (``nearest``: in no area,
    the nearest group's placement from ``nearest_placement``; see ``is_nearest_group_signup``)."""
    area = placement.area
    resident.group_id = area.group_id
    if nearest:
        resident.area_id = None
        resident.is_border = True
        resident.border_group_id = None
        resident.border_distance_m = round(placement.distance_m or 0.0, 1)
        resident.needs_review = True
        return
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


def sign_up(data: SignupData, once: str | None = None) -> SignupReceipt:
    """Store a sign-up for the group whose area covers the address; what the page after it shows.

    An address between neighbourhoods (in the gemeente, in no area) goes to the nearest group within
    NEAREST_GROUP_MAX_M, flagged for the beheerders (``is_nearest_group_signup``).

    Raises AddressNotFound, OutsideCoverage, SignupElsewhere (the group's neighbourhood is a routing
    target only: its own sign-up; nothing stored), PickNotConfirmed (a map point without "yes, that is my
    house") or HouseChoiceNeeded (the number has several addresses
    and the form named none of them: the resident picks one; nothing stored), or once.AlreadySubmitted when this
    form (its one-time token `once`) was posted already: a double tap or a resubmit answers with
    the first receipt. A sign-up never waits on an online geocoder: an address that is neither in
    the register nor among this process's recent lookups is stored as TO_GEOCODE and placed by the
    background round (buurt.residents.geocode_later; or `flask buurt geocode-pending`).

    A number that already has an active sign-up goes the same way up to the last step and gets the
    same receipt; then, instead of inserting, the owner is told (``_tell_owner``). Two phases: first
    everything slow and read-only (the number, the geocoder with its hard deadline), then one short
    transaction that claims the form token, takes the group's seat lock, decides PENDING or
    WAITLIST, writes and commits. No lock is held while a geocoder answers, and mail is only queued
    (buurt.outbox sends it after commit).
    """
    if (first := once_tokens.previous(once, SIGNUP)) is not None:
        raise once_tokens.AlreadySubmitted(first)
    replaced, known_id = _expired_to_replace(data.phone_e164)
    resident = _new_resident(data)
    placement, nearest = _locate(resident, data)

    claim = once_tokens.claim(once, SIGNUP)  # the first write: a concurrent double tap waits here
    confirming = bool(resident.email) and mail_enabled()
    if placement is not None:
        apply_placement(resident, placement, nearest=nearest)
        lifecycle.start(resident, S.UNCONFIRMED if confirming else lifecycle.queue_status(resident.group_id))
    receipt = _receipt(resident, confirming)
    if known_id is not None:
        _tell_owner(known_id, claim, receipt)
        return receipt
    if replaced is not None:
        lifecycle.unlink_tasks(replaced)
        db.session.delete(replaced)
        db.session.flush()  # gone before the new row arrives (a flush inserts before it deletes)
    db.session.add(resident)
    try:
        db.session.flush()
    except IntegrityError:  # the same number stored by a concurrent sign-up (another form) a moment ago
        db.session.rollback()
        if (known := active_with_phone(data.phone_e164)) is not None:
            _tell_owner(known.id, None, receipt)
        return receipt
    if confirming:  # queued, sent after the commit; a mail the outbox gives up puts them in the queue
        _send_confirmation(resident)  # (_confirmation_undeliverable)
    once_tokens.record(claim, **receipt.as_dict())
    audit.record("residents.signup", "resident", resident.id, status=resident.status.value)
    db.session.commit()
    log.info("sign-up %d stored as %s", resident.id, resident.status.value)
    return receipt


def _receipt(resident: Resident, confirming: bool) -> SignupReceipt:
    """The page's facts for the sign-up as decided (stored or not): from the form and the seats only."""
    return SignupReceipt(
        status=S(resident.status).value,
        group_id=resident.group_id,
        is_border=bool(resident.is_border),
        needs_review=bool(resident.needs_review),
        mail_on_its_way=confirming,
    )


def _tell_owner(resident_id: int, claim: once_tokens.Claim | None, receipt: SignupReceipt) -> None:
    """Someone signed up with a number that is already signed up: nothing is stored for them.

    The owner is told (``notify_number_owner``); the form's token records the same receipt as a new
    sign-up's. Runs in the sign-up's transaction (the seat lock is let go at the commit) and commits.
    """
    notified = notify_number_owner(resident_id, "signup")
    once_tokens.record(claim, **receipt.as_dict())
    db.session.commit()
    log.info("sign-up for the number of sign-up %d not stored (owner notified: %s)", resident_id, notified)


def notify_number_owner(resident_id: int, attempt: str) -> bool:
    """Someone tried to use the number of this sign-up (`attempt`: "signup" or "my_data"); tell its owner.

    A mail to the sign-up's confirmed address (never to an unconfirmed one: that could be anyone's),
    at most once per DUPLICATE_NOTICE_EVERY, with the way to "Mijn gegevens"; an audit entry with
    ids and codes only. Added to the current transaction; True when a mail was queued.
    """
    owner = db.session.get(Resident, resident_id)
    notified = False
    if owner is not None and owner.email and owner.email_confirmed_at is not None and not _told_recently(owner):
        body = render_template(
            "email/signup_duplicate.txt", link=external_url("residents.my_data_request"), **mail_names(owner.group_id)
        )
        subject = _("Iemand probeerde uw nummer te gebruiken")
        notified = queue_mail(owner.email, subject, body, kind="signup_duplicate", resident_id=owner.id)
    audit.record("residents.number_in_use", "resident", resident_id, attempt=attempt, notified=notified)
    return notified


def _told_recently(owner: Resident) -> bool:
    since = utcnow() - DUPLICATE_NOTICE_EVERY
    return (
        db.session.scalar(
            db.select(OutboxMessage.id).where(
                OutboxMessage.resident_id == owner.id,
                OutboxMessage.kind == "signup_duplicate",
                OutboxMessage.created_at >= since,
            )
        )
        is not None
    )


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
        # the texts agreed to: a later version of either is a new text the resident has not seen
        consent_privacy_version=current_app.config["PRIVACY_VERSION"],
        consent_rules_version=current_app.config["RULES_VERSION"],
        created_at=now,
    )


def take_bag_house(resident: Resident, house: HouseNumber | None) -> None:
    """Store the address as the register (or PDOK) has it: "105 H" as typed may be huisletter H or
    toevoeging H (``HouseNumber.readings``), and only the answer knows which (issue 14, point 1)."""
    if house is not None and house.number == resident.house_number:
        resident.house_letter, resident.house_addition = house.letter or "", house.addition or ""


def _register_house(query: AddressQuery) -> HouseNumber | None:
    """The BAG form of a map-picked sign-up's address when the register (or a recent answer) has
    it; None when not known now. Raises HouseChoiceNeeded: a number with several addresses needs
    one of them, map point or not."""
    try:
        result = geocode_for_signup(query)
    except GeocoderUnavailable:
        return None
    return result.house_number if result is not None else None


def placement_for_signup(lat: float, lon: float, result, source: str) -> tuple[Placement, bool]:
    """(placement, nearest) for a point: its area, or the nearest group between neighbourhoods.

    Raises OutsideCoverage (no group takes it) or SignupElsewhere (a routing-only neighbourhood's group).
    """
    placement = place(lat, lon)
    nearest = False
    if placement.area is None:
        placement = nearest_placement(lat, lon, placement)
        if placement is None:
            raise outside_error(lat, lon, result, source)
        nearest = True
    hood = neighbourhood_ref(placement.area.neighbourhood_id)
    if hood is not None and hood.routing_only:
        raise SignupElsewhere(
            _(
                "Dit adres hoort bij %(hood)s. Bewoners van %(hood)s melden zich aan via de eigen aanmelding "
                "van %(hood)s, niet via dit formulier. Er is niets opgeslagen.",
                hood=hood.name,
            ),
            lookup_point(lat, lon, result, source),
        )
    return placement, nearest


def _locate(resident: Resident, data: SignupData) -> tuple[Placement | None, bool]:
    """Where the resident lives: the point they clicked, or the geocoder's answer (read-only).

    Fills in the resident's coordinates and the address in its BAG form; (placement, nearest), the
    placement None when the geocoder is unreachable (the resident is then TO_GEOCODE). Raises
    AddressNotFound, OutsideCoverage, SignupElsewhere or HouseChoiceNeeded.
    """
    query = AddressQuery(postcode=data.postcode, house=data.house)
    if data.pick_lat is not None and data.pick_lon is not None:
        take_bag_house(resident, _register_house(query))
        resident.lat, resident.lon = round(data.pick_lat, 7), round(data.pick_lon, 7)
        resident.geocoder_source = "map"
        resident.location_from_map = True
        resident.needs_review = True
        placement, nearest = placement_for_signup(resident.lat, resident.lon, None, "map")
        if not data.pick_confirmed:
            raise PickNotConfirmed(pick_question(placement, nearest=nearest))
        return placement, nearest
    try:
        result = geocode_for_signup(query)
    except GeocoderUnavailable:
        lifecycle.start(resident, S.TO_GEOCODE)
        return None, False
    if result is None:
        raise AddressNotFound(
            _(
                "We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer, "
                "of wijs uw huis aan op de kaart."
            )
        )
    placement, nearest = placement_for_signup(result.lat, result.lon, result, result.source)
    resident.lat, resident.lon = result.lat, result.lon
    resident.geocoder_source = result.source
    resident.street, resident.place = result.street, result.place
    take_bag_house(resident, result.house_number)
    return placement, nearest


def pick_question(placement: Placement, *, nearest: bool = False) -> str:
    """ "U koos een plek in gebied X (groep Y). Klopt dat?" for a point tapped on the map."""
    area = placement.area
    if nearest:
        hood = neighbourhood_ref(area.neighbourhood_id)
        return _(
            "U koos een plek tussen twee buurten; de dichtstbijzijnde groep is %(group)s (%(hood)s), op "
            "%(distance)d m. Klopt de plek? Vink dan aan dat dit de plek van uw huis is, of tik op de kaart "
            "op uw huis.",
            group=area.group_name,
            hood=hood.name if hood else "",
            distance=round(placement.distance_m or 0),
        )
    return _(
        "U koos een plek in gebied %(area)s (groep %(group)s). Klopt dat? Vink dan aan dat dit de plek "
        "van uw huis is, of tik op de kaart op uw huis.",
        area=area.name,
        group=area.group_name,
    )


def picked_place(lat: float, lon: float) -> str | None:
    """The question for a point already on the form (the page came back), or None outside every area
    (and not near enough to one)."""
    placement = place(lat, lon)
    if placement.area is not None:
        return pick_question(placement)
    nearest = nearest_placement(lat, lon, placement)
    return pick_question(nearest, nearest=True) if nearest is not None else None


def outcome_of_receipt(receipt: SignupReceipt) -> SignupOutcome:
    """The page after the sign-up form: the receipt's facts with the group's name."""
    group = db.session.get(Group, receipt.group_id) if receipt.group_id is not None else None
    return SignupOutcome(
        resident_id=None,
        status=S(receipt.status),
        group_name=group.name if group is not None else None,
        mail_on_its_way=receipt.mail_on_its_way,
        hood_name=group.neighbourhood.name if group is not None else None,
        is_border=receipt.is_border,
        needs_review=receipt.needs_review,
    )


def outcome_of(resident: Resident) -> SignupOutcome:
    """The facts for the holder of a confirmation link (their own sign-up, with its waitlist place).

    Their address is confirmed by then (``confirm_signup``): no mail is on its way any more.
    """
    return SignupOutcome(
        resident_id=resident.id,
        status=resident.status,
        group_name=resident.group.name if resident.group else None,
        hood_name=resident.group.neighbourhood.name if resident.group else None,
        waitlist_position=waitlist_position(resident),
        is_border=resident.is_border,
        needs_review=resident.needs_review,
    )


def _send_confirmation(resident: Resident) -> None:
    """Queue the double opt-in mail (mail is enabled and the sign-up has an address: always queued)."""
    days = max(current_app.config["SIGNUP_TOKEN_MAX_AGE"] // 86400, 1)
    names = mail_names(resident.group_id)
    body = render_template("email/signup_confirm.txt", days=days, link=confirm_link(resident), **names)
    subject = _("Bevestig uw aanmelding bij %(signature)s", signature=names["signature"])
    queue_mail(resident.email, subject, body, kind="signup_confirm", resident_id=resident.id)


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
    """Double opt-in: the e-mail address is confirmed (the sign-up is verified); UNCONFIRMED becomes
    PENDING (or WAITLIST).

    A conditional UPDATE: the link clicked twice, or in two tabs at once, confirms once.
    """
    resident = resident_for_confirmation(token)
    newly = resident.email_confirmed_at is None
    if newly:
        resident.email_confirmed_at = utcnow()  # verified: from now on a pending sign-up holds a seat
    if resident.status == S.UNCONFIRMED:
        status = lifecycle.queue_status(resident.group_id)
        if lifecycle.transition(resident.id, [S.UNCONFIRMED], status):
            audit.record("residents.confirm", "resident", resident.id, status=status.value)
    elif newly and resident.status == S.PENDING and resident.group_id is not None and _waits_for_a_seat(resident):
        audit.record("residents.confirm", "resident", resident.id, status=S.WAITLIST.value)
    db.session.commit()
    return outcome_of(resident)


def _waits_for_a_seat(resident: Resident) -> bool:
    """A pending sign-up without a seat (its mail had been given up) confirms after all: it takes a
    seat now, or goes on the waitlist when the group filled up meanwhile (True then)."""
    full = lifecycle.queue_status(resident.group_id, counting=resident) == S.WAITLIST
    return full and lifecycle.transition(resident.id, [S.PENDING], S.WAITLIST)


@dataclass
class GeocodeReport:
    placed: int = 0
    not_found: int = 0
    outside: int = 0
    choice_needed: int = 0  # the number has several addresses and the sign-up named none of them
    elsewhere: int = 0  # in a routing-only neighbourhood: the resident signs up at its own sign-up
    still_unavailable: int = 0
    ids_for_review: list[int] = field(default_factory=list)


def _routing_only(placement: Placement) -> bool:
    hood = neighbourhood_ref(placement.area.neighbourhood_id)
    return hood is not None and hood.routing_only


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
        except HouseChoiceNeeded:  # like "not found": a beheerder asks which one (counted apart)
            result, choosing = None, True
        else:
            choosing = False
        placement = place(result.lat, result.lon) if result else None
        nearest = False
        between = nearest_placement(result.lat, result.lon, placement) if placement and not placement.area else None
        if between is not None:
            placement, nearest = between, True
        elsewhere = placement is not None and placement.area is not None and _routing_only(placement)
        if result is None or placement.area is None or elsewhere:
            if choosing:
                report.choice_needed += 1
            elif result is None:
                report.not_found += 1
            elif elsewhere:
                report.elsewhere += 1
            else:
                report.outside += 1
            resident.needs_review = True
            report.ids_for_review.append(resident.id)
            db.session.commit()
            continue
        resident.lat, resident.lon, resident.geocoder_source = result.lat, result.lon, result.source
        resident.street, resident.place = result.street or resident.street, result.place or resident.place
        take_bag_house(resident, result.house_number)
        apply_placement(resident, placement, nearest=nearest)
        if resident.email and resident.email_confirmed_at is None and mail_enabled() and _link_on_its_way(resident):
            lifecycle.set_status(resident, S.UNCONFIRMED)  # the link they got at sign-up still works
        else:
            lifecycle.set_status(resident, lifecycle.queue_status(resident.group_id))
        audit.record("residents.geocoded", "resident", resident.id, status=resident.status.value)
        db.session.commit()
        report.placed += 1
    return report
