"""What can be wrong with an area file, as Dutch sentences a beheerder can act on.

Every problem says which area, what is wrong and where (as "lat, lon"). :class:`AreaProblem` is
one of them; :class:`AreaValidationError` carries all that were found. ``buurt.geo.polygons``
finds them (and re-exports both classes, the names callers use).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from buurt.exceptions import UserError
from buurt.geo.coords import NL_BOUNDS, looks_swapped

__all__ = [
    "AreaProblem",
    "AreaValidationError",
    "area_label",
    "coordinate_problem",
    "explain_invalid",
    "latlon_text",
    "m2_text",
    "number_text",
    "size_text",
]

_VALIDITY_RE = re.compile(r"^(?P<reason>[^\[]+?)\s*\[(?P<x>[-+0-9.eE]+)\s+(?P<y>[-+0-9.eE]+)\]$")
_VALIDITY_NL = {
    "Self-intersection": "zelfdoorsnijding: de rand kruist zichzelf (bijvoorbeeld een vlinderdas)",
    "Ring Self-intersection": "een ring raakt of kruist zichzelf",
    "Hole lies outside shell": "een gat ligt buiten de buitenrand",
    "Holes are nested": "een gat ligt in een ander gat",
    "Interior is disconnected": "het gebied valt in losse stukken uiteen door een gat",
    "Nested shells": "een deel van het multipolygoon ligt binnen een ander deel",
    "Duplicate Rings": "dezelfde ring komt twee keer voor",
    "Too few points in geometry component": "een ring heeft te weinig punten",
    "Invalid Coordinate": "een coördinaat is geen geldig getal",
    "Ring is not closed": "een ring is niet gesloten",
}


@dataclass(frozen=True, slots=True)
class AreaProblem:
    """One thing wrong with an area file; ``message`` is Dutch, ``code`` is for programs."""

    code: str
    message: str
    feature_index: int | None = None
    lat: float | None = None
    lon: float | None = None
    #: the place itself (GeoJSON geometry, lon/lat) when it has a surface: the preview map highlights it
    geometry: dict | None = None


class AreaValidationError(UserError, ValueError):
    """The area file cannot be used; ``problems`` lists every reason found.

    ``message`` is all problems as one Dutch text, one per line.
    """

    def __init__(self, problems: Sequence[AreaProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problem.message for problem in self.problems))


def latlon_text(lat: float, lon: float) -> str:
    """Where, as a person reads it: ``"52.21000, 4.42000"``."""
    return f"{lat:.5f}, {lon:.5f}"


def area_label(name: str | None, index: int) -> str:
    """``gebied 'Noord' (nr. 3)``, or ``gebied nr. 3`` without a name."""
    return f"gebied '{name}' (nr. {index + 1})" if name else f"gebied nr. {index + 1}"


def m2_text(surface: float) -> str:
    """A surface in Dutch notation: ``1.234`` (m²)."""
    return f"{surface:,.0f}".replace(",", ".")


def number_text(n: int) -> str:
    """A count in Dutch notation: ``80.017``."""
    return f"{n:,}".replace(",", ".")


def size_text(n_bytes: int) -> str:
    """A file size in Dutch notation: ``1,5 MB`` or ``12 kB``."""
    if n_bytes >= 1_000_000:
        return f"{n_bytes / 1_000_000:.1f} MB".replace(".", ",")
    return f"{max(1, round(n_bytes / 1000))} kB"


def explain_invalid(geom: shapely.Geometry) -> tuple[str, float | None, float | None]:
    """Dutch reason and (lat, lon) of the first invalidity shapely finds."""
    reason = shapely.is_valid_reason(geom)
    match = _VALIDITY_RE.match(reason or "")
    if match is None:
        return f"ongeldige vorm ({reason})", None, None
    english = match.group("reason").strip()
    lon, lat = float(match.group("x")), float(match.group("y"))
    dutch = _VALIDITY_NL.get(english, f"ongeldige vorm ({english})")
    return f"{dutch} bij {latlon_text(lat, lon)}", lat, lon


def coordinate_problem(geom: shapely.Geometry, label: str, index: int) -> AreaProblem | None:
    """Coordinates that are no numbers, lie outside the Netherlands or look lat/lon swapped."""
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return AreaProblem(
            "invalid_coordinates",
            f"In {label} staat een coördinaat die geen getal is.",
            index,
        )
    lon, lat = coords[:, 0], coords[:, 1]
    inside = (
        (lon >= NL_BOUNDS.min_lon)
        & (lon <= NL_BOUNDS.max_lon)
        & (lat >= NL_BOUNDS.min_lat)
        & (lat <= NL_BOUNDS.max_lat)
    )
    if inside.all():
        return None
    bad = int(np.argmin(inside))
    bad_lat, bad_lon = float(lat[bad]), float(lon[bad])
    if all(looks_swapped(float(y), float(x)) for x, y in coords):
        return AreaProblem(
            "swapped_coordinates",
            f"De coördinaten van {label} liggen buiten Nederland (bijvoorbeeld {latlon_text(bad_lat, bad_lon)}); "
            "ze lijken lat/lon verwisseld. GeoJSON gebruikt de volgorde [lengtegraad, breedtegraad], "
            "dus [4.42, 52.21] en niet [52.21, 4.42].",
            index,
            bad_lat,
            bad_lon,
        )
    return AreaProblem(
        "outside_netherlands",
        f"{label[0].upper()}{label[1:]} ligt (deels) buiten Nederland, bijvoorbeeld bij "
        f"{latlon_text(bad_lat, bad_lon)}. Gebruik WGS84-coördinaten (lengtegraad, breedtegraad).",
        index,
        bad_lat,
        bad_lon,
    )
