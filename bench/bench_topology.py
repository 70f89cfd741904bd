"""Benchmark: the topology core (buurt/geo/topology.py) on real areas.

    .venv/bin/python bench/bench_topology.py [--repeat 20]

CPU times (median ms) for move_border, split_area, merge_areas and clean_coverage on the default group
areas of Rijnsoever (5 areas, 27 vertices; buurt/data, CBS / Kadaster, CC BY 4.0), the 42 CBS
buurten of Katwijk (278 vertices) and the default areas densified to a vertex every ~5 m (like
boundaries drawn along streets). Each edit also reports whether its result is an exact coverage.
Prints one line per case and ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buurt.geo.polygons import parse_area_collection  # noqa: E402
from buurt.geo.topology import (  # noqa: E402
    EditRefused,
    clean_coverage,
    merge_areas,
    move_border,
    neighbours,
    split_area,
)

DATA = ROOT / "buurt" / "data"


def read(path: Path, **kwargs) -> dict:
    return {a.key: a.geometry for a in parse_area_collection(path.read_text(encoding="utf-8"), **kwargs)}


def timed(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median CPU milliseconds of this process (steadier than the wall clock on a shared machine;
    the work is single-threaded, so on an idle machine the two agree)."""
    function()  # warm up (pyproj transformers, GEOS)
    times = []
    result = None
    for _ in range(repeat):
        start = time.process_time()
        result = function()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), result


def exact(result: dict) -> bool:
    values = np.array(list(result.values()), dtype=object)
    return bool(shapely.is_valid(values).all() and shapely.coverage_is_valid(values))


def border_line(areas: dict, a: str, b: str) -> LineString:
    """A new border for a and b: today's shared border, its ends carried 30 m beyond the union's
    edge, its middle pushed 20 m sideways."""
    border = shapely.line_merge(shapely.intersection(areas[a].boundary, areas[b].boundary))
    if border.geom_type != "LineString":
        border = max(shapely.get_parts(border), key=lambda part: part.length)
    (x0, y0), (x1, y1) = border.coords[0], border.coords[-1]
    middle = border.interpolate(0.5, normalized=True)
    length = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    degrees = 30 / 111_320
    side = 20 / 111_320
    return LineString(
        [
            (x0 - ux * degrees, y0 - uy * degrees),
            (middle.x - uy * side, middle.y + ux * side),
            (x1 + ux * degrees, y1 + uy * degrees),
        ]
    )


def split_line(area) -> LineString:
    """North to south through the area's inner point, from beyond its box to beyond it."""
    point = shapely.point_on_surface(area)
    _, min_lat, _, max_lat = area.bounds
    return LineString([(point.x, max_lat + 0.001), (point.x + 0.0003, point.y), (point.x, min_lat - 0.001)])


def edit_pair(areas: dict) -> tuple[str, str, LineString]:
    """The first pair of neighbours whose border, moved as in border_line, gives a tiling."""
    keys = list(areas)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if not neighbours(areas, a, b):
                continue
            line = border_line(areas, a, b)
            try:
                move_border(areas, a, b, line, snap_m=25)
            except EditRefused:
                continue
            return a, b, line
    raise SystemExit("no pair of neighbours to move a border between")


def bench_set(name: str, areas: dict, outline, repeat: int) -> dict:
    out: dict[str, object] = {
        "areas": len(areas),
        "vertices": int(sum(len(shapely.get_coordinates(g)) for g in areas.values())),
    }
    clean_ms, cleaned = timed(lambda: clean_coverage(areas, outline, tolerance_m2=25), repeat)
    out["clean_ms"] = round(clean_ms, 2)
    out["clean_fixes"] = len(cleaned.fixes)
    out["clean_problems"] = len(cleaned.problems)
    stored = cleaned.geometries
    a, b, line = edit_pair(stored)
    move_ms, moved = timed(lambda: move_border(stored, a, b, line, snap_m=25), repeat)
    out["move_border_ms"] = round(move_ms, 2)
    out["move_border_exact"] = exact(moved)
    largest = max(stored, key=lambda key: stored[key].area)
    split_ms, split = timed(
        lambda: split_area(stored, largest, split_line(stored[largest]), new_key="nieuw", snap_m=25), repeat
    )
    out["split_area_ms"] = round(split_ms, 2)
    out["split_area_exact"] = exact(split)
    merge_ms, merged = timed(lambda: merge_areas(stored, a, b), repeat)
    out["merge_areas_ms"] = round(merge_ms, 2)
    out["merge_areas_exact"] = exact(merged)
    print(
        f"{name:<16} {out['areas']:>3} areas {out['vertices']:>6} vertices  clean {clean_ms:7.1f} ms "
        f"({out['clean_fixes']} fixes)  move_border {move_ms:7.1f} ms  split_area {split_ms:7.1f} ms  "
        f"merge_areas {merge_ms:7.1f} ms  exact: "
        f"{out['move_border_exact']}/{out['split_area_exact']}/{out['merge_areas_exact']}"
    )
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    outline = shape(
        json.loads((DATA / "rijnsoever_2024.geojson").read_text(encoding="utf-8"))["features"][0]["geometry"]
    )
    default = read(DATA / "rijnsoever_areas.geojson", key_property="key")
    katwijk = read(
        DATA / "katwijk_buurten_2024.geojson", key_property="buurtcode", name_property="buurtnaam", unique_names=False
    )
    dense = {key: shapely.segmentize(geom, 0.00005) for key, geom in default.items()}
    result = {
        "benchmark": "topology",
        "repeat": args.repeat,
        "default": bench_set("default areas", default, outline, args.repeat),
        "katwijk": bench_set("katwijk buurten", katwijk, None, args.repeat),
        "dense": bench_set("default, dense", dense, outline, max(3, args.repeat // 4)),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
