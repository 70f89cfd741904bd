"""Area import: one service for `flask buurt areas import` and the browser upload.

An import never edits areas in place. :func:`plan_import` validates a GeoJSON file and works out
what would happen (which group each area belongs to, which residents would move from which group
to which) without changing anything; :func:`apply_import` recomputes that plan inside one
transaction and stores it as a new :class:`BoundaryGeneration` (the old one is kept, only the new
one is current), reassigns residents and queues the WhatsApp work for the beheerders.

Real boundary files (CBS / PDOK, in RD New or WGS84) hold a whole municipality: areas with less
than INSIDE_MIN_SHARE (5 %) of their surface inside the neighbourhood's outline are skipped and
listed in the plan. Names and keys come from the properties the coordinator chose
(:class:`ImportChoices`), else the defaults of :mod:`buurt.areas.files`.

Which group an area belongs to (the plan says which rule decided, per area):

1. the coordinator's choice for that area key (an existing group's slug, or NEW_GROUP);
2. the feature property ``groep`` (or ``group``): an existing group of the neighbourhood with that
   slug or name (case-insensitive), otherwise a **new group** with that slug;
3. the area key when it equals an existing group's slug (a re-import of an export);
4. the group of the current area it overlaps most, when that overlap is at least MATCH_MIN_SHARE
   (50 %) of the new area or of the current one. A CBS buurt that holds two current group areas
   thus joins the larger of them, and the plan shows the other group's residents moving;
5. otherwise a **new group** named after the area (``groepsnaam`` property, else "BuurtAlarm
   <area name>"), with a name and slug no existing group has, and the default capacity. Unknown
   areas thus never get rejected silently: the plan lists every new group before anyone confirms.

Groups without an area in the new generation are switched off (``is_active = False``).
An import is refused when a resident with coordinates would fall outside every new area (nobody
is lost) or when the areas leave a gap inside the neighbourhood. A plan that moves more than
AREA_IMPORT_MAX_MOVE_SHARE of the residents to another group is only applied with
``confirm_moves=True`` (an explicit second "yes": every moved member is WhatsApp work).
Moved residents: those ADDED to WhatsApp get a "remove from WhatsApp" task in the old group and an
"add to WhatsApp" task in the new one; everyone else (pending, waitlist, ...) simply moves.

A proposal waiting for confirmation (:mod:`buurt.areas.proposals`) is itself an inactive
generation: :func:`apply_import` with ``generation=`` activates that same row. Reading and
writing the file format: :mod:`buurt.areas.files`.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from flask import current_app
from shapely.geometry import mapping, shape
from sqlalchemy import update

from buurt.areas.cleaning import clean_features
from buurt.areas.files import (
    FEATURE_ID,
    AreaFile,
    PropertyOptions,
    current_generation,
    read_area_file,
    required_neighbourhood,
)
from buurt.areas.households import household_figures
from buurt.areas.occupancy import lock_seats, occupancy_of
from buurt.areas.split import slugify
from buurt.extensions import db
from buurt.geo.area_problems import latlon_text, m2_text
from buurt.geo.index import AreaIndex
from buurt.geo.polygons import (
    AreaFeature,
    AreaProblem,
    AreaValidationError,
    area_m2,
    check_tiling,
)
from buurt.geo.topology import GRID_DEG
from buurt.models import (
    Area,
    BoundaryGeneration,
    Group,
    Neighbourhood,
    RemovalReason,
    Resident,
    ResidentStatus,
    utcnow,
)
from buurt.residents import lifecycle

log = logging.getLogger(__name__)

GROUP_PROPERTIES = ("groep", "group")
BLOCKING_TILING = ("gap", "uncovered")
#: the coordinator's choice "a new group for this area" (CLI ``--group KEY=nieuw``, the web select)
NEW_GROUP = "nieuw"
#: see the module docstring, rule 4
MATCH_MIN_SHARE = 0.5
#: areas with less of their surface inside the neighbourhood's outline are skipped (CBS slivers
#: along a shared edge stay far below this; a real part of the buurt far above)
INSIDE_MIN_SHARE = 0.05
#: the member of a stored proposal's document that holds the coordinator's choices (buurt.areas.proposals)
CHOICES_MEMBER = "buurt:keuzes"
MAX_CHOICE_TEXT = 80


@dataclass(frozen=True, slots=True)
class ImportChoices:
    """What the coordinator chose: name and key property (None: the default) and groups per area key."""

    name_property: str | None = None
    key_property: str | None = None
    groups: Mapping[str, str] = field(default_factory=dict)  # area key -> group slug or NEW_GROUP

    def to_json(self) -> dict[str, Any]:
        return {"naam": self.name_property, "sleutel": self.key_property, "groepen": dict(self.groups)}

    @classmethod
    def from_json(cls, raw: Any) -> ImportChoices:
        """Choices stored with a proposal; anything malformed counts as not chosen."""
        if not isinstance(raw, dict):
            return cls()

        def text(value: Any) -> str | None:
            return value[:MAX_CHOICE_TEXT] if isinstance(value, str) and value.strip() else None

        groups = raw.get("groepen") if isinstance(raw.get("groepen"), dict) else {}
        return cls(
            text(raw.get("naam")),
            text(raw.get("sleutel")),
            {k[:MAX_CHOICE_TEXT]: v[:MAX_CHOICE_TEXT] for k, v in list(groups.items())[:500] if text(k) and text(v)},
        )


def percent_text(share: float) -> str:
    """A share in Dutch notation: ``12 %``, ``10,4 %``."""
    text = f"{share * 100:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} %"


@dataclass(frozen=True, slots=True)
class GroupRef:
    """The group an area goes to: an existing one (``id``) or one the import would create."""

    slug: str
    name: str
    id: int | None = None

    @property
    def is_new(self) -> bool:
        return self.id is None

    @property
    def ref(self) -> str:
        return f"g{self.id}" if self.id is not None else f"new:{self.slug}"


@dataclass(frozen=True, slots=True)
class PlannedArea:
    key: str
    name: str
    group: GroupRef
    geometry: Any  # shapely, lon/lat
    households: int | None
    households_source: str | None
    area_m2: float
    matched_by: str = ""  # why this group (Dutch, for the preview)


@dataclass(frozen=True, slots=True)
class SkippedArea:
    """An area of the file that lies (almost) wholly outside the neighbourhood: not imported."""

    key: str
    name: str
    inside_share: float


@dataclass(frozen=True, slots=True)
class ResidentMove:
    resident_id: int
    from_ref: str
    to_ref: str
    status: str


@dataclass(slots=True)
class ImportPlan:
    """What an import would do; nothing has changed yet."""

    neighbourhood_id: int
    neighbourhood_name: str
    source: str
    areas: list[PlannedArea]
    groups: dict[str, GroupRef]  # ref -> group, for every group mentioned (old and new)
    moves: list[ResidentMove]
    residents_counted: int
    without_coordinates: int
    dropped: list[GroupRef]
    warnings: list[str] = field(default_factory=list)
    next_number: int = 1
    assignment: dict[int, int] = field(default_factory=dict)  # resident id -> area position
    skipped: list[SkippedArea] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # which CRS, properties and household figures were used
    fixes: list[str] = field(default_factory=list)  # small overlaps and gaps resolved ("rechtgetrokken"), Dutch
    max_move_share: float = 1.0
    choices: ImportChoices = field(default_factory=ImportChoices)
    name_property: str = "naam"
    key_property: str | None = None
    options: PropertyOptions = field(default_factory=lambda: PropertyOptions((), ()))

    @property
    def move_share(self) -> float:
        """Share of the residents with coordinates that would move to another group."""
        return len(self.moves) / self.residents_counted if self.residents_counted else 0.0

    @property
    def needs_move_confirmation(self) -> bool:
        return self.move_share > self.max_move_share

    def move_problem(self) -> AreaProblem:
        """Why the plan needs the extra confirmation, in one Dutch sentence (without the way to give it)."""
        return AreaProblem(
            "moves_need_confirmation",
            f"Deze indeling verplaatst {len(self.moves)} van de {self.residents_counted} bewoners "
            f"({percent_text(self.move_share)}) naar een andere groep; boven "
            f"{percent_text(self.max_move_share)} is een extra bevestiging nodig.",
        )

    def label(self, ref: str) -> str:
        """A group's name that cannot be mistaken: the code when two groups share a name, and new ones marked."""
        group = self.groups[ref]
        text = group.name
        if sum(1 for g in self.groups.values() if g.name.casefold() == group.name.casefold()) > 1:
            text += f" [{group.slug}]"
        return text + (" (nieuwe groep)" if group.is_new else "")

    @property
    def new_groups(self) -> list[GroupRef]:
        seen: dict[str, GroupRef] = {}
        for area in self.areas:
            if area.group.is_new:
                seen.setdefault(area.group.slug, area.group)
        return list(seen.values())

    def move_counts(self) -> list[tuple[str, str, int]]:
        """(from group label, to group label, how many), largest first (labels: :meth:`label`)."""
        counts = Counter((m.from_ref, m.to_ref) for m in self.moves)
        rows = [(self.label(a), self.label(b), n) for (a, b), n in counts.items()]
        return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))

    def members_after(self) -> dict[str, int]:
        """Residents (not removed, with coordinates) per group ref after the import."""
        return dict(Counter(self.areas[p].group.ref for p in self.assignment.values()))


