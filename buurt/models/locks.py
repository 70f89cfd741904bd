"""Rows that exist to be written, not read: they serialise decisions the database must make one at a time."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db


class SeatLock(db.Model):
    """One row per group, upserted at the start of every decision about the group's seats.

    The cap (members + pending <= capacity) is a rule over many rows, so no constraint can hold it.
    Writing this row first makes the decision "count, then write" atomic: on PostgreSQL the upsert
    takes the row lock until commit, so a second decision for the same group waits and then counts
    what the first one wrote (READ COMMITTED reads a fresh snapshot per statement); on SQLite the
    first write of a transaction takes the database's write lock, with the same effect. See
    buurt.areas.occupancy.lock_seats.
    """

    __tablename__ = "seat_lock"

    group_id: Mapped[int] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)  # how many decisions were taken; for diagnosis only
