"""Police control-room alerts (meldingen) and their forwards into groups."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from buurt.models.areas import Group
    from buurt.models.users import User


def _enum(cls, length=30):
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class MeldingCategory(StrEnum):
    WONINGINBRAAK = "woninginbraak"
    OVERVAL = "overval"
    VERDACHTE_SITUATIE = "verdachte_situatie"
    VERMISSING = "vermissing"
    AANRIJDING = "aanrijding_vluchtmisdrijf"
    OTHER = "anders"


class MeldingResult(StrEnum):
    FOUND = "gevonden"
    NOT_FOUND = "niet_gevonden"
    CANCELLED = "ingetrokken"


class Melding(db.Model):
    """An alert from the meldkamer, as received, with where it happened and how far to spread it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    received_text: Mapped[str] = mapped_column(Text)
    category: Mapped[MeldingCategory] = mapped_column(_enum(MeldingCategory), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lat: Mapped[float] = mapped_column()
    lon: Mapped[float] = mapped_column()
    location_label: Mapped[str | None] = mapped_column(String(200))  # as resolved, for beheerders
    # What the group texts say about where: the street, a house number only when the police text has it
    location_street: Mapped[str | None] = mapped_column(String(200))
    location_kind: Mapped[str | None] = mapped_column(String(10))  # "adres", "straat", "kaart", "punt"
    radius_m: Mapped[int] = mapped_column(Integer, default=500)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    result: Mapped[MeldingResult | None] = mapped_column(_enum(MeldingResult, 20))
    result_note: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(default=False, index=True)

    targets: Mapped[list[MeldingTarget]] = relationship(
        back_populates="melding",
        cascade="all, delete-orphan",
        order_by="[MeldingTarget.is_neighbour, MeldingTarget.distance_m, MeldingTarget.id]",
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class MeldingTarget(db.Model):
    """A group a melding goes to (or may go to, as a neighbour), and who forwarded it when."""

    __table_args__ = (UniqueConstraint("melding_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    melding_id: Mapped[int] = mapped_column(ForeignKey("melding.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), index=True)
    distance_m: Mapped[float] = mapped_column()
    is_neighbour: Mapped[bool] = mapped_column(default=False)  # outside the radius; to consider
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    close_forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    melding: Mapped[Melding] = relationship(back_populates="targets")
    group: Mapped[Group] = relationship()
    forwarded_by: Mapped[User | None] = relationship(foreign_keys=[forwarded_by_id])
    close_forwarded_by: Mapped[User | None] = relationship(foreign_keys=[close_forwarded_by_id])
