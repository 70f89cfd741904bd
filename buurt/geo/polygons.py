"""Parse, validate and normalise GeoJSON areas (group areas, buurten, outlines).

Geometry is validated before anyone stores it: every problem found is collected into one
:class:`AreaValidationError` whose :class:`AreaProblem` messages are Dutch sentences that say
which area, what is wrong and where (as "lat, lon"), so a beheerder can fix the file (both
classes and the wording live in ``buurt.geo.area_problems``; import them from here).
Also here: overlaps and gaps between areas (:func:`find_overlaps`, :func:`check_tiling`) and
GeoJSON output. Surfaces are computed in RD New (m²).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from buurt.geo.area_problems import (
    AreaProblem,
    AreaValidationError,
    area_label,
    coordinate_problem,
    explain_invalid,
    latlon_text,
    m2_text,
    number_text,
    size_text,
)
from buurt.geo.coords import NL_BOUNDS, rd_transform, wgs84_transform

__all__ = [
    "AreaFeature",
    "AreaProblem",
    "AreaValidationError",
    "SourceCrs",
    "area_m2",
    "check_tiling",
    "find_overlaps",
    "json_depth",
    "load_json",
    "parse_area_collection",
    "source_crs",
    "to_feature_collection",
    "to_rd_geometry",
]

Area = Polygon | MultiPolygon

DEFAULT_MAX_BYTES = 5_000_000
# Caps that keep checking an upload within a second or two (see parse_area_collection). The real
# Rijnsoever areas have 27 vertices in all, the 42 CBS buurten of Katwijk 278; the overlays of
# check_tiling grow faster than linearly (80,000 vertices: 34 s, 20,000: ~2 s).
DEFAULT_MAX_FEATURES = 200
DEFAULT_MAX_VERTICES = 20_000
DEFAULT_MAX_VERTICES_PER_AREA = 5_000
#: Area GeoJSON is 8 levels deep (collection, features, feature, geometry, polygons, rings, points,
#: numbers) plus whatever properties hold; json.loads recurses once per level, so deeper is refused
#: before parsing (10,000 levels were a RecursionError, a 500).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: Overlays in check_tiling snap to this grid (degrees, about 1 cm) so float noise such as
#: 52.20 + 0.02 != 52.22 does not turn a gap into a hairline channel.
GRID_DEG = 1e-7


@dataclass(frozen=True, slots=True)
class AreaFeature:
    """One area: a stable ``key``, a display ``name``, a WGS84 (lon/lat) polygonal geometry."""

    key: str
    name: str
    geometry: Area
    properties: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Helpers


def to_rd_geometry(geom: shapely.Geometry) -> shapely.Geometry:
    """A new geometry in RD New metres from a WGS84 (lon/lat) one."""
    return shapely.transform(geom, rd_transform)


def area_m2(geom: shapely.Geometry) -> float:
    """Surface in m², computed in RD New."""
    return float(shapely.area(to_rd_geometry(geom)))


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, without parsing it (linear, no recursion)."""
    brackets = np.frombuffer(_JSON_STRING.sub(b"", raw), dtype=np.uint8)
    steps = np.isin(brackets, (ord("["), ord("{"))).astype(np.int64) - np.isin(brackets, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def load_json(data: Mapping[str, Any] | str | bytes, max_bytes: int) -> Any:
    """The parsed JSON; AreaValidationError when it is too large, too deeply nested or no JSON."""
    if isinstance(data, Mapping):
        return data
    raw = data if isinstance(data, bytes) else data.encode("utf-8", errors="surrogatepass")
    size = len(raw)
    if size > max_bytes:
        raise AreaValidationError(
            [
                AreaProblem(
                    "too_large",
                    f"Het bestand is te groot ({size_text(size)}); "
                    f"het mag hoogstens {size_text(max_bytes)} zijn. "
                    "Vereenvoudig de vormen of splits het bestand.",
                )
            ]
        )
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise AreaValidationError([_too_deep()])
    try:
        return json.loads(data)
    except RecursionError:  # not reached after the depth check; kept so no input can make a 500
        raise AreaValidationError([_too_deep()]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = f" (regel {exc.lineno}, kolom {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise AreaValidationError(
            [
                AreaProblem(
                    "not_json",
                    f"Het bestand is geen geldige GeoJSON (geen JSON){position}.",
                )
            ]
        ) from None


def _too_deep() -> AreaProblem:
    return AreaProblem(
        "too_deep",
        f"Het bestand is geen bruikbare GeoJSON: de gegevens zijn meer dan {MAX_JSON_DEPTH} niveaus diep genest. "
        "Exporteer de gebieden opnieuw als GeoJSON (bijvoorbeeld uit QGIS of geojson.io).",
    )


def _vertex_count(geometry_json: Any) -> int:
    """Positions in a Polygon/MultiPolygon's coordinates, counted on the JSON (0 when malformed: shape() says why)."""
    if not isinstance(geometry_json, Mapping):
        return 0
    coordinates = geometry_json.get("coordinates")
    kind = geometry_json.get("type")
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    if not isinstance(polygons, list):
        return 0
    return sum(
        len(ring) for polygon in polygons if isinstance(polygon, list) for ring in polygon if isinstance(ring, list)
    )


def _size_problems(
    features: list[Any], *, name_property: str, max_features: int, max_vertices: int, max_vertices_per_area: int
) -> list[AreaProblem]:
    """Caps checked on the JSON before any geometry is built: number of areas, vertices per area and in all."""
    if len(features) > max_features:
        return [
            AreaProblem(
                "too_many_features",
                f"Het bestand bevat {number_text(len(features))} gebieden; er mogen hoogstens "
                f"{number_text(max_features)} in één bestand. Voeg gebieden samen of splits het bestand.",
            )
        ]
    simplify = (
        "Vereenvoudig de randen (bijvoorbeeld in QGIS met Vector > Geometrie > Vereenvoudigen, of op mapshaper.org)."
    )
    problems: list[AreaProblem] = []
    total = 0
    for index, feature in enumerate(features):
        count = _vertex_count(feature.get("geometry")) if isinstance(feature, Mapping) else 0
        total += count
        if count > max_vertices_per_area:
            properties = feature.get("properties")
            name = properties.get(name_property) if isinstance(properties, Mapping) else None
            label = area_label(str(name).strip()[:120] if name is not None else "", index)
            problems.append(
                AreaProblem(
                    "too_many_vertices_area",
                    f"{label[0].upper()}{label[1:]} heeft {number_text(count)} hoekpunten; een gebied mag er "
                    f"hoogstens {number_text(max_vertices_per_area)} hebben. {simplify}",
                    index,
                )
            )
    if total > max_vertices:
        problems.append(
            AreaProblem(
                "too_many_vertices",
                f"De gebieden hebben samen {number_text(total)} hoekpunten; er mogen er hoogstens "
                f"{number_text(max_vertices)} zijn. {simplify}",
            )
        )
    return problems


def _features(document: Any) -> list[Any]:
    if isinstance(document, Mapping) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if isinstance(features, list):
            return features
    elif isinstance(document, Mapping) and document.get("type") == "Feature":
        return [document]
    raise AreaValidationError(
        [
            AreaProblem(
                "not_feature_collection",
                "Het bestand is geen GeoJSON FeatureCollection (of losse Feature) met gebieden.",
            )
        ]
    )


# ---------------------------------------------------------------------------------------------
# Coordinate reference system of a file
#
# CBS and PDOK publish boundaries in RD New (EPSG:28992, metres); GeoJSON (RFC 7946) and buurt
# itself use WGS84 lon/lat. A file says which one it uses with the old GeoJSON ``crs`` member
# (PDOK's WFS writes ``{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}``)
# or says nothing; then the numbers tell, because the two ranges in the Netherlands cannot be
# confused: RD x 0–300,000 and y 300,000–625,000 m, WGS84 lon 3–7.3 and lat 50.7–53.6 degrees.

WGS84_EPSG = 4326
RD_EPSG = 28992
#: RD New's valid area (x min, x max, y min, y max), metres
RD_RANGE = (0.0, 300_000.0, 300_000.0, 625_000.0)
#: WGS84 around the Netherlands (lon min, lon max, lat min, lat max), degrees: coords.NL_BOUNDS
WGS84_RANGE = (NL_BOUNDS.min_lon, NL_BOUNDS.max_lon, NL_BOUNDS.min_lat, NL_BOUNDS.max_lat)
_CRS_NAMES = {RD_EPSG: "RD New (EPSG:28992)", WGS84_EPSG: "WGS84 (EPSG:4326)"}
#: EPSG:28992, urn:ogc:def:crs:EPSG::28992, urn:ogc:def:crs:EPSG:6.3:28992, http://www.opengis.net/def/crs/EPSG/0/28992
_EPSG_CODE = re.compile(r"EPSG(?::{1,2}(?:[0-9.]*:)?|/[0-9.]+/)(\d{3,6})$", re.IGNORECASE)
_CRS84 = re.compile(r"(^|:)CRS:?84$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SourceCrs:
    """The coordinate system a file's coordinates are in: ``epsg`` 4326 or 28992.

    ``declared``: read from the file's ``crs`` member; otherwise recognised by the numbers.
    """

    epsg: int
    declared: bool

    @property
    def is_rd(self) -> bool:
        return self.epsg == RD_EPSG

    def note(self) -> str:
        """One Dutch sentence for the preview: which system was assumed and why."""
        name = _CRS_NAMES[self.epsg]
        how = "" if self.declared else ", herkend aan de getallen"
        if self.is_rd:
            return f"Coördinaten in {name}{how}; omgerekend naar WGS84."
        return f"Coördinaten in {name}{how}."


def _declared_epsg(crs: Any) -> int | str | None:
    """EPSG code of a GeoJSON ``crs`` member (4326 for CRS84); the text itself when unknown, None when absent."""
    if crs is None:
        return None
    if isinstance(crs, str):
        text = crs
    elif isinstance(crs, Mapping) and isinstance(crs.get("properties"), Mapping):
        props = crs["properties"]
        if crs.get("type") == "EPSG" and isinstance(props.get("code"), int | str):
            text = f"EPSG:{props['code']}"
        else:
            text = str(props.get("name") or props.get("href") or "")
    else:
        text = ""
    text = text.strip()[:100]
    if _CRS84.search(text):
        return WGS84_EPSG
    match = _EPSG_CODE.search(text)
    if match:
        return int(match.group(1))
    return text or "?"


def _positions(document: Any) -> np.ndarray:
    """Every (x, y) of the Polygon/MultiPolygon geometries, as an (n, 2) float array (malformed parts skipped)."""
    xy: list[tuple[float, float]] = []
    for feature in _features(document):
        geometry = feature.get("geometry") if isinstance(feature, Mapping) else None
        if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        stack = [geometry.get("coordinates")]
        while stack:
            item = stack.pop()
            if not isinstance(item, list) or not item:
                continue
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in item[:2]) and len(item) >= 2:
                xy.append((float(item[0]), float(item[1])))
            else:
                stack.extend(item)
    return np.array(xy, dtype=np.float64).reshape(-1, 2)


def _within(xy: np.ndarray, ranges: tuple[float, float, float, float]) -> bool:
    x_min, x_max, y_min, y_max = ranges
    x, y = xy[:, 0], xy[:, 1]
    return bool(len(xy) and ((x >= x_min) & (x <= x_max) & (y >= y_min) & (y <= y_max)).all())


def source_crs(document: Any) -> SourceCrs:
    """Which coordinate system the (parsed) GeoJSON uses: its ``crs`` member, else the numbers.

    Without a ``crs`` member, coordinates that all lie in RD New's range are RD; anything else is
    taken as WGS84 (the coordinate checks of :func:`parse_area_collection` then say what is off).
    AreaValidationError when the member names another system, or one the numbers contradict.
    """
    declared = _declared_epsg(document.get("crs")) if isinstance(document, Mapping) else None
    xy = _positions(document)
    xy = xy[np.isfinite(xy).all(axis=1)]
    looks_rd = _within(xy, RD_RANGE)
    if declared is None:
        return SourceCrs(RD_EPSG if looks_rd else WGS84_EPSG, declared=False)
    if declared not in _CRS_NAMES:
        raise AreaValidationError(
            [
                AreaProblem(
                    "unsupported_crs",
                    f"Het bestand gebruikt het coördinatenstelsel '{declared}'; buurt leest alleen WGS84 "
                    "(EPSG:4326) en RD New (EPSG:28992). Sla het bestand opnieuw op in een van die twee "
                    "(bijvoorbeeld in QGIS met Exporteren > Objecten opslaan als, CRS EPSG:4326).",
                )
            ]
        )
    other = WGS84_EPSG if declared == RD_EPSG else RD_EPSG
    if len(xy) and _within(xy, RD_RANGE if other == RD_EPSG else WGS84_RANGE):
        raise AreaValidationError(
            [
                AreaProblem(
                    "crs_mismatch",
                    f"Volgens het bestand zijn de coördinaten in {_CRS_NAMES[declared]}, maar de getallen passen "
                    f"bij {_CRS_NAMES[other]}. Verbeter of verwijder het onderdeel 'crs' en upload het opnieuw.",
                )
            ]
        )
    return SourceCrs(int(declared), declared=True)


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_area_collection(
    data: Mapping[str, Any] | str | bytes,
    *,
    name_property: str = "naam",
    key_property: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    overlap_tolerance_m2: float | None = 1.0,
    max_features: int = DEFAULT_MAX_FEATURES,
    max_vertices: int = DEFAULT_MAX_VERTICES,
    max_vertices_per_area: int = DEFAULT_MAX_VERTICES_PER_AREA,
    crs: SourceCrs | None = None,
    unique_names: bool = True,
) -> list[AreaFeature]:
    """Read a GeoJSON FeatureCollection (or one Feature) of Polygon/MultiPolygon areas.

    ``key`` comes from ``properties[key_property]`` when given, else the feature ``id``, else
    the name. Geometries are made 2D and oriented (exterior counter-clockwise, RFC 7946).
    Raises :class:`AreaValidationError` listing every problem: not JSON, too large (only checked
    for ``str``/``bytes`` input), not a FeatureCollection, no areas, missing or duplicate names
    and keys, non-polygon or empty geometry, invalid geometry (with the place), coordinates
    outside the Netherlands (with a hint when lat/lon look swapped) and overlaps above
    ``overlap_tolerance_m2`` (gaps are checked separately by :func:`check_tiling`). With
    ``overlap_tolerance_m2=None`` overlaps are left to the caller: an upload is cleaned first
    (``buurt.areas.cleaning``: small overlaps resolved, large ones shown on a map).
    Before any of that, on the JSON itself: nesting depth, ``max_features`` areas,
    ``max_vertices_per_area`` and ``max_vertices`` in all, so the checks stay cheap.
    Coordinates in RD New are turned into WGS84 first (``crs``, default: :func:`source_crs`).
    ``unique_names=False`` leaves duplicate names to the caller (a municipality's buurten may share
    a name; only the areas it keeps need distinct ones).
    """
    document = load_json(data, max_bytes)
    features = _features(document)
    if not features:
        raise AreaValidationError([AreaProblem("no_features", "Het bestand bevat geen gebieden.")])
    too_large = _size_problems(
        features,
        name_property=name_property,
        max_features=max_features,
        max_vertices=max_vertices,
        max_vertices_per_area=max_vertices_per_area,
    )
    if too_large:
        raise AreaValidationError(too_large)
    if crs is None:
        crs = source_crs(document)

    problems: list[AreaProblem] = []
    areas: list[AreaFeature] = []
    names_seen: dict[str, int] = {}
    keys_seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.append(
                AreaProblem(
                    "not_a_feature",
                    f"Onderdeel nr. {index + 1} is geen GeoJSON Feature.",
                    index,
                )
            )
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, Mapping):
            properties = {}
        raw_name = properties.get(name_property)
        name = str(raw_name).strip() if raw_name is not None else ""
        label = area_label(name, index)
        if not name:
            problems.append(
                AreaProblem(
                    "missing_name",
                    f"Gebied nr. {index + 1} heeft geen naam (eigenschap '{name_property}').",
                    index,
                )
            )
        elif unique_names and name.casefold() in names_seen:
            first = names_seen[name.casefold()]
            problems.append(
                AreaProblem(
                    "duplicate_name",
                    f"De naam '{name}' komt twee keer voor: gebied nr. {first + 1} en nr. {index + 1}. "
                    "Geef elk gebied een eigen naam.",
                    index,
                )
            )
        else:
            names_seen[name.casefold()] = index

        raw_key = properties.get(key_property) if key_property is not None else feature.get("id", name)
        key = str(raw_key).strip() if raw_key is not None else ""
        if key_property is not None and not key:
            problems.append(
                AreaProblem(
                    "missing_key",
                    f"{label[0].upper()}{label[1:]} mist de eigenschap '{key_property}'.",
                    index,
                )
            )
        elif key and key in keys_seen:
            problems.append(
                AreaProblem(
                    "duplicate_key",
                    f"De sleutel '{key}' komt twee keer voor: gebied nr. {keys_seen[key] + 1} en nr. {index + 1}.",
                    index,
                )
            )
        elif key:
            keys_seen[key] = index

        geometry_json = feature.get("geometry")
        geometry_type = geometry_json.get("type") if isinstance(geometry_json, Mapping) else None
        if geometry_type not in ("Polygon", "MultiPolygon"):
            shown = geometry_type or "geen geometrie"
            problems.append(
                AreaProblem(
                    "geometry_type",
                    f"{label[0].upper()}{label[1:]} is een {shown}; "
                    "alleen Polygon en MultiPolygon kunnen een gebied zijn.",
                    index,
                )
            )
            continue
        try:
            geom = shape(geometry_json)
        except (
            ValueError,
            TypeError,
            IndexError,
            KeyError,
            AttributeError,
            ShapelyError,
        ):
            problems.append(
                AreaProblem(
                    "invalid_coordinates",
                    f"De coördinaten van {label} zijn niet goed opgebouwd "
                    "(ringen van [lengtegraad, breedtegraad]-paren).",
                    index,
                )
            )
            continue
        if geom.is_empty:
            problems.append(AreaProblem("empty", f"{label[0].upper()}{label[1:]} is leeg.", index))
            continue
        geom = shapely.force_2d(geom)
        if crs.is_rd:
            geom = shapely.transform(geom, wgs84_transform)
        wrong_coordinates = coordinate_problem(geom, label, index)
        if wrong_coordinates is not None:
            problems.append(wrong_coordinates)
            continue
        if not shapely.is_valid(geom):
            reason, lat, lon = explain_invalid(geom)
            problems.append(
                AreaProblem(
                    "invalid_geometry",
                    f"De vorm van {label} is ongeldig: {reason}. Teken de rand opnieuw zonder kruisingen.",
                    index,
                    lat,
                    lon,
                )
            )
            continue
        geom = shapely.orient_polygons(geom)
        areas.append(AreaFeature(key=key or name, name=name, geometry=geom, properties=dict(properties)))

    if not problems and overlap_tolerance_m2 is not None:
        problems.extend(find_overlaps(areas, tolerance_m2=overlap_tolerance_m2))
    if problems:
        raise AreaValidationError(problems)
    return areas


