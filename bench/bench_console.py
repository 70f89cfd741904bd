"""Benchmark: render the console page of a group with about 250 members (test client, logged in).

    .venv/bin/python bench/bench_console.py [--runs N] [--members N]

Target: under 100 ms per page (median). Prints human lines, then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from _beheer_setup import PASSWORD, fill, make_app, median_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--members", type=int, default=250)
    args = parser.parse_args()

    from buurt.areas.services import seed_default_neighbourhood
    from buurt.auth.services import create_user
    from buurt.extensions import db
    from buurt.models import Group, Role

    app = make_app()
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        group = db.session.scalar(db.select(Group).order_by(Group.sort_order).offset(1))
        group.capacity = 300
        db.session.commit()
        fill(app, {group.id: args.members}, pending_per_group=15)
        create_user("beheerder@example.org", "Bench Beheerder", Role.BEHEERDER, PASSWORD, [group])
        group_id = group.id
    client = app.test_client()
    with app.app_context():
        assert (
            client.post("/inloggen", data={"email": "beheerder@example.org", "password": PASSWORD}).status_code == 302
        )
    timings, cpu, size = [], [], 0
    for _ in range(args.runs + 1):
        with app.app_context():
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(f"/beheer/groep/{group_id}")
            body = response.get_data()
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200
        size = len(body)
    timings, cpu = timings[1:], cpu[1:]  # the first run compiles the templates
    result = {
        "benchmark": "console_page",
        "members": args.members,
        "pending": 15,
        "page_bytes": size,
        "runs": args.runs,
        "median_ms": round(median_ms(timings), 1),
        "min_ms": round(min(timings) * 1000, 1),
        "median_cpu_ms": round(median_ms(cpu), 1),
        "load_avg_1m": os.getloadavg()[0],
        "target_ms": 100,
    }
    print(f"console page, {args.members} members + 15 pending: {size} bytes")
    print(f"median {result['median_ms']} ms, best {result['min_ms']} ms over {args.runs} runs (target < 100 ms)")
    print(f"median CPU time {result['median_cpu_ms']} ms (load average {result['load_avg_1m']:.1f})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
