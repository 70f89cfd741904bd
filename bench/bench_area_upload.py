"""Benchmark: upload hostile area files through the real route (/beheer/gebieden/nieuw) as a coordinator.

    .venv/bin/python bench/bench_area_upload.py [--vertices 80000] [--profile]

Files: the real CBS-derived Rijnsoever areas (buurt/data/rijnsoever_areas.geojson), the same areas
densified with shapely.segmentize to about --vertices vertices (still valid, ~1.9 MB at 80,000), and
a 10,000-deep nested JSON array. Prints seconds and status per file, with --profile the top of
cProfile for the densified one, and ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from pathlib import Path

import shapely
from _beheer_setup import PASSWORD, make_app
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "buurt" / "data" / "rijnsoever_areas.geojson"


def densified(vertices: int, *, evenly: bool = False) -> bytes:
    """The real areas with extra vertices on their edges (same shapes), 7 decimals (6 can make a ring
    touch itself). About `vertices` in all: spread by edge length, or `evenly` over the areas."""
    document = json.loads(REAL.read_text())
    geoms = [shape(f["geometry"]) for f in document["features"]]
    perimeter = sum(g.length for g in geoms)
    for feature, geom in zip(document["features"], geoms, strict=True):
        step = geom.length / (vertices / len(geoms) - 10) if evenly else perimeter / vertices
        dense = shapely.transform(shapely.segmentize(geom, step), lambda c: c.round(7))
        feature["geometry"] = json.loads(json.dumps(mapping(dense)))
    return json.dumps(document, separators=(",", ":")).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vertices", type=int, default=80_000)
    parser.add_argument("--evenly", action="store_true", help="the same number of vertices in each area")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from buurt.areas.services import seed_default_neighbourhood
    from buurt.auth.services import create_user
    from buurt.extensions import db
    from buurt.models import Role

    app = make_app()
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        create_user("coordinator@example.org", "Bench Coordinator", Role.COORDINATOR, PASSWORD, [])
    client = app.test_client()
    with app.app_context():
        login = {"email": "coordinator@example.org", "password": PASSWORD}
        assert client.post("/inloggen", data=login).status_code == 302

    dense = densified(args.vertices, evenly=args.evenly)
    files = {"real_cbs": REAL.read_bytes(), "densified": dense, "nested_10000": nested(10_000)}
    count = shapely.get_num_coordinates([shape(f["geometry"]) for f in json.loads(dense)["features"]]).sum()
    result = {"benchmark": "area_upload", "densified_vertices": int(count), "densified_bytes": len(dense)}
    for name, data in files.items():
        profiler = cProfile.Profile() if args.profile and name == "densified" else None
        with app.app_context():
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            response = client.post(
                "/beheer/gebieden/nieuw",
                data={"file": (io.BytesIO(data), f"{name}.geojson")},
                content_type="multipart/form-data",
            )
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - start
        result[name] = {"status": response.status_code, "seconds": round(seconds, 2), "bytes": len(data)}
        print(f"{name:14} {len(data):>9} bytes  HTTP {response.status_code}  {seconds:7.2f} s")
        if profiler:
            stats = io.StringIO()
            pstats.Stats(profiler, stream=stats).sort_stats("cumulative").print_stats(25)
            print(stats.getvalue())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
