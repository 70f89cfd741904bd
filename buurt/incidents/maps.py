"""The incident map documents: the wijkagent's exact map (with the police meldingen layer) and the
public grid map. Data is gathered here; the pure folium builders live in buurt.geo.incident_maps.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user

from buurt.areas import services as areas
from buurt.extensions import db
from buurt.geo.incident_maps import (
    CELL_STEPS,
    IncidentMapLabels,
    IncidentPoint,
    MeldingPoint,
    OutlineArea,
    PublicCellShape,
    incident_map,
    incident_map_document,
    public_incident_map,
    public_incident_map_document,
)
from buurt.incidents import labels
from buurt.incidents.public import PublicPicture, cached_public_picture
from buurt.incidents.queries import IncidentFilter, filtered_select, month_span
from buurt.meldingen.services import CATEGORY_LABELS, meldingen_for_map
from buurt.models import Group, Incident, IncidentCategory, MeldingCategory
from buurt.tiles import tile_source
from buurt.times import format_local, month_label_nl, to_local

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # "no lower bound" for the meldingen layer


def _outlines(neighbourhood_ids: frozenset[int] | None) -> list[OutlineArea]:
    """The current areas of these neighbourhoods (None: of all): the map spans them."""
    return [
        OutlineArea(a.name, a.geometry)
        for a in areas.current_areas().areas
        if neighbourhood_ids is None or a.neighbourhood_id in neighbourhood_ids
    ]


def _meldingen_groups(f: IncidentFilter) -> list[int] | None:
    """The groups whose meldingen the map shows: the chosen group, else those of the filtered neighbourhoods."""
    if f.group_id:
        return [f.group_id]
    ids = f.neighbourhood_ids
    if ids is None:
        return None
    return list(db.session.scalars(db.select(Group.id).where(Group.neighbourhood_id.in_(ids))))


def meldingen_points(
    since: datetime | None, until: datetime, group_ids: list[int] | None, user=None
) -> list[MeldingPoint]:
    """The police meldingen layer: each melding's point, its category and when (never its text);
    with `user`, only the meldingen that user may open (the meldingen list's rule)."""
    return [
        MeldingPoint(
            float(row["lat"]),
            float(row["lon"]),
            str(CATEGORY_LABELS[MeldingCategory(row["category"])]),
            format_local(row["occurred_at"]),
        )
        for row in meldingen_for_map(since or EARLIEST, until, group_ids, user=user)
        if row["lat"] is not None and row["lon"] is not None
    ]


def map_document(f: IncidentFilter, now: datetime) -> str:
    """The wijkagent's exact map for a filter, as an HTML document."""
    since, until = f.window(now)
    rows = db.session.execute(
        filtered_select(f, now).with_only_columns(
            Incident.id, Incident.lat, Incident.lon, Incident.category, Incident.occurred_at
        )
    ).all()
    moments = [to_local(r.occurred_at) for r in rows]
    months = month_span(min(moments), max(moments)) if moments else []
    position = {ym: k for k, ym in enumerate(months)}
    cat_index = {c: k for k, c in enumerate(labels.CATEGORIES)}
    points = [
        IncidentPoint(
            r.id,
            r.lat,
            r.lon,
            cat_index[IncidentCategory(r.category)],
            position[(m.year, m.month)],
            int(r.occurred_at.timestamp() // 60),
        )
        for r, m in zip(rows, moments, strict=True)
    ]
    names = labels.category_labels()
    map_labels = IncidentMapLabels(
        categories=[names[c] for c in labels.CATEGORIES],
        colours=list(labels.COLOURS),
        months=[month_label_nl(y, m) for y, m in months],
        detail_url=url_for("incidents.detail", incident_id=0).replace("/0", "/{id}"),
        open_label=_("Incident openen"),
        all_months=_("Alle maanden"),
        slider_label=_("Tijd"),
        clusters=_("Incidenten (clusters)"),
        heatmap=_("Heatmap"),
        meldingen=_("Meldingen van de politie"),
        areas=_("Gebieden"),
    )
    m = incident_map(
        points,
        map_labels,
        meldingen=meldingen_points(since, until, _meldingen_groups(f), user=current_user),
        areas=_outlines(f.neighbourhood_ids),
        tiles=tile_source(),
    )
    return incident_map_document(m)


def cached_public_map_document(map_period: str = "3m", now: datetime | None = None, neighbourhood=None) -> str:
    """The public grid map of a neighbourhood (default: the page's) for `now`, rendered once per
    cached picture (buurt.incidents.public, cached per neighbourhood).

    The map shows no cut-off moment, so the picture as built serves every request it holds for.
    """
    _cutoff, cached = cached_public_picture(now, map_period, neighbourhood)
    return cached.rendered("map", public_map_document)


def public_map_document(picture: PublicPicture) -> str:
    """The public grid map: area outlines and blurred cells with counts per category."""
    names = labels.category_labels()
    cells = [
        PublicCellShape(
            c.ring,
            c.count,
            tuple(
                f"{n} × {names[IncidentCategory(cat)]}"
                for cat, n in sorted(c.categories.items(), key=lambda kv: -kv[1])
            ),
        )
        for c in picture.cells
    ]
    legend = [
        (CELL_STEPS[0][1], _("1 incident")),
        (CELL_STEPS[1][1], _("2–3 incidenten")),
        (CELL_STEPS[2][1], _("4–6 incidenten")),
        (CELL_STEPS[3][1], _("meer dan 6")),
    ]
    m = public_incident_map(
        cells,
        _outlines(None if picture.neighbourhood_id is None else frozenset({picture.neighbourhood_id})),
        max_zoom=current_app.config["PUBLIC_MAX_ZOOM"],
        title_of={"cell": _("Incidenten in dit vak: {n}"), "areas": _("Gebieden")},
        legend_title=_("Incidenten per vak van %(m)d m", m=int(picture.grid_m)),
        legend=legend,
        tiles=tile_source(),
    )
    return public_incident_map_document(m)
