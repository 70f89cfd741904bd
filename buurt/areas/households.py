"""How many households live in each area of a planned indeling (issue 17, point 3).

The preview and the stored areas must show the households of the areas *as they will be*, not a
number carried along in a file (an exported area kept "465 households" after it shrank from 6.6 to
4.5 ha). :func:`household_figures` works them out for the planned areas, from the first of these
sources that can answer:

1. **the address register** (imported addresses only; an online geocoder's cached answers are
   somebody's lookup, not the register): used when it holds at least
   AREA_HOUSEHOLDS_REGISTER_MIN_SHARE of the neighbourhood's CBS households inside its outline
   (``Neighbourhood.households``, else the CBS figure of rule 2; without either there is nothing
   to measure the register's completeness against, and it is not used).
   Each planned area gets the number of register addresses in it (an address is a household; the
   BAG counts dwellings, CBS households, and the two agree within a few per cent in a Dutch buurt);
2. **CBS 2024 by surface**: the CBS buurten shipped in ``buurt/data`` (households from the
   Kerncijfers CSV), apportioned by the share of each buurt's surface (RD New m²) that lies in the
   area; used when those buurten cover the neighbourhood (Katwijk). Rounded with the largest
   remainder, so the areas add up to the neighbourhood total;
3. **the file's own property** ``huishoudens`` or CBS ``huishoudens_<year>``, for a place we have
   neither a register nor CBS figures for;
4. **the current areas' figures by surface** (the rule before issue 17).

The notes (Dutch sentences for the preview) say which source was used.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import shapely
from flask import current_app
from shapely.geometry import shape

from buurt.addresses.services import imported_only
from buurt.extensions import db
from buurt.geo.area_problems import number_text
from buurt.geo.index import AreaIndex
from buurt.geo.polygons import AreaFeature, to_rd_geometry
from buurt.models import Address, Area, Neighbourhood

log = logging.getLogger(__name__)

#: rule 4 (and the default areas' split buurt)
ESTIMATED = "geschat naar oppervlakte"
#: rule 1
REGISTER_SOURCE = "adresregister (adressen in het gebied)"
#: rule 2
CBS_SOURCE = "CBS 2024, naar oppervlakte"
HOUSEHOLD_PROPERTY = "huishoudens"
_CBS_HOUSEHOLDS = re.compile(r"^huishoudens_(\d{4})$")
#: the shipped CBS buurten must cover at least this share of the neighbourhood for rule 2
CBS_MIN_COVER = 0.95
#: a total this close to the neighbourhood's own CBS figure is rounded to add up to it exactly
TOTAL_MATCH_SHARE = 0.01
CBS_STATS_FILE = "katwijk_buurt_stats_2024.csv"
CBS_HOUSEHOLDS_COLUMN = "huishoudens_2024"


@dataclass(frozen=True, slots=True)
class HouseholdFigure:
    """Households in one planned area (None: unknown) and where the number comes from (Dutch, ≤ 80 chars)."""

    households: int | None
    source: str | None


@dataclass(slots=True)
class HouseholdFigures:
    per_area: list[HouseholdFigure]  # in the order of the features
    notes: list[str] = field(default_factory=list)  # Dutch sentences for the preview: which source was used
    rule: str = ""  # "register", "cbs", "file", "current" or "" (none known)


@dataclass(frozen=True, slots=True)
class CbsBuurt:
    code: str
    name: str
    households: int
    geometry_rd: shapely.Geometry  # RD New metres


def household_figures(hood: Neighbourhood, features: list[AreaFeature], old_areas: list[Area]) -> HouseholdFigures:
    """The households of each planned area (same order as ``features``)."""
    if not features:
        return HouseholdFigures([])
    outline = shape(hood.outline) if hood.outline else shapely.union_all([f.geometry for f in features])
    outline_rd = to_rd_geometry(outline)
    features_rd = [to_rd_geometry(f.geometry) for f in features]
    cbs = _cbs_for(outline_rd)
    cbs_total = _apportion_raw([outline_rd], cbs)[0] if cbs else None
    reference = hood.households or (round(cbs_total) if cbs_total else None)

    register = _register_counts(outline, features)
    if register is not None:
        inside, per_area = register
        share = current_app.config["AREA_HOUSEHOLDS_REGISTER_MIN_SHARE"]
        if reference and inside >= share * reference:
            note = (
                f"Huishoudens uit het adresregister: {number_text(inside)} adressen in {hood.name} "
                f"(CBS: {number_text(reference)} huishoudens); elk gebied telt de adressen die erin liggen."
            )
            return HouseholdFigures([HouseholdFigure(n, REGISTER_SOURCE) for n in per_area], [note], "register")
        register_note = (
            f"Het adresregister heeft {number_text(inside)} adressen in {hood.name}, minder dan "
            f"{round(share * 100)} % van de {number_text(reference)} huishoudens; daarom niet gebruikt."
            if reference and inside
            else None
        )
    else:
        register_note = None

    if cbs:
        raw = _apportion_raw(features_rd, cbs)
        total = sum(raw)
        if hood.households and abs(total - hood.households) <= TOTAL_MATCH_SHARE * hood.households:
            total = hood.households
        counts = largest_remainder(raw, round(total))
        names = ", ".join(b.name for b in cbs)
        note = (
            f"Huishoudens uit CBS 2024 ({names}), verdeeld naar het deel van elke CBS-buurt dat in het gebied "
            f"ligt; samen {number_text(sum(counts))}."
        )
        notes = [note, register_note] if register_note else [note]
        return HouseholdFigures([HouseholdFigure(n, CBS_SOURCE) for n in counts], notes, "cbs")

    per_area: list[HouseholdFigure] = []
    used: set[str] = set()
    from_file = [_households(f.properties) for f in features]
    if any(found is not None for found in from_file):
        for found in from_file:
            if found is None:
                per_area.append(HouseholdFigure(None, None))
            else:
                households, source, prop = found
                used.add(prop)
                per_area.append(HouseholdFigure(households, source))
        note = (
            f"Huishoudens uit de eigenschap {', '.join(sorted(used))} van het bestand "
            "(geen adresregister en geen CBS-cijfers voor deze plek)."
        )
        return HouseholdFigures(per_area, [n for n in (note, register_note) if n], "file")

    estimates = _estimate_households(features_rd, old_areas)
    if estimates is None:
        return HouseholdFigures([HouseholdFigure(None, None) for _ in features], [], "")
    note = "Huishoudens geschat naar oppervlakte uit de huidige gebieden (geen register, CBS-cijfers of eigenschap)."
    return HouseholdFigures(
        [HouseholdFigure(n, ESTIMATED) for n in estimates], [n for n in (note, register_note) if n], "current"
    )


def largest_remainder(raw: list[float], total: int) -> list[int]:
    """Integers near ``raw`` that add up to ``total`` (Hamilton's method: the largest fractions round up)."""
    if not raw:
        return []
    floors = [max(0, math.floor(x)) for x in raw]
    short = total - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - math.floor(raw[i])), i))
    if short >= 0:
        for i in order[:short]:
            floors[i] += 1
    else:  # only when total < the floors' sum (a total fixed from outside): take from the smallest fractions
        for i in reversed(order):
            if short == 0:
                break
            if floors[i] > 0:
                floors[i] -= 1
                short += 1
    return floors


