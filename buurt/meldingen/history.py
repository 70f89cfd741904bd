"""A melding's history and the list of meldingen: the timeline, filters, and who may see which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, false, or_, true

from buurt.auth.permissions import MeldingScope, melding_scope
from buurt.extensions import db
from buurt.meldingen.services import RESULT_LABELS, GroupLabels
from buurt.models import Group, Melding, MeldingCategory, MeldingTarget, Neighbourhood, User
from buurt.times import local_midnight


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One step in a melding's life, for the timeline."""

    at: datetime
    kind: str  # created, forward, close, close_forward
    text: str
    who: str | None


def timeline(melding: Melding, label: GroupLabels | None = None) -> list[TimelineEvent]:
    """Created, each forward, the close and each forward of the closing text, in time order.

    ``label`` names the groups (with their neighbourhood when there are several); default: plain names.
    """
    label = label or GroupLabels(several=False)

    def name(user: User | None) -> str | None:
        return user.name if user is not None else None

    events = [TimelineEvent(melding.created_at, "created", _("Melding ingevoerd"), name(melding.created_by))]
    for t in melding.targets:
        if t.forwarded_at is not None:
            events.append(
                TimelineEvent(
                    t.forwarded_at,
                    "forward",
                    _("Doorgestuurd naar %(group)s", group=label(t.group)),
                    name(t.forwarded_by),
                )
            )
    if melding.closed_at is not None:
        result = RESULT_LABELS.get(melding.result, "") if melding.result else ""
        events.append(
            TimelineEvent(melding.closed_at, "close", _("Afgemeld: %(result)s", result=result), name(melding.closed_by))
        )
    for t in melding.targets:
        if t.close_forwarded_at is not None:
            events.append(
                TimelineEvent(
                    t.close_forwarded_at,
                    "close_forward",
                    _("Afmelding doorgestuurd naar %(group)s", group=label(t.group)),
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
    neighbourhood_id: int | None = None  # meldingen that concern this neighbourhood (see MeldingScope)


def _reached(group_ids) -> Select:
    """Ids of the meldingen that reached one of these groups (a target, or a neighbour forwarded to)."""
    return db.select(MeldingTarget.melding_id).where(
        MeldingTarget.group_id.in_(group_ids),
        or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
    )


def _concerning(neighbourhood_ids) -> Select:
    """Ids of the meldingen with a group of these neighbourhoods among their targets or neighbours."""
    return (
        db.select(MeldingTarget.melding_id)
        .join(Group, MeldingTarget.group_id == Group.id)
        .where(Group.neighbourhood_id.in_(neighbourhood_ids))
    )


def scope_clause(scope: MeldingScope | None) -> ColumnElement[bool]:
    """The SQL form of buurt.auth.permissions.can_open_melding: the same rule, for lists and counts."""
    if scope is None:
        return false()
    if scope.everything:
        return true()
    clauses = []
    if scope.group_ids:
        clauses.append(Melding.id.in_(_reached(sorted(scope.group_ids))))
    if scope.neighbourhood_ids:
        clauses.append(Melding.id.in_(_concerning(sorted(scope.neighbourhood_ids))))
    if scope.creator_id is not None:
        clauses.append(Melding.created_by_id == scope.creator_id)
    return or_(*clauses) if clauses else false()


def visible_meldingen_query(user: User, filters: MeldingFilter):
    """A select of the meldingen this user may see, filtered, newest first (the scope in SQL, so
    paging and counts never include a melding of someone else's neighbourhood)."""
    query = db.select(Melding).where(scope_clause(melding_scope(user)))
    if filters.since is not None:
        query = query.where(Melding.occurred_at >= local_midnight(filters.since))
    if filters.until is not None:
        query = query.where(Melding.occurred_at < local_midnight(filters.until + timedelta(days=1)))
    if filters.category is not None:
        query = query.where(Melding.category == filters.category)
    if filters.group_id is not None:
        query = query.where(Melding.id.in_(_reached([filters.group_id])))
    if filters.neighbourhood_id is not None:
        query = query.where(Melding.id.in_(_concerning([filters.neighbourhood_id])))
    if filters.status == "open":
        query = query.where(Melding.closed_at.is_(None))
    elif filters.status == "closed":
        query = query.where(Melding.closed_at.is_not(None))
    return query.order_by(Melding.occurred_at.desc(), Melding.id.desc())


def list_meldingen(user: User, filters: MeldingFilter, page: int = 1, per_page: int = 25):
    """One page of the meldingen this user may see (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(visible_meldingen_query(user, filters), page=page, per_page=per_page, error_out=False)


def filter_groups(user: User) -> list[Group]:
    """Groups offered in the list's group filter: every group for those who see everything, the
    groups of their neighbourhood for its coordinator, their own groups for a beheerder."""
    scope = melding_scope(user)
    if scope is None:
        return []
    query = (
        db.select(Group)
        .join(Neighbourhood, Group.neighbourhood_id == Neighbourhood.id)
        .order_by(Neighbourhood.sort_order, Neighbourhood.name, Group.sort_order, Group.id)
    )
    if not scope.everything:
        query = query.where(
            or_(Group.id.in_(sorted(scope.group_ids)), Group.neighbourhood_id.in_(sorted(scope.neighbourhood_ids)))
        )
    return list(db.session.scalars(query))


def filter_neighbourhoods(user: User) -> list[Neighbourhood]:
    """Neighbourhoods offered in the list's `buurt` filter: those with groups this user's meldingen
    can concern (all of them for those who see everything; the neighbourhoods of a beheerder's groups)."""
    ids = {g.neighbourhood_id for g in filter_groups(user)}
    if not ids:
        return []
    return list(
        db.session.scalars(
            db.select(Neighbourhood)
            .where(Neighbourhood.id.in_(sorted(ids)))
            .order_by(Neighbourhood.sort_order, Neighbourhood.name)
        )
    )