# --- planning ------------------------------------------------------------------------------------


def _display_name(name: str) -> str:
    return re.sub(r"^BuurtAlarm\s+", "", name).strip() or name


@dataclass
class _Groups:
    """The neighbourhood's groups and the new ones this plan would create (names and slugs kept distinct)."""

    existing: list[Group]
    planned: dict[str, GroupRef] = field(default_factory=dict)  # slug -> new group

    def __post_init__(self) -> None:
        self.by_slug = {g.slug.casefold(): g for g in self.existing}
        self.by_name = {g.name.casefold(): g for g in self.existing}

    def ref(self, group: Group) -> GroupRef:
        return GroupRef(group.slug, group.name, group.id)

    def find(self, wanted: str) -> Group | None:
        """An existing group by slug or name (case-insensitive)."""
        wanted = wanted.strip().casefold()
        return self.by_slug.get(wanted) or self.by_name.get(wanted) or self.by_slug.get(slugify(wanted))

    def new(self, base: str, name: str) -> GroupRef:
        """A new group (one per ``base``), with a slug and name no existing group has."""
        slug = slugify(base)[:55]
        if slug in self.planned:
            return self.planned[slug]
        unique, n = slug, 2
        while unique in self.by_slug or any(r.slug == unique for r in self.planned.values()):
            unique, n = f"{slug}-{n}", n + 1
        taken = set(self.by_name) | {r.name.casefold() for r in self.planned.values()}
        shown, n = name[:110], 2
        while shown.casefold() in taken:
            shown = f"{name[:100]} (nieuw{'' if n == 2 else f' {n - 1}'})"
            n += 1
        ref = GroupRef(unique, shown, None)
        self.planned[slug] = ref
        return ref


