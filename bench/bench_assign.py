"""Benchmark: assign 1,000,000 random points over Rijnsoever to its 5 group areas.

    .venv/bin/python bench/bench_assign.py [areas.geojson] [--points N] [--repeat R] [--seed S]

Times ``AreaIndex.locate_many`` against a bare loop of ``shapely.contains_xy`` over the same
prepared polygons (best of ``--repeat``), checks both give the same assignment except on tie
points (boundaries), and prints human lines followed by ONE JSON object on the last line.

Areas: the GeoJSON given, else ``buurt/data/rijnsoever_areas.geojson``; when that is absent, the
4 buurten of ``tests/geo/data/rijnsoever_buurten.geojson`` with Rijnsoever-Midden (the largest
by households) cut in two by a straight north-south line through its centroid.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buurt.geo.index import AreaIndex  # noqa: E402 - after the sys.path tweak

DEFAULT_AREAS = ROOT / "buurt" / "data" / "rijnsoever_areas.geojson"
FALLBACK_BUURTEN = ROOT / "tests" / "geo" / "data" / "rijnsoever_buurten.geojson"
SPLIT_BUURT = "BU05370106"


def _name(properties: dict[str, Any], index: int) -> str:
    for key in ("key", "naam", "name", "buurtcode", "buurtnaam"):
        if properties.get(key):
            return str(properties[key])
    return f"area-{index}"


def load_areas(path: Path | None) -> tuple[list[tuple[str, shapely.Geometry]], str]:
    """(key, geometry) pairs sorted by key, and a description of where they came from."""
    if path is None and DEFAULT_AREAS.exists():
        path = DEFAULT_AREAS
    if path is not None:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        areas = [(_name(f.get("properties") or {}, i), shape(f["geometry"])) for i, f in enumerate(features)]
        return sorted(areas, key=lambda pair: pair[0]), str(
            path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        )
    features = json.loads(FALLBACK_BUURTEN.read_text(encoding="utf-8"))["features"]
    buurten = [(f["properties"]["buurtcode"], shape(f["geometry"])) for f in features]
    # Rijnsoever-Midden: the largest by households (Rijnsoever-Oost is larger by surface).
    largest_key = SPLIT_BUURT
    largest = dict(buurten)[largest_key]
    minx, miny, maxx, maxy = largest.bounds
    cut = largest.centroid.x
    west = shapely.clip_by_rect(largest, minx, miny, cut, maxy)
    east = shapely.clip_by_rect(largest, cut, miny, maxx, maxy)
    areas = [pair for pair in buurten if pair[0] != largest_key]
    areas += [(f"{largest_key}-W", west), (f"{largest_key}-O", east)]
    return sorted(areas, key=lambda pair: pair[0]), f"{FALLBACK_BUURTEN.relative_to(ROOT)} (Rijnsoever-Midden split)"


def best_of(repeat: int, func: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="?", type=Path, help="GeoJSON FeatureCollection of areas")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20241127)
    args = parser.parse_args(argv)

    areas, source = load_areas(args.areas)
    index = AreaIndex(areas)
    union = shapely.union_all([geometry for _, geometry in areas])
    minx, miny, maxx, maxy = union.bounds
    rng = np.random.default_rng(args.seed)
    lons = rng.uniform(minx, maxx, args.points)
    lats = rng.uniform(miny, maxy, args.points)

    # The bare loop runs over its own prepared copies of the same polygons.
    bare_geoms = shapely.from_wkb(shapely.to_wkb(np.asarray([g for _, g in areas], dtype=object)))
    shapely.prepare(bare_geoms)

    def bare() -> None:
        for geometry in bare_geoms:
            shapely.contains_xy(geometry, lons, lats)

    def indexed() -> None:
        index.locate_many(lats, lons)

    bare()
    indexed()  # warm up
    bare_s = best_of(args.repeat, bare)
    index_s = best_of(args.repeat, indexed)

    # Same assignment as "first area whose interior contains the point", except on ties.
    positions = index.locate_many(lats, lons)
    expected = np.full(args.points, -1, dtype=np.intp)
    contained = np.zeros(args.points, dtype=np.int64)
    for position, geometry in enumerate(bare_geoms):
        mask = shapely.contains_xy(geometry, lons, lats)
        contained += mask
        expected[mask & (expected == -1)] = position
    differ = np.flatnonzero(positions != expected)
    on_boundary = shapely.intersects_xy(
        shapely.union_all([shapely.boundary(g) for g in bare_geoms]), lons[differ], lats[differ]
    )
    assert on_boundary.all(), f"{int((~on_boundary).sum())} points assigned differently away from any boundary"

    single = [(float(lat), float(lon)) for lat, lon in zip(lats[:2000], lons[:2000], strict=True)]
    start = time.perf_counter()
    for lat, lon in single:
        index.locate(lat, lon)
    single_us = (time.perf_counter() - start) / len(single) * 1e6

    counts = np.bincount(positions + 1, minlength=len(areas) + 1)
    result = {
        "points": args.points,
        "areas": len(areas),
        "index_pts_per_s": round(args.points / index_s),
        "bare_pts_per_s": round(args.points / bare_s),
        "ratio": round(bare_s / index_s, 3),
        "single_locate_us": round(single_us, 2),
        "covered_fraction": round(float((positions >= 0).mean()), 4),
        "tie_points": len(differ),
        "overlap_points": int((contained > 1).sum()),
    }
    print(f"areas: {len(areas)} from {source}: {', '.join(key for key, _ in areas)}")
    print(f"points: {args.points:,} uniform over lon {minx:.5f}..{maxx:.5f}, lat {miny:.5f}..{maxy:.5f}")
    print(f"AreaIndex.locate_many: {index_s * 1000:.1f} ms = {result['index_pts_per_s'] / 1e6:.2f} M points/s")
    print(f"bare contains_xy loop: {bare_s * 1000:.1f} ms = {result['bare_pts_per_s'] / 1e6:.2f} M points/s")
    print(f"ratio index/bare throughput: {result['ratio']:.2f} (best of {args.repeat})")
    print(
        f"single locate: {single_us:.1f} µs; covered: {result['covered_fraction']:.1%}; per area: {counts[1:].tolist()}"
    )
    print(f"assignment identical except {len(differ)} tie point(s) on boundaries")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
