"""Benchmark: the address register in a temporary SQLite database.

    .venv/bin/python bench/bench_register.py [--rows 100000] [--lookups 20000] [--seed 1]

(a) Imports ``--rows`` fictional addresses in NLExtract ``bagadres`` CSV layout through
    ``read_bagadres_csv`` + ``import_records`` (target: 100,000 rows in under 10 s), then imports
    the same file again (idempotent: 0 loaded).
(b) Exact lookups through ``DbRegister().find_exact`` for ``--lookups`` random existing addresses
    (target: at least 50,000 per second), with the first lookup (which loads the register's
    in-memory snapshot) timed apart, and a tenth as many misses (database fallback).

Wall-clock and process CPU times are both reported (CPU time is what to compare on a busy machine).
Prints human lines, then ONE JSON object on the last line. Every street is fictional.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buurt.geo.register_io import BAGADRES_COLUMNS  # noqa: E402 - after the sys.path tweak

STEMS = ("Verzonnen", "Proef", "Demo", "Denkbeeld", "Voorbeeld", "Schijn", "Fictie", "Oefen", "Bedenksel")
SUFFIXES = ("laan", "weg", "straat", "hof", "pad", "plein", "kade", "singel")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def fictional_csv(rows: int, seed: int) -> tuple[str, list[tuple[str, int, str, str]]]:
    """A bagadres CSV with `rows` fictional addresses (unique keys) and the list of their keys."""
    from buurt.geo.coords import to_rd

    rng = random.Random(seed)
    pairs = [a + b for a in LETTERS for b in LETTERS if a + b not in ("SA", "SD", "SS")]
    postcodes = [f"{d}{p}" for d in range(1000, 9999) for p in pairs[:20]]
    rng.shuffle(postcodes)
    keys: list[tuple[str, int, str, str]] = []
    streets: list[str] = []
    i = 0
    while len(keys) < rows:
        postcode = postcodes[i]
        street = f"{rng.choice(STEMS)}{rng.choice(SUFFIXES)} {i % 97 + 1}"  # many distinct streets
        i += 1
        for number in range(1, rng.randint(12, 40)):
            letter = rng.choice("AB") if rng.random() < 0.04 else ""
            addition = str(rng.randint(1, 4)) if rng.random() < 0.03 else ""
            keys.append((postcode, number, letter, addition))
            streets.append(street)
            if len(keys) >= rows:
                break
    nprng = np.random.default_rng(seed)
    lat = nprng.uniform(51.5, 53.0, rows)
    lon = nprng.uniform(4.2, 6.5, rows)
    x, y = to_rd(lon, lat)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(BAGADRES_COLUMNS)
    for n, ((postcode, number, letter, addition), street) in enumerate(zip(keys, streets, strict=True)):
        writer.writerow(
            [street, number, letter, addition, postcode, "Verzonnenstad", "Voorbeeldgemeente", "Zuid-Holland",
             f"{n:016d}", "verblijfsobject", "N", f"{x[n]:.3f}", f"{y[n]:.3f}", f"{lon[n]:.7f}", f"{lat[n]:.7f}"]
        )  # fmt: skip
    return out.getvalue(), keys


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from buurt import create_app
    from buurt.addresses.imports import import_records
    from buurt.addresses.services import DbRegister
    from buurt.extensions import db
    from buurt.geo.register_io import read_bagadres_csv
    from buurt.models import Address

    text, keys = fictional_csv(args.rows, args.seed)
    print(f"CSV: {args.rows} fictional rows, {len(text) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            test_config={
                "TESTING": True,
                "SECRET_KEY": "bench-only-not-secret",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                "GEOCODER_CHAIN": ("register",),
                "RATELIMIT_ENABLED": False,
                "MAIL_SERVER": None,
            },
            instance_path=tmp,
        )
        with app.app_context():
            db.create_all()

            started, cpu = time.perf_counter(), time.process_time()
            first = import_records(read_bagadres_csv(io.StringIO(text)), source="bench")
            import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"(a) import: {first.loaded} loaded, {len(first.rejected)} rejected in {import_s:.2f} s")
            print(f"    ({first.loaded / import_s:,.0f} rows/s, CPU {import_cpu:.2f} s; target < 10 s for 100,000)")

            started, cpu = time.perf_counter(), time.process_time()
            again = import_records(read_bagadres_csv(io.StringIO(text)), source="bench")
            reimport_s, reimport_cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"    re-import: {again.loaded} loaded, {again.unchanged} unchanged in {reimport_s:.2f} s "
                  f"(CPU {reimport_cpu:.2f} s)")  # fmt: skip

            rng = random.Random(args.seed + 1)
            sample = [keys[rng.randrange(len(keys))] for _ in range(args.lookups)]
            register = DbRegister()
            db.session.remove()
            # The first lookup loads the register's in-memory snapshot; time it apart.
            started = time.perf_counter()
            register.find_exact(*sample[0][:2], sample[0][2] or None, sample[0][3] or None)
            cold_s = time.perf_counter() - started
            started, cpu = time.perf_counter(), time.process_time()
            found = 0
            for postcode, number, letter, addition in sample:
                if register.find_exact(postcode, number, letter or None, addition or None) is not None:
                    found += 1
            db_s, db_cpu = time.perf_counter() - started, time.process_time() - cpu
            db_rate = args.lookups / db_s
            print(f"(b) DbRegister.find_exact: first lookup (loads the snapshot) {cold_s:.2f} s; then")
            print(f"    {args.lookups} lookups in {db_s:.3f} s = {db_rate:,.0f}/s, {found} found")
            print(f"    (CPU: {args.lookups / db_cpu:,.0f}/s; target >= 50,000/s)")

            # Misses fall through to the database: addresses that do not exist.
            misses = [(key[0], key[1] + 1000, "", "") for key in sample[: max(1, args.lookups // 10)]]
            started = time.perf_counter()
            for postcode, number, _letter, _addition in misses:
                register.find_exact(postcode, number, None, None)
            miss_s = time.perf_counter() - started
            miss_rate = len(misses) / miss_s
            print(f"    misses (database fallback): {len(misses)} in {miss_s:.2f} s = {miss_rate:,.0f}/s")
            size = db.session.scalar(db.select(db.func.count(Address.id)))
            db.session.remove()
            db.engine.dispose()

    result = {
        "rows": args.rows,
        "register_size": size,
        "import_s": round(import_s, 3),
        "import_rows_per_s": round(first.loaded / import_s),
        "import_cpu_s": round(import_cpu, 3),
        "import_target_met": import_s < 10 * args.rows / 100_000,
        "reimport_s": round(reimport_s, 3),
        "reimport_cpu_s": round(reimport_cpu, 3),
        "reimport_loaded": again.loaded,
        "reimport_unchanged": again.unchanged,
        "lookups": args.lookups,
        "lookups_found": found,
        "db_lookups_per_s": round(db_rate),
        "db_lookups_per_cpu_s": round(args.lookups / db_cpu),
        "db_lookup_target_met": db_rate >= 50_000,
        "snapshot_load_s": round(cold_s, 3),
        "miss_lookups_per_s": round(miss_rate),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
