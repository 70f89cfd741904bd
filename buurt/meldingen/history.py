"""A melding's history and the list of meldingen: the timeline, filters, and who may see which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_

from buurt.extensions import db
from buurt.meldingen.services import RESULT_LABELS
from buurt.models import Group, Melding, MeldingCategory, MeldingTarget, Role, User
from buurt.times import local_midnight


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One step in a melding's life, for the timeline."""

    at: datetime
    kind: str  # created, forward, close, close_forward
    text: str
    who: str | None


def timeline(melding: Melding) -> list[TimelineEvent]:
    """Created, each forward, the close and each forward of the closing text, in time order."""

    def name(user: User | None) -> str | None:
        return user.name if user is not None else None

    events = [TimelineEvent(melding.created_at, "created", _("Melding ingevoerd"), name(melding.created_by))]
    for t in melding.targets:
        if t.forwarded_at is not None:
            events.append(
                TimelineEvent(
                    t.forwarded_at,
                    "forward",
                    _("Doorgestuurd naar %(group)s", group=t.group.name),
                    name(t.forwarded_by),
                )
            )
    if melding.closed_at is not None:
        label = RESULT_LABELS.get(melding.result, "") if melding.result else ""
        events.append(
            TimelineEvent(melding.closed_at, "close", _("Afgemeld: %(result)s", result=label), name(melding.closed_by))
        )
    for t in melding.targets:
        if t.close_forwarded_at is not None:
            events.append(
                TimelineEvent(
                    t.close_forwarded_at,
                    "close_forward",
                    _("Afmelding doorgestuurd naar %(group)s", group=t.group.name),
                    name(t.close_forwarded_by),
                )
            )
    order = {"created": 0, "forward": 1, "close": 2, "close_forward": 3}
    return sorted(events, key=lambda e: (e.at, order[e.kind]))


@dataclass(frozen=True, slots=True)
class MeldingFilter:
    """What the list shows; None means no filter."""

    since: date | None = None  # local dates, inclusive
    until: date | None = None
    category: MeldingCategory | None = None
    group_id: int | None = None
    status: str | None = None  # "open", "closed"


def visible_meldingen_query(user: User, filters: MeldingFilter):
    """A select of the meldingen this user may see, filtered, newest first."""
    query = db.select(Melding)
    if user.role == Role.BEHEERDER:
        mine = [g.id for g in user.groups]
        reached = db.select(MeldingTarget.melding_id).where(
            MeldingTarget.group_id.in_(mine),
            or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
        )
        query = query.where(or_(Melding.id.in_(reached), Melding.created_by_id == user.id))
    if filters.since is not None:
        query = query.where(Melding.occurred_at >= local_midnight(filters.since))
    if filters.until is not None:
        query = query.where(Melding.occurred_at < local_midnight(filters.until + timedelta(days=1)))
    if filters.category is not None:
        query = query.where(Melding.category == filters.category)
    if filters.group_id is not None:
        query = query.where(
            Melding.id.in_(
                db.select(MeldingTarget.melding_id).where(
                    MeldingTarget.group_id == filters.group_id,
                    or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
                )
            )
        )
    if filters.status == "open":
        query = query.where(Melding.closed_at.is_(None))
    elif filters.status == "closed":
        query = query.where(Melding.closed_at.is_not(None))
    return query.order_by(Melding.occurred_at.desc(), Melding.id.desc())


def list_meldingen(user: User, filters: MeldingFilter, page: int = 1, per_page: int = 25):
    """One page of the meldingen this user may see (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(visible_meldingen_query(user, filters), page=page, per_page=per_page, error_out=False)


def filter_groups(user: User) -> list[Group]:
    """Groups offered in the list's group filter: all for coordinators and wijkagenten, else their own."""
    groups = list(db.session.scalars(db.select(Group).order_by(Group.neighbourhood_id, Group.sort_order)))
    if user.role == Role.BEHEERDER:
        mine = {g.id for g in user.groups}
        return [g for g in groups if g.id in mine]
    return groups
