""" "Mijn gegevens": a resident sees, downloads, corrects or deletes what is stored about them.

Statuses change only through buurt.residents.lifecycle; a member who changes number or group, or
deletes their data, leaves a "remove from WhatsApp" to-do for the beheerders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from buurt import audit
from buurt.addresses.services import GeocoderUnavailable, geocode
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, format_address, format_postcode
from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
from buurt.mail import mail_enabled
from buurt.models import RemovalReason, Resident, ResidentStatus, utcnow
from buurt.outbox import queue_mail
from buurt.residents import lifecycle
from buurt.residents.errors import (
    AddressNotFound,
    DuplicatePhone,
    LookupUnavailable,
    OutsideCoverage,
    ResidentError,
    SignupElsewhere,
)
from buurt.residents.links import email_change_link, my_data_link, resident_for_email_change, resident_for_my_data
from buurt.residents.mailing import mail_names
from buurt.residents.my_data_export import more_data
from buurt.residents.phone import normalize_mobile
from buurt.residents.signup import (
    active_with_phone,
    apply_placement,
    notify_number_owner,
    placement_for_signup,
    take_bag_house,
    waitlist_position,
)

S = ResidentStatus


def request_my_data_link(contact: str) -> int:
    """Queue a mail with a link for every record matching a phone number or a confirmed e-mail address.

    Returns how many mails were queued (the outbox sends them after the commit); the page never
    tells (no way to test who is signed up).
    """
    contact = (contact or "").strip()[:254]
    if "@" in contact:
        # Only a confirmed address: whoever owns an address a resident mistyped (never confirmed)
        # must not be able to ask for that resident's data with it. Asked by phone number, the
        # link goes to the address on file (the asker knows the number, as the resident does).
        query = db.select(Resident).where(
            func.lower(Resident.email) == contact.lower(), Resident.email_confirmed_at.is_not(None)
        )
    else:
        try:
            phone = normalize_mobile(contact)
        except ResidentError:
            return 0
        query = db.select(Resident).where(Resident.phone_e164 == phone)
    sent = 0
    hours = max(current_app.config["MY_DATA_TOKEN_MAX_AGE"] // 3600, 1)
    with_email = [resident for resident in db.session.scalars(query) if resident.email]
    # Nobody with this contact: render and sign a mail all the same, so the answer takes as long
    # as for a known one (its timing must not tell who is signed up; issue 12, finding 8).
    for resident in with_email or [Resident(id=0, created_at=utcnow())]:
        names = mail_names(resident.group_id)
        body = render_template("email/my_data_link.txt", hours=hours, link=my_data_link(resident), **names)
        subject = _("Uw gegevens bij %(signature)s", signature=names["signature"])
        if resident.id and queue_mail(resident.email, subject, body, kind="my_data_link", resident_id=resident.id):
            sent += 1
    audit.record("residents.my_data_request", count=sent, commit=True)
    return sent


STATUS_LABELS = {
    S.UNCONFIRMED: lambda: _("wacht op bevestiging van uw e-mailadres"),
    S.TO_GEOCODE: lambda: _("adres wordt nog opgezocht"),
    S.PENDING: lambda: _("aangemeld; een beheerder voegt u toe"),
    S.WAITLIST: lambda: _("op de wachtlijst"),
    S.ADDED: lambda: _("lid van de WhatsApp-groep"),
    S.NOT_REACHABLE: lambda: _("de beheerder kon u niet bereiken"),
    S.REMOVED: lambda: _("uit de groep gehaald"),
}


def status_label(status: ResidentStatus) -> str:
    return STATUS_LABELS[S(status)]()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(resident: Resident) -> dict:
    """Everything stored about one resident, as JSON-able data (also what the page shows).

    Their own row here; their reports, WhatsApp to-dos, mails and the audit log of who looked at
    or exported their data from buurt.residents.my_data_export (complete by test).
    """
    return {
        "id": resident.id,
        "name": resident.name,
        "phone": resident.phone_e164,
        "email": resident.email,
        "email_confirmed_at": _iso(resident.email_confirmed_at),
        "email_pending": resident.email_pending,
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
        "removal_reason": lifecycle.reason_label(resident.removal_reason) or None,
        "removal_note": resident.removal_note,
        "digest_sent_at": _iso(resident.digest_sent_at),
        **more_data(resident),
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


def correct_my_data(token: str, change: Correction) -> list[str]:
    """Apply a resident's correction; returns what changed (field codes). Re-geocodes a new address.

    Raises InvalidToken, DuplicatePhone, AddressNotFound, OutsideCoverage, LookupUnavailable or
    HouseChoiceNeeded (the new number has several addresses: the resident picks one); nothing
    changed then. The address is stored as the register has it (huisletter or toevoeging).
    """
    resident = resident_for_my_data(token)
    changed: list[str] = []
    if change.phone_e164 != resident.phone_e164 and (
        other := active_with_phone(change.phone_e164, exclude_id=resident.id)
    ):
        _number_in_use(other.id)
    address_changed = not _same_address(resident, change)
    placement = result = None
    if address_changed:
        try:
            result = geocode(AddressQuery(postcode=change.postcode, house=change.house))
        except GeocoderUnavailable as error:
            db.session.rollback()
            raise LookupUnavailable(
                _("De adreszoeker is nu niet bereikbaar. Uw gegevens zijn niet gewijzigd; probeer het later opnieuw.")
            ) from error
        except HouseChoiceNeeded:
            db.session.rollback()
            raise
        if result is None:
            db.session.rollback()
            raise AddressNotFound(
                _("We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer; er is niets gewijzigd.")
            )
        try:
            placement, nearest = placement_for_signup(result.lat, result.lon, result, result.source)
        except (OutsideCoverage, SignupElsewhere):
            db.session.rollback()
            raise
    old_group_id = resident.group_id
    if change.phone_e164 != resident.phone_e164:
        if resident.status == S.ADDED:
            lifecycle.remove_from_whatsapp(resident, old_group_id, RemovalReason.PHONE_CHANGED)
            lifecycle.set_status(resident, S.PENDING)  # to be added again with the new number
        resident.phone_e164 = change.phone_e164
        changed.append("phone")
    if change.name.strip() != resident.name:
        resident.name = change.name.strip()
        changed.append("name")
    changed += _change_email(resident, change.email or None)
    if change.household_size != resident.household_size:
        resident.household_size = change.household_size
        changed.append("household_size")
    if address_changed:
        resident.postcode, resident.house_number = change.postcode, change.house.number
        resident.house_letter, resident.house_addition = change.house.letter or "", change.house.addition or ""
        take_bag_house(resident, result.house_number)
        resident.lat, resident.lon, resident.geocoder_source = result.lat, result.lon, result.source
        resident.street, resident.place = result.street, result.place
        resident.location_from_map = False
        apply_placement(resident, placement, nearest=nearest)
        changed.append("address")
        if resident.group_id != old_group_id:
            if resident.status == S.ADDED and old_group_id is not None:
                lifecycle.remove_from_whatsapp(
                    resident, old_group_id, RemovalReason.AREA_CHANGED, other_group_id=resident.group_id
                )
            if resident.status in lifecycle.PLACED:
                lifecycle.set_status(resident, lifecycle.queue_status(resident.group_id, counting=resident))
            changed.append("group")
        elif resident.status == S.TO_GEOCODE:
            lifecycle.set_status(resident, lifecycle.queue_status(resident.group_id))
    if changed:
        audit.record("residents.my_data_correct", "resident", resident.id, fields=",".join(changed))
    try:
        db.session.commit()
    except IntegrityError:  # the new number was signed up a moment ago (the unique index on active numbers)
        db.session.rollback()
        other = active_with_phone(change.phone_e164, exclude_id=resident.id)
        _number_in_use(other.id if other else None)
    return changed


def _same_address(resident: Resident, change: Correction) -> bool:
    """The form shows the stored address, and "105-H" (toevoeging H) comes back as "105 H", which
    reads as huisletter H: any reading of the typed number that is the stored one is no change."""
    if (change.postcode, change.house.number) != (resident.postcode, resident.house_number):
        return False
    stored = (resident.house_letter or None, resident.house_addition or None)
    return any((reading.letter, reading.addition) == stored for reading in change.house.readings())


def _change_email(resident: Resident, new: str | None) -> list[str]:
    """A new e-mail address: what changed ("email", "email_pending" or nothing).

    A resident who confirmed an address proved they are a real person, and holds a place in the
    queue for it (buurt.areas.occupancy): a new address must not cost them that place, nor may mail
    go to it before its owner shows they receive it (a typo would send their links to a stranger).
    So the new address waits in ``email_pending`` and gets a link; opening it makes it theirs
    (confirm_email_change). Without a confirmed address (or with mail off) the address is simply
    replaced, as at sign-up; removing the address keeps the place.
    """
    same = (new or "").lower() == (resident.email or "").lower()
    if same and new == resident.email:
        if resident.email_pending:
            resident.email_pending = None  # typed the old address back: nothing waits any more
            return ["email_pending"]
        return []
    if new and resident.email_confirmed_at is not None and mail_enabled() and not same:
        if (resident.email_pending or "").lower() == new.lower():
            return []  # the link to that address is on its way already
        resident.email_pending = new
        days = max(current_app.config["SIGNUP_TOKEN_MAX_AGE"] // (24 * 3600), 1)
        body = render_template(
            "email/email_change.txt", days=days, link=email_change_link(resident), **mail_names(resident.group_id)
        )
        queue_mail(new, _("Bevestig uw nieuwe e-mailadres"), body, kind="email_change", resident_id=resident.id)
        return ["email_pending"]
    # unconfirmed stays unconfirmed; confirmed here means mail is off (nothing to confirm with)
    resident.email, resident.email_pending = new, None
    return ["email"]


def confirm_email_change(token: str) -> Resident:
    """The link mailed to a new address was opened: that address is now the resident's, confirmed."""
    resident = resident_for_email_change(token)
    resident.email, resident.email_pending = resident.email_pending, None
    resident.email_confirmed_at = utcnow()
    audit.record("residents.email_confirmed", "resident", resident.id)
    db.session.commit()
    return resident


