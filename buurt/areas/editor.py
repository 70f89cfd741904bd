"""The map editor's service (issue 17, point 1): an edit on a base indeling becomes a proposal.

The coordinator edits a *base*: the current generation, or a proposal still waiting (so edits
can be stacked: each one replaces the proposal it was made on). Three edits, all through
:mod:`buurt.geo.topology`, so the areas keep tiling the neighbourhood exactly:

* ``grens``: the border between two neighbouring areas becomes the drawn line;
* ``splitsen``: one area is cut in two by the line; the new part gets a name (the coordinator's,
  or "<naam> 2"), a key derived from it, and a group (an existing one, or a new group
  "BuurtAlarm <naam>");
* ``samenvoegen``: the second area is merged into the first (its group loses that area; a group
  left without area is switched off when the proposal is confirmed, and the preview says so).

The result is an ordinary proposal (:func:`buurt.areas.proposals.save_proposal`): a GeoJSON
FeatureCollection with the area key as feature ``id`` and ``naam``, ``groep`` (slug) and
``groepsnaam`` as properties, and the group of every area kept as the coordinator's choice
(:class:`ImportChoices`, rule 1 of :mod:`buurt.areas.imports`) so no area changes group by
accident. A group the base itself would create (no id yet) is carried by its ``groep`` and
``groepsnaam`` properties (rule 2). Household figures are left out: the preview recomputes them.
Every edit starts from the base as one exact coverage of the neighbourhood
(:func:`topology.clean_coverage`), so the result tiles the outline too. The document is planned
(:func:`plan_import`) before it is stored, so a refused edit stores nothing. Refusals are
:class:`EditRefused` with a Dutch message.

The line comes as text (the accessible equivalent of drawing, and what the map's draw tool
fills in): one point per row, "breedtegraad, lengtegraad" (rows may also be separated by ";"),
or a pasted GeoJSON LineString (lon, lat as GeoJSON has it).
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

import shapely
from flask import current_app
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping, shape

from buurt.areas import proposals
from buurt.areas.files import FEATURE_ID, current_generation, required_neighbourhood
from buurt.areas.imports import NEW_GROUP, ImportChoices, plan_import
from buurt.areas.split import SplitImpossible, slugify, split_proposal
from buurt.extensions import db
from buurt.geo import topology
from buurt.geo.coords import NL_BOUNDS, from_rd, in_netherlands, looks_swapped, to_rd
from buurt.geo.polygons import AreaValidationError
from buurt.geo.topology import EditRefused
from buurt.models import BoundaryGeneration, Group, Neighbourhood

log = logging.getLogger(__name__)

__all__ = [
    "EDITS",
    "EditArea",
    "EditBase",
    "EditRefused",
    "ProposalGone",
    "SplitPrefill",
    "apply_edit",
    "base_collection",
    "line_text",
    "load_base",
    "parse_line",
    "split_prefill",
]

GRENS = "grens"
SPLITSEN = "splitsen"
SAMENVOEGEN = "samenvoegen"
EDITS = (GRENS, SPLITSEN, SAMENVOEGEN)
MAX_NAME = 80
#: how far (m) the prefilled split line reaches past the area's edge on either side
PREFILL_OVERSHOOT_M = 2.0
#: decimals of a point in a line text the editor writes (a split proposal's cut): 8, about 1 mm. With 7
#: (1 cm, the topology grid) the rounding alone moved a 400 m cut by up to 1.4 m²; the parts the
#: editor then makes differ from the split proposal's by 0.1 to 0.5 m² (measured on the default areas)
LINE_DECIMALS = 8
#: the prefilled cut is straight: points closer than this (degrees, about 1 mm) to the straight line are left out
PREFILL_SIMPLIFY_DEG = 1e-8

Geom = Polygon | MultiPolygon


class ProposalGone(LookupError):
    """The proposal to edit was confirmed, discarded or expired (GET: 404)."""


@dataclass(frozen=True, slots=True)
class EditArea:
    """One area of the base: its key, name, group (id None: a group the base proposal would create) and shape."""

    key: str
    name: str
    group_slug: str
    group_name: str
    group_id: int | None
    geometry: Geom


@dataclass(slots=True)
class EditBase:
    """The indeling being edited: the current generation's areas, or those of a waiting proposal."""

    neighbourhood: Neighbourhood
    areas: list[EditArea]
    outline: Geom | None = None
    proposal: BoundaryGeneration | None = None
    generation: BoundaryGeneration | None = None
    other_groups: list[tuple[str, str, int]] = field(default_factory=list)  # active groups without area here

    def area(self, key: str | None) -> EditArea | None:
        return next((a for a in self.areas if a.key == key), None)

    def geometries(self) -> dict[str, Geom]:
        return {a.key: a.geometry for a in self.areas}

    def group_options(self) -> list[tuple[str, str, int | None]]:
        """(slug, name, id) of every group a new part can join: the base's groups, then other active ones."""
        seen: dict[str, tuple[str, str, int | None]] = {}
        for a in self.areas:
            seen.setdefault(a.group_slug, (a.group_slug, a.group_name, a.group_id))
        for slug, name, group_id in self.other_groups:
            seen.setdefault(slug, (slug, name, group_id))
        return list(seen.values())


