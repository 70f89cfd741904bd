"""A geocoder that hangs: are /health and a beheerder page still answered while 24 lookups wait on it?

Issue 12: a lookup of an address that is not in the register geocodes online inside the request.
With a geocoder that hangs, every lookup held a worker thread for ~8 s (4 s per service plus the
wait for a turn), and 24 lookups from 24 IPs pushed /health from 3 ms to 10 s; beheerders
forwarding a police alert waited too. Done when: /health and a beheerder page stay under 100 ms
p99 meanwhile.

This benchmark starts, on 127.0.0.1 (free ports, a temporary instance and SQLite database with
the Rijnsoever areas and one beheerder account):

* a geocoder that accepts connections and reads the request, then never answers
  (tests/geocoder_support.py), configured as both PDOK and Nominatim;
* gunicorn as `make run` starts it (gunicorn.conf.py: 2 workers x 4 threads), with the site's
  default geocoder settings, rate limits off (every client is 127.0.0.1) and no mail.

Two phases of ``--seconds`` (default 20) each, in which one probe requests /health and another,
logged in as the beheerder, /beheer/ (the group console), each every 100 ms: first alone (the
machine's own baseline), then beside ``--lookups`` clients (default 24, in a process of their
own so their threads do not slow the probes' clock) that each post the lookup form (/welke-groep,
the real CSRF flow) for an address that is not in the register, again and again (``--think``
seconds apart, default 0). It prints per phase and kind the number of requests, p50/p99/max in
ms and errors, what the lookups answered, how often the geocoder was asked, and one JSON object
on the last line.

    .venv/bin/python bench/bench_geocoder_hang.py [--seconds 20] [--lookups 24] [--think 0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _http import Visitor, hidden_fields  # noqa: E402  (bench/ is on sys.path: the script's folder)

from tests.geocoder_support import LoopbackGeocoder  # noqa: E402
from tests.gunicorn_support import VENV_BIN, prepare_database, running_gunicorn, server_env  # noqa: E402

EMAIL = "beheerder-bench@example.org"
PASSWORD = "bench password, not a secret"
PROBE_EVERY_S = 0.1
TARGET_P99_MS = 100.0

_MAKE_BEHEERDER = """
import sys
from app import app
from buurt.auth.services import create_user
from buurt.extensions import db
from buurt.models import Group, Role
with app.app_context():
    group = db.session.scalars(db.select(Group).order_by(Group.sort_order)).first()
    create_user(sys.argv[1], "Beheerder Bench", Role.BEHEERDER, sys.argv[2], [group])
    db.session.commit()
    db.engine.dispose()
"""


@dataclass
class Kind:
    timings: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)


class Client(Visitor):
    """One visitor: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int):
        super().__init__(port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, float]:
        response, text, elapsed = self.send(method, path, form)
        return response.status, text, elapsed