def _number_in_use(owner_id: int | None) -> None:
    """Refuse a number that another active sign-up has (one number, one sign-up) and tell that owner.

    The holder of a link learns that the number is taken: whoever tries many numbers this way is
    rate-limited (the view), audited, and each owner with a confirmed address gets a mail.
    """
    db.session.rollback()  # nothing of this correction is kept
    if owner_id is not None:
        notify_number_owner(owner_id, "my_data")
        db.session.commit()
    raise DuplicatePhone(_("Dit nummer is al aangemeld bij een andere aanmelding."))


def delete_my_data(token: str) -> int:
    """Erase a resident and every trace that names them (buurt.retention.forget.forget_resident).

    Their incident reports are anonymised, audit rows lose their id, their mail and the online
    geocoder's cache row for their address go. A member or queued sign-up leaves the beheerders a
    "remove from WhatsApp" task with name and number only, erased when it is marked done (or after
    RETENTION_TASK_OPEN_DAYS). What remains is anonymous: an audit entry with the group id, the
    former status and the household size. Returns the group id the resident was in (or 0).
    """
    from buurt.retention.forget import forget_resident, scrub_database_files

    resident = resident_for_my_data(token)
    group_id = resident.group_id
    status = resident.status
    if group_id is not None and status in (S.ADDED, S.PENDING):
        lifecycle.remove_from_whatsapp(resident, group_id, RemovalReason.DATA_DELETED, link_resident=False)
    audit.record(
        "residents.my_data_delete",
        "resident",
        None,  # not the id: nothing may point at the person once they are gone
        group_id=group_id,
        status=status.value,
        household_size=resident.household_size,
        count=1,
    )
    forget_resident(resident)
    db.session.commit()
    scrub_database_files()
    return group_id or 0


def format_address_of(resident: Resident) -> str:
    """Display address of a resident, e.g. "Fictieweg 12a, 2221 ZZ Katwijk"."""
    house = None
    if resident.house_number:
        house = HouseNumber(resident.house_number, resident.house_letter or None, resident.house_addition or None)
    return format_address(resident.street, house, resident.postcode, resident.place) or format_postcode(
        resident.postcode or ""
    )