def _by_overlap(geometry, old_areas: list[Area], groups: dict[int, Group]) -> tuple[Group, float] | None:
    """The group of the current area that overlaps ``geometry`` most, when the overlap is at least
    MATCH_MIN_SHARE of either area; with the share of the new area that lies in it."""
    best: tuple[float, int, Group, float] | None = None
    for old in old_areas:
        group = groups.get(old.group_id)
        old_geom = shape(old.geometry)
        if group is None or not geometry.intersects(old_geom):
            continue
        common = shapely.intersection(geometry, old_geom).area
        share_new = common / geometry.area if geometry.area else 0.0
        share_old = common / old_geom.area if old_geom.area else 0.0
        if max(share_new, share_old) < MATCH_MIN_SHARE:
            continue
        candidate = (common, -group.sort_order, group, share_new)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return (best[2], best[3]) if best else None


def _group_for(
    feature: AreaFeature, known: _Groups, choice: str | None, old_areas: list[Area], by_id: dict[int, Group]
) -> tuple[GroupRef, str]:
    """The group an area goes to, and why (a short Dutch phrase for the preview)."""
    props = feature.properties
    if choice == NEW_GROUP:
        return known.new(feature.key, f"BuurtAlarm {_display_name(feature.name)}"), "uw keuze: nieuwe groep"
    if choice:
        return known.ref(known.by_slug[choice.casefold()]), "uw keuze"
    wanted = next((str(props[p]).strip() for p in GROUP_PROPERTIES if props.get(p)), "")
    if wanted:
        match = known.find(wanted)
        if match is not None:
            return known.ref(match), "eigenschap groep"
        name = str(props.get("groepsnaam") or props.get("group_name") or "").strip()
        return known.new(wanted, name or (wanted if wanted != slugify(wanted) else f"BuurtAlarm {wanted}")), (
            "eigenschap groep (nieuwe groep)"
        )
    match = known.by_slug.get(feature.key.casefold())
    if match is not None:
        return known.ref(match), "zelfde code als de groep"
    overlap = _by_overlap(feature.geometry, old_areas, by_id)
    if overlap is not None:
        group, share = overlap
        return known.ref(group), f"ligt voor {round(share * 100)} % in het huidige gebied van deze groep"
    name = str(props.get("groepsnaam") or props.get("group_name") or "").strip()
    return known.new(feature.key, name or f"BuurtAlarm {_display_name(feature.name)}"), "geen passende groep"