def _display_name(name: str) -> str:
    """As the import shows an area's name (without a leading "BuurtAlarm")."""
    return re.sub(r"^BuurtAlarm\s+", "", name).strip() or name


def load_base(proposal_id: int | None = None, *, neighbourhood: Neighbourhood | None = None) -> EditBase:
    """The base to edit: the current generation, or the waiting proposal ``proposal_id``.

    ProposalGone when that proposal is gone; EditRefused when it cannot be planned (it has problems
    to solve on the preview first) or when there are no areas to edit.
    """
    hood = required_neighbourhood(neighbourhood)
    outline = shape(hood.outline) if hood.outline else None
    proposal = None
    generation = None
    if proposal_id is not None:
        proposal = proposals.load_proposal(proposal_id, neighbourhood=hood)
        if proposal is None:
            raise ProposalGone(proposal_id)
        try:
            plan = proposals.plan_proposal(proposal)
        except AreaValidationError:
            raise EditRefused(
                "Dit voorstel heeft nog problemen en kan daarom niet op de kaart worden bewerkt. Los ze eerst "
                "op in het voorbeeld, of bewerk de huidige indeling."
            ) from None
        areas = [
            EditArea(a.key, a.name, a.group.slug, a.group.name, a.group.id, a.geometry)
            for a in plan.areas
            if isinstance(a.geometry, Polygon | MultiPolygon)
        ]
    else:
        generation = current_generation(hood)
        rows = list(generation.areas) if generation is not None else []
        areas = [EditArea(r.key, r.name, r.group.slug, r.group.name, r.group.id, shape(r.geometry)) for r in rows]
    if not areas:
        raise EditRefused("Er zijn nog geen gebieden om te bewerken. Upload eerst een indeling.")
    used = {a.group_slug for a in areas}
    others = [
        (g.slug, g.name, g.id)
        for g in db.session.scalars(
            db.select(Group).filter_by(neighbourhood_id=hood.id, is_active=True).order_by(Group.sort_order)
        )
        if g.slug not in used
    ]
    return EditBase(hood, areas, outline, proposal, generation, others)


# --- the line ------------------------------------------------------------------------------------

_SWAPPED_HINT = (
    "De coördinaten lijken omgedraaid (bij {first}): schrijf per punt eerst de breedtegraad (in Nederland "
    "ongeveer 51 tot 53) en dan de lengtegraad (ongeveer 3 tot 7), bijvoorbeeld '52.21012, 4.42031'."
)
_GEOJSON_SWAPPED_HINT = (
    "De coördinaten lijken omgedraaid (bij {first}): in GeoJSON staat eerst de lengtegraad (ongeveer 4,4) "
    "en dan de breedtegraad (ongeveer 52,2). Draai ze om, of typ de punten als 'breedtegraad, lengtegraad'."
)
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)"


def _too_many(n: int, limit: int) -> EditRefused:
    return EditRefused(
        f"De lijn heeft {n} punten; er kunnen er hoogstens {limit} zijn. Teken een eenvoudiger lijn: "
        "alleen de hoeken zijn nodig."
    )


