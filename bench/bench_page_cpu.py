"""Benchmark: server CPU time per request of the expensive public pages, on a quiet machine.

    .venv/bin/python bench/bench_page_cpu.py [--runs N] [--rows 100000] [--seed S]

A temporary SQLite app with the demo Rijnsoever (~3,145 addresses, ~320 incidents), requests
made through Flask's test client; ``time.process_time()`` around each call, so what is measured is
the CPU the server spends on one request (template rendering, folium, queries, Python; the test
client's own share is about 0.1 ms), median over ``--runs`` after one warm-up request. Measured:
POST /welke-groep for a found address (a different register address each time), GET
/welke-groep/straten, GET /incidenten/openbaar/kaart and the page that embeds it
(/incidenten/openbaar), /health as the floor; then ``--rows`` fictional addresses are imported
(bench_register.fictional_csv) and the street list is measured again, and the public map's first
request after a new incident (a cache rebuild). Targets (issue 11): POST /welke-groep <= 10 ms,
the public incident map <= 30 ms.
Prints human lines, then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import time

from _beheer_setup import make_app, median_ms
from bench_register import fictional_csv

TARGETS_MS = {"lookup_post": 10.0, "public_map": 30.0}


def cpu_per_request(client, runs: int, call, before=None) -> tuple[float, float]:
    """(median CPU ms, median wall ms) of `call(client, i)` over `runs`, after one warm-up call.

    `before(i)`, when given, runs untimed before each call (e.g. a change that empties a cache).
    """
    call(client, -1)
    cpu, wall = [], []
    for i in range(runs):
        if before is not None:
            before(i)
        start_cpu, start = time.process_time(), time.perf_counter()
        response = call(client, i)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
        assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
    return median_ms(cpu), median_ms(wall)


def found_addresses(n: int, seed: int) -> list[tuple[str, int]]:
    """Register addresses (postcode, number without letter/addition) that fall inside an area."""
    from buurt.areas.services import place
    from buurt.extensions import db
    from buurt.models import Address

    rows = db.session.execute(
        db.select(Address.postcode, Address.house_number, Address.lat, Address.lon).where(
            Address.house_letter == "", Address.house_addition == ""
        )
    ).all()
    random.Random(seed).shuffle(rows)
    picked = [(r.postcode, r.house_number) for r in rows if place(r.lat, r.lon).area is not None]
    return picked[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from buurt.addresses.imports import import_records
    from buurt.areas.services import seed_default_neighbourhood
    from buurt.demo.loading import load_demo
    from buurt.extensions import db
    from buurt.geo.register_io import read_bagadres_csv
    from buurt.models import Address

    app = make_app()
    app.config["GEOCODER_CHAIN"] = ("register",)
    results: dict[str, dict] = {}

    def measure(name: str, call, before=None) -> None:
        cpu, wall = cpu_per_request(client, args.runs, call, before)
        results[name] = {"cpu_ms": round(cpu, 2), "wall_ms": round(wall, 2)}
        target = f" (target <= {TARGETS_MS[name]:g} ms)" if name in TARGETS_MS else ""
        print(f"{name:<22} CPU {cpu:7.2f} ms/request  (wall {wall:7.2f} ms){target}")

    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        report = load_demo(args.seed)
        sample = found_addresses(max(args.runs + 1, 50), args.seed)
        print(f"demo: {report.addresses} addresses, {report.incidents} incidents; {len(sample)} found addresses")
        client = app.test_client()

        def new_incident(i):
            from datetime import timedelta

            from buurt.models import Incident, IncidentCategory, utcnow

            moment = utcnow() - timedelta(days=2, minutes=i)
            db.session.add(
                Incident(
                    category=IncidentCategory.FIETSDIEFSTAL,
                    occurred_at=moment,
                    reported_at=moment,
                    lat=52.2115,
                    lon=4.4236,
                    description="Fictief (benchmark)",
                )
            )
            db.session.commit()

        def lookup(c, i):
            postcode, number = sample[i % len(sample)]
            return c.post("/welke-groep", data={"postcode": postcode, "house_number": str(number)})

        measure("health", lambda c, i: c.get("/health"))
        measure("lookup_post", lookup)
        measure("lookup_get", lambda c, i: c.get("/welke-groep"))
        measure("streets_demo", lambda c, i: c.get("/welke-groep/straten"))
        measure("public_map", lambda c, i: c.get("/incidenten/openbaar/kaart"))
        measure("public_map_7d", lambda c, i: c.get("/incidenten/openbaar/kaart?periode=7d"))
        measure("public_page", lambda c, i: c.get("/incidenten/openbaar"))
        measure("public_json", lambda c, i: c.get("/incidenten/openbaar.json"))

        text, _keys = fictional_csv(args.rows, args.seed)
        imported = import_records(read_bagadres_csv(io.StringIO(text)), source="bench")
        size = db.session.scalar(db.select(db.func.count(Address.id)))
        print(f"imported {imported.loaded} fictional addresses: register now {size}")
        measure("streets_after_import", lambda c, i: c.get("/welke-groep/straten"))
        measure("lookup_post_after_import", lookup)
        measure("public_map_after_import", lambda c, i: c.get("/incidenten/openbaar/kaart"))
        # the first request after each new incident (every process rebuilds its picture once)
        measure("public_map_new_incident", lambda c, i: c.get("/incidenten/openbaar/kaart"), new_incident)
        db.session.remove()
        db.engine.dispose()

    result = {
        "benchmark": "page_cpu",
        "runs": args.runs,
        "demo_addresses": report.addresses,
        "register_after_import": size,
        "load_avg_1m": os.getloadavg()[0],
        **{f"{name}_cpu_ms": r["cpu_ms"] for name, r in results.items()},
        "targets_met": all(results[name]["cpu_ms"] <= limit for name, limit in TARGETS_MS.items()),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
