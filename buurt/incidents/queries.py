"""The one filter behind the wijkagent's table, charts, map and exports, and the monthly counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from buurt.areas import services as areas
from buurt.extensions import db
from buurt.incidents import labels, scope
from buurt.models import Area, BoundaryGeneration, Group, Incident, IncidentCategory, IncidentStatus, Neighbourhood
from buurt.times import local_to_utc, month_label_nl, to_local


@dataclass(frozen=True)
class IncidentFilter:
    """What the wijkagent's page filters on; `window(now)` turns the period into [since, until).

    `neighbourhood_id`/`neighbourhood_slug`: the chosen neighbourhood (query argument ``buurt``, a
    slug); `visible`: the neighbourhoods whose incidents the user sees (None: all), never in a URL.
    """

    categories: tuple[IncidentCategory, ...] = ()
    group_id: int | None = None
    area_id: int | None = None
    period: str = "30d"
    date_from: date | None = None
    date_to: date | None = None
    neighbourhood_id: int | None = None
    neighbourhood_slug: str | None = None
    visible: frozenset[int] | None = None

    @property
    def neighbourhood_ids(self) -> frozenset[int] | None:
        """The neighbourhoods this filter spans (None: all of them)."""
        if self.neighbourhood_id is not None:
            return frozenset({self.neighbourhood_id})
        return self.visible

    def window(self, now: datetime) -> tuple[datetime | None, datetime]:
        if self.period == "range":
            since = local_to_utc(self.date_from) if self.date_from else None
            until = local_to_utc(self.date_to + timedelta(days=1)) if self.date_to else now
            return since, until
        return now - labels.PERIODS[self.period], now

    def as_args(self) -> dict:
        """Query-string arguments that reproduce this filter (for iframe and export links)."""
        args: dict = {"periode": self.period}
        if self.neighbourhood_slug:
            args["buurt"] = self.neighbourhood_slug
        if self.categories:
            args["categorie"] = [c.value for c in self.categories]
        if self.group_id:
            args["groep"] = self.group_id
        if self.area_id:
            args["gebied"] = self.area_id
        if self.period == "range":
            if self.date_from:
                args["van"] = self.date_from.isoformat()
            if self.date_to:
                args["tot"] = self.date_to.isoformat()
        return args

    def audit_details(self) -> dict:
        return {
            "neighbourhood": self.neighbourhood_slug,
            "categories": [c.value for c in self.categories],
            "group_id": self.group_id,
            "area_id": self.area_id,
            "period": self.period,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }


def filtered_select(f: IncidentFilter, now: datetime):
    """The one query: visible incidents matching the filter, newest first."""
    since, until = f.window(now)
    query = db.select(Incident).where(Incident.status == IncidentStatus.VISIBLE, Incident.occurred_at < until)
    if since is not None:
        query = query.where(Incident.occurred_at >= since)
    in_hoods = scope.in_neighbourhoods(f.neighbourhood_ids)
    if in_hoods is not None:
        query = query.where(in_hoods)
    if f.categories:
        query = query.where(Incident.category.in_(f.categories))
    if f.group_id:
        query = query.where(Incident.group_id == f.group_id)
    if f.area_id:
        query = query.where(Incident.area_id == f.area_id)
    return query.order_by(Incident.occurred_at.desc(), Incident.id.desc())


def filtered_page(f: IncidentFilter, now: datetime, page: int):
    """One page of the table (a Pagination for the shared pager)."""
    return db.paginate(
        filtered_select(f, now),
        page=page,
        per_page=current_app.config["INCIDENT_PAGE_SIZE"],
        error_out=False,
        max_per_page=500,
    )


def filtered_incidents(f: IncidentFilter, now: datetime) -> list[Incident]:
    return list(db.session.scalars(filtered_select(f, now)))


def filtered_count_rows(f: IncidentFilter, now: datetime) -> list:
    """Only what the counts need (category, occurred_at, area_id), for thousands of rows at once."""
    return list(
        db.session.execute(
            filtered_select(f, now).with_only_columns(Incident.category, Incident.occurred_at, Incident.area_id)
        )
    )


@dataclass(frozen=True)
class NeighbourhoodOptions:
    """One neighbourhood's groups and current areas, for the filter selects (grouped per neighbourhood)."""

    neighbourhood: Neighbourhood
    groups: list[Group]
    areas: list[Area]


def filter_options(user) -> list[NeighbourhoodOptions]:
    """The neighbourhoods whose incidents `user` sees, each with its groups and current areas."""
    current = areas.current_areas()
    result = []
    for hood in scope.visible_neighbourhoods(user):
        area_ids = [a.id for a in current.areas if a.neighbourhood_id == hood.id]
        area_rows = list(
            db.session.scalars(db.select(Area).where(Area.id.in_(area_ids)).order_by(Area.sort_order, Area.id))
        )
        result.append(NeighbourhoodOptions(hood, areas.groups_of(hood), area_rows))
    return result


def area_labels(neighbourhood_ids: frozenset[int] | None) -> dict[int, str]:
    """Area id -> name for every area (all generations); with the neighbourhood's name when the
    selection spans more than one neighbourhood (names repeat across neighbourhoods)."""
    rows = db.session.execute(
        db.select(Area.id, Area.name, Neighbourhood.name)
        .join(BoundaryGeneration, Area.generation_id == BoundaryGeneration.id)
        .join(Neighbourhood, BoundaryGeneration.neighbourhood_id == Neighbourhood.id)
    ).all()
    several = neighbourhood_ids is None or len(neighbourhood_ids) > 1
    if several and len({hood for _id, _name, hood in rows}) <= 1:
        several = False
    return {aid: (f"{name} ({hood})" if several else name) for aid, name, hood in rows}


# --- counts per month ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyCounts:
    months: list[tuple[int, int]]  # (year, month), ascending
    by_category: dict[IncidentCategory, list[int]]
    by_area: dict[str, list[int]]  # area name (or "buiten de gebieden") -> counts per month
    total: int

    @property
    def month_labels(self) -> list[str]:
        return [month_label_nl(y, m) for y, m in self.months]


def month_span(first: datetime, last: datetime) -> list[tuple[int, int]]:
    """Every (year, month) from `first` to `last`, both included."""
    y, m = first.year, first.month
    out = []
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_counts(incidents: list, f: IncidentFilter, now: datetime) -> MonthlyCounts:
    """Counts per month (local time) by category and by area; `incidents` are rows or Incident objects."""
    since, until = f.window(now)
    moments = [to_local(i.occurred_at) for i in incidents]
    start = to_local(since) if since else (min(moments) if moments else to_local(now))
    end = to_local(min(until, now)) if until else to_local(now)
    if moments:
        start, end = min(start, min(moments)), max(end, max(moments))
    months = month_span(start, end)
    position = {ym: k for k, ym in enumerate(months)}
    names = area_labels(f.neighbourhood_ids)
    outside = _("buiten de gebieden")
    by_category = {c: [0] * len(months) for c in labels.CATEGORIES}
    by_area: dict[str, list[int]] = {}
    for incident, moment in zip(incidents, moments, strict=True):
        k = position[(moment.year, moment.month)]
        by_category[IncidentCategory(incident.category)][k] += 1
        name = names.get(incident.area_id, outside) if incident.area_id else outside
        by_area.setdefault(name, [0] * len(months))[k] += 1
    return MonthlyCounts(months, by_category, dict(sorted(by_area.items())), len(incidents))