def find_overlaps(areas: Sequence[AreaFeature], *, tolerance_m2: float = 1.0) -> list[AreaProblem]:
    """Pairs of areas that overlap by more than ``tolerance_m2`` (m², measured in RD New).

    The overlay itself is done in lon/lat, the space the point lookup works in.
    """
    geoms = [area.geometry for area in areas]
    if len(geoms) < 2:
        return []
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = sorted({(int(a), int(b)) for a, b in zip(left, right, strict=True) if a < b})
    problems: list[AreaProblem] = []
    for i, j in pairs:
        overlap = shapely.intersection(geoms[i], geoms[j])
        surface = area_m2(overlap)
        if surface <= tolerance_m2:
            continue
        lat, lon = _representative_latlon(overlap)
        problems.append(
            AreaProblem(
                "overlap",
                f"De gebieden '{areas[i].name}' en '{areas[j].name}' overlappen elkaar "
                f"over {m2_text(surface)} m² (bij {latlon_text(lat, lon)}). Een adres mag maar in "
                "één gebied liggen.",
                i,
                lat,
                lon,
            )
        )
    return problems


def _representative_latlon(geom: shapely.Geometry) -> tuple[float, float]:
    point = shapely.point_on_surface(geom)
    return float(point.y), float(point.x)


def _polygon_parts(geom: shapely.Geometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    if isinstance(geom, shapely.GeometryCollection):
        return [part for sub in geom.geoms for part in _polygon_parts(sub)]
    return []


def check_tiling(
    areas: Sequence[AreaFeature],
    outline: shapely.Geometry | None = None,
    gap_tolerance_m2: float = 1.0,
) -> list[AreaProblem]:
    """Gaps in a set of areas that should tile a neighbourhood; an empty list means it tiles.

    * ``gap``: a hole in the union of the areas (an island no area covers; a deliberate
      hole in one area that no other area fills counts too: nobody there gets a group);
    * with ``outline`` (WGS84 lon/lat, e.g. the buurt boundary): ``uncovered`` for parts
      of the outline along its edge that no area covers, and ``outside_outline`` for area
      parts that stick out of it.

    Overlays are done in lon/lat (like the point lookup); pieces of at most
    ``gap_tolerance_m2`` (m², RD New) are ignored as rounding slivers. Overlaps are
    reported by :func:`find_overlaps`.
    """
    if not areas:
        return [AreaProblem("no_features", "Er zijn geen gebieden.")]
    problems: list[AreaProblem] = []
    union = shapely.union_all([area.geometry for area in areas], grid_size=GRID_DEG)
    shells = []
    for part in _polygon_parts(union):
        shells.append(Polygon(part.exterior))
        for ring in part.interiors:
            hole = Polygon(ring)
            surface = area_m2(hole)
            if surface <= gap_tolerance_m2:
                continue
            lat, lon = _representative_latlon(hole)
            problems.append(
                AreaProblem(
                    "gap",
                    f"Tussen de gebieden ligt een gat van {m2_text(surface)} m² "
                    f"(bij {latlon_text(lat, lon)}) dat bij geen enkel gebied hoort.",
                    None,
                    lat,
                    lon,
                )
            )
    if outline is None:
        return problems
    filled = shapely.union_all(shells, grid_size=GRID_DEG)
    uncovered = shapely.difference(outline, filled, grid_size=GRID_DEG)
    for part in _polygon_parts(uncovered):
        surface = area_m2(part)
        if surface <= gap_tolerance_m2:
            continue
        lat, lon = _representative_latlon(part)
        problems.append(
            AreaProblem(
                "uncovered",
                f"Een deel van de buurt ({m2_text(surface)} m², bij {latlon_text(lat, lon)}) "
                "valt in geen enkel gebied.",
                None,
                lat,
                lon,
            )
        )
    for index, area in enumerate(areas):
        outside = shapely.difference(area.geometry, outline, grid_size=GRID_DEG)
        surface = area_m2(outside)
        if surface <= gap_tolerance_m2:
            continue
        lat, lon = _representative_latlon(outside)
        problems.append(
            AreaProblem(
                "outside_outline",
                f"Gebied '{area.name}' steekt {m2_text(surface)} m² buiten de buurtgrens uit "
                f"(bij {latlon_text(lat, lon)}).",
                index,
                lat,
                lon,
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Output


def to_feature_collection(
    areas: Sequence[AreaFeature], *, name_property: str = "naam", decimals: int = 6
) -> dict[str, Any]:
    """GeoJSON FeatureCollection (lon/lat, ``decimals`` decimals: 6 ≈ 0.1 m, 10 ≈ 0.01 mm) with ``id`` = key."""

    def rounded(coords: np.ndarray) -> np.ndarray:
        return np.round(coords, decimals)

    features = []
    for area in areas:
        geom = shapely.transform(area.geometry, rounded)
        properties = dict(area.properties)
        properties[name_property] = area.name
        features.append(
            {
                "type": "Feature",
                "id": area.key,
                "properties": properties,
                "geometry": _plain(mapping(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _plain(value: Any) -> Any:
    """shapely's mapping() gives tuples; GeoJSON wants lists (and JSON-safe floats)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("non-finite coordinate")
    return value
