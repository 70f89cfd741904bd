"""Forgiving uploads (issue 17, point 2): small overlaps and gaps between neighbours resolved, large ones shown.

An area file edited polygon by polygon (geojson.io, QGIS) rarely tiles exactly: a moved vertex
opens a sliver on one side of a shared edge and an overlap on the other, and a corner shared by
three areas is a T-junction in one of them. :func:`clean_features` hands the areas to
:func:`buurt.geo.topology.clean_coverage`, which gives every overlap, gap or uncovered strip of
at most ``tolerance_m2`` (AREA_SNAP_TOLERANCE_M2) to the neighbour it shares the longest border
with, and reports each such fix ("rechtgetrokken"); larger pieces come back as problems with
their place and shape, so the preview can show them on a map. A piece of an area outside the
outline is no problem here: small ones are cut off, larger ones stay a warning of check_tiling.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field

from shapely.geometry import mapping

from buurt.geo.area_problems import latlon_text, m2_text
from buurt.geo.polygons import AreaFeature, AreaProblem, area_m2, find_overlaps
from buurt.geo.topology import Fix, clean_coverage

log = logging.getLogger(__name__)

#: Fixes smaller than this (m²) are rounding (a GIS's snapping, coordinates cut to fewer decimals): they
#: are counted in one sentence instead of one sentence each. (Slivers thinner than 1 cm are not even
#: fixes: buurt.geo.topology resolves that noise without a word.)
ROUNDING_M2 = 1.0
#: When cleaning fails (a geometry engine error, "clean_failed"), overlaps above this (m²) are refused,
#: as before cleaning existed; gaps are checked by check_tiling as always.
FALLBACK_OVERLAP_M2 = 1.0
#: Problems of clean_coverage that stop an import (and are shown on the preview's map); the rest
#: ("outside_outline") stay warnings of check_tiling, as before.
BLOCKING = frozenset({"overlap", "gap", "uncovered"})


@dataclass(slots=True)
class CleanedFeatures:
    features: list[AreaFeature]  # same keys, names, properties and order; geometries cleaned
    messages: list[str] = field(default_factory=list)  # one Dutch sentence per fix ("rechtgetrokken")
    problems: list[AreaProblem] = field(default_factory=list)  # too large to fix: shown on a map
    fixes: list[Fix] = field(default_factory=list)  # what the messages say, for programs (tests, benchmarks)


def clean_features(features: list[AreaFeature], outline, *, tolerance_m2: float) -> CleanedFeatures:
    """The areas as one exact coverage of ``outline``, or the problems that stand in the way.

    ``features`` in file order (ties go to the first); ``outline`` (shapely, lon/lat) or None.
    """
    if not features:
        return CleanedFeatures([])
    names = {feature.key: feature.name for feature in features}
    cleaned = clean_coverage(
        {feature.key: feature.geometry for feature in features},
        outline,
        tolerance_m2=float(tolerance_m2),
        order=[feature.key for feature in features],
        names=names,
    )
    if any(problem.code == "clean_failed" for problem in cleaned.problems):
        # the geometry engine gave up: the areas as they are, checked as before cleaning existed
        log.warning("cleaning failed for %d areas; overlaps checked as uploaded", len(features))
        return CleanedFeatures(list(features), problems=find_overlaps(features, tolerance_m2=FALLBACK_OVERLAP_M2))
    problems = [problem for problem in cleaned.problems if problem.code in BLOCKING]
    out: list[AreaFeature] = []
    for index, feature in enumerate(features):
        geometry = cleaned.geometries.get(feature.key, feature.geometry)
        if geometry is None or geometry.is_empty:
            problems.append(_swallowed(feature, index))
            geometry = feature.geometry
        out.append(dataclasses.replace(feature, geometry=geometry))
    return CleanedFeatures(out, fix_messages(cleaned.fixes, names), problems, list(cleaned.fixes))


def fix_messages(fixes: list[Fix], names: dict[str, str]) -> list[str]:
    """One Dutch sentence per fix of ROUNDING_M2 or more, largest first; the rounding ones counted in one."""
    shown = sorted((fix for fix in fixes if fix.area_m2 >= ROUNDING_M2), key=lambda fix: -fix.area_m2)
    messages = [fix.message(names) for fix in shown]
    rounding = len(fixes) - len(shown)
    if rounding == 1:
        messages.append(f"Rechtgetrokken: één afrondingsverschil van minder dan {m2_text(ROUNDING_M2)} m².")
    elif rounding > 1:
        messages.append(
            f"Rechtgetrokken: {rounding} afrondingsverschillen van elk minder dan {m2_text(ROUNDING_M2)} m²."
        )
    return messages


def _swallowed(feature: AreaFeature, index: int) -> AreaProblem:
    """An area that would vanish in the cleaning (it lies wholly in overlaps small enough to give away)."""
    point = feature.geometry.representative_point()
    lat, lon = float(point.y), float(point.x)
    return AreaProblem(
        "overlap",
        f"Gebied '{feature.name}' ({m2_text(area_m2(feature.geometry))} m², bij {latlon_text(lat, lon)}) ligt "
        "helemaal in andere gebieden. Haal het weg uit het bestand of maak de andere gebieden kleiner.",
        index,
        lat,
        lon,
        json.loads(json.dumps(mapping(feature.geometry))),
    )
