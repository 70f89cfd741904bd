"""Routing a melding: how long `route()` takes over the shipped areas plus the 42 CBS buurten of Katwijk.

Loads every Katwijk buurt as an extra neighbourhood (one group per buurt) so the index holds 47 areas,
then routes random points in Katwijk with a 500 m radius, and renders one result map.

    .venv/bin/python bench/bench_meldingen_route.py [--points 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args()

    from buurt import create_app
    from buurt.areas.services import current_areas, load_geojson, seed_default_neighbourhood
    from buurt.extensions import db
    from buurt.meldingen.routing import route
    from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood, utcnow

    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        test_config={"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite"},
        instance_path=str(tmp),
    )
    with app.app_context(), app.test_request_context():
        db.create_all()
        seed_default_neighbourhood()
        hood = Neighbourhood(slug="katwijk", name="Katwijk", municipality="Katwijk")
        generation = BoundaryGeneration(neighbourhood=hood, number=1, is_current=True, activated_at=utcnow())
        db.session.add_all([hood, generation])
        for order, f in enumerate(load_geojson("katwijk_buurten_2024.geojson")["features"]):
            group = Group(neighbourhood=hood, slug=f"b{order}", name=f"Buurt {order}", sort_order=order)
            db.session.add(
                Area(
                    generation=generation,
                    group=group,
                    key=f"b{order}",
                    name=f"B{order}",
                    geometry=f["geometry"],
                    sort_order=order,
                )
            )
        db.session.commit()
        route(52.2118, 4.4235, 500)  # build the index once
        rng = random.Random(6)
        points = [(rng.uniform(52.17, 52.23), rng.uniform(4.38, 4.47)) for _ in range(args.points)]
        timings = []
        targets = 0
        for lat, lon in points:
            start = time.perf_counter()
            routing = route(lat, lon, 500)
            timings.append((time.perf_counter() - start) * 1000)
            targets += len(routing.targets)
        start = time.perf_counter()
        from buurt.geo.folium_assets import render_map_document
        from buurt.meldingen.maps import MapGroup, routing_map

        routing = route(52.2118, 4.4235, 500)
        areas = current_areas()
        shapes = [
            MapGroup(g.group_name, tuple(areas.by_id(a).geometry for a in g.area_ids), g.distance_m, False, "")
            for g in routing.targets
        ]
        labels = dict.fromkeys(("target", "neighbour", "radius", "point", "inside", "distance"), "x")
        render_map_document(routing_map(52.2118, 4.4235, 500, shapes, labels))
        map_ms = (time.perf_counter() - start) * 1000
    timings.sort()
    result = {
        "areas": 47,
        "points": len(points),
        "route_mean_ms": round(statistics.mean(timings), 3),
        "route_p50_ms": round(timings[len(timings) // 2], 3),
        "route_p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "mean_targets": round(targets / len(points), 2),
        "map_render_ms": round(map_ms, 1),
    }
    print(f"route(): {result['route_mean_ms']} ms mean, {result['route_p99_ms']} ms p99 over {len(points)} points")
    print(
        f"mean target groups per point: {result['mean_targets']}; "
        f"one result map rendered in {result['map_render_ms']} ms"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
