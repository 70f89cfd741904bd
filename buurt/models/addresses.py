"""The address register: addresses with coordinates (BAG import, demo data, cached geocodes)."""

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow


class Address(db.Model):
    """One address; letter and addition are '' (not NULL) so the unique key works everywhere."""

    __table_args__ = (
        UniqueConstraint("postcode", "house_number", "house_letter", "house_addition"),
        Index("ix_address_street_norm_number", "street_norm", "house_number"),
        # Pages about the neighbourhood read only the addresses in its areas' bounding box
        # (buurt.addresses.services.near_current_areas), from a register that may be the country.
        Index("ix_address_lat_lon", "lat", "lon"),
        # The purge finds the cached online answers past their term without reading the register.
        Index("ix_address_source_updated_at", "source", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    postcode: Mapped[str] = mapped_column(String(6))
    house_number: Mapped[int] = mapped_column(Integer)
    house_letter: Mapped[str] = mapped_column(String(4), default="")
    house_addition: Mapped[str] = mapped_column(String(10), default="")
    street: Mapped[str] = mapped_column(String(120))
    street_norm: Mapped[str] = mapped_column(String(120))  # buurt.geo.addresses.normalize_street
    place: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float] = mapped_column()
    lon: Mapped[float] = mapped_column()
    source: Mapped[str] = mapped_column(String(20))  # bag-csv, geojson, pdok, nominatim, demo
    is_demo: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
