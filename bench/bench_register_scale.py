"""Benchmark: the address register at any scale, in both of DbRegister's modes (issue 14, point 6).

    .venv/bin/python bench/bench_register_scale.py [--sizes 10000,100000,1000000] [--lookups 20000]
        [--snapshot-up-to 500000] [--postgres] [--seed 1]

For each size a register of fictional addresses ("Proefstraat 12", "Verzonnenlaan 7-2", all in
"Verzonnenstad") is written straight into a fresh database (bulk insert; import time is
bench_register.py's subject). Then, for each mode, a FRESH process (as a gunicorn worker would be)
creates the app, does one lookup (which loads the snapshot in snapshot mode, or decides on SQL mode)
and reports its resident memory (VmRSS, and the peak VmHWM) — and then times, through
``DbRegister``:

* exact lookups: ``find_exact`` of random existing addresses;
* choice lookups: ``RegisterGeocoder.geocode`` of "postcode + bare number" where only 7-1 and 7-2
  exist (the miss path: an exact miss, then the choice; raises HouseChoiceNeeded);
* unknown lookups: a number that does not exist (find_exact None, then choice None);
* the bounded count that decides the mode (``count_up_to(ADDRESS_SNAPSHOT_MAX)``).

The mode is forced with ADDRESS_SNAPSHOT_MAX (a huge value: snapshot; 0: SQL). Snapshot mode is
measured up to ``--snapshot-up-to`` addresses. A process with the app and no register shows the
floor. With ``--postgres`` the databases are PostgreSQL (SQLALCHEMY_DATABASE_URI or
BUURT_TEST_DATABASE_URI, e.g. under scripts/with_postgres.sh); there SQL-mode lookups are also
measured with two processes at once (each its own connection), the round trip being the cost.

Targets (issue 14): RSS per worker < 300 MB at 1 M; exact lookups >= 20,000/s at 1 M (SQLite,
one process); lookups at 100 k (snapshot mode) >= 50,000/s.
Wall-clock rates; also CPU-time rates (what to compare on a busy machine).
Prints human lines, then ONE JSON object on the last line. Every street is fictional.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STREETS = ("Proefstraat", "Verzonnenlaan", "Denkbeeldweg", "Voorbeeldhof", "Fictiepad", "Oefenkade")
PAIRS = [a + b for a in "ABCDEFGHJKLMNPRTVWXZ" for b in "ABCDEFGHJKLMNPRTVWXZ"]
FLAT = 7  # at this number each postcode has only 7-1 and 7-2: "postcode 7" needs a choice
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
TARGETS = {"rss_mb_at_1m": 300, "exact_per_s_at_1m": 20_000, "exact_per_s_at_100k": 50_000}


#: the 25 houses of every postcode: numbers 1-24 (a few with a letter), but 7 only as 7-1 and 7-2
HOUSES = [(number, "A" if number % 11 == 0 else "", "") for number in range(1, 25) if number != FLAT] + [
    (FLAT, "", "1"),
    (FLAT, "", "2"),
]


def _postcode(i: int) -> str:
    return f"{1000 + i // len(PAIRS) % 9000}{PAIRS[i % len(PAIRS)]}"


def key_of(j: int) -> tuple[str, int, str | None, str | None]:
    """(postcode, number, letter, addition) of row `j` of `fictional_rows`, without building it."""
    number, letter, addition = HOUSES[j % len(HOUSES)]
    return _postcode(j // len(HOUSES)), number, letter or None, addition or None


def fictional_rows(n: int, seed: int):
    """`n` fictional address rows (dicts for the address table), `HOUSES` at each postcode."""
    rng = random.Random(seed)
    for j in range(n):
        i, k = divmod(j, len(HOUSES))
        if k == 0:
            street = f"{STREETS[i % len(STREETS)]} {i // len(STREETS) + 1}"
            lat0, lon0 = rng.uniform(51.5, 53.0), rng.uniform(4.2, 6.5)
        number, letter, addition = HOUSES[k]
        yield {
            "postcode": _postcode(i),
            "house_number": number,
            "house_letter": letter,
            "house_addition": addition,
            "street": street,
            "street_norm": street.casefold(),
            "place": "Verzonnenstad",
            "lat": round(lat0 + k * 1e-5, 7),
            "lon": round(lon0 + k * 1e-5, 7),
            "source": "bench",
            "is_demo": False,
            "created_at": CREATED,
            "updated_at": CREATED,
        }


def _app(uri: str, tmp: str, snapshot_max: int):
    from buurt import create_app

    return create_app(
        test_config={
            "TESTING": True,
            "SECRET_KEY": "bench-only-not-secret",
            "SQLALCHEMY_DATABASE_URI": uri,
            "GEOCODER_CHAIN": ("register",),
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
            "ADDRESS_SNAPSHOT_MAX": snapshot_max,
        },
        instance_path=tmp,
    )


def build(uri: str, tmp: str, n: int, seed: int) -> float:
    """Create the schema and write `n` fictional addresses; returns seconds taken."""
    from buurt.extensions import db
    from buurt.models import Address

    app = _app(uri, tmp, 0)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        connection = db.session.connection()
        raw = connection.connection.driver_connection
        columns = list(next(fictional_rows(1, seed)))
        if connection.dialect.name == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY address ({', '.join(columns)}) FROM STDIN") as copy:
                for row in fictional_rows(n, seed):
                    copy.write_row([row[c] for c in columns])
        else:
            batch: list[dict] = []
            for row in fictional_rows(n, seed):
                batch.append(row)
                if len(batch) == 50_000:
                    db.session.execute(Address.__table__.insert(), batch)
                    batch = []
            if batch:
                db.session.execute(Address.__table__.insert(), batch)
        db.session.commit()
        if connection.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE address"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - started


def _memory_mb() -> dict[str, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def child(spec: dict) -> dict:
    """One fresh worker: app, one lookup, memory, then timed lookups."""
    from buurt.addresses.services import count_up_to, register
    from buurt.extensions import db
    from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
    from buurt.geo.register import RegisterGeocoder

    floor = _memory_mb()["VmRSS"]
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(spec["uri"], tmp, spec["snapshot_max"])
        with app.app_context():
            if spec["mode"] == "none":
                return {"rss_mb": round(_memory_mb()["VmRSS"], 1), "python_rss_mb": round(floor, 1)}
            reg = register()
            started = time.perf_counter()
            first = reg.find_exact(*key_of(0))
            load_s = time.perf_counter() - started
            if first is None or reg.mode != spec["mode"]:
                raise SystemExit(f"first lookup {first!r} in mode {reg.mode}, expected {spec['mode']}")
            memory = _memory_mb()  # before the benchmark's own lists
            result = {"mode": reg.mode, "first_lookup_s": round(load_s, 3), "rss_mb": round(memory["VmRSS"], 1),
                      "peak_rss_mb": round(memory["VmHWM"], 1)}  # fmt: skip
            rng = random.Random(spec["seed"])
            keys = [key_of(rng.randrange(spec["n"])) for _ in range(spec["lookups"])]
            postcodes = sorted({key[0] for key in keys})
            if spec.get("start_at"):  # two processes at once: start together
                while time.time() < spec["start_at"]:
                    time.sleep(0.001)

            def timed(call, items) -> tuple[float, float]:
                started, cpu = time.perf_counter(), time.process_time()
                for item in items:
                    call(item)
                wall, used = time.perf_counter() - started, time.process_time() - cpu
                return len(items) / wall, len(items) / max(used, 1e-9)

            found = sum(reg.find_exact(*key) is not None for key in keys[:100])
            assert found == 100, found
            result["exact_per_s"], result["exact_per_cpu_s"] = timed(lambda key: reg.find_exact(*key), keys)
            geocoder = RegisterGeocoder(reg)
            choice_queries = [AddressQuery.structured(p, FLAT) for p in postcodes[: max(1, len(keys) // 4)]]

            def choose(query):
                try:
                    geocoder.geocode(query)
                except HouseChoiceNeeded as needed:
                    if len(needed.choice.houses) != 2:
                        raise SystemExit(f"choice of {needed.choice.houses}, expected 7-1 and 7-2") from None
                    return
                raise SystemExit("no choice at a number with only 7-1 and 7-2")

            result["choice_per_s"], result["choice_per_cpu_s"] = timed(choose, choice_queries)
            unknown = [AddressQuery.structured(p, 99) for p in postcodes[: max(1, len(keys) // 4)]]
            result["unknown_per_s"], _ = timed(lambda q: geocoder.geocode(q), unknown)
            limit = app.config["ADDRESS_SNAPSHOT_MAX"] if spec["mode"] == "snapshot" else 250_000
            started = time.perf_counter()
            count_up_to(limit)
            result["bounded_count_s"] = round(time.perf_counter() - started, 4)
            db.session.remove()
    return {k: round(v) if isinstance(v, float) and v > 100 else v for k, v in result.items()}


def run_child(spec: dict, *, wait: bool = True):
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    if not wait:
        return process
    return finish(process)


def finish(process) -> dict:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def _postgres_uri(base: str, n: int) -> str:
    """A fresh database per size on the server of `base`."""
    from sqlalchemy import create_engine, text

    name = f"bench_register_{n}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--snapshot-up-to", type=int, default=500_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return {}

    base = None
    if args.postgres:
        base = os.environ.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("BUURT_TEST_DATABASE_URI")
        if not base:
            raise SystemExit("--postgres needs SQLALCHEMY_DATABASE_URI (or run under scripts/with_postgres.sh)")
    database = "postgresql" if base else "sqlite"
    sizes = [int(s) for s in args.sizes.split(",")]
    curve = []
    floor = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            uri = _postgres_uri(base, n) if base else f"sqlite:///{Path(tmp) / f'register_{n}.sqlite'}"
            build_s = build(uri, tmp, n, args.seed)
            if floor is None:
                floor = run_child({"uri": uri, "mode": "none", "snapshot_max": 0})
                print(f"{database}: a worker with the app and no register: {floor['rss_mb']} MB "
                      f"(bare Python {floor['python_rss_mb']} MB)")  # fmt: skip
            point = {"addresses": n, "build_s": round(build_s, 1)}
            print(f"{n:>9,} addresses (written in {build_s:.1f} s):")
            modes = (["snapshot"] if n <= args.snapshot_up_to else []) + ["sql"]
            for mode in modes:
                spec = {"uri": uri, "mode": mode, "n": n, "seed": args.seed, "lookups": args.lookups,
                        "snapshot_max": 10**9 if mode == "snapshot" else 0}  # fmt: skip
                measured = run_child(spec)
                point[mode] = measured
                print(f"  {mode:8}: RSS {measured['rss_mb']:6.1f} MB (peak {measured['peak_rss_mb']:6.1f}), first "
                      f"lookup {measured['first_lookup_s']:.2f} s; exact {measured['exact_per_s']:>7,}/s "
                      f"(CPU {measured['exact_per_cpu_s']:,}/s), choice {measured['choice_per_s']:>6,}/s, "
                      f"unknown {measured['unknown_per_s']:>6,}/s; "
                      f"bounded count {measured['bounded_count_s']} s")  # fmt: skip
            if base:
                start_at = time.time() + 3 + n / 200_000
                spec = {"uri": uri, "mode": "sql", "n": n, "seed": args.seed, "lookups": args.lookups,
                        "snapshot_max": 0, "start_at": start_at}  # fmt: skip
                both = [run_child({**spec, "seed": args.seed + k}, wait=False) for k in range(2)]
                results = [finish(p) for p in both]
                point["sql_two_processes_exact_per_s"] = sum(r["exact_per_s"] for r in results)
                print(f"  sql, 2 processes at once: exact {point['sql_two_processes_exact_per_s']:,}/s in all")
            curve.append(point)

    def at(n: int, mode: str, key: str):
        return next((p[mode][key] for p in curve if p["addresses"] == n and mode in p), None)

    result = {
        "database": database,
        "lookups": args.lookups,
        "worker_without_register_rss_mb": floor["rss_mb"] if floor else None,
        "curve": curve,
        "rss_mb_at_1m_sql": at(1_000_000, "sql", "rss_mb"),
        "exact_per_s_at_1m_sql": at(1_000_000, "sql", "exact_per_s"),
        "exact_per_s_at_100k_snapshot": at(100_000, "snapshot", "exact_per_s"),
        "targets": TARGETS,
    }
    if result["rss_mb_at_1m_sql"] is not None:
        result["rss_target_met"] = result["rss_mb_at_1m_sql"] < TARGETS["rss_mb_at_1m"]
        result["exact_1m_target_met"] = result["exact_per_s_at_1m_sql"] >= TARGETS["exact_per_s_at_1m"]
    if result["exact_per_s_at_100k_snapshot"] is not None:
        result["exact_100k_target_met"] = result["exact_per_s_at_100k_snapshot"] >= TARGETS["exact_per_s_at_100k"]
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
