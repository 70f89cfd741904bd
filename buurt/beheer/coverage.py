"""Coverage for beheerders and coordinators: fill, participation, member density, open sign-ups.

Numbers per group and per grid cell; never a point per resident. A cell is shown, in any view
(all groups or one), only when every group has either no member in it or at least
COVERAGE_MIN_CELL (k): then any difference between views (all groups minus one group, one group
minus another's known members) is a sum of per-group counts that are 0 or >= k, so no combination
of the maps and tables gives a count from 1 to k - 1 (see buurt.geo.coverage.k_anonymous_cells).
Counting bands instead of numbers would blur the tables beheerders plan with, and bands can still
be differenced at their edges; leaving out the few cells on group borders costs less.

What else a cell shows: its count and the most common street of its members (a public street
name, of at least k members). The number of members in cells that are not shown is a total per
view, never per cell, and follows from the group totals in the table anyway.

Open sign-ups (pending, waitlist, border) are shown only to those who manage the group, counted
per cell from one sign-up up: they already see each of these sign-ups, with name and address, in
the group's queue, so the cells tell them nothing new and nobody else sees them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from buurt import audit
from buurt.areas import services as areas
from buurt.areas.occupancy import Occupancy
from buurt.auth.permissions import can_view_pending_layer
from buurt.beheer.console import summaries
from buurt.extensions import db
from buurt.geo.coverage import (
    DENSITY_STEPS,
    PENDING_COLOUR,
    Cell,
    LegendSection,
    coverage_map,
    grid_cells,
    k_anonymous_cells,
)
from buurt.geo.folium_assets import render_map_document
from buurt.geo.maps import LegendItem, MapArea, fill_legend
from buurt.models import Group, Neighbourhood, Resident, ResidentStatus
from buurt.tiles import tile_source

OPEN = (ResidentStatus.PENDING, ResidentStatus.WAITLIST)


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One group in the coverage table: its occupancy (the same value every page uses)."""

    group_id: int
    name: str
    occupancy: Occupancy
    beheerders: int
    managed: bool
    neighbourhood_id: int = 0
    neighbourhood_name: str = ""

    members = property(lambda self: self.occupancy.members)
    capacity = property(lambda self: self.occupancy.capacity)
    pending = property(lambda self: self.occupancy.pending)
    waitlist = property(lambda self: self.occupancy.waitlist)
    needs_review = property(lambda self: self.occupancy.needs_review)
    households = property(lambda self: self.occupancy.households)
    level = property(lambda self: self.occupancy.level)
    fill = property(lambda self: self.occupancy.fill)
    coverage = property(lambda self: self.occupancy.participation)


@dataclass(frozen=True, slots=True)
class CoverageData:
    rows: list[CoverageRow]
    density: list[Cell]
    pending: list[Cell]
    focus_group_id: int | None
    pending_group_ids: tuple[int, ...]
    hidden_members: int  # members in cells below the threshold (counted, not drawn)

    @property
    def totals(self) -> dict[str, int]:
        return _totals(self.rows)

    @property
    def sections(self) -> list[CoverageSection]:
        """The rows per neighbourhood, in the order they came (a table with a heading each)."""
        sections: dict[int, list[CoverageRow]] = {}
        for row in self.rows:
            sections.setdefault(row.neighbourhood_id, []).append(row)
        return [CoverageSection(rows[0].neighbourhood_name, rows) for rows in sections.values()]


def _totals(rows: list[CoverageRow]) -> dict[str, int]:
    return {
        "members": sum(r.members for r in rows),
        "capacity": sum(r.capacity for r in rows),
        "pending": sum(r.pending for r in rows),
        "waitlist": sum(r.waitlist for r in rows),
        "households": sum(r.households or 0 for r in rows),
    }


@dataclass(frozen=True, slots=True)
class CoverageSection:
    """The groups of one neighbourhood in the coverage table."""

    name: str
    rows: list[CoverageRow]

    @property
    def totals(self) -> dict[str, int]:
        return _totals(self.rows)


