"""Launch night: a bounded mixed load (pages, lookups, sign-ups) beside /health, against real gunicorn.

Issue 11: ~1,000 residents reach the sign-up page within an hour of the launch. An SRE's mixed
load reached 60.7 req/s on 2 workers where the same harness did 552 req/s on /health (11 %).
This benchmark starts gunicorn on 127.0.0.1 (a free port) with a temporary instance, the
Rijnsoever areas and the demo data (so lookups find addresses), then runs two phases with the
same client harness (C threads, each with its own keep-alive connection and cookie session):

1. /health only;
2. the mix, as flows a browser would make:
   - pages: GET /, /welke-groep, /aanmelden, /welke-groep/straten, /incidenten/openbaar;
   - API lookups: POST /api/v1/lookup with a JSON body {postcode, huisnummer} for demo addresses;
   - form lookups: GET /welke-groep, then POST it with the CSRF token and a demo address;
   - sign-ups: GET /aanmelden, POST it with the form's hidden fields (the CSRF token of the real
     Flask-WTF flow, with a cookie session per client; a one-time form token if there is one),
     a demo address inside the areas, a unique fictional mobile number (06 19xx xxxx) and a
     name "Fictief Lancering <n>"; a 302 to /aanmelden/ontvangen is an
     accepted sign-up, whose page is fetched next.

It prints req/s, p50/p99 (overall and per kind), errors, the ratio to /health, and the sign-ups
accepted (302) beside the Resident rows stored. Every answer outside 2xx/3xx is an error (no 4xx
is expected: the rate limits are switched OFF for this server, RATELIMIT_ENABLED=false, because
all clients share one IP), as is a sign-up answered 200 (a refused form) and any connection
error. Targets: mix >= 30 % of /health's req/s, p99 < 500 ms at 30 clients on 2 workers, 0 errors,
stored = accepted. The harness is Python threads in one process on the same machine as the
server, so absolute numbers are modest; compare ratios, and "sync" with "conf" in the same run.

    .venv/bin/python bench/bench_launch_night.py
    .venv/bin/python bench/bench_launch_night.py --server sync      # gunicorn's defaults, as `make run` had
    .venv/bin/python bench/bench_launch_night.py --seconds 10 --clients 30 --workers 2 [--threads 8]
    .venv/bin/python bench/bench_launch_night.py --database-uri postgresql://...   # an existing, empty database
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _http import Visitor, hidden_fields  # noqa: E402  (bench/ is on sys.path: the script's folder)

from tests.gunicorn_support import (  # noqa: E402
    CONFIG_FILE,
    VENV_BIN,
    prepare_database,
    running_gunicorn,
    server_env,
)

NAME_PREFIX = "Fictief Lancering"
PAGES = ("/", "/welke-groep", "/aanmelden", "/welke-groep/straten", "/incidenten/openbaar")
#: flow -> weight in the mix (a flow is one to three requests)
FLOWS = {"page": 4, "api": 2, "lookup": 2, "signup": 2}
SERVER_CONFIG = {"RATELIMIT_ENABLED": False, "MAIL_SERVER": None}


@dataclass
class Stats:
    """What the clients saw; one lock, appended to by every client thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    accepted: int = 0
    refused: int = 0

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.timings[kind].append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1

    def all_timings(self) -> list[float]:
        return [t for ts in self.timings.values() for t in ts]


class Client(Visitor):
    """One visitor: a keep-alive connection, a cookie jar (the session), and the stats."""

    def __init__(self, port: int, stats: Stats):
        super().__init__(port, timeout=30)
        self.stats = stats

    def request(
        self, kind: str, method: str, path: str, form: dict | None = None, json_body: dict | None = None
    ) -> tuple[int, str, str]:
        """One request; (status, body, location). Errors are counted and give status 0."""
        try:
            response, text, elapsed = self.send(method, path, form, json_body)
        except (OSError, http.client.HTTPException) as error:
            self.stats.error(f"{kind}: {type(error).__name__}")
            return 0, "", ""
        self.stats.record(kind, elapsed)
        if not 200 <= response.status < 400:
            self.stats.error(f"{kind}: HTTP {response.status}")
        return response.status, text, response.getheader("Location") or ""


