"""Two hosts against one: lookups/s and sign-ups/s on one PostgreSQL and one Redis (issue 16).

Starts a throwaway PostgreSQL (tests/postgres_support.py; or uses BUURT_TEST_DATABASE_URI's server)
and a redis-server (tests/redis_support.py), prepares one database with Rijnsoever and the demo
data (its made-up address register), then measures three layouts, each gunicorn with
gunicorn.conf.py (gthread, 4 threads) and its own instance folder, all sharing the database, the
Redis rate-limit store and one photo folder (tests/ops/two_hosts_support.py):

- one host, W workers;
- two hosts, W workers each (the question: what does a second machine add?);
- one host, 2W workers (the control: as many processes as two hosts, on one host).

Per layout two phases:

- lookups: wrk (one per host, at the same time, C connections in all) POSTing /api/v1/lookup with
  JSON bodies for 500 demo addresses inside the areas, as bench/bench_lookup.py does;
- sign-ups: C Python client threads spread over the hosts, each GET /aanmelden then POST it with
  the form's hidden fields (CSRF token, cookie session), a demo address and a unique fictional
  number, as bench/bench_launch_night.py does; a 302 to /aanmelden/ontvangen is one sign-up.

The rate limiter stays ON (in Redis, with limits far above the load: every request still counts
in Redis, as in production); mail is off. Everything runs on this one machine: the hosts, the
database, Redis and the load generators share its CPUs, so the ratio two/one is capped by the
cores here, not by the design. Each layout runs --rounds times, the order reversed every round (a
shared machine drifts), and the medians are reported. Numbers on stdout and one JSON line at the end.

    .venv/bin/python bench/bench_two_hosts.py [--seconds 10] [--rounds 2] [--workers 1] [--connections 16] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_launch_night import Client, Mix, Stats, query  # noqa: E402  (bench/ is the script's folder)

from tests.gunicorn_support import prepare_database, server_env  # noqa: E402
from tests.ops.two_hosts_support import running_hosts  # noqa: E402
from tests.postgres_support import running_postgres  # noqa: E402
from tests.redis_support import running_redis  # noqa: E402

# far above what this machine can send: the limiter still counts every request in Redis
LIMITS = {"RATELIMIT_LOOKUP": "10000000 per minute", "RATELIMIT_SIGNUP": "10000000 per hour"}


def wrk(url: str, seconds: int, script: Path, connections: int) -> dict:
    """One wrk run (bench/bench_lookup.py's, with a chosen number of connections): req/s, p99, non-2xx."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * factor, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def lookup_script(folder: Path, addresses: list[tuple[str, int]]) -> Path:
    """wrk's Lua script: POST /api/v1/lookup with a JSON body, round the sample."""
    sample = random.Random(7).sample(addresses, min(500, len(addresses)))
    bodies = [json.dumps({"postcode": pc, "huisnummer": str(nr)}) for pc, nr in sample]
    script = folder / "lookup.lua"
    script.write_text(
        "bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
        "headers = {['Content-Type'] = 'application/json'}\n"
        "i = 0\nrequest = function()\n  i = i % #bodies + 1\n"
        "  return wrk.format('POST', '/api/v1/lookup', headers, bodies[i])\nend\n"
    )
    return script


def lookups(hosts, script: Path, seconds: int, connections: int) -> dict:
    """wrk against every host at once (connections split evenly); summed req/s, worst p99."""
    results: list[dict] = []
    per_host = max(1, connections // len(hosts))

    def run(url: str) -> None:
        results.append(wrk(url, seconds, script, connections=per_host))

    threads = [threading.Thread(target=run, args=(host.url + "/",)) for host in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "rps": round(sum(r["rps"] for r in results), 1),
        "p99_ms": round(max(r["p99_ms"] for r in results), 1),
        "non_2xx": sum(r["non_2xx"] for r in results),
    }


def signups(hosts, mix: Mix, seconds: float, clients: int, seed: int) -> dict:
    """``clients`` threads, spread over the hosts round-robin, sign up until the time is up."""
    stats = Stats()
    deadline = time.monotonic() + seconds
    visitors = [Client(hosts[i % len(hosts)].server.port, stats) for i in range(clients)]

    def run(client: Client, rng: random.Random) -> None:
        while time.monotonic() < deadline:
            mix.signup(client, rng)

    threads = [threading.Thread(target=run, args=(c, random.Random(seed + i))) for i, c in enumerate(visitors)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    for c in visitors:
        c.close()
    timings = sorted(stats.timings.get("signup POST", []))
    p99 = timings[int(len(timings) * 0.99)] * 1000 if timings else 0.0
    return {
        "per_s": round(stats.accepted / elapsed, 1),
        "accepted": stats.accepted,
        "post_p99_ms": round(p99, 1),
        "errors": sum(stats.errors.values()),
    }


def measure(layout: tuple[str, int, int], setup: dict, args, seed: int) -> dict:
    """One layout: start its hosts, warm up, then the lookup phase and the sign-up phase."""
    _name, count, workers = layout
    root = setup["tmp"] / f"run-{seed}"
    with running_hosts(
        count, database_uri=setup["uri"], redis_url=setup["redis"], root=root, workers=workers, config=LIMITS
    ) as hosts:
        lookups(hosts, setup["script"], 2, args.connections)  # warm-up: workers, caches, connections
        signups(hosts, setup["mix"], 2, args.clients, seed=seed)
        looked = lookups(hosts, setup["script"], args.seconds, args.connections)
        signed = signups(hosts, setup["mix"], args.seconds, args.clients, seed=seed + 500)
        errors = [line for h in hosts for line in h.server.log().splitlines() if "Traceback" in line]
    return {"lookups": looked, "signups": signed, "server_errors": len(errors)}


def median_row(runs: list[dict]) -> dict:
    """The median run of a layout by each number (the machine is shared: single runs are noisy)."""
    return {
        "lookups_per_s": statistics.median(r["lookups"]["rps"] for r in runs),
        "lookup_p99_ms": statistics.median(r["lookups"]["p99_ms"] for r in runs),
        "signups_per_s": statistics.median(r["signups"]["per_s"] for r in runs),
        "signup_p99_ms": statistics.median(r["signups"]["post_p99_ms"] for r in runs),
        "errors": sum(r["lookups"]["non_2xx"] + r["signups"]["errors"] + r["server_errors"] for r in runs),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per phase")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per host (W)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in all, split over the hosts")
    parser.add_argument("--clients", type=int, default=8, help="sign-up client threads in all")
    parser.add_argument("--rounds", type=int, default=2, help="every layout this often, order reversed each round")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    layouts = [
        ("one host", 1, args.workers),
        ("two hosts", 2, args.workers),
        ("one host, 2W workers", 1, 2 * args.workers),
    ]
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in layouts}
    load_before = os.getloadavg()[0]
    with running_postgres() as postgres, running_redis() as redis, tempfile.TemporaryDirectory() as tmp:
        uri = postgres.new_database("bench2h")
        prepare = Path(tmp) / "prepare"
        prepare_database(instance_path=prepare, database_uri=uri, demo=True)
        addresses = [tuple(a) for a in query(server_env(instance_path=prepare, database_uri=uri), "addresses")]
        setup = {
            "tmp": Path(tmp),
            "uri": uri,
            "redis": redis.url,
            "script": lookup_script(Path(tmp), addresses),
            "mix": Mix(addresses, phone_block=random.Random().randrange(100)),
        }
        for round_ in range(args.rounds):
            order = layouts if round_ % 2 == 0 else layouts[::-1]  # drift on a shared machine hits all alike
            for layout in order:
                seed = 1000 * (1 + len(runs[layout[0]]) + 10 * layouts.index(layout))
                runs[layout[0]].append(measure(layout, setup, args, seed))
        postgres.drop_all()
    load_after = os.getloadavg()[0]
    report(args, layouts, {name: median_row(r) for name, r in runs.items()}, len(addresses), (load_before, load_after))


def report(args, layouts, rows: dict, addresses: int, load: tuple[float, float]) -> None:
    one, two = rows["one host"], rows["two hosts"]
    lookup_ratio = two["lookups_per_s"] / one["lookups_per_s"] if one["lookups_per_s"] else 0.0
    signup_ratio = two["signups_per_s"] / one["signups_per_s"] if one["signups_per_s"] else 0.0
    print(f"machine: {os.cpu_count()} CPUs shared by every host, PostgreSQL, Redis and the load generators;")
    print(f"  load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after (above the CPU count: others ran too)")
    print(f"PostgreSQL (throwaway, fsync off) and redis-server on 127.0.0.1; {addresses} demo addresses")
    print(
        f"lookups: wrk, {args.connections} connections in all; sign-ups: {args.clients} client threads; "
        f"{args.seconds} s per phase; medians of {args.rounds} rounds; rate limiter on (Redis)"
    )
    print(
        f"{'layout':24} {'hosts':>5} {'workers':>7} {'lookups/s':>10} {'p99 ms':>7} "
        f"{'sign-ups/s':>10} {'p99 ms':>7} {'errors':>6}"
    )
    for name, count, workers in layouts:
        row = rows[name]
        print(
            f"{name:24} {count:>5} {workers:>7} {row['lookups_per_s']:>10.1f} {row['lookup_p99_ms']:>7.1f} "
            f"{row['signups_per_s']:>10.1f} {row['signup_p99_ms']:>7.1f} {row['errors']:>6}"
        )
    print(f"ratio two hosts / one host: lookups {lookup_ratio:.2f}, sign-ups {signup_ratio:.2f}")
    print(
        json.dumps(
            {
                "benchmark": "two_hosts",
                "cpus": os.cpu_count(),
                "load_average": load,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "rows": rows,
                "ratio_lookups": round(lookup_ratio, 2),
                "ratio_signups": round(signup_ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