def _point_of_row(row: str, number: int) -> tuple[float, float]:
    """(lat, lon) from one row: "52.21012, 4.42031", "52.21012 4.42031" or with decimal commas "52,21012 4,42031"."""
    text = row.strip().strip("()[]")
    parts = [p for p in re.split(r"\s*[,\t ]\s*", text) if p] if "." in text else []
    if len(parts) != 2:  # decimal commas: the two numbers are separated by spaces (or by ", ")
        parts = [p for p in re.split(r"\s+|,\s+", text) if p]
    if len(parts) != 2:
        raise EditRefused(
            f"Regel {number} van de lijn ('{row.strip()[:40]}') is geen punt. Schrijf per regel één punt: "
            "breedtegraad, lengtegraad, bijvoorbeeld '52.21012, 4.42031'."
        )
    values = []
    for part in parts:
        if not re.fullmatch(_NUMBER, part):
            raise EditRefused(
                f"Regel {number} van de lijn bevat '{part[:20]}', en dat is geen getal. Schrijf per regel één "
                "punt: breedtegraad, lengtegraad, bijvoorbeeld '52.21012, 4.42031'."
            )
        values.append(float(part.replace(",", ".")))
    return values[0], values[1]


def _points_of_geojson(text: str, limit: int) -> list[tuple[float, float]]:
    """(lat, lon) points of a pasted GeoJSON LineString (or a Feature holding one)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = document.get("geometry")
    if not isinstance(document, dict) or document.get("type") != "LineString":
        raise EditRefused(
            "De lijn is geen GeoJSON LineString. Plak een LineString, of typ per regel één punt: breedtegraad, "
            "lengtegraad."
        )
    coordinates = document.get("coordinates")
    if not isinstance(coordinates, list):
        raise EditRefused("De GeoJSON-lijn heeft geen lijst met coördinaten.")
    if len(coordinates) > limit:
        raise _too_many(len(coordinates), limit)
    points = []
    for position in coordinates:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
        ):
            raise EditRefused("Een punt van de GeoJSON-lijn is geen paar getallen [lengtegraad, breedtegraad].")
        lon, lat = float(position[0]), float(position[1])
        points.append((lat, lon))
    _check_points(points, _GEOJSON_SWAPPED_HINT)
    return points


def _check_points(points: list[tuple[float, float]], swapped_hint: str) -> None:
    for lat, lon in points:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise EditRefused("De lijn bevat een punt dat geen getal is. Teken de lijn opnieuw.")
    for lat, lon in points:
        if in_netherlands(lat, lon):
            continue
        place = f"{lat:.5f}, {lon:.5f}"
        if looks_swapped(lat, lon):
            raise EditRefused(swapped_hint.format(first=place))
        raise EditRefused(
            f"Het punt {place} ligt niet in Nederland (breedtegraad {NL_BOUNDS.min_lat:g} tot {NL_BOUNDS.max_lat:g}, "
            f"lengtegraad {NL_BOUNDS.min_lon:g} tot {NL_BOUNDS.max_lon:g}). Teken de lijn door de gebieden."
        )


def parse_line(text: str | None, *, max_points: int | None = None) -> LineString:
    """The drawn line (lon/lat) from its text; EditRefused (Dutch) when it is no usable line.

    Rows "breedtegraad, lengtegraad" (or ";"-separated), or a GeoJSON LineString; at most
    ``max_points`` (default AREA_EDIT_MAX_LINE_POINTS) points, each in the Netherlands, and at
    least two different ones. Repeated points in a row count once.
    """
    limit = int(max_points if max_points is not None else current_app.config["AREA_EDIT_MAX_LINE_POINTS"])
    text = (text or "").strip()
    if not text:
        raise EditRefused(
            "Er is geen lijn. Teken de lijn op de kaart, of typ per regel één punt: breedtegraad, lengtegraad."
        )
    if text.startswith("{"):
        points = _points_of_geojson(text, limit)
    else:
        rows = [r for r in re.split(r"[\r\n;]+", text) if r.strip()]
        if len(rows) > limit:
            raise _too_many(len(rows), limit)
        points = [_point_of_row(row, n) for n, row in enumerate(rows, start=1)]
        _check_points(points, _SWAPPED_HINT)
    lonlat: list[tuple[float, float]] = []
    for lat, lon in points:
        if not lonlat or lonlat[-1] != (lon, lat):
            lonlat.append((lon, lat))
    if len(set(lonlat)) < 2:
        raise EditRefused(
            "De lijn heeft minstens twee verschillende punten nodig: een begin en een eind, over de rand van "
            "de gebieden."
        )
    return LineString(lonlat)


def line_text(line: LineString, decimals: int = LINE_DECIMALS) -> str:
    """The line as the form's text: one "lat, lon" per row."""
    return "\n".join(f"{lat:.{decimals}f}, {lon:.{decimals}f}" for lon, lat in line.coords)