class Mix:
    """The launch-night flows; sign-up numbers are unique across all clients of the run."""

    def __init__(self, addresses: list[tuple[str, int]], phone_block: int):
        self.addresses = addresses
        self.phone_block = phone_block
        self.counter = iter(range(1, 10**6))
        self.counter_lock = threading.Lock()

    def next_number(self) -> int:
        with self.counter_lock:
            return next(self.counter)

    def run(self, client: Client, rng: random.Random, deadline: float) -> None:
        flows, weights = zip(*FLOWS.items(), strict=True)
        while time.monotonic() < deadline:
            flow = rng.choices(flows, weights)[0]
            getattr(self, flow)(client, rng)

    def page(self, client: Client, rng: random.Random) -> None:
        path = rng.choice(PAGES)
        client.request(f"GET {path}", "GET", path)

    def api(self, client: Client, rng: random.Random) -> None:
        postcode, number = rng.choice(self.addresses)
        # POST with a JSON body: an address in a query string would land in access logs (issue 13)
        address = {"postcode": postcode, "huisnummer": str(number)}
        client.request("api lookup", "POST", "/api/v1/lookup", json_body=address)

    def lookup(self, client: Client, rng: random.Random) -> None:
        _, html, _ = client.request("GET /welke-groep", "GET", "/welke-groep")
        if "csrf_token" not in (hidden := hidden_fields(html)):
            client.stats.error("lookup: no CSRF token on the form")
            return
        postcode, number = rng.choice(self.addresses)
        form = {**hidden, "postcode": postcode, "house_number": str(number)}
        client.request("form lookup POST", "POST", "/welke-groep", form)

    def signup(self, client: Client, rng: random.Random) -> None:
        _, html, _ = client.request("GET /aanmelden", "GET", "/aanmelden")
        if "csrf_token" not in (hidden := hidden_fields(html)):
            client.stats.error("signup: no CSRF token on the form")
            return
        n = self.next_number()
        postcode, number = rng.choice(self.addresses)
        form = {
            **hidden,
            "name": f"{NAME_PREFIX} {n}",
            "postcode": postcode,
            "house_number": str(number),
            "phone": f"06 19{self.phone_block:02d}{n:04d}",
            "household_size": "1",
            "consent_privacy": "y",
            "consent_rules": "y",
            "consent_age": "y",
        }
        status, _, location = client.request("signup POST", "POST", "/aanmelden", form)
        if status == 302 and location.endswith("/aanmelden/ontvangen"):
            with client.stats.lock:
                client.stats.accepted += 1
            client.request("GET /aanmelden/ontvangen", "GET", "/aanmelden/ontvangen")
        elif status == 200:
            with client.stats.lock:
                client.stats.refused += 1
            client.stats.error("signup: form refused (200)")


def health_only(client: Client, rng: random.Random, deadline: float) -> None:
    while time.monotonic() < deadline:
        client.request("/health", "GET", "/health")


def run_phase(port: int, clients: int, seconds: float, body, seed: int) -> tuple[Stats, float]:
    """`clients` threads run `body(client, rng, deadline)` for `seconds`; the stats and the real duration."""
    stats = Stats()
    deadline = time.monotonic() + seconds
    workers = [Client(port, stats) for _ in range(clients)]
    threads = [
        threading.Thread(target=body, args=(c, random.Random(seed + i), deadline), daemon=True)
        for i, c in enumerate(workers)
    ]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    for c in workers:
        c.close()
    return stats, elapsed


_QUERY = """
import json, sys
from app import app
from buurt.extensions import db
from buurt.models import Address, Resident
with app.app_context():
    if sys.argv[1] == "addresses":
        from buurt.areas.services import place
        rows = db.session.execute(db.select(Address.postcode, Address.house_number, Address.lat, Address.lon)
                                  .where(Address.house_letter == "", Address.house_addition == "")).all()
        inside = [[pc, nr] for pc, nr, lat, lon in rows if place(lat, lon).area is not None]
        print(json.dumps(inside))
    else:
        stmt = db.select(db.func.count()).select_from(Resident).where(Resident.name.like(sys.argv[2] + " %"))
        print(json.dumps(db.session.scalar(stmt)))
    db.engine.dispose()
"""


