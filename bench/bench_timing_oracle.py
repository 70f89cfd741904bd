"""Benchmark: do the password-reset and Mijn gegevens link requests answer slower for a known address?

    .venv/bin/python bench/bench_timing_oracle.py [--runs 200]

Through the test client against a SQLite file database, mail enabled (the outbox queues; nothing is
sent: no sender thread). Known and unknown addresses alternate so load drifts hit both alike. Prints
median and p90 per case, and ONE JSON object on the last line (ratio = known median / unknown median).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _beheer_setup import make_app  # noqa: F401  (puts the project on sys.path)


def p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    import tempfile
    from pathlib import Path

    from buurt import create_app
    from buurt.areas.services import seed_default_neighbourhood
    from buurt.auth.services import create_user
    from buurt.extensions import db
    from buurt.models import Group, Resident, ResidentStatus, Role, utcnow

    tmp = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    (tmp / "instance").mkdir()
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",  # mail on: the outbox queues (nothing is delivered: no sender thread)
        "MAIL_SENDER_THREAD": False,
    }
    app = create_app(test_config=config, instance_path=str(tmp / "instance"))
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        create_user("bekend@example.org", "Bench Beheerder", Role.BEHEERDER, "bench password not secret", [])
        group = db.session.scalar(db.select(Group).order_by(Group.sort_order))
        db.session.add(
            Resident(
                name="Fictieve Bewoner",
                phone_e164="+31612345678",
                email="bewoner@example.org",
                email_confirmed_at=utcnow(),  # a link goes only to a confirmed address
                group_id=group.id,
                status=ResidentStatus.ADDED,
                lat=52.2127,
                lon=4.413965,
            )
        )
        db.session.commit()
    client = app.test_client()
    cases = {
        "reset": ("/wachtwoord-vergeten", "email", "bekend@example.org", "onbekend@example.org"),
        "my_data": ("/mijn-gegevens", "contact", "bewoner@example.org", "niemand@example.org"),
    }
    result: dict = {"benchmark": "timing_oracle", "runs": args.runs}
    for name, (path, field, known, unknown) in cases.items():
        timings: dict[str, list[float]] = {"known": [], "unknown": []}
        for i in range(args.runs * 2 + 10):
            which = "known" if i % 2 == 0 else "unknown"
            with app.app_context():
                start = time.perf_counter()
                response = client.post(path, data={field: known if which == "known" else unknown})
                elapsed = time.perf_counter() - start
            assert response.status_code in (200, 302), response.status_code
            if i >= 10:  # warm-up: templates compiled, connections open
                timings[which].append(elapsed * 1000)
        row = {
            kind: {"median_ms": round(statistics.median(v), 2), "p90_ms": round(p90(v), 2)}
            for kind, v in timings.items()
        }
        row["ratio_median"] = round(row["known"]["median_ms"] / row["unknown"]["median_ms"], 2)
        result[name] = row
        print(f"{name:8} known {row['known']}  unknown {row['unknown']}  ratio {row['ratio_median']}")
    with app.app_context():
        from buurt.models import OutboxMessage

        result["queued_mails"] = db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
