"""Neighbourhoods, their boundary generations, the areas in each generation, and the groups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from buurt.models.users import User

group_beheerders = Table(
    "group_beheerder",
    db.metadata,
    Column("group_id", ForeignKey("group.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Neighbourhood(db.Model):
    """A neighbourhood served by a set of WhatsApp groups, e.g. Rijnsoever (Katwijk)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    municipality: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Outline the areas must tile (GeoJSON geometry, lon/lat); None: no gap check against it
    outline: Mapped[dict | None] = mapped_column(JSON)
    households: Mapped[int | None] = mapped_column(Integer)  # CBS 2024
    # The CBS 2024 buurtcodes it was made of (buurt/data/katwijk_buurten_2024.geojson); None: own file
    buurtcodes: Mapped[list | None] = mapped_column(JSON)
    # Routing target only: its groups live elsewhere (meldingen reach them), residents sign up there
    routing_only: Mapped[bool] = mapped_column(default=False)
    signup_url: Mapped[str | None] = mapped_column(String(300))  # its own sign-up, when routing only
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    groups: Mapped[list[Group]] = relationship(back_populates="neighbourhood", order_by="Group.sort_order")
    generations: Mapped[list[BoundaryGeneration]] = relationship(
        back_populates="neighbourhood", order_by="BoundaryGeneration.number"
    )


class BoundaryGeneration(db.Model):
    """One version of a neighbourhood's area boundaries; old generations are kept for history.

    MapIt's model: a generation is a *proposal* (uploaded or generated, not yet confirmed: no
    number, ``activated_at`` None, the GeoJSON in ``document``) until it is activated; then it
    gets the next number and becomes current. Any process can confirm a proposal.
    """

    __table_args__ = (UniqueConstraint("neighbourhood_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    number: Mapped[int | None] = mapped_column(Integer)  # None while a proposal
    document: Mapped[dict | None] = mapped_column(JSON)  # a proposal's GeoJSON, until it is activated
    is_current: Mapped[bool] = mapped_column(default=False, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))  # file name or "split proposal"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="generations")
    areas: Mapped[list[Area]] = relationship(
        back_populates="generation", order_by="Area.sort_order", cascade="all, delete-orphan"
    )

    @property
    def is_proposal(self) -> bool:
        return self.activated_at is None


class Group(db.Model):
    """A BuurtAlarm WhatsApp group; it keeps its identity across boundary generations."""

    __table_args__ = (UniqueConstraint("neighbourhood_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer, default=256)
    invite_link: Mapped[str | None] = mapped_column(String(300))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="groups")
    areas: Mapped[list[Area]] = relationship(back_populates="group")
    beheerders: Mapped[list[User]] = relationship(
        secondary=group_beheerders, back_populates="groups", order_by="User.name"
    )


class Area(db.Model):
    """The area a group covers in one boundary generation (Polygon or MultiPolygon, lon/lat)."""

    __table_args__ = (UniqueConstraint("generation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("boundary_generation.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    geometry: Mapped[dict] = mapped_column(JSON)  # GeoJSON geometry, validated before it is stored
    sort_order: Mapped[int] = mapped_column(Integer, default=0)  # tie rule: lowest wins on shared edges
    households: Mapped[int | None] = mapped_column(Integer)  # CBS households (estimate for split buurten)
    households_source: Mapped[str | None] = mapped_column(String(80))
    area_m2: Mapped[float | None] = mapped_column()

    generation: Mapped[BoundaryGeneration] = relationship(back_populates="areas")
    group: Mapped[Group] = relationship(back_populates="areas")