def _inside_share(geometry, outline) -> float:
    if outline is None or geometry.area <= 0:
        return 1.0
    return float(shapely.intersection(geometry, outline).area / geometry.area)


def _check_group_choices(choices: ImportChoices, features: list[AreaFeature], known: _Groups, skipped) -> None:
    """The coordinator's mapping names areas of this file (inside the buurt) and existing groups."""
    keys = {f.key for f in features}
    outside = {s.key for s in skipped}
    problems = []
    for key, slug in choices.groups.items():
        if key in outside:
            problems.append(
                AreaProblem(
                    "choice_area_outside",
                    f"Gebied '{key}' ligt buiten de buurt en wordt overgeslagen; het kan niet bij een groep horen.",
                )
            )
        elif key not in keys:
            problems.append(
                AreaProblem(
                    "choice_unknown_area",
                    f"Gebied '{key}' staat niet in het bestand. Gebruik de sleutels uit het voorbeeld "
                    f"(bijvoorbeeld {', '.join(sorted(keys)[:3])}).",
                )
            )
        elif slug != NEW_GROUP and slug.casefold() not in known.by_slug:
            problems.append(
                AreaProblem(
                    "choice_unknown_group",
                    f"De groep '{slug}' bestaat niet. Kies een van: "
                    f"{', '.join(g.slug for g in known.existing)}, of '{NEW_GROUP}' voor een nieuwe groep.",
                )
            )
    if problems:
        raise AreaValidationError(problems)


def _duplicate_names(areas: list[AreaFeature]) -> list[AreaProblem]:
    seen: dict[str, str] = {}
    problems = []
    for area in areas:
        first = seen.setdefault(area.name.casefold(), area.key)
        if first != area.key:
            problems.append(
                AreaProblem(
                    "duplicate_name",
                    f"De naam '{area.name}' hoort bij twee gebieden in de buurt ({first} en {area.key}). "
                    "Geef elk gebied een eigen naam of kies een andere eigenschap als naam.",
                )
            )
    return problems


