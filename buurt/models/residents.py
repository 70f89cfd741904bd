"""Residents who signed up for a group, and the beheerders' WhatsApp to-do items."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from buurt.models.areas import Area, Group


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ResidentStatus(StrEnum):
    """Where a sign-up stands."""

    UNCONFIRMED = "unconfirmed"  # e-mail given, double opt-in link not clicked yet
    TO_GEOCODE = "to_geocode"  # not placed yet (not in the register); geocode_later / `flask buurt geocode-pending`
    PENDING = "pending"  # waiting for a beheerder to add them in WhatsApp
    WAITLIST = "waitlist"  # group full
    ADDED = "added"  # member of the WhatsApp group
    NOT_REACHABLE = "not_reachable"  # beheerder could not reach them
    REMOVED = "removed"  # removed from the group (reason kept)


class RemovalReason(StrEnum):
    """Why someone leaves a group (or a WhatsApp to-do exists). Stored as the code; the labels
    (translated) live in buurt.residents.lifecycle."""

    # chosen by a beheerder
    MOVED = "verhuisd"
    OWN_REQUEST = "eigen_verzoek"
    RULES = "regels"
    DUPLICATE = "dubbel"
    OTHER = "anders"
    # set by the site
    DATA_DELETED = "gegevens_verwijderd"  # the resident deleted their data
    PHONE_CHANGED = "nummer_gewijzigd"  # the resident changed their number: re-add with the new one
    AREA_CHANGED = "ander_gebied"  # the resident's corrected address lies in another group's area
    NEW_BOUNDARIES = "nieuwe_indeling"  # a boundary import moved the resident to another group
    MOVED_BY_BEHEERDER = "naar_buurgroep"  # a beheerder moved a border sign-up to the neighbouring group


class Resident(db.Model):
    """A person who signed up; personal data, seen only by the beheerders of their group."""

    __table_args__ = (
        Index("ix_resident_group_status", "group_id", "status"),
        # One active sign-up per number, held by the database at the moment of writing: a double tap
        # or twenty simultaneous posts leave one row. Removed sign-ups keep their number (history).
        Index(
            "uq_resident_active_phone",
            "phone_e164",
            unique=True,
            sqlite_where=text("status != 'removed'"),
            postgresql_where=text("status != 'removed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone_e164: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a new address the resident typed in Mijn gegevens, used once they open the link mailed to it;
    # until then `email` (confirmed) stays, and so does their place in the queue (issue 13)
    email_pending: Mapped[str | None] = mapped_column(String(254))
    # address as typed and normalised; letter/addition '' rather than NULL
    postcode: Mapped[str | None] = mapped_column(String(6))
    house_number: Mapped[int | None] = mapped_column(Integer)
    house_letter: Mapped[str] = mapped_column(String(4), default="")
    house_addition: Mapped[str] = mapped_column(String(10), default="")
    street: Mapped[str | None] = mapped_column(String(120))
    place: Mapped[str | None] = mapped_column(String(80))
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    geocoder_source: Mapped[str | None] = mapped_column(String(20))  # register/pdok/nominatim/map
    location_from_map: Mapped[bool] = mapped_column(default=False)  # clicked by the resident
    household_size: Mapped[int] = mapped_column(Integer, default=1)

    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="SET NULL"))
    status: Mapped[ResidentStatus] = mapped_column(_enum(ResidentStatus), default=ResidentStatus.PENDING)
    is_border: Mapped[bool] = mapped_column(default=False)  # within BORDER_MARGIN_M of another area
    border_group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"))
    border_distance_m: Mapped[float | None] = mapped_column()
    needs_review: Mapped[bool] = mapped_column(default=False)  # map-picked or border, for the beheerder

    consent_privacy_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_rules_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_age_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # which versions of the privacy statement and group rules were agreed to (config PRIVACY_VERSION, RULES_VERSION)
    consent_privacy_version: Mapped[str | None] = mapped_column(String(20))
    consent_rules_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removal_reason: Mapped[RemovalReason | None] = mapped_column(_enum(RemovalReason))  # a code, never text
    removal_note: Mapped[str | None] = mapped_column(Text)  # the beheerder's own words, if any
    # when this sign-up was counted in a beheerders' digest mail (buurt.residents.services.send_signup_digest)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False, index=True)

    group: Mapped[Group | None] = relationship(foreign_keys=[group_id])
    border_group: Mapped[Group | None] = relationship(foreign_keys=[border_group_id])
    area: Mapped[Area | None] = relationship()

    @property
    def verified(self) -> bool:
        """Shown to be a real person: e-mail confirmed by the double opt-in, or added by a beheerder.

        Anyone can type a name and a number; only verified sign-ups hold a seat in a group
        (buurt.areas.occupancy counts the same in SQL). The beheerders' queue labels the others.
        """
        return self.email_confirmed_at is not None or self.status == ResidentStatus.ADDED


class TaskKind(StrEnum):
    """What a beheerder has to do in WhatsApp."""

    REMOVE_FROM_WHATSAPP = "remove"  # resident deleted their data or moved out of the area
    ADD_TO_WHATSAPP = "add"  # resident moved into this group by a boundary change


class GroupTask(db.Model):
    """A to-do for the beheerders of a group, kept until done and then stripped of personal data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), index=True)
    kind: Mapped[TaskKind] = mapped_column(_enum(TaskKind))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    # what the beheerder needs to find the person in WhatsApp; erased when the task is done
    display_name: Mapped[str | None] = mapped_column(String(120))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[RemovalReason | None] = mapped_column(_enum(RemovalReason))
    other_group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id", ondelete="SET NULL"))  # moved from/to
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    is_demo: Mapped[bool] = mapped_column(default=False)
