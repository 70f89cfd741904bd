"""Revision counters: how a process learns that its cached copy of shared data is stale.

A per-process cache of mutable data (the current areas with their group names, capacities and
contacts) is keyed on the revision of that data, which every process reads from the database on
each use. Any change to the rows behind it bumps the revision in the same transaction (see
buurt.caching), so another gunicorn worker or machine rebuilds its copy on its next request.
"""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db


class Revision(db.Model):
    """A named counter, incremented by every transaction that changes the data it stands for."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