def query(env: dict, *args: str):
    out = subprocess.run(
        [str(VENV_BIN / "python"), "-c", _QUERY, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary(stats: Stats, elapsed: float) -> dict:
    timings = stats.all_timings()
    return {
        "requests": len(timings),
        "rps": round(len(timings) / elapsed, 1),
        "p50_ms": round(percentile(timings, 50) * 1000, 1),
        "p99_ms": round(percentile(timings, 99) * 1000, 1),
        "errors": sum(stats.errors.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, help="override gunicorn.conf.py's threads (with --server conf)")
    parser.add_argument(
        "--server", choices=("conf", "sync"), default="conf", help="gunicorn.conf.py, or gunicorn's defaults"
    )
    parser.add_argument("--database-uri", help="e.g. a PostgreSQL database (default: SQLite in a temp folder)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="buurt-bench-launch-") as tmp:
        instance = Path(tmp) / "instance"
        uri = args.database_uri or f"sqlite:///{Path(tmp) / 'launch.sqlite'}"
        env = server_env(instance_path=instance, database_uri=uri, config=SERVER_CONFIG)
        prepare_database(instance_path=instance, database_uri=uri, demo=True)
        addresses = [tuple(a) for a in query(env, "addresses")]
        # a phone block per run: repeated runs on one (PostgreSQL) database do not collide
        mix = Mix(addresses, phone_block=random.Random().randrange(100))
        stored_before = query(env, "count", NAME_PREFIX)
        config_file = CONFIG_FILE if args.server == "conf" else None
        with running_gunicorn(
            database_uri=uri,
            instance_path=instance,
            config=SERVER_CONFIG,
            workers=args.workers,
            threads=args.threads if args.server == "conf" else None,
            config_file=config_file,
        ) as server:
            run_phase(server.port, args.clients, 2.0, health_only, args.seed)  # warm-up: workers, caches
            run_phase(server.port, args.clients, 2.0, mix.run, args.seed)
            warm_accepted = query(env, "count", NAME_PREFIX) - stored_before
            health_stats, health_s = run_phase(server.port, args.clients, args.seconds, health_only, args.seed)
            mix_stats, mix_s = run_phase(server.port, args.clients, args.seconds, mix.run, args.seed + 1000)
            server_log = server.log()
        stored = query(env, "count", NAME_PREFIX) - stored_before - warm_accepted

    health, mixed = summary(health_stats, health_s), summary(mix_stats, mix_s)
    ratio = mixed["rps"] / health["rps"] if health["rps"] else 0.0
    label = "gunicorn.conf.py" if args.server == "conf" else "gunicorn defaults (sync)"
    if args.threads and args.server == "conf":
        label += f", threads={args.threads}"
    db_name = uri.split(":", 1)[0]
    print(f"server: {label}, {args.workers} workers, {db_name}; {args.clients} clients, {args.seconds:g} s per phase")
    print("rate limits: OFF for this server (RATELIMIT_ENABLED=false; all clients share 127.0.0.1); mail: off")
    print(f"{len(addresses)} demo addresses inside the areas; CSRF: the real flow (form token, cookie session)")
    print(f"{'phase':22} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for name, s in (("/health", health), ("launch-night mix", mixed)):
        print(f"{name:22} {s['requests']:>8} {s['rps']:>8.1f} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['errors']:>6}")
    for kind, ts in sorted(mix_stats.timings.items()):
        p50, p99 = percentile(ts, 50) * 1000, percentile(ts, 99) * 1000
        print(f"  {kind:20.20} {len(ts):>8} {'':>8} {p50:>8.1f} {p99:>8.1f}")
    for what, count in sorted((health_stats.errors + mix_stats.errors).items()):
        print(f"  error: {what} ×{count}")
    print(f"ratio mix / health    : {ratio:.1%} (target >= 30 %); p99 target < 500 ms; 0 errors")
    print(f"sign-ups accepted(302): {mix_stats.accepted}, stored: {stored}, refused: {mix_stats.refused}")
    if problems := [line for line in server_log.splitlines() if "ERROR" in line or "Traceback" in line]:
        print("the server logged errors (its log holds no personal data: types and endpoints only):")
        print("\n".join(problems[-10:]))
    print(
        json.dumps(
            {
                "benchmark": "launch_night",
                "server": args.server,
                "threads": args.threads,
                "workers": args.workers,
                "clients": args.clients,
                "database": db_name,
                "health": health,
                "mix": mixed,
                "ratio": round(ratio, 3),
                "signups_accepted": mix_stats.accepted,
                "signups_stored": stored,
                "signups_refused": mix_stats.refused,
            }
        )
    )


if __name__ == "__main__":
    main()