def log_in(port: int) -> Client:
    client = Client(port)
    _, html, _ = client.request("GET", "/inloggen")
    status, _, _ = client.request("POST", "/inloggen", {**hidden_fields(html), "email": EMAIL, "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"could not log in as the beheerder (HTTP {status})")
    return client


def answer_of(html: str) -> str:
    if "De adreszoeker is even niet bereikbaar" in html:
        return "unavailable (try again / sign up, looked up later)"
    if "Dit adres kennen we niet" in html:
        return "unknown"
    if 'id="antwoord"' in html:
        return "other answer"
    return "no answer on the page"


def lookups(port: int, n: int, stop: threading.Event, think: float, kind: Kind, lock: threading.Lock) -> None:
    client = Client(port)
    try:
        _, html, _ = client.request("GET", "/welke-groep")
    except (OSError, http.client.HTTPException) as error:
        with lock:
            kind.errors[type(error).__name__] += 1
        return
    token = hidden_fields(html)
    house = 100 + n * 1000
    while not stop.is_set():
        house += 1  # never the same address twice: nothing in the register, nothing remembered
        form = {**token, "postcode": "2221AB", "house_number": str(house % 10000 or 1)}
        try:
            status, text, elapsed = client.request("POST", "/welke-groep", form)
        except (OSError, http.client.HTTPException) as error:
            with lock:
                kind.errors[type(error).__name__] += 1
            continue
        with lock:
            kind.timings.append(elapsed)
            kind.answers[answer_of(text)] += 1
            if status != 200:
                kind.errors[f"HTTP {status}"] += 1
        if think:
            stop.wait(think)


def probe(client: Client, path: str, stop: threading.Event, kind: Kind, lock: threading.Lock) -> None:
    while not stop.is_set():
        try:
            status, _, elapsed = client.request("GET", path)
        except (OSError, http.client.HTTPException) as error:
            with lock:
                kind.errors[type(error).__name__] += 1
            continue
        with lock:
            kind.timings.append(elapsed)
            if status != 200:
                kind.errors[f"HTTP {status}"] += 1
        stop.wait(PROBE_EVERY_S)


def stats(kind: Kind) -> dict:
    ts = sorted(kind.timings)
    if not ts:
        return {"requests": 0, "errors": sum(kind.errors.values())}
    p99 = statistics.quantiles(ts, n=100, method="inclusive")[98] if len(ts) > 1 else ts[0]
    return {
        "requests": len(ts),
        "p50_ms": round(statistics.median(ts) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ts[-1] * 1000, 1),
        "errors": sum(kind.errors.values()),
    }


def lookup_process(port: int, clients: int, think: float, stop, results) -> None:
    """The lookup clients, in their own process: their threads must not slow the probes' clock (GIL)."""
    kind, lock, halt = Kind(), threading.Lock(), threading.Event()
    threads = [
        threading.Thread(target=lookups, args=(port, n, halt, think, kind, lock), daemon=True) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    stop.wait()
    halt.set()
    for thread in threads:
        thread.join(120)
    results.put((kind.timings, dict(kind.errors), dict(kind.answers)))


def run_phase(port: int, beheerder: Client, seconds: float, clients: int, think: float) -> dict[str, Kind]:
    """Probe /health and /beheer/ for `seconds`, with `clients` lookup clients beside them (0: none)."""
    kinds = {"health": Kind(), "beheer": Kind(), "lookup": Kind()}
    lock, stop = threading.Lock(), threading.Event()
    probes = [
        threading.Thread(target=probe, args=(Client(port), "/health", stop, kinds["health"], lock)),
        threading.Thread(target=probe, args=(beheerder, "/beheer/", stop, kinds["beheer"], lock)),
    ]
    context = multiprocessing.get_context("spawn")
    stop_lookups, results = context.Event(), context.Queue()
    worker = context.Process(target=lookup_process, args=(port, clients, think, stop_lookups, results))
    if clients:
        worker.start()
        time.sleep(1.0)  # the lookups are under way before the probes start
    for thread in probes:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in probes:
        thread.join(120)
    if clients:
        stop_lookups.set()
        timings, errors, answers = results.get(timeout=180)
        worker.join(30)
        kinds["lookup"] = Kind(timings, Counter(errors), Counter(answers))
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--lookups", type=int, default=24, help="concurrent lookup clients")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between one client's lookups")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="buurt-bench-geocoder-") as tmp, LoopbackGeocoder("hang") as geocoder:
        instance = Path(tmp) / "instance"
        uri = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        config = {
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
            "GEOCODER_CHAIN": ["register", "pdok", "nominatim"],
            "PDOK_URL": geocoder.base_url + "/pdok",
            "NOMINATIM_URL": geocoder.base_url + "/nominatim",
        }
        prepare_database(instance_path=instance, database_uri=uri)
        made = subprocess.run(
            [str(VENV_BIN / "python"), "-c", _MAKE_BEHEERDER, EMAIL, PASSWORD],
            cwd=ROOT,
            env=server_env(instance_path=instance, database_uri=uri, config=config),
            capture_output=True,
            text=True,
        )
        if made.returncode:
            sys.exit("could not create the beheerder account:\n" + made.stderr[-2000:])
        with running_gunicorn(database_uri=uri, instance_path=instance, config=config, startup_s=90) as server:
            beheerder = log_in(server.port)
            health = Client(server.port)
            for _ in range(20):  # warm both workers (templates, area index, the beheerder's console)
                health.request("GET", "/health")
                beheerder.request("GET", "/beheer/")
            quiet = run_phase(server.port, beheerder, args.seconds, 0, args.think)
            kinds = run_phase(server.port, beheerder, args.seconds, args.lookups, args.think)
            server_log = server.log()

    baseline = {name: stats(quiet[name]) for name in ("health", "beheer")}
    result = {name: stats(kind) for name, kind in kinds.items()}
    ok = all(result[k].get("p99_ms", 1e9) < TARGET_P99_MS and result[k]["errors"] == 0 for k in ("health", "beheer"))
    print("gunicorn.conf.py (2 workers x 4 threads), SQLite; a geocoder that hangs as PDOK and Nominatim")
    print(
        f"{args.lookups} lookup clients (own process), {args.seconds:g} s per phase, think {args.think:g} s; "
        "probes every 100 ms"
    )
    print(f"{'phase / kind':22} {'requests':>8} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'errors':>6}")
    rows = [(f"no lookups: {k}", s) for k, s in baseline.items()] + [(f"lookups: {k}", s) for k, s in result.items()]
    for name, s in rows:
        print(
            f"{name:22} {s['requests']:>8} {s.get('p50_ms', 0):>9.1f} {s.get('p99_ms', 0):>9.1f} "
            f"{s.get('max_ms', 0):>9.1f} {s['errors']:>6}"
        )
    for name, kind in kinds.items():
        for what, count in sorted(kind.errors.items()):
            print(f"  {name} error: {what} x{count}")
    for answer, count in kinds["lookup"].answers.most_common():
        print(f"  lookups answered {answer}: {count}")
    print(f"geocoder asked {geocoder.hits} times; connections closed by the site: {geocoder.closed_by_client}")
    print(f"target: /health and /beheer/ p99 < {TARGET_P99_MS:g} ms, no errors: {'met' if ok else 'NOT met'}")
    if problems := [line for line in server_log.splitlines() if "ERROR" in line or "Traceback" in line]:
        print("the server logged errors:\n" + "\n".join(problems[-10:]))
    print(
        json.dumps(
            {
                "benchmark": "geocoder_hang",
                "lookup_clients": args.lookups,
                "seconds": args.seconds,
                "think_s": args.think,
                "no_lookups": baseline,
                **result,
                "lookup_answers": dict(kinds["lookup"].answers),
                "geocoder_requests": geocoder.hits,
                "geocoder_connections_closed_by_site": geocoder.closed_by_client,
                "target_met": ok,
            }
        )
    )


if __name__ == "__main__":
    main()