# --- rule 1: the address register --------------------------------------------------------------------


def _register_counts(outline, features: list[AreaFeature]) -> tuple[int, list[int]] | None:
    """(imported addresses inside the outline, addresses per planned area), or None without any."""
    min_lon, min_lat, max_lon, max_lat = shapely.union_all([outline, *(f.geometry for f in features)]).bounds
    t = Address.__table__  # Core on the connection: no ORM row processing for thousands of rows
    rows = (
        db.session.connection()
        .execute(
            db.select(t.c.lat, t.c.lon).where(
                imported_only(), t.c.lat.between(min_lat, max_lat), t.c.lon.between(min_lon, max_lon)
            )
        )
        .all()
    )
    if not rows:
        return None
    lat, lon = np.array([tuple(r) for r in rows], dtype=float).T  # tuple(): numpy probes a Row's attributes
    prepared = shapely.from_wkb(shapely.to_wkb(outline))
    shapely.prepare(prepared)
    inside = int(shapely.intersects_xy(prepared, lon, lat).sum())
    index = AreaIndex([(i, f.geometry) for i, f in enumerate(features)])
    positions = index.locate_many(lat, lon)
    counts = np.bincount(positions[positions >= 0], minlength=len(features))
    return inside, [int(n) for n in counts[: len(features)]]


