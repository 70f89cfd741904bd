"""Benchmark: build the beheerders' coverage map document for 5 groups and 1,050 fictional members.

    .venv/bin/python bench/bench_coverage_map.py [--runs N]

Counts per group, member density per 100 m cell, open sign-ups per cell, Folium document
rendered to HTML, as the /beheer/dekking/kaart route does (target: under 150 ms, median).
Prints human lines, then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from _beheer_setup import fill, make_app, median_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from flask_login import login_user

    from buurt.areas.services import seed_default_neighbourhood
    from buurt.auth.services import create_user
    from buurt.beheer import coverage
    from buurt.extensions import db
    from buurt.models import Group, Role

    app = make_app()
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        groups = list(db.session.scalars(db.select(Group).order_by(Group.sort_order)))
        fill(app, {g.id: 210 for g in groups}, pending_per_group=10)
        user = create_user("coordinator@example.org", "Bench Coördinator", Role.COORDINATOR, "x" * 12)
        with app.test_request_context():
            login_user(user)
            timings, cpu, size, cells = [], [], 0, 0
            for _ in range(args.runs + 1):
                start, start_cpu = time.perf_counter(), time.process_time()
                data = coverage.coverage_data(user)
                html = coverage.coverage_document(data)
                timings.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                size, cells = len(html), len(data.density)
            timings, cpu = timings[1:], cpu[1:]  # the first run compiles templates and builds the area index
    members = sum(r.members for r in data.rows)
    result = {
        "benchmark": "coverage_map",
        "groups": len(data.rows),
        "members": members,
        "density_cells": cells,
        "pending_cells": len(data.pending),
        "document_bytes": size,
        "runs": args.runs,
        "median_ms": round(median_ms(timings), 1),
        "min_ms": round(min(timings) * 1000, 1),
        "median_cpu_ms": round(median_ms(cpu), 1),
        "load_avg_1m": os.getloadavg()[0],
        "target_ms": 150,
    }
    print(f"coverage map for {result['groups']} groups, {members} members, {cells} density cells")
    print(f"median {result['median_ms']} ms, best {result['min_ms']} ms over {args.runs} runs (target < 150 ms)")
    print(f"median CPU time {result['median_cpu_ms']} ms (load average {result['load_avg_1m']:.1f})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