# --- the edits ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    """What the coordinator asked: ``operation`` in EDITS, area keys ``a`` and ``b``, the line text,
    and for a split the new part's name and group ("" = a new group)."""

    operation: str
    a: str
    b: str = ""
    line: str = ""
    new_name: str = ""
    new_group: str = ""


def _area(base: EditBase, key: str, which: str) -> EditArea:
    found = base.area(key)
    if found is None:
        raise EditRefused(
            f"Kies {which}: '{key[:40]}' is geen gebied in deze indeling. Laad de pagina opnieuw als de "
            "indeling intussen veranderd is."
            if key
            else f"Kies {which}."
        )
    return found


def _two_areas(base: EditBase, edit: Edit) -> tuple[EditArea, EditArea]:
    a = _area(base, edit.a, "het eerste gebied")
    b = _area(base, edit.b, "het tweede gebied")
    if a.key == b.key:
        raise EditRefused(f"Kies twee verschillende gebieden; nu is twee keer '{a.name}' gekozen.")
    return a, b


def _new_part(base: EditBase, a: EditArea, wanted: str) -> tuple[str, str]:
    """(key, name) of the part a split makes: the name asked for (or "<name> 2"), a key no area has."""
    names = {_display_name(x.name).casefold() for x in base.areas}
    wanted = _display_name(" ".join(wanted.split())[:MAX_NAME]) if wanted.strip() else ""
    if wanted:
        name = wanted
        if _display_name(name).casefold() in names:
            raise EditRefused(
                f"Er is al een gebied '{_display_name(name)}'. Kies een andere naam voor het nieuwe deel."
            )
    else:
        n = 2
        name = f"{_display_name(a.name)[: MAX_NAME - 4]} {n}"
        while name.casefold() in names:
            n += 1
            name = f"{_display_name(a.name)[: MAX_NAME - 4]} {n}"
    keys = {x.key.casefold() for x in base.areas}
    stem = slugify(_display_name(name))[:70] or "gebied"
    key, n = stem, 2
    while key.casefold() in keys:
        key, n = f"{stem}-{n}", n + 1
    return key, name


def _group_choice(base: EditBase, slug: str) -> tuple[str, str, int | None] | None:
    """The group a new part joins: None for a new group; EditRefused for a slug that is no option."""
    if not slug:
        return None
    found = next((o for o in base.group_options() if o[0] == slug), None)
    if found is None:
        raise EditRefused(
            f"De groep '{slug[:40]}' bestaat niet (meer). Kies een groep uit de lijst, of een nieuwe groep."
        )
    return found


def _feature(key: str, name: str, slug: str, group_name: str, geometry: Geom) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": key,
        "properties": {"naam": name, "groep": slug, "groepsnaam": group_name},
        "geometry": json.loads(json.dumps(mapping(geometry))),
    }


def _document(
    base: EditBase, result: dict[str, Geom], new: tuple[str, str, tuple[str, str, int | None] | None] | None
) -> tuple[dict, ImportChoices]:
    """The proposal's GeoJSON and the group choices that keep every area in its group.

    A split's new part for a new group has no ``groep`` property: its choice is NEW_GROUP, which
    names the group "BuurtAlarm <name>" with a slug from the key (rule 1 of buurt.areas.imports).
    """
    features = []
    groups: dict[str, str] = {}
    for key, geometry in result.items():
        area = base.area(key)
        if area is not None:
            features.append(_feature(key, area.name, area.group_slug, area.group_name, geometry))
            if area.group_id is not None:
                groups[key] = area.group_slug
        elif new is not None and key == new[0]:
            _, name, group = new
            if group is None:
                features.append(_feature(key, name, "", f"BuurtAlarm {_display_name(name)}", geometry))
                features[-1]["properties"].pop("groep")
                groups[key] = NEW_GROUP
            else:
                slug, group_name, group_id = group
                features.append(_feature(key, name, slug, group_name, geometry))
                if group_id is not None:
                    groups[key] = slug
        else:  # pragma: no cover - topology only adds the key it was given
            raise EditRefused("De bewerking gaf een onbekend gebied terug; er is niets opgeslagen.")
    document = {"type": "FeatureCollection", "features": features}
    return document, ImportChoices(name_property="naam", key_property=FEATURE_ID, groups=groups)