# --- rule 2: CBS buurten by surface ------------------------------------------------------------------


@cache
def cbs_households_by_code() -> dict[str, int | None]:
    """CBS 2024 households per shipped buurt (Kerncijfers CSV, else the GeoJSON's figure); None where
    CBS leaves a tiny buurt blank (privacy). Read once."""
    from buurt.areas.services import DATA, gemeente_buurten

    with (DATA / CBS_STATS_FILE).open(encoding="utf-8", newline="") as f:
        stats = {row["buurtcode"]: row.get(CBS_HOUSEHOLDS_COLUMN, "") for row in csv.DictReader(f)}
    counts: dict[str, int | None] = {}
    for feature in gemeente_buurten():
        p = feature["properties"]
        raw = stats.get(p["buurtcode"]) or p.get(CBS_HOUSEHOLDS_COLUMN)
        try:
            counts[p["buurtcode"]] = int(raw)
        except (TypeError, ValueError):
            counts[p["buurtcode"]] = None
    return counts


@cache
def cbs_buurten() -> tuple[CbsBuurt, ...]:
    """The shipped CBS buurten (RD New) with their households (Kerncijfers 2024); read once."""
    from buurt.areas.services import gemeente_buurten

    counts = cbs_households_by_code()
    result = []
    for feature in gemeente_buurten():
        p = feature["properties"]
        households = counts[p["buurtcode"]]
        if households is None:
            continue  # CBS leaves tiny buurten blank (privacy): no figure to apportion
        geometry = to_rd_geometry(shape(feature["geometry"]))
        if geometry.area > 0:
            result.append(CbsBuurt(p["buurtcode"], p["buurtnaam"], households, geometry))
    return tuple(result)


def _cbs_for(outline_rd) -> list[CbsBuurt]:
    """The CBS buurten that overlap the neighbourhood, when together they cover it; else []."""
    if outline_rd.area <= 0:
        return []
    found = [b for b in cbs_buurten() if b.geometry_rd.intersects(outline_rd)]
    found = [b for b in found if shapely.intersection(b.geometry_rd, outline_rd).area > 1.0]
    if not found:
        return []
    covered = shapely.intersection(shapely.union_all([b.geometry_rd for b in found]), outline_rd).area
    return found if covered >= CBS_MIN_COVER * outline_rd.area else []


def _apportion_raw(geometries_rd: list, buurten: list[CbsBuurt]) -> list[float]:
    """households(area) = Σ hh(buurt) · |area ∩ buurt| / |buurt|, unrounded."""
    result = []
    for geometry in geometries_rd:
        total = 0.0
        for b in buurten:
            if geometry.intersects(b.geometry_rd):
                total += b.households * shapely.intersection(geometry, b.geometry_rd).area / b.geometry_rd.area
        result.append(total)
    return result


# --- rules 3 and 4 -----------------------------------------------------------------------------------


def _estimate_households(features_rd: list, old_areas: list[Area]) -> list[int] | None:
    known = [a for a in old_areas if a.households]
    if not known:
        return None
    olds = [(to_rd_geometry(shape(a.geometry)), a.households) for a in known]
    raw = []
    for rd in features_rd:
        total = 0.0
        for old_rd, households in olds:
            if old_rd.area > 0 and rd.intersects(old_rd):
                total += households * shapely.intersection(rd, old_rd).area / old_rd.area
        raw.append(total)
    return largest_remainder(raw, round(sum(raw)))


def _households(props: dict) -> tuple[int, str, str] | None:
    """(households, source, property) from ``huishoudens`` or the newest CBS ``huishoudens_<year>``."""
    cbs = sorted((p for p in props if isinstance(p, str) and _CBS_HOUSEHOLDS.match(p)), reverse=True)
    candidates = [HOUSEHOLD_PROPERTY, *cbs]
    for name in candidates:
        raw = props.get(name)
        if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 <= raw < 10**7:
            source = props.get("huishoudens_bron") if name == HOUSEHOLD_PROPERTY else None
            return int(raw), str(source or f"bestand ({name})")[:80], name
    return None
