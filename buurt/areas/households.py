"""How many households live in each area of a planned indeling (issue 17, point 3).

The preview and the stored areas must show the households of the areas *as they will be*, not a
number carried along in a file (an exported area kept "465 households" after it shrank from 6.6 to
4.5 ha). :func:`household_figures` works them out for the planned areas.

(Groundwork: this still holds the rules of before issue 17: the file's ``huishoudens`` or CBS
``huishoudens_<year>`` property, else the current areas' figures apportioned by surface.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import shapely
from shapely.geometry import shape

from buurt.geo.polygons import AreaFeature, to_rd_geometry
from buurt.models import Area, Neighbourhood

ESTIMATED = "geschat naar oppervlakte"
HOUSEHOLD_PROPERTY = "huishoudens"
_CBS_HOUSEHOLDS = re.compile(r"^huishoudens_(\d{4})$")


@dataclass(frozen=True, slots=True)
class HouseholdFigure:
    """Households in one planned area (None: unknown) and where the number comes from (Dutch, ≤ 80 chars)."""

    households: int | None
    source: str | None


@dataclass(slots=True)
class HouseholdFigures:
    per_area: list[HouseholdFigure]  # in the order of the features
    notes: list[str] = field(default_factory=list)  # Dutch sentences for the preview: which source was used


def household_figures(hood: Neighbourhood, features: list[AreaFeature], old_areas: list[Area]) -> HouseholdFigures:
    """The households of each planned area (same order as ``features``)."""
    per_area: list[HouseholdFigure] = []
    used: set[str] = set()
    for feature in features:
        found = _households(feature.properties)
        if found is not None:
            households, source, prop = found
            used.add(prop)
            per_area.append(HouseholdFigure(households, source))
        else:
            households = _estimate_households(feature.geometry, old_areas)
            per_area.append(HouseholdFigure(households, ESTIMATED if households is not None else None))
    notes = [f"Huishoudens uit de eigenschap {', '.join(sorted(used))}."] if used else []
    return HouseholdFigures(per_area, notes)


def _estimate_households(geometry, old_areas: list[Area]) -> int | None:
    known = [a for a in old_areas if a.households]
    if not known:
        return None
    rd = to_rd_geometry(geometry)
    total = 0.0
    for old in known:
        old_rd = to_rd_geometry(shape(old.geometry))
        if old_rd.area <= 0 or not rd.intersects(old_rd):
            continue
        total += old.households * shapely.intersection(rd, old_rd).area / old_rd.area
    return round(total)


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