def apply_edit(base: EditBase, edit: Edit, *, user_id: int | None = None) -> BoundaryGeneration:
    """Run ``edit`` on ``base`` and store the result as a proposal (replacing the base proposal, if any).

    EditRefused (nothing stored) when the edit cannot give a usable indeling.
    """
    snap_m = float(current_app.config["AREA_EDIT_SNAP_M"])
    names = {a.key: a.name for a in base.areas}
    # what was asked, checked before any geometry is computed
    if edit.operation == GRENS:
        a, b = _two_areas(base, edit)
        line = parse_line(edit.line)
    elif edit.operation == SPLITSEN:
        a, b = _area(base, edit.a, "het gebied dat u wilt splitsen"), None
        line = parse_line(edit.line)
        key, name = _new_part(base, a, edit.new_name)
        group = _group_choice(base, edit.new_group)
    elif edit.operation == SAMENVOEGEN:
        a, b = _two_areas(base, edit)
    else:
        raise EditRefused("Kies wat u wilt doen: een grens verleggen, een gebied splitsen of twee samenvoegen.")
    geometries, straightened = _normalised(base, names)
    new = None
    if edit.operation == GRENS:
        result = topology.move_border(geometries, a.key, b.key, line, snap_m=snap_m, names=names)
        source = f"kaart: grens tussen {a.name} en {b.name} verlegd"
        note = f"Op de kaart de grens tussen '{a.name}' en '{b.name}' verlegd."
    elif edit.operation == SPLITSEN:
        result = topology.split_area(geometries, a.key, line, new_key=key, snap_m=snap_m, names=names)
        new = (key, name, group)
        joins = f"de groep {group[1]}" if group else f"een nieuwe groep 'BuurtAlarm {_display_name(name)}'"
        source = f"kaart: {a.name} gesplitst, nieuw deel {name}"
        note = f"Op de kaart '{a.name}' gesplitst; het nieuwe deel '{name}' hoort bij {joins}."
    else:
        result = topology.merge_areas(geometries, a.key, b.key, names=names)
        source = f"kaart: {b.name} samengevoegd met {a.name}"
        note = f"Op de kaart '{b.name}' bij '{a.name}' gevoegd (groep {a.group_name})."
    _check_result(result)
    if straightened:
        note = f"{note} Ook rechtgetrokken: {' '.join(straightened)}"
    document, choices = _document(base, result, new)
    try:
        plan_import(
            document,
            neighbourhood=base.neighbourhood,
            source=source,
            max_bytes=proposals.STORED_MAX_BYTES,
            choices=choices,
        )
    except AreaValidationError as error:
        raise EditRefused(
            "Deze bewerking geeft een indeling die niet gebruikt kan worden: "
            + " ".join(p.message for p in error.problems[:3])
            + " Er is niets opgeslagen."
        ) from None
    if base.proposal is not None and base.proposal.note:
        note = f"{base.proposal.note} {note}"
    found = proposals.save_proposal(
        document, neighbourhood=base.neighbourhood, source=source, user_id=user_id, note=note, choices=choices
    )
    if base.proposal is not None:
        # The new proposal replaces the one it was made on. Deleted after the new one is stored, so an
        # id is never reused (SQLite would give the new row the old one's id in the same transaction):
        # an open preview of the old proposal answers 404 instead of showing another one.
        proposals.discard_proposal(base.proposal.id, neighbourhood=base.neighbourhood)
    log.info("map edit '%s' stored as proposal %s", edit.operation, found.id)
    return found


def _normalised(base: EditBase, names: dict[str, str]) -> tuple[dict[str, Geom], list[str]]:
    """The base's areas as one exact coverage of the neighbourhood (topology.clean_coverage), so the
    edit starts from shared edges and ends exactly on the outline; with the Dutch sentences of what
    was straightened beyond noise. Areas with larger overlaps or gaps are edited as they are."""
    geometries = base.geometries()
    cleaned = topology.clean_coverage(
        geometries,
        base.outline,
        tolerance_m2=float(current_app.config["AREA_SNAP_TOLERANCE_M2"]),
        order=list(geometries),
        names=names,
    )
    if cleaned.problems or set(cleaned.geometries) != set(geometries):
        return geometries, []
    return dict(cleaned.geometries), [fix.message(names) for fix in cleaned.fixes]