def other_neighbourhood_overlaps(
    hood: Neighbourhood, features: list[AreaFeature], *, min_m2: float
) -> list[AreaProblem]:
    """Where the areas of ``hood``'s file lie in another neighbourhood's current areas (an address
    belongs to one neighbourhood only): one problem per area and neighbourhood, with the overlap's
    surface and place (shown on the preview's map). Overlaps of at most ``min_m2`` are rounding slivers
    along a shared border."""
    from buurt.areas.services import current_areas

    others = [a for a in current_areas().areas if a.neighbourhood_id != hood.id]
    if not others or not features:
        return []
    geometries = [shape(a.geometry) for a in others]
    tree = shapely.STRtree(geometries)
    names = dict(db.session.execute(db.select(Neighbourhood.id, Neighbourhood.name)).all())
    problems: list[AreaProblem] = []
    for index, feature in enumerate(features):
        per_hood: dict[int, list] = {}
        for i in tree.query(feature.geometry, predicate="intersects"):
            piece = shapely.intersection(feature.geometry, geometries[int(i)], grid_size=GRID_DEG)
            if not piece.is_empty and piece.area > 0:
                per_hood.setdefault(others[int(i)].neighbourhood_id, []).append(piece)
        for hood_id, pieces in sorted(per_hood.items()):
            parts = [g for g in shapely.get_parts(shapely.union_all(pieces, grid_size=GRID_DEG)) if g.area > 0]
            overlap = shapely.union_all(parts)
            surface = area_m2(overlap)
            if surface <= min_m2:
                continue
            point = overlap.representative_point()
            other = names.get(hood_id, "een andere buurt")
            problems.append(
                AreaProblem(
                    "neighbourhood_overlap",
                    f"Gebied '{feature.name}' ligt voor {m2_text(surface)} m² in de huidige gebieden van {other} "
                    f"(bij {latlon_text(point.y, point.x)}). Een adres hoort bij één buurt: leg de grens van dit "
                    f"gebied op de grens met {other}, of pas eerst de gebieden van {other} aan; er is niets veranderd.",
                    index,
                    point.y,
                    point.x,
                    json.loads(json.dumps(mapping(overlap))),
                )
            )
    return problems


