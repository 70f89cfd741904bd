"""Benchmark: all of Katwijk (issue 18) against Rijnsoever alone, in the same run.

    .venv/bin/python bench/bench_gemeente.py [--lookups N] [--routes N] [--runs N] [--scale S]

Two temporary instances (SQLite, each measured in its own process so no cache is shared): the
Rijnsoever demo (`flask buurt demo`: 5 groups, ~1,050 residents) and the gemeente demo (`flask
buurt demo --gemeente`: 42 CBS buurten in 8 neighbourhoods, ~100 groups, ~9,700 residents). For each:

* lookup latency, p50/p95/max: the residents' lookup (buurt.residents.lookup.lookup_address) over
  register addresses, and POST /api/v1/lookup through the test client;
* meldingen routing latency (buurt.meldingen.routing.route, 500 m) at register addresses;
* the home page and its map (main.coverage_map: build time without the cache, document bytes,
  cached response time), the largest neighbourhood's map, the gemeente map (/buurten/kaart) when present;
* the beheer coverage map of every neighbourhood (/beheer/dekking/kaart?alle=1), the console
  (/beheer/), the overview (/beheer/overzicht) and the meldingen desk, for the gemeente-wide coordinator.

Wall-clock times and, where a busy machine blurs them, the CPU time of the same calls. Prints a table
(Rijnsoever, gemeente, ratio), then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import _beheer_setup  # noqa: E402 (after the path above)

#: the neighbourhood with the most groups in the gemeente demo
LARGEST = "katwijk-aan-zee"


def make_app():
    return _beheer_setup.make_app(
        GEOCODER_CHAIN=("register",),  # never the internet
        MAIL_SENDER_THREAD=False,
        GEOCODE_LATER_THREAD=False,
        PURGE_THREAD=False,
    )


def spread(timings: list[float], cpu: list[float]) -> dict:
    """p50/p95/max in ms (wall clock), and the median CPU time (steadier on a busy machine)."""
    ms = np.array(timings) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "max_ms": round(float(ms.max()), 3),
        "cpu_p50_ms": round(float(np.median(cpu) * 1000), 3),
    }


def get(client, url: str, runs: int) -> dict:
    """Median time of GET url (the first request, which compiles templates, left out), bytes, status."""
    timings, cpu, size, status = [], [], 0, 0
    for _ in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = response.get_data()
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        size, status = len(body), response.status_code
    if status != 200:
        return {"status": status}
    return {
        "median_ms": round(float(np.median(timings[1:]) * 1000), 1),
        "cpu_ms": round(float(np.median(cpu[1:]) * 1000), 1),
        "bytes": size,
        "status": status,
    }


def measure(kind: str, args) -> dict:
    """Load the demo of one kind into a fresh instance and measure it."""
    import random

    from buurt.addresses.services import invalidate_register
    from buurt.areas.services import seed_default_neighbourhood
    from buurt.demo import DEMO_PASSWORD, load_demo
    from buurt.extensions import db
    from buurt.geo.addresses import HouseNumber
    from buurt.geo.geocoding import AddressQuery
    from buurt.meldingen.routing import route
    from buurt.models import Address, Neighbourhood
    from buurt.residents.lookup import lookup_address

    app = make_app()
    out: dict = {"kind": kind}
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        report = load_demo(scale=args.scale, gemeente=kind == "gemeente")
        out["demo_load_s"] = round(report.seconds, 1)
        out["neighbourhoods"] = db.session.scalar(db.select(db.func.count(Neighbourhood.id)))
        out["groups"] = len(report.groups)
        out["addresses"] = report.addresses
        out["residents"] = report.residents
        columns = (Address.postcode, Address.house_number, Address.house_letter, Address.house_addition)
        rows = db.session.execute(db.select(*columns, Address.lat, Address.lon)).all()
        invalidate_register()
    rng = random.Random(18)
    lookups = rng.sample(rows, min(args.lookups, len(rows)))
    routes = rng.sample(rows, min(args.routes, len(rows)))

    with app.test_request_context():
        lookup_address(AddressQuery.structured(lookups[0][0], HouseNumber(lookups[0][1])))  # loads register, index
        timings, cpu, found = [], [], 0
        for postcode, number, letter, addition, _lat, _lon in lookups:
            query = AddressQuery.structured(postcode, HouseNumber(number, letter or None, addition or None))
            start, start_cpu = time.perf_counter(), time.process_time()
            result = lookup_address(query)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            found += result.status == "found"
        out["lookup"] = spread(timings, cpu) | {"found_share": round(found / len(lookups), 3)}
        route(routes[0][4], routes[0][5], 500)
        timings, cpu, targets = [], [], 0
        for *_address, lat, lon in routes:
            start, start_cpu = time.perf_counter(), time.process_time()
            routing = route(lat, lon, 500)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            targets += len(routing.targets)
        out["route"] = spread(timings, cpu) | {"mean_targets": round(targets / len(routes), 2)}

    public = app.test_client()
    with app.app_context():
        body = {"postcode": lookups[0][0], "huisnummer": f"{lookups[0][1]}{lookups[0][2]}"}
        public.post("/api/v1/lookup", json=body)
        timings, cpu, ok = [], [], 0
        for postcode, number, letter, addition, _lat, _lon in lookups[: args.api_lookups]:
            body = {"postcode": postcode, "huisnummer": f"{number}{letter}", "toevoeging": addition}
            start, start_cpu = time.perf_counter(), time.process_time()
            response = public.post("/api/v1/lookup", json=body)
            response.get_data()
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            ok += response.status_code == 200 and response.get_json().get("status") == "found"
        out["api_lookup"] = spread(timings, cpu) | {"found_share": round(ok / len(timings), 3)}

        out["home_page"] = get(public, "/", args.runs)
        out["home_map"] = get(public, "/kaart/dekking", args.runs) | build_ms(app, None, args.runs)
        if kind == "gemeente":
            out["largest_map"] = get(public, f"/{LARGEST}/kaart/dekking", args.runs) | build_ms(app, LARGEST, args.runs)
        out["gemeente_page"] = get(public, "/buurten", args.runs)
        out["gemeente_map"] = get(public, "/buurten/kaart", args.runs)

        staff = app.test_client()
        login = staff.post("/inloggen", data={"email": "demo.coordinator@example.org", "password": DEMO_PASSWORD})
        assert login.status_code == 302, login.status_code
        out["beheer_coverage_map_all"] = get(staff, "/beheer/dekking/kaart?alle=1", args.runs)
        out["console"] = get(staff, "/beheer/", args.runs)
        out["overview"] = get(staff, "/beheer/overzicht", args.runs)
        out["meldingen_desk"] = get(staff, "/meldingen/", args.runs)
    return out


def build_ms(app, slug: str | None, runs: int) -> dict:
    """The public coverage map built without the cache (buurt.main.services), median ms."""
    from buurt.main import services
    from buurt.models import Neighbourhood

    builder = getattr(services, "build_coverage_map_document", None)
    if builder is None:
        return {}
    from buurt.extensions import db

    with app.test_request_context():
        hood = db.session.scalar(db.select(Neighbourhood).filter_by(slug=slug)) if slug else None
        hood = hood or services.areas.default_neighbourhood()
        groups = services.public_groups(hood)
        timings, cpu = [], []
        for _ in range(runs + 1):
            start, start_cpu = time.perf_counter(), time.process_time()
            builder(hood, groups)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return {
        "build_ms": round(float(np.median(timings[1:]) * 1000), 1),
        "build_cpu_ms": round(float(np.median(cpu[1:]) * 1000), 1),
    }


ROWS = (
    ("demo load (s)", "demo_load_s", None),
    ("neighbourhoods", "neighbourhoods", None),
    ("groups", "groups", None),
    ("addresses", "addresses", None),
    ("residents", "residents", None),
    ("lookup service p50 (ms)", "lookup", "p50_ms"),
    ("lookup service p95 (ms)", "lookup", "p95_ms"),
    ("lookup service max (ms)", "lookup", "max_ms"),
    ("lookup service CPU p50 (ms)", "lookup", "cpu_p50_ms"),
    ("lookup service found share", "lookup", "found_share"),
    ("/api/v1/lookup p50 (ms)", "api_lookup", "p50_ms"),
    ("/api/v1/lookup p95 (ms)", "api_lookup", "p95_ms"),
    ("/api/v1/lookup max (ms)", "api_lookup", "max_ms"),
    ("/api/v1/lookup CPU p50 (ms)", "api_lookup", "cpu_p50_ms"),
    ("route() p50 (ms)", "route", "p50_ms"),
    ("route() p95 (ms)", "route", "p95_ms"),
    ("route() max (ms)", "route", "max_ms"),
    ("route() CPU p50 (ms)", "route", "cpu_p50_ms"),
    ("route() target groups (mean)", "route", "mean_targets"),
    ("home page / (ms)", "home_page", "median_ms"),
    ("home map build, no cache (ms)", "home_map", "build_ms"),
    ("home map build CPU (ms)", "home_map", "build_cpu_ms"),
    ("home map cached response (ms)", "home_map", "median_ms"),
    ("home map document (bytes)", "home_map", "bytes"),
    (f"/{LARGEST} map build (ms)", "largest_map", "build_ms"),
    (f"/{LARGEST} map document (bytes)", "largest_map", "bytes"),
    ("gemeente page /buurten (ms)", "gemeente_page", "median_ms"),
    ("gemeente map /buurten/kaart (ms)", "gemeente_map", "median_ms"),
    ("gemeente map document (bytes)", "gemeente_map", "bytes"),
    ("beheer coverage map, all (ms)", "beheer_coverage_map_all", "median_ms"),
    ("beheer coverage map, all CPU (ms)", "beheer_coverage_map_all", "cpu_ms"),
    ("beheer coverage map, all (bytes)", "beheer_coverage_map_all", "bytes"),
    ("console /beheer/ (ms)", "console", "median_ms"),
    ("console /beheer/ CPU (ms)", "console", "cpu_ms"),
    ("overview /beheer/overzicht (ms)", "overview", "median_ms"),
    ("overview /beheer/overzicht CPU (ms)", "overview", "cpu_ms"),
    ("meldingen desk /meldingen/ (ms)", "meldingen_desk", "median_ms"),
    ("meldingen desk /meldingen/ CPU (ms)", "meldingen_desk", "cpu_ms"),
)


def value(result: dict, key: str, field: str | None):
    item = result.get(key)
    if field is None or item is None:
        return item
    if "status" in item and item["status"] != 200:
        return f"HTTP {item['status']}"
    return item.get(field)


def table(small: dict, large: dict) -> list[str]:
    lines = [f"{'':36} {'Rijnsoever':>12} {'gemeente':>12} {'ratio':>7}"]
    for label, key, field in ROWS:
        a, b = value(small, key, field), value(large, key, field)
        ratio = f"{b / a:6.1f}x" if isinstance(a, int | float) and isinstance(b, int | float) and a else ""
        lines.append(f"{label:36} {'—' if a is None else a!s:>12} {'—' if b is None else b!s:>12} {ratio:>7}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--api-lookups", type=int, default=300)
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--one", choices=("rijnsoever", "gemeente"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one instance, in this process: its JSON on the last line
        import logging

        logging.disable(logging.INFO)
        print(json.dumps(measure(args.one, args)))
        return
    results = {}
    for kind in ("rijnsoever", "gemeente"):
        command = [sys.executable, __file__, "--one", kind, *sys.argv[1:]]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        if done.returncode != 0:
            sys.exit(f"{kind} failed:\n{done.stderr[-3000:]}")
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    small, large = results["rijnsoever"], results["gemeente"]
    print("All of Katwijk against Rijnsoever alone (fictional demo data, SQLite, test client)")
    for line in table(small, large):
        print(line)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        json.dumps({"benchmark": "gemeente", "load_avg_1m": os.getloadavg()[0], "rijnsoever": small, "gemeente": large})
    )


if __name__ == "__main__":
    main()