def coverage_data(
    user,
    neighbourhoods: list[Neighbourhood] | Neighbourhood | None = None,
    *,
    focus: Group | None = None,
    groups: list[Group] | None = None,
) -> CoverageData:
    """Counts per group for every group of the neighbourhood(s) (default: the focus group's, else
    the default one); cells for the focus group or all of them."""
    cfg = current_app.config
    if groups is None:
        if neighbourhoods is None:
            neighbourhoods = focus.neighbourhood if focus is not None else areas.default_neighbourhood()
        if isinstance(neighbourhoods, Neighbourhood):
            neighbourhoods = [neighbourhoods]
        groups = [g for hood in neighbourhoods if hood is not None for g in areas.groups_of(hood)]
    rows = [
        CoverageRow(
            s.group.id,
            s.group.name,
            s.occupancy,
            s.beheerders,
            can_view_pending_layer(user, s.group),
            s.group.neighbourhood_id,
            s.group.neighbourhood.name,
        )
        for s in summaries(groups)
    ]
    scope = [focus.id] if focus is not None else [g.id for g in groups]
    cell_m, min_count = cfg["COVERAGE_GRID_M"], cfg["COVERAGE_MIN_CELL"]
    everyone = db.session.execute(  # every group's members: which cells may be shown depends on all of them
        db.select(Resident.lat, Resident.lon, Resident.street, Resident.group_id).where(
            Resident.status == ResidentStatus.ADDED, Resident.lat.is_not(None)
        )
    ).all()
    shown = k_anonymous_cells(
        [r.lat for r in everyone],
        [r.lon for r in everyone],
        [r.group_id for r in everyone],
        cell_m=cell_m,
        min_count=min_count,
    )
    in_scope = set(scope)
    member_rows = [r for r in everyone if r.group_id in in_scope]
    density = grid_cells(
        [r.lat for r in member_rows],
        [r.lon for r in member_rows],
        [r.street or "" for r in member_rows],
        cell_m=cell_m,
        min_count=min_count,
        only=shown,
    )
    pending_ids = tuple(g.id for g in groups if g.id in scope and can_view_pending_layer(user, g))
    pending: list[Cell] = []
    if pending_ids:
        open_rows = db.session.execute(
            db.select(Resident.lat, Resident.lon, Resident.street).where(
                Resident.group_id.in_(pending_ids), Resident.status.in_(OPEN), Resident.lat.is_not(None)
            )
        ).all()
        pending = grid_cells(
            [r[0] for r in open_rows],
            [r[1] for r in open_rows],
            [r[2] or "" for r in open_rows],
            cell_m=cell_m,
            min_count=1,
        )
    hidden = len(member_rows) - sum(c.count for c in density)
    return CoverageData(rows, density, pending, focus.id if focus else None, pending_ids, hidden)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def legend_sections(data: CoverageData) -> list[LegendSection]:
    from buurt.main.services import fill_labels

    min_count = current_app.config["COVERAGE_MIN_CELL"]
    steps = [s[0] for s in DENSITY_STEPS]
    density_items = []
    for i, (lowest, colour) in enumerate(DENSITY_STEPS):
        if i + 1 < len(steps):
            label = _("%(a)d–%(b)d leden", a=max(lowest, min_count), b=steps[i + 1] - 1)
        else:
            label = _("%(a)d of meer leden", a=lowest)
        density_items.append(LegendItem(colour, label))
    sections = [
        LegendSection(_("Hoe vol de groep is"), tuple(fill_legend(fill_labels()))),
        LegendSection(
            _(
                "Leden per vak van %(m)d m (vakken met minder dan %(n)d leden niet getoond)",
                m=current_app.config["COVERAGE_GRID_M"],
                n=min_count,
            ),
            tuple(density_items),
        ),
    ]
    if data.pending:
        sections.append(
            LegendSection(
                _("Open aanmeldingen (per vak)"), (LegendItem(PENDING_COLOUR, _("aanmeldingen")),), round=True
            )
        )
    return sections


def coverage_document(data: CoverageData) -> str:
    """The coverage map as a standalone HTML document (for an iframe)."""
    rows = {r.group_id: r for r in data.rows}
    shapes = []
    for info in areas.current_areas().areas:
        row = rows.get(info.group_id)
        if row is None:
            continue
        lines = (
            info.name,
            _("%(m)d van %(c)d plaatsen bezet (%(p)s)", m=row.occupancy.occupied, c=row.capacity, p=_percent(row.fill)),
            _("Deelname: %(p)s van de huishoudens", p=_percent(row.coverage))
            if row.households
            else _("Deelname: onbekend"),
            _("Wachtrij: %(p)d, wachtlijst: %(w)d", p=row.pending, w=row.waitlist),
        )
        shapes.append(
            MapArea(
                key=info.key,
                name=row.name,
                geometry=info.geometry,
                fill=row.fill,
                lines=lines,
                highlight=data.focus_group_id == info.group_id,
            )
        )
    if data.focus_group_id is not None:
        shapes.sort(key=lambda s: s.highlight)  # the focus group on top
    m = coverage_map(
        shapes,
        data.density,
        data.pending,
        legend=legend_sections(data),
        density_layer_name=_("Leden per vak"),
        density_tip=_("{count} leden") + " {label}",
        pending_layer_name=_("Open aanmeldingen"),
        pending_tip=_("open aanmeldingen: {count}") + " {label}",
        tiles=tile_source(),
    )
    if data.pending:
        audit.record(
            "coverage.pending_layer",
            "group",
            data.focus_group_id,
            groups=len(data.pending_group_ids),
            cells=len(data.pending),
        )
        db.session.commit()
    return render_map_document(m)