def plan_import(
    data: bytes | str | dict,
    *,
    neighbourhood: Neighbourhood | None = None,
    source: str = "",
    max_bytes: int | None = None,
    choices: ImportChoices | None = None,
) -> ImportPlan:
    """Validate the file and work out the import; raises AreaValidationError. Changes nothing."""
    hood = required_neighbourhood(neighbourhood)
    choices = choices or ImportChoices()
    read = read_area_file(
        data,
        name_property=choices.name_property,
        key_property=choices.key_property,
        max_bytes=max_bytes,
        unique_names=False,
    )
    cfg = current_app.config
    outline = shape(hood.outline) if hood.outline else None
    features: list[AreaFeature] = []
    skipped: list[SkippedArea] = []
    for feature in read.features:
        share = _inside_share(feature.geometry, outline)
        if share < INSIDE_MIN_SHARE:
            skipped.append(SkippedArea(feature.key[:80], feature.name[:120], share))
        else:
            features.append(feature)
    if not features:
        raise AreaValidationError(
            [
                AreaProblem(
                    "nothing_inside",
                    f"Geen van de {len(read.features)} gebieden ligt in {hood.name}. Kies een bestand met "
                    "gebieden in deze buurt (in WGS84 of RD New).",
                )
            ]
        )
    problems = _duplicate_names(features)
    if problems:
        raise AreaValidationError(problems)
    cleaned = clean_features(features, outline, tolerance_m2=cfg["AREA_SNAP_TOLERANCE_M2"])
    if cleaned.problems:
        raise AreaValidationError(cleaned.problems)
    features = cleaned.features
    tiling = check_tiling(features, outline, gap_tolerance_m2=cfg["AREA_GAP_TOLERANCE_M2"])
    blocking = [p for p in tiling if p.code in BLOCKING_TILING]
    warnings = [p.message for p in tiling if p.code not in BLOCKING_TILING]
    if blocking:
        raise AreaValidationError(blocking)
    overlaps = other_neighbourhood_overlaps(hood, features, min_m2=cfg["AREA_SNAP_TOLERANCE_M2"])
    if overlaps:
        raise AreaValidationError(overlaps)

    groups = list(db.session.scalars(db.select(Group).filter_by(neighbourhood_id=hood.id).order_by(Group.sort_order)))
    known = _Groups(groups)
    _check_group_choices(choices, features, known, skipped)
    by_id = {g.id: g for g in groups}
    current = current_generation(hood)
    old_areas = list(current.areas) if current else []
    areas: list[PlannedArea] = []
    figures = household_figures(hood, features, old_areas)
    for feature, figure in zip(features, figures.per_area, strict=True):
        ref, why = _group_for(feature, known, choices.groups.get(feature.key), old_areas, by_id)
        areas.append(
            PlannedArea(
                key=feature.key[:80],
                name=_display_name(feature.name)[:120],
                group=ref,
                geometry=feature.geometry,
                households=figure.households,
                households_source=figure.source,
                area_m2=area_m2(feature.geometry),
                matched_by=why,
            )
        )
    notes = [read.crs.note(), _naming_note(read), *figures.notes]

    refs: dict[str, GroupRef] = {GroupRef(g.slug, g.name, g.id).ref: GroupRef(g.slug, g.name, g.id) for g in groups}
    refs.update({a.group.ref: a.group for a in areas})
    kept = {a.group.ref for a in areas}
    dropped = [GroupRef(g.slug, g.name, g.id) for g in groups if g.is_active and f"g{g.id}" not in kept]

    rows = db.session.execute(
        db.select(Resident.id, Resident.lat, Resident.lon, Resident.group_id, Resident.status, Resident.area_id).where(
            Resident.group_id.in_([g.id for g in groups]), Resident.status != ResidentStatus.REMOVED
        )
    ).all()
    located = [r for r in rows if r.lat is not None and r.lon is not None]
    without = len(rows) - len(located)
    index = AreaIndex([(i, a.geometry) for i, a in enumerate(areas)])
    positions = index.locate_many([r.lat for r in located], [r.lon for r in located]) if located else np.empty(0)
    moves: list[ResidentMove] = []
    outside: Counter[str] = Counter()
    assignment: dict[int, int] = {}
    between: Counter[str] = Counter()  # in no area before either: a nearest-group sign-up (issue 18)
    for row, position in zip(located, positions, strict=True):
        if position < 0:
            if row.area_id is None:  # lay between neighbourhoods already: keeps its group, untouched
                between[refs[f"g{row.group_id}"].name] += 1
                continue
            outside[refs[f"g{row.group_id}"].name] += 1
            continue
        assignment[row.id] = int(position)
        target = areas[int(position)].group.ref
        if target != f"g{row.group_id}":
            moves.append(ResidentMove(row.id, f"g{row.group_id}", target, ResidentStatus(row.status).value))
    if outside:
        per_group = ", ".join(f"{name}: {n}" for name, n in sorted(outside.items()))
        raise AreaValidationError(
            [
                AreaProblem(
                    "residents_outside",
                    f"{sum(outside.values())} aangemelde bewoner(s) zouden buiten alle nieuwe gebieden vallen "
                    f"({per_group}). Pas de gebieden aan zodat hun adressen erin liggen; er is niets veranderd.",
                )
            ]
        )
    dropped_ids = {d.id for d in dropped}
    stranded = Counter(
        refs[f"g{r.group_id}"].name
        for r in rows
        if r.group_id in dropped_ids and (r.lat is None or r.lon is None or r.id not in assignment)
    )
    warnings.extend(
        f"{n} bewoner(s) van {name} wonen buiten alle gebieden (tussen twee buurten, bij de dichtstbijzijnde "
        "groep aangemeld); ze houden hun groep."
        for name, n in sorted(between.items())
    )
    warnings.extend(
        f"{n} bewoner(s) zonder coördinaten of buiten alle gebieden in {name}, dat geen gebied meer krijgt; "
        "verplaats ze met de hand."
        for name, n in sorted(stranded.items())
    )
    number = (
        db.session.scalar(db.select(db.func.max(BoundaryGeneration.number)).filter_by(neighbourhood_id=hood.id)) or 0
    )
    return ImportPlan(
        neighbourhood_id=hood.id,
        neighbourhood_name=hood.name,
        source=source,
        areas=areas,
        groups=refs,
        moves=moves,
        residents_counted=len(located),
        without_coordinates=without,
        dropped=dropped,
        warnings=warnings,
        next_number=number + 1,
        assignment=assignment,
        skipped=skipped,
        notes=notes,
        max_move_share=float(cfg["AREA_IMPORT_MAX_MOVE_SHARE"]),
        fixes=cleaned.messages,
        choices=choices,
        name_property=read.name_property,
        key_property=read.key_property,
        options=read.options,
    )


