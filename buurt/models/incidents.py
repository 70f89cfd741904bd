"""Incidents reported by residents and beheerders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from buurt.models.areas import Area, Group


class IncidentCategory(StrEnum):
    """Kinds of incident (Dutch labels live in buurt/incidents)."""

    WONINGINBRAAK = "woninginbraak"
    POGING_INBRAAK = "poging_inbraak"
    VERDACHTE_SITUATIE = "verdachte_situatie"
    VERDACHT_VOERTUIG = "verdacht_voertuig"
    DIEFSTAL_UIT_AUTO = "diefstal_uit_auto"
    FIETSDIEFSTAL = "fietsdiefstal"
    VANDALISME = "vandalisme"
    OVERLAST = "overlast"
    BRAND = "brand"
    OTHER = "anders"


class IncidentStatus(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    MERGED = "merged"


class Incident(db.Model):
    """Something that happened at a place and time; exact location seen only by beheerders/wijkagenten."""

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[IncidentCategory] = mapped_column(
        Enum(IncidentCategory, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e]),
        index=True,
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float] = mapped_column()
    lon: Mapped[float] = mapped_column()
    location_label: Mapped[str | None] = mapped_column(String(200))  # street, never shown publicly
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict | None] = mapped_column(JSON)  # persons/vehicles: clothing, height, plate...
    police_called: Mapped[bool] = mapped_column(default=False)
    photo_filename: Mapped[str | None] = mapped_column(String(80))  # a name in the photo store (buurt.photostore)
    photo_mime: Mapped[str | None] = mapped_column(String(40))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # indexed: erasing a resident (buurt.retention.forget) looks up their reports
    reporter_resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"), index=True)
    status: Mapped[IncidentStatus] = mapped_column(
        Enum(IncidentStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=IncidentStatus.VISIBLE,
        index=True,
    )
    # indexed: deleting a report clears the link of reports merged into it
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"), index=True)
    # when description, details, photo, street and exact point were erased (retention or the reporter's
    # deletion); the anonymous rest (category, day, area, public grid cell) stays for the counts
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False, index=True)

    area: Mapped[Area | None] = relationship()
    group: Mapped[Group | None] = relationship()
