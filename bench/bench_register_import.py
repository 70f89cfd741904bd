"""Benchmark: `flask buurt addresses import` of a big NLExtract bagadres file, as one process does it.

    .venv/bin/python bench/bench_register_import.py [--rows 1000000] [--seed 1] [--postgres] [--no-reimport]

Writes ``--rows`` fictional addresses (``fictional_csv`` of bench/bench_register.py) to a CSV file,
then imports it in a CHILD process through ``buurt.addresses.imports.import_file`` (sniffing the
encoding, streaming, one transaction), so the child's peak RSS is the importer's own. Reports
rows/s, total time, CPU time and peak RSS; then a second import of the same file (all unchanged).
Target: 1,000,000 rows in under 90 s on SQLite.

SQLite: while the child imports, a probe in this process tries a small write transaction (as a
sign-up would) every half second on its own connection with the app's busy_timeout (15 s) and
reports how long it waited and how often it gave up: the cost of an all-or-nothing import.

``--postgres`` (or SQLALCHEMY_DATABASE_URI / BUURT_TEST_DATABASE_URI in the environment, e.g. via
scripts/with_postgres.sh) runs against that PostgreSQL database instead (its address table is
emptied first). Prints human lines, then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _app(uri: str, tmp: str):
    from buurt import create_app

    return create_app(
        test_config={
            "TESTING": True,
            "SECRET_KEY": "bench-only-not-secret",
            "SQLALCHEMY_DATABASE_URI": uri,
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
        },
        instance_path=tmp,
    )


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM starts afresh at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str, uri: str, tmp: str) -> None:
    """Import `path` once and print one JSON line: seconds, CPU seconds, peak RSS, counts."""
    from buurt.addresses.imports import import_file
    from buurt.extensions import db

    app = _app(uri, tmp)
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        rss_before = _peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(Path(path), source="bench")
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        db.session.remove()
        db.engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": cpu_s,
                "rss_before_mb": rss_before,
                "peak_rss_mb": _peak_rss_mb(),
                "loaded": report.loaded,
                "unchanged": report.unchanged,
                "rejected": report.rejected_count,
                "encoding": report.encoding,
            }
        )
    )


class LockProbe(threading.Thread):
    """A sign-up-sized write on its own SQLite connection every 0.5 s, timed."""

    def __init__(self, db_path: str):
        super().__init__(daemon=True)
        self.db_path = db_path
        self.stop = threading.Event()
        self.waits: list[float] = []
        self.failures = 0

    def run(self) -> None:
        connection = sqlite3.connect(self.db_path, timeout=15, isolation_level=None)
        connection.execute("PRAGMA busy_timeout=15000")
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("UPDATE revision SET value = value WHERE name = 'bench-probe'")
                connection.execute("COMMIT")
                self.waits.append(time.perf_counter() - started)
            except sqlite3.OperationalError:
                self.failures += 1
                connection.execute("ROLLBACK") if connection.in_transaction else None
            self.stop.wait(0.5)
        connection.close()


def run_child(path: Path, uri: str, tmp: str, probe_db: str | None) -> dict:
    probe = LockProbe(probe_db) if probe_db else None
    if probe:
        probe.start()
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--uri", uri, "--tmp", tmp],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if probe:
        probe.stop.set()
        probe.join()
        result["probe_writes"] = len(probe.waits)
        result["probe_max_wait_s"] = round(max(probe.waits, default=0.0), 3)
        result["probe_gave_up"] = probe.failures
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="use SQLALCHEMY_DATABASE_URI / BUURT_TEST_DATABASE_URI")
    parser.add_argument("--no-reimport", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.uri, args.tmp)
        return {}

    from bench_register import fictional_csv

    from buurt.extensions import db
    from buurt.models import Address

    env_uri = os.environ.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("BUURT_TEST_DATABASE_URI")
    use_postgres = args.postgres or bool(env_uri)
    if use_postgres and not env_uri:
        parser.error("--postgres needs SQLALCHEMY_DATABASE_URI or BUURT_TEST_DATABASE_URI")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = str(Path(tmp) / "bench.sqlite")
        uri = env_uri if use_postgres else f"sqlite:///{db_path}"
        app = _app(uri, tmp)
        with app.app_context():
            db.create_all()
            db.session.execute(db.delete(Address))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

        started = time.perf_counter()
        text, _keys = fictional_csv(args.rows, args.seed)
        path = Path(tmp) / "bagadres.csv"
        path.write_text(text, encoding="utf-8")
        size_mb = len(text) / 1e6
        del text, _keys
        print(f"CSV: {args.rows:,} fictional rows, {size_mb:.1f} MB (made in {time.perf_counter() - started:.1f} s)")
        backend = "postgresql" if use_postgres else "sqlite"
        first = run_child(path, uri, tmp, None if use_postgres else db_path)
        rate = args.rows / first["seconds"]
        print(
            f"{backend}: import {first['loaded']:,} rows in {first['seconds']:.1f} s = {rate:,.0f} rows/s "
            f"(CPU {first['cpu_s']:.1f} s), peak RSS {first['peak_rss_mb']:.0f} MB "
            f"(before the import {first['rss_before_mb']:.0f} MB); target < 90 s per 1,000,000"
        )
        if "probe_writes" in first:
            print(
                f"    a concurrent write (sign-up) during the import: {first['probe_writes']} done, longest wait "
                f"{first['probe_max_wait_s']:.1f} s, {first['probe_gave_up']} gave up after 15 s"
            )
        again = None
        if not args.no_reimport:
            again = run_child(path, uri, tmp, None if use_postgres else db_path)
            print(
                f"    re-import: {again['unchanged']:,} unchanged in {again['seconds']:.1f} s "
                f"(CPU {again['cpu_s']:.1f} s), peak RSS {again['peak_rss_mb']:.0f} MB"
            )
        if use_postgres:
            with app.app_context():
                db.session.execute(db.delete(Address))
                db.session.commit()
                db.engine.dispose()

    result = {
        "backend": backend,
        "rows": args.rows,
        "csv_mb": round(size_mb, 1),
        "import_s": round(first["seconds"], 2),
        "import_rows_per_s": round(rate),
        "import_cpu_s": round(first["cpu_s"], 2),
        "peak_rss_mb": round(first["peak_rss_mb"]),
        "rss_before_import_mb": round(first["rss_before_mb"]),
        "target_met": first["seconds"] < 90 * args.rows / 1_000_000,
        "probe_writes": first.get("probe_writes"),
        "probe_max_wait_s": first.get("probe_max_wait_s"),
        "probe_gave_up": first.get("probe_gave_up"),
        "reimport_s": round(again["seconds"], 2) if again else None,
        "reimport_peak_rss_mb": round(again["peak_rss_mb"]) if again else None,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