def _naming_note(read: AreaFile) -> str:
    key = (
        "de naam"
        if read.key_property is None
        else "het id van elk object"
        if read.key_property == FEATURE_ID
        else f"'{read.key_property}'"
    )
    return f"Namen uit de eigenschap '{read.name_property}', sleutels uit {key}."


# --- applying -------------------------------------------------------------------------------------


class ProposalGone(LookupError):
    """The proposal was confirmed, discarded or expired meanwhile (pages answer 404)."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    generation_id: int
    number: int
    moved: int
    tasks: int
    new_groups: int
    plan: ImportPlan


def apply_import(
    data: bytes | str | dict,
    *,
    neighbourhood: Neighbourhood | None = None,
    source: str = "",
    note: str | None = None,
    user_id: int | None = None,
    max_bytes: int | None = None,
    generation: BoundaryGeneration | None = None,
    choices: ImportChoices | None = None,
    confirm_moves: bool = False,
) -> ImportResult:
    """Store the file as the new current boundary generation, in one transaction (all or nothing).

    ``generation``: a proposal of this neighbourhood that becomes the new generation itself (the
    first confirmation wins; ProposalGone when it was activated or deleted meanwhile).
    ``confirm_moves``: the explicit second "yes" a plan needs that moves more than
    AREA_IMPORT_MAX_MOVE_SHARE of the residents (without it: AreaValidationError, nothing changes).
    """
    from buurt import audit

    hood = required_neighbourhood(neighbourhood)
    plan = plan_import(data, neighbourhood=hood, source=source, max_bytes=max_bytes, choices=choices)
    if plan.needs_move_confirmation and not confirm_moves:
        raise AreaValidationError([plan.move_problem()])
    cfg = current_app.config
    try:
        groups = {g.id: g for g in db.session.scalars(db.select(Group).filter_by(neighbourhood_id=hood.id))}
        next_order = max((g.sort_order for g in groups.values()), default=-1) + 1
        created: dict[str, Group] = {}
        for ref in plan.new_groups:
            group = Group(
                neighbourhood_id=hood.id,
                slug=ref.slug,
                name=ref.name,
                capacity=cfg["DEFAULT_GROUP_CAPACITY"],
                sort_order=next_order,
                is_active=True,
            )
            next_order += 1
            db.session.add(group)
            created[ref.ref] = group
        db.session.flush()

        def group_of(ref: GroupRef) -> Group:
            return created[ref.ref] if ref.is_new else groups[ref.id]

        now = utcnow()
        if generation is not None:  # one conditional transition: only a proposal can be activated
            claimed = db.session.execute(
                update(BoundaryGeneration)
                .where(
                    BoundaryGeneration.id == generation.id,
                    BoundaryGeneration.activated_at.is_(None),
                    BoundaryGeneration.neighbourhood_id == hood.id,  # never another neighbourhood's proposal
                )
                .values(activated_at=now),
                execution_options={"synchronize_session": False},
            ).rowcount
            if claimed != 1:
                raise ProposalGone(generation.id)
        for old in db.session.scalars(
            db.select(BoundaryGeneration).filter_by(neighbourhood_id=hood.id, is_current=True)
        ):
            old.is_current = False
        if generation is None:
            generation = BoundaryGeneration(neighbourhood_id=hood.id)
            db.session.add(generation)
        generation.number = plan.next_number
        generation.is_current = True
        generation.document = None
        generation.note = note or None
        generation.source = (source or "import")[:200]
        generation.created_by_id = user_id
        generation.activated_at = now
        new_areas: list[Area] = []
        for order, planned in enumerate(plan.areas):
            area = Area(
                generation=generation,
                group_id=group_of(planned.group).id,
                key=planned.key,
                name=planned.name,
                geometry=json.loads(json.dumps(mapping(planned.geometry))),
                sort_order=order,
                households=planned.households,
                households_source=planned.households_source,
                area_m2=planned.area_m2,
            )
            db.session.add(area)
            new_areas.append(area)
        db.session.flush()
        for planned in plan.areas:
            group_of(planned.group).is_active = True
        for ref in plan.dropped:
            groups[ref.id].is_active = False

        # Reassign residents: group, area and border flags from the new index.
        index = AreaIndex([(a.id, shape(a.geometry)) for a in new_areas])
        area_group = {a.id: a.group_id for a in new_areas}
        moving = {m.resident_id: m for m in plan.moves}
        residents = list(db.session.scalars(db.select(Resident).where(Resident.id.in_(list(plan.assignment)))))
        updates = []
        tasks = 0
        for resident in residents:
            area_id = new_areas[plan.assignment[resident.id]].id
            border = index.border_info(resident.lat, resident.lon, margin_m=cfg["BORDER_MARGIN_M"])
            values = {
                "id": resident.id,
                "area_id": area_id,
                "group_id": area_group[area_id],
                "is_border": bool(border.is_border),
                "border_group_id": area_group[border.nearest_other_key] if border.is_border else None,
                "border_distance_m": border.distance_m,
            }
            move = moving.get(resident.id)
            if move is not None and resident.status == ResidentStatus.ADDED:
                # A member stays a member (status unchanged): the beheerders of both groups get a to-do.
                new_group_id = area_group[area_id]
                lifecycle.remove_from_whatsapp(
                    resident, resident.group_id, RemovalReason.NEW_BOUNDARIES, other_group_id=new_group_id
                )
                lifecycle.add_to_whatsapp(
                    resident, new_group_id, RemovalReason.NEW_BOUNDARIES, other_group_id=resident.group_id
                )
                tasks += 2
            updates.append(values)
        moved_in = {values["id"]: values["group_id"] for values in updates if values["id"] in moving}
        lock_seats(list(set(moved_in.values())))  # before anything changes in the groups residents move into
        if updates:
            db.session.execute(update(Resident), updates)
        waitlisted = _waitlist_over_cap(moved_in)
        audit.record(
            "areas.import",
            "boundary_generation",
            generation.id,
            number=generation.number,
            areas=len(new_areas),
            moved=len(plan.moves),
            new_groups=len(created),
            tasks=tasks,
            waitlisted=waitlisted,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "boundary generation %s (number %s) stored: %d areas, %d residents moved",
        generation.id,
        generation.number,
        len(plan.areas),
        len(plan.moves),
    )
    return ImportResult(generation.id, generation.number, len(plan.moves), tasks, len(created), plan)


def _waitlist_over_cap(moved_in: dict[int, int]) -> int:
    """Residents moved into a group that is now over its cap wait on its list, newest first.

    Members stay members (they are in the WhatsApp group already) and the group's own pending
    sign-ups keep their seats; pending sign-ups moved in by the new boundaries take the free seats
    in order of sign-up and the rest go on the waitlist, as a new sign-up would. Runs under the
    seat locks of those groups (taken by apply_import). Only confirmed sign-ups hold seats, so only
    they are moved to the waitlist; unconfirmed ones stay in the queue, holding none. Returns how
    many were waitlisted.
    """
    waitlisted = 0
    for group_id in sorted(set(moved_in.values())):
        over = _over_cap(group_id)
        if over <= 0:
            continue
        newest_first = db.session.scalars(
            db.select(Resident.id)
            .where(
                Resident.id.in_([rid for rid, gid in moved_in.items() if gid == group_id]),
                Resident.status == ResidentStatus.PENDING,
                Resident.email_confirmed_at.is_not(None),  # only confirmed ones hold a seat (Occupancy)
            )
            .order_by(Resident.created_at.desc(), Resident.id.desc())
            .limit(over)
        ).all()
        for resident_id in newest_first:
            if lifecycle.transition(resident_id, [ResidentStatus.PENDING], ResidentStatus.WAITLIST, in_group=group_id):
                waitlisted += 1
    return waitlisted


def _over_cap(group_id: int) -> int:
    """Seats taken beyond the cap (occupied - capacity). Without the areas cache: this transaction
    holds areas no other process has seen yet."""
    seats = occupancy_of(group_id, households={})
    return seats.occupied - seats.capacity
