"""Benchmark: what one rate-limit hit costs in each store (what every limited request adds).

    .venv/bin/python bench/bench_rate_limit_store.py [--hits 1000] [--keys 50]

Calls the app's limiter strategy (Flask-Limiter's fixed window) ``--hits`` times over ``--keys``
keys, inside an app context, for memory:// (per process: the old default, not shared),
buurt-db:// on SQLite (the default: one upsert in its own transaction per hit), redis:// on a
real redis-server started on a free port (skipped when not installed), and buurt-db:// on
PostgreSQL when BUURT_TEST_DATABASE_URI is set (e.g. under scripts/with_postgres.sh).
Wall-clock and process CPU per hit are reported. Prints human lines, then ONE JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from limits import parse  # noqa: E402 - after the sys.path tweak

from buurt import create_app  # noqa: E402
from buurt.extensions import db, limiter  # noqa: E402


def measure(storage_uri: str, database_uri: str, instance: str, hits: int, keys: int) -> dict:
    app = create_app(
        test_config={
            "TESTING": True,
            "SECRET_KEY": "bench-only-not-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": storage_uri,
            "MAIL_SERVER": None,
            "MAIL_SENDER_THREAD": False,
        },
        instance_path=instance,
    )
    item = parse("1000000 per hour")
    with app.app_context():
        db.create_all()
        limiter.storage.reset()
        strategy = limiter.limiter
        strategy.hit(item, "bench", "warm-up")
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(hits):
            strategy.hit(item, "bench", f"client-{i % keys}")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        total = sum(limiter.storage.get(item.key_for("bench", f"client-{k}")) for k in range(keys))
        assert total == hits, (storage_uri, total)
        limiter.storage.reset()
        db.session.remove()
        db.engine.dispose()
    return {"per_hit_ms": round(1000 * wall / hits, 3), "cpu_per_hit_ms": round(1000 * cpu / hits, 3)}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hits", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=50)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        sqlite_uri = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        stores = {"memory": ("memory://", sqlite_uri), "sqlite": ("buurt-db://", sqlite_uri)}
        if shutil.which("redis-server"):
            from tests.redis_support import running_redis

            server = stack.enter_context(running_redis())
            stores["redis"] = (server.url, sqlite_uri)
        else:
            print("redis-server not installed (make redis): redis skipped")
        if os.environ.get("BUURT_TEST_DATABASE_URI"):
            stores["postgresql"] = ("buurt-db://", os.environ["BUURT_TEST_DATABASE_URI"])
        for name, (storage_uri, database_uri) in stores.items():
            results[name] = measure(storage_uri, database_uri, tmp, args.hits, args.keys)
            print(
                f"{name:>10}: {results[name]['per_hit_ms']:.3f} ms per hit "
                f"({results[name]['cpu_per_hit_ms']:.3f} ms CPU), {args.hits} hits over {args.keys} keys"
            )
    result = {"hits": args.hits, "keys": args.keys, **{f"{k}_per_hit_ms": v["per_hit_ms"] for k, v in results.items()}}
    result.update({f"{k}_cpu_per_hit_ms": v["cpu_per_hit_ms"] for k, v in results.items()})
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
