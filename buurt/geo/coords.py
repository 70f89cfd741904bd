"""Coordinate order and reference systems: the only module that knows (lon, lat) vs [lat, lon].

Conventions used everywhere in ``buurt``:

* WGS84 (EPSG:4326) degrees, named ``lat`` and ``lon``.
* GeoJSON and shapely use (lon, lat) = (x, y); folium/Leaflet use [lat, lon].
  Only the helpers here convert between the two, with names that say the direction.
* Metric work (areas, distances) is done in RD New (EPSG:28992), the Dutch national grid,
  whose ``x``/``y`` are metres. ``x``/``y`` never leave ``buurt.geo``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, overload

import numpy as np
from geopy.distance import geodesic
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

__all__ = [
    "M_PER_DEG_LAT",
    "NL_BOUNDS",
    "Bounds",
    "approx_distance_m",
    "box_around",
    "distance_m",
    "from_rd",
    "in_netherlands",
    "latlon_to_lonlat",
    "lonlat_to_latlon",
    "looks_swapped",
    "metres_per_degree",
    "to_rd",
]

WGS84 = "EPSG:4326"
RD_NEW = "EPSG:28992"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Bounds:
    """A lon/lat bounding box in WGS84 degrees (inclusive)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        """True when (lat, lon) lies inside the box (edges included)."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


#: Generous box around the European Netherlands (incl. the Wadden islands and Zeeland).
NL_BOUNDS = Bounds(min_lon=3.2, min_lat=50.7, max_lon=7.3, max_lat=53.6)


#: Metres per degree of latitude (mean); good to a few parts per thousand in the Netherlands.
M_PER_DEG_LAT = 111_320.0


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of latitude, metres per degree of longitude) near latitude `lat`."""
    return M_PER_DEG_LAT, M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01)


def box_around(lat: float, lon: float, radius_m: float) -> Bounds:
    """The lon/lat box that holds every point within `radius_m` metres of (lat, lon).

    For prefiltering in SQL or numpy before an exact distance; never the answer by itself.
    """
    per_lat, per_lon = metres_per_degree(lat)
    dlat, dlon = radius_m / per_lat, radius_m / per_lon
    return Bounds(min_lon=lon - dlon, min_lat=lat - dlat, max_lon=lon + dlon, max_lat=lat + dlat)


def approx_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in metres: within 0.1% of :func:`distance_m` over a few km, and fast."""
    per_lat, per_lon = metres_per_degree((lat1 + lat2) / 2)
    return math.hypot((lat2 - lat1) * per_lat, (lon2 - lon1) * per_lon)


def latlon_to_lonlat(latlon: tuple[T, T] | list[T]) -> tuple[T, T]:
    """Turn a folium/Leaflet ``[lat, lon]`` pair into a GeoJSON/shapely ``(lon, lat)`` pair."""
    lat, lon = latlon
    return (lon, lat)


def lonlat_to_latlon(lonlat: tuple[T, T] | list[T]) -> tuple[T, T]:
    """Turn a GeoJSON/shapely ``(lon, lat)`` pair into a folium/Leaflet ``(lat, lon)`` pair."""
    lon, lat = lonlat
    return (lat, lon)


def in_netherlands(lat: float, lon: float) -> bool:
    """True when the point lies inside :data:`NL_BOUNDS` (NaN is never inside)."""
    return NL_BOUNDS.contains(lat, lon)


def looks_swapped(lat: float, lon: float) -> bool:
    """True when the point is outside NL but would be inside with lat and lon swapped."""
    return not in_netherlands(lat, lon) and in_netherlands(lon, lat)


@cache
def _transformer(source: str, target: str) -> Transformer:
    # Built lazily on first use and cached; pyproj >= 3.1 transformers are thread-safe.
    return Transformer.from_crs(source, target, always_xy=True)


@overload
def to_rd(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def to_rd(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def to_rd(lon: Any, lat: Any) -> Any:
    """WGS84 (lon, lat) -> RD New (x, y) in metres. Scalars in, floats out; arrays in, arrays out."""
    return _transformer(WGS84, RD_NEW).transform(lon, lat)


@overload
def from_rd(x: float, y: float) -> tuple[float, float]: ...
@overload
def from_rd(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def from_rd(x: Any, y: Any) -> Any:
    """RD New (x, y) in metres -> WGS84 (lon, lat). Scalars in, floats out; arrays in, arrays out."""
    return _transformer(RD_NEW, WGS84).transform(x, y)


def rd_transform(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """(n, 2) array of (lon, lat) -> (n, 2) array of RD (x, y); for ``shapely.transform``."""
    x, y = _transformer(WGS84, RD_NEW).transform(coords[:, 0], coords[:, 1])
    return np.column_stack((x, y))


def wgs84_transform(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """(n, 2) array of RD (x, y) -> (n, 2) array of (lon, lat); for ``shapely.transform``."""
    lon, lat = _transformer(RD_NEW, WGS84).transform(coords[:, 0], coords[:, 1])
    return np.column_stack((lon, lat))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres on the WGS84 ellipsoid (works outside NL too)."""
    values = (lat1, lon1, lat2, lon2)
    if not all(math.isfinite(v) for v in values):
        raise ValueError("coordinates must be finite numbers")
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)