def _check_result(result: dict[str, Geom]) -> None:
    """Belt and braces: the geometry core promises valid polygons; never store anything else."""
    for geometry in result.values():
        if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty or not shapely.is_valid(geometry):
            raise EditRefused("Deze bewerking gaf geen geldige gebieden. Teken de lijn anders; er is niets opgeslagen.")


# --- the editor's map ---------------------------------------------------------------------------


def base_collection(base: EditBase, colours: list[str] | None = None) -> dict[str, Any]:
    """The base as GeoJSON for the editor's map: id = key, naam, groep, groepsnaam (and ``kleur``
    when ``colours`` is given, one per area), and the outline as ``buitenrand``. No personal data."""
    features = []
    for i, a in enumerate(base.areas):
        props: dict[str, Any] = {"naam": a.name, "groep": a.group_slug, "groepsnaam": a.group_name}
        if colours:
            props["kleur"] = colours[i % len(colours)]
        geometry = json.loads(json.dumps(mapping(a.geometry)))
        features.append({"type": "Feature", "id": a.key, "properties": props, "geometry": geometry})
    outline = json.loads(json.dumps(mapping(base.outline))) if base.outline is not None else None
    return {"type": "FeatureCollection", "features": features, "buitenrand": outline}


# --- a split proposal as a drawn line (issue 17, point 5) ---------------------------------------


@dataclass(frozen=True, slots=True)
class SplitPrefill:
    """The editor's form for a group's split proposal: the area to split, the line, the new part's name."""

    area_key: str
    line: LineString
    new_name: str

    @property
    def text(self) -> str:
        return line_text(self.line)


def _extended(line: LineString, metres: float) -> LineString:
    """``line`` with its first and last segment made ``metres`` longer (straight on, in RD New)."""
    coords = list(line.coords)
    if len(coords) < 2:
        return line
    xs, ys = to_rd([c[0] for c in coords], [c[1] for c in coords])
    xs, ys = [float(v) for v in xs], [float(v) for v in ys]

    def beyond(i_end: int, i_prev: int) -> tuple[float, float]:
        dx, dy = xs[i_end] - xs[i_prev], ys[i_end] - ys[i_prev]
        length = math.hypot(dx, dy) or 1.0
        return xs[i_end] + dx / length * metres, ys[i_end] + dy / length * metres

    start, end = beyond(0, 1), beyond(-1, -2)
    lon, lat = from_rd([start[0], end[0]], [start[1], end[1]])
    return LineString([(float(lon[0]), float(lat[0])), *coords, (float(lon[1]), float(lat[1]))])


def split_prefill(group: Group) -> SplitPrefill:
    """The split proposal of ``group`` (:func:`buurt.areas.split.split_proposal`) as an edit: the
    border between its two parts as one line reaching just past the area's edge, the area it cuts,
    and the proposal's new group name. SplitImpossible when there is no proposal."""
    proposal = split_proposal(group)
    part_a, part_b = proposal.result.part_a, proposal.result.part_b
    shared = shapely.line_merge(shapely.intersection(part_a.boundary, part_b.boundary))
    pieces = [g for g in shapely.get_parts(shared) if isinstance(g, LineString) and g.length > 0]
    if not pieces:
        raise SplitImpossible("De twee delen van het splitsvoorstel raken elkaar niet; teken de lijn zelf.")
    if len(pieces) == 1:
        line = pieces[0]
    else:  # the straight cut crosses the area more than once: one line from end to end
        ends = [p for piece in pieces for p in (piece.coords[0], piece.coords[-1])]
        far = max(((p, q) for p in ends for q in ends), key=lambda pq: math.dist(pq[0], pq[1]))
        line = LineString(far)
    line = _extended(line, PREFILL_OVERSHOOT_M).simplify(PREFILL_SIMPLIFY_DEG)
    base = load_base(None, neighbourhood=group.neighbourhood)
    candidates = [a for a in base.areas if a.group_id == group.id] or base.areas
    area = max(candidates, key=lambda a: shapely.intersection(a.geometry, line).length)
    return SplitPrefill(area.key, line, proposal.new_group_name)
